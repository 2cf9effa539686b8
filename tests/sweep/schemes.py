"""Isolation-sweep registry for scheme administration."""

from schemes.models import SchemePreview
from schemes.services import scheme_adopt

ORG_SCOPED = {
    "scheme_list": None,
    "scheme_adopt": None,
    "scheme_import": None,
    "scheme_detail": lambda w: {"code": w.b["scheme_code"]},
    "scheme_edit": lambda w: {"code": w.b["scheme_code"]},
    "scheme_edit_json": lambda w: {"code": w.b["scheme_code"]},
    "scheme_export": lambda w: {"code": w.b["scheme_code"], "version": 1},
    "scheme_preview": lambda w: {"code": w.b["scheme_code"], "pk": w.b["preview"]},
}


def make_b_objects(world):
    # A scheme only org B has adopted: asking for it under org A's address must find nothing.
    version = scheme_adopt(organisation=world.org_b, code="ccmg-cpd", by=world.b_user)
    preview = SchemePreview.objects.create(organisation=world.org_b, code=version.code, token="b", proposed={},
                                           proposed_sha256="0" * 64, current=version, as_of=version.effective_from)
    return {"scheme_code": version.code, "preview": preview.pk}

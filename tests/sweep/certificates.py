"""Isolation-sweep registry for the certificates app.

The public pages (`verify`, `verify_start`, `public_register`) are in PUBLIC: no account needed, and what they show
is tested in tests/test_certificates_public.py (only name, number, scheme, scope, status and validity; one
organisation's register shows only its own holders). Every other page is organisation-scoped: org B's decision,
case, certificate, appeal and file under org A's address answer 404. Org A's member is made a decision maker
there too, so the role check passes and the organisation wall is what answers.
"""

import datetime as dt

from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.tenancy import maintenance
from certificates.models import Appeal, AppealFile, Certificate, Decision
from tests import factories
from tests.certificates_helpers import submission

PUBLIC = {"verify", "verify_start", "public_register"}
ORG_SCOPED = {
    "decision_queue": None,
    "case_detail": lambda w: {"pk": w.b["case"]},
    "certificate_list": None,
    "certificate_detail": lambda w: {"pk": w.b["certificate"]},
    "certificate_action": lambda w: {"pk": w.b["certificate"], "action": "suspend"},
    "certificate_pdf": lambda w: {"pk": w.b["certificate"], "language": "nl"},
    "my_certificates": None,
    "register_entry": lambda w: {"pk": w.b["certificate"]},
    "appeal_create": lambda w: {"pk": w.b["decision"]},
    "appeal_list": None,
    "appeal_detail": lambda w: {"pk": w.b["appeal"]},
    "appeal_file_download": lambda w: {"pk": w.b["appeal"], "file_pk": w.b["appeal_file"]},
    "accreditation": None,
    "accreditation_csv": None,
}


def make_b_objects(world):
    factories.member(world.org_a, world.member_a.email, "decision_maker")
    decider = factories.member(world.org_b, "dee@example.com", "decision_maker")
    certification = factories.certification(world.org_b, world.b_user, number="B-CERT-1",
                                            recertification_date=dt.date(2027, 6, 1))
    case = submission(certification)
    with maintenance():
        certificate = Certificate.objects.create(organisation=world.org_b, certification=certification,
                                                 holder_name="Charlie")
        decision = Decision.objects.create(organisation=world.org_b, submission_id=case.pk,
                                           certification=certification, outcome="refuse", reasons="No.",
                                           decided_by=decider, decided_at=timezone.now(),
                                           submitted_at=case.submitted_at, dossier_kind="recertification")
        appeal = Appeal.objects.create(organisation=world.org_b, decision=decision, appellant=world.b_user,
                                       grounds="Yes.", filed_at=timezone.now())
        stored = AppealFile(organisation=world.org_b, appeal=appeal, original_name="a.pdf",
                            content_type="application/pdf", size=4, sha256="0" * 64)
        stored.file.save("appeal", ContentFile(b"%PDF"), save=False)
        stored.save()
    return {"case": case.pk, "certificate": certificate.pk, "decision": decision.pk, "appeal": appeal.pk,
            "appeal_file": stored.pk}

"""Isolation-sweep registry for dossiers, signed statements and submission.

`statement_sign` is public (the signer has no account), so it is in PUBLIC — the anonymous check skips it —
and also in ORG_SCOPED with org B's token, so the sweep checks that B's link under A's address is a 404.
"""

import datetime as dt
import secrets

from accounts.models import hash_token
from accounts.tenancy import maintenance
from dossiers.models import Dossier, DossierSection, StatementRequest
from tests import factories

PUBLIC = {"statement_sign"}
ORG_SCOPED = {
    "dossier_list": None,
    "dossier_start": lambda w: {"certification": w.b["dossier_certification"]},
    "dossier_detail": lambda w: {"pk": w.b["dossier"]},
    "dossier_section": lambda w: {"pk": w.b["dossier"], "code": "A1"},
    "dossier_submit": lambda w: {"pk": w.b["dossier"]},
    "dossier_pdf": lambda w: {"pk": w.b["dossier"]},
    "statement_request": lambda w: {"pk": w.b["dossier"]},
    "statement_resend": lambda w: {"pk": w.b["statement"]},
    "statement_withdraw": lambda w: {"pk": w.b["statement"]},
    "statement_sign": lambda w: {"token": w.b["statement_token"]},
}


def make_b_objects(world):
    certification = factories.certification(world.org_b, world.b_user, recertification_date=dt.date(2027, 6, 1))
    token = secrets.token_urlsafe(32)
    with maintenance():
        dossier = Dossier.objects.create(organisation=world.org_b, owner=world.b_user, certification=certification,
                                         scheme_version=certification.scheme_version,
                                         reference_date=certification.recertification_date)
        DossierSection.objects.create(organisation=world.org_b, dossier=dossier, code="A1")
        statement = StatementRequest.objects.create(
            organisation=world.org_b, dossier=dossier, section_code="A3.1", requirement_code="reflection-meeting",
            signer_name="Sam Signer", signer_email="sam@example.com", token_hash=hash_token(token),
            expires_at=dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=14))
    return {"dossier_certification": certification.pk, "dossier": dossier.pk, "statement": statement.pk,
            "statement_token": token}

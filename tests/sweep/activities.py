"""Isolation-sweep registry for the activity log and evidence files (see tests/test_isolation_sweep.py)."""

import datetime as dt

from accounts.tenancy import maintenance
from dossiers.models import Evidence
from tests import factories

PUBLIC: set[str] = set()
PERSONAL: set[str] = set()
ORG_SCOPED = {
    "activity_list": None,
    "activity_create": None,
    "activity_preview": None,
    "activity_export": None,
    "activity_edit": lambda w: {"pk": w.b["activity"]},
    "activity_duplicate": lambda w: {"pk": w.b["activity"]},
    "activity_delete": lambda w: {"pk": w.b["activity"]},
    "evidence_upload": None,
    "evidence_download": lambda w: {"pk": w.b["evidence"]},
    "evidence_delete": lambda w: {"pk": w.b["evidence"]},
}


def make_b_objects(world):
    # Charlie's activity and evidence in org B; the row points at a name nothing was stored under, so the
    # sweep writes no file (a correct view answers 404 before it would open one).
    activity = factories.activity(world.org_b, world.b_user, "course", dt.date(2025, 3, 1), 4)
    with maintenance():
        evidence = Evidence.objects.create(
            organisation=world.org_b, owner=world.b_user, activity=activity, file=f"evidence/{world.org_b.pk}/sweep",
            original_name="certificate.pdf", content_type="application/pdf", size=4, sha256="0" * 64)
    return {"activity": activity.pk, "evidence": evidence.pk}

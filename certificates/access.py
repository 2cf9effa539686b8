"""What the certifying body may read, as rules of the one access policy (accounts/access.py): decision makers
read the evidence of submitted dossiers (the case file they decide on), never drafts, and change nothing.
Registered in `CertificatesConfig.ready`."""

from __future__ import annotations

from django.db.models import Q

from accounts.access import Access, register_rule
from accounts.models import Role


def decision_makers_read_submitted_evidence(access: Access) -> Q | None:
    if access.write or not access.has_role(Role.DECISION_MAKER):
        return None
    return Q(section__dossier__status="submitted") | Q(activity__locked_by__isnull=False)


def register_rules() -> None:
    register_rule("evidence", decision_makers_read_submitted_evidence)

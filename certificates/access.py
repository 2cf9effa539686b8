"""What the certifying body may read: decision makers read the evidence of submitted dossiers (the case file they
decide on), never drafts. Registered with the evidence download's rule registry in `CertificatesConfig.ready`."""

from __future__ import annotations

from django.db.models import Q

from accounts.models import Membership, Organisation, User


def decision_makers_read_submitted_evidence(user: User, organisation: Organisation) -> Q | None:
    if not Membership.objects.for_organisation(organisation).filter(user=user, is_decision_maker=True).exists():
        return None
    return Q(section__dossier__status="submitted") | Q(activity__locked_by__isnull=False)

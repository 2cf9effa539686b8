"""Who may open certificates' objects, as rules of the one access policy (accounts/access.py), registered in
`CertificatesConfig.ready`: decision makers read the evidence of submitted dossiers (the case file they decide
on), never drafts, and change nothing; a holder opens their own certificates and decisions (register entry,
appeal). `certificate_for` / `decision_for` are what the holder's views use."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.access import Access, access_of, get_allowed, register_rule
from accounts.models import Role
from accounts.requests import OrgRequest
from certificates.models import Certificate, Decision


def decision_makers_read_submitted_evidence(access: Access) -> Q | None:
    if access.write or not access.has_role(Role.DECISION_MAKER):
        return None
    return Q(section__dossier__status="submitted") | Q(activity__locked_by__isnull=False)


def register_rules() -> None:
    register_rule("evidence", decision_makers_read_submitted_evidence)
    register_rule("certificate", held_by_user)
    register_rule("decision", held_by_user)


def held_by_user(access: Access) -> Q | None:
    """A holder's own certificates and decisions (their register entry, their appeal)."""
    return Q(certification__holder=access.user)


def certificate_for(request: OrgRequest, pk: int, *, write: bool = False) -> Certificate:
    return get_allowed("certificate", Certificate.objects.select_related("certification__organisation"),
                       access_of(request, write=write), pk, message=_("There is no certificate at this address."))


def decision_for(request: OrgRequest, pk: int, *, write: bool = False) -> Decision:
    return get_allowed("decision", Decision.objects.select_related(
        "certification__holder", "certification__scheme_version", "certification__organisation"),
        access_of(request, write=write), pk, message=_("There is no decision at this address."))

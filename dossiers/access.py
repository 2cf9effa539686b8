"""Who may open the dossier's objects (dossiers, sections, evidence, statement requests): one function per kind,
used by every view (the mechanism: accounts/access.py). Each returns the object or raises a 404 (`NotFound`).
`DossiersConfig.ready` registers the dossier's own rules (a professional's things are theirs); other apps add
theirs the same way (`accounts.access.register_rule`), e.g. the review app for the dossiers and evidence an
assessor is allocated to. The portfolio's kinds (activity, certification) are re-exported so that a dossier view
needs one `access` module.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts.access import Access, LinkKind, access_of, allowed, get_allowed, hashed_token_lookup, register_rule
from accounts.models import Organisation
from accounts.requests import OrgRequest
from dossiers.models import Dossier, DossierSection, Evidence, StatementRequest
from portfolios.access import activity_for, certification_for, owned

__all__ = ["activity_for", "certification_for", "dossier_for", "evidence_for", "section_for", "statement_for",
           "visible_dossiers", "STATEMENT_LINK", "register_rules"]



def dossier_owned(access: Access) -> Q:
    return Q(dossier__owner=access.user)


def register_rules() -> None:
    register_rule("evidence", owned)
    register_rule("dossier", owned)
    register_rule("dossier_section", dossier_owned)
    register_rule("statement", dossier_owned)


def evidence_for(request: OrgRequest, pk: int, *, write: bool = False) -> Evidence:
    return get_allowed("evidence", Evidence.objects.select_related("activity", "section__dossier"),
                       access_of(request, write=write), pk, message=_("This file does not exist (any more)."))


def dossier_for(request: OrgRequest, pk: int, *, write: bool = False) -> Dossier:
    return get_allowed("dossier", Dossier.objects.select_related("certification", "scheme_version", "owner",
                                                                 "organisation"),
                       access_of(request, write=write), pk, message=_("There is no dossier at this address."))


def section_for(request: OrgRequest, pk: int, *, write: bool = False) -> DossierSection:
    return get_allowed("dossier_section", DossierSection.objects.select_related("dossier__scheme_version"),
                       access_of(request, write=write), pk, message=_("There is no dossier at this address."))


def statement_for(request: OrgRequest, pk: int, *, write: bool = False) -> StatementRequest:
    """A statement request of a dossier the user may open (the professional asks for, resends, withdraws it)."""
    return get_allowed("statement", StatementRequest.objects.select_related(
        "dossier__scheme_version", "dossier__owner", "organisation"), access_of(request, write=write), pk,
        message=_("There is no statement request at this address."))


def visible_dossiers(request: OrgRequest) -> QuerySet[Dossier]:
    """The dossiers the user may open (their own, and what other apps' rules add: for the review app's lists)."""
    return allowed("dossier", Dossier.objects.all(), access_of(request))


def _statements(organisation: Organisation) -> QuerySet[StatementRequest]:
    return StatementRequest.objects.for_organisation(organisation).select_related(
        "dossier__owner", "dossier__scheme_version", "organisation")


def _sign_state(statement: StatementRequest) -> str:
    from dossiers.services.statements import sign_state

    return sign_state(statement)


# The signer's link (no account): open, or closed because expired, signed, declined, withdrawn or submitted.
STATEMENT_LINK: LinkKind[StatementRequest] = LinkKind(
    find=hashed_token_lookup(_statements), state=_sign_state,
    invalid=lambda: _("This link is not valid. It may have been replaced by a newer one: use the link in the most "
                      "recent e-mail you received."))

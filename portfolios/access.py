"""Who may open the portfolio's objects: one function per kind, used by every view (accounts/access.py).

Each returns the object or raises a 404 (`NotFound`): another organisation's object, another professional's,
and one that does not exist answer the same. `write=True` asks for changing it (rules that only let someone
read, such as an assessor's, then allow nothing). The rules below are the portfolio's own — a professional's
things are theirs — and `PortfoliosConfig.ready` registers them; other apps add theirs the same way
(`accounts.access.register_rule`), e.g. the review app for the dossiers an assessor is allocated to.

The dossier kinds (dossier, section, statement request) are grouped at the end: they move with the dossier models.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts.access import Access, LinkKind, access_of, allowed, get_allowed, hashed_token_lookup, register_rule
from accounts.models import Organisation, Role
from accounts.requests import OrgRequest
from portfolios.models import Activity, Certification, Dossier, DossierSection, Evidence, StatementRequest


def owned(access: Access) -> Q:
    """The professional's own rows (read and write)."""
    return Q(owner=access.user)


def held(access: Access) -> Q:
    """Certifications the user holds."""
    return Q(holder=access.user)


def administered(access: Access) -> Q | None:
    """Everything of the organisation, for its administrators."""
    return Q() if access.has_role(Role.ADMIN) else None


def register_rules() -> None:
    register_rule("activity", owned)
    register_rule("evidence", owned)
    register_rule("certification", held)
    register_rule("certification.manage", administered)
    register_dossier_rules()


def activity_for(request: OrgRequest, pk: int, *, write: bool = False) -> Activity:
    return get_allowed("activity", Activity.objects.all(), access_of(request, write=write), pk,
                       message=_("This activity does not exist (any more)."))


def evidence_for(request: OrgRequest, pk: int, *, write: bool = False) -> Evidence:
    return get_allowed("evidence", Evidence.objects.select_related("activity", "section__dossier"),
                       access_of(request, write=write), pk, message=_("This file does not exist (any more)."))


def certification_for(request: OrgRequest, pk: int, *, write: bool = False, manage: bool = False) -> Certification:
    """A certification: the holder's own, or (`manage`, the administrators' pages) any of the organisation's."""
    return get_allowed("certification.manage" if manage else "certification",
                       Certification.objects.select_related("holder", "scheme_version", "organisation"),
                       access_of(request, write=write), pk, message=_("There is no certificate at this address."))


# --- dossiers (move with the dossier models) ------------------------------------------------------------------

def dossier_owned(access: Access) -> Q:
    return Q(dossier__owner=access.user)


def register_dossier_rules() -> None:
    register_rule("dossier", owned)
    register_rule("dossier_section", dossier_owned)
    register_rule("statement", dossier_owned)


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
    from portfolios.services.statements import sign_state

    return sign_state(statement)


# The signer's link (no account): open, or closed because expired, signed, declined, withdrawn or submitted.
STATEMENT_LINK: LinkKind[StatementRequest] = LinkKind(
    find=hashed_token_lookup(_statements), state=_sign_state,
    invalid=lambda: _("This link is not valid. It may have been replaced by a newer one: use the link in the most "
                      "recent e-mail you received."))

"""Who may open the portfolio's objects: one function per kind, used by every view (accounts/access.py).

Each returns the object or raises a 404 (`NotFound`): another organisation's object, another professional's,
and one that does not exist answer the same. `write=True` asks for changing it (rules that only let someone
read, such as an assessor's, then allow nothing). The rules below are the portfolio's own — a professional's
things are theirs — and `PortfoliosConfig.ready` registers them; other apps add theirs the same way
(`accounts.access.register_rule`), e.g. the review app for the dossiers an assessor is allocated to.

The dossier kinds (dossier, section, evidence, statement request) are in dossiers/access.py.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.access import Access, access_of, get_allowed, register_rule
from accounts.models import Role
from accounts.requests import OrgRequest
from portfolios.models import Activity, Certification


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
    register_rule("certification", held)
    register_rule("certification.manage", administered)


def activity_for(request: OrgRequest, pk: int, *, write: bool = False) -> Activity:
    return get_allowed("activity", Activity.objects.all(), access_of(request, write=write), pk,
                       message=_("This activity does not exist (any more)."))


def certification_for(request: OrgRequest, pk: int, *, write: bool = False, manage: bool = False) -> Certification:
    """A certification: the holder's own, or (`manage`, the administrators' pages) any of the organisation's."""
    return get_allowed("certification.manage" if manage else "certification",
                       Certification.objects.select_related("holder", "scheme_version", "organisation"),
                       access_of(request, write=write), pk, message=_("There is no certificate at this address."))

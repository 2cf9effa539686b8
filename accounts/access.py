"""Access decisions: who may open which object, and the one-time links that open pages without a log-in.

**Rules per object kind.** Every object a view opens by its id goes through one function per kind
(`dossiers.access.dossier_for`, `activity_for`, `evidence_for`, `billing.access.invoice_for`, …). Each
asks this module, which asks the rules registered for the kind. A rule gets an `Access` (who asks, in which
organisation, with which membership, for reading or for writing) and answers with a `Q` over the kind's model
(the objects it allows) or None (it allows nothing). The answers are OR-ed; a kind without rules allows nothing,
so the policy fails closed. The organisation filter is always applied on top, so no rule can reach another
organisation's rows, and a refused object answers 404 exactly like one that does not exist.

Apps register their rules in their `AppConfig.ready`:

    register_rule("dossier", lambda access: Q(owner=access.user))
    register_rule("dossier", lambda access: None if access.write else
                  Q(allocations__assessor=access.user, allocations__closed_at__isnull=True))

Because a rule is a `Q`, the same rules answer for one object (`get_allowed`, one query) and narrow lists
(`allowed`): what a list shows and what its links open cannot disagree. Whether an allowed object may still be
changed (a submitted dossier is read-only) is the object's state, checked by the view (403), not access.

**Token links** (`open_token_link`): invitations, statement signing, unsubscribe — and later certificate
verification and payment links. The organisation always comes from the address, the token is looked up inside
it only (another organisation's token finds nothing: 404), the database wall is pointed at it, the page gets the
organisation's branding (`request.organisation`), and the link's state (open, or why it is closed: expired,
used, …) comes from the kind. Stored tokens are kept as SHA-256 hashes (`hashed_token_lookup`).

This module is on the ground floor: it imports nothing above `accounts`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.models import Invitation, Membership, Organisation, Role, User, hash_token
from accounts.tenancy import NotFound, activate_organisation

if TYPE_CHECKING:
    from accounts.requests import OrgRequest

@dataclass(frozen=True)
class Access:
    """Who asks for an object: the user, in which organisation, as which member, to read or to write."""

    user: User
    organisation: Organisation
    membership: Membership | None
    write: bool = False

    def has_role(self, *roles: Role) -> bool:
        return self.membership is not None and self.membership.has_role(*roles)


AccessRule = Callable[[Access], Q | None]
# Every row (of the organisation): what a rule's empty `Q()` means. An empty Q would vanish in an OR
# (`Q(owner=…) | Q()` is `Q(owner=…)`), so `condition` replaces it with this.
EVERYTHING = Q(pk__isnull=False)
_rules: dict[str, list[AccessRule]] = {}


def register_rule(kind: str, rule: AccessRule) -> AccessRule:
    """Add a rule for objects of `kind` (idempotent: registering the same rule again changes nothing)."""
    rules = _rules.setdefault(kind, [])
    if rule not in rules:
        rules.append(rule)
    return rule


def unregister_rule(kind: str, rule: AccessRule) -> None:
    """Remove a rule again (tests; an app that is switched off)."""
    if rule in _rules.get(kind, []):
        _rules[kind].remove(rule)


def rules_for(kind: str) -> tuple[AccessRule, ...]:
    return tuple(_rules.get(kind, ()))


def access_of(request: OrgRequest, *, write: bool = False) -> Access:
    """The `Access` of a request that `member_required` has resolved to an organisation."""
    return Access(user=request.user, organisation=request.organisation, membership=request.membership, write=write)


def condition(kind: str, access: Access) -> tuple[Q | None, int]:
    """The OR of what the kind's rules allow (None: nothing), and how many rules allowed something."""
    combined: Q | None = None
    answered = 0
    for rule in rules_for(kind):
        allowed_by = rule(access)
        if allowed_by is None:
            continue
        if not allowed_by:
            allowed_by = EVERYTHING
        answered += 1
        combined = allowed_by if combined is None else combined | allowed_by
    return combined, answered


def allowed[M: Model](kind: str, queryset: QuerySet[M], access: Access) -> QuerySet[M]:
    """The rows of `queryset` (a tenant model's) that `access` may open in its organisation.

    With one answering rule this is a plain filter (the usual case: no extra cost). With several, the OR may
    span joins that repeat rows, so the rows are picked by primary key instead of being repeated.
    """
    scoped = queryset.filter(organisation=access.organisation)
    combined, answered = condition(kind, access)
    if combined is None:
        return scoped.none()
    if answered == 1:
        return scoped.filter(combined)
    return scoped.filter(pk__in=queryset.model._default_manager.filter(  # type: ignore[attr-defined]
        organisation=access.organisation).filter(combined).values("pk"))


def get_allowed[M: Model](kind: str, queryset: QuerySet[M], access: Access, pk: Any, *, message: str) -> M:
    """The object `pk` if `access` may open it; otherwise `NotFound(message)` — the same as for no object."""
    combined, _answered = condition(kind, access)
    if combined is None:
        raise NotFound(message)
    found = queryset.filter(organisation=access.organisation).filter(combined).filter(pk=pk).first()
    if found is None:
        raise NotFound(message)
    return found


# --- token links ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LinkKind[T]:
    """One kind of token link: how its token finds its object inside an organisation, and the object's state.

    `find(organisation, token)` returns the object or None; `state(obj)` returns "open" or why the link is
    closed ("expired", "used", …, the page words it); `invalid` is the 404's message for a link that finds
    nothing (altered, replaced by a newer one, another organisation's).
    """

    find: Callable[[Organisation, str], T | None]
    state: Callable[[T], str]
    invalid: Callable[[], str]


@dataclass(frozen=True)
class TokenLink[T]:
    organisation: Organisation
    obj: T
    state: str

    @property
    def is_open(self) -> bool:
        return self.state == "open"


def hashed_token_lookup[M: Model](queryset: Callable[[Organisation], QuerySet[M]], field: str = "token_hash"
                        ) -> Callable[[Organisation, str], M | None]:
    """`LinkKind.find` for tokens stored as their SHA-256 (`field`), looked up inside the organisation only."""

    def find(organisation: Organisation, token: str) -> M | None:
        return queryset(organisation).filter(organisation=organisation, **{field: hash_token(token)}).first()

    return find


def open_token_link[T](request: HttpRequest, org: str, token: str, kind: LinkKind[T]) -> TokenLink[T]:
    """Resolve a public link `/<org>/…/<token>/`: the organisation from the address, the database wall pointed at
    it, its branding on the page, the token's object looked up inside it (404 with `kind.invalid` otherwise)."""
    organisation = Organisation.objects.filter(slug=org).first()
    if organisation is None:
        raise NotFound(kind.invalid())
    activate_organisation(organisation)
    request.organisation = organisation  # type: ignore[attr-defined]  # the page carries the organisation's branding
    obj = kind.find(organisation, token) if token else None
    if obj is None:
        raise NotFound(kind.invalid())
    return TokenLink(organisation=organisation, obj=obj, state=kind.state(obj))


# --- the accounts app's own link kind ----------------------------------------------------------------------

def _invitations(organisation: Organisation) -> QuerySet[Invitation]:
    return Invitation.objects.for_organisation(organisation).select_related("organisation")


def _invitation_state(invitation: Invitation) -> str:
    return "open" if invitation.state == Invitation.State.PENDING else str(invitation.state)


INVITATION_LINK: LinkKind[Invitation] = LinkKind(
    find=hashed_token_lookup(_invitations), state=_invitation_state,
    invalid=lambda: _("This invitation link is not valid. It may have been replaced by a newer one."))

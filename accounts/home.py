"""The administrator's home: the work waiting, from every area, through a small registry.

Each app registers a provider from its AppConfig.ready(); a provider gets the organisation and today's date
and returns a `Waiting` (or None when it has nothing to say), with one query of its own at most:

    from accounts.home import Waiting, register_waiting
    register_waiting(review_queue, order=10)   # e.g. the review app's queue of dossiers to assess

accounts registers invitations here; portfolios deletion requests, notifications refused addresses, billing
overdue invoices. A count of zero is shown as "nothing waiting" so the administrator sees the area is quiet.
A provider is shown to administrators unless registered with other `roles` (the review's decisions waiting
are shown to decision makers too).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


@dataclass(frozen=True)
class Waiting:
    code: str
    label: str
    count: int
    text: str
    url: str
    urgent: bool = False


Provider = Callable[[Any, dt.date], Waiting | None]
_providers: list[tuple[int, str, Provider, tuple[str, ...]]] = []


def register_waiting(provider: Provider, *, order: int, roles: Iterable[str] = ("admin",)) -> None:
    """Add a provider, shown to members with one of `roles` (registering the same one again replaces it)."""
    name = f"{provider.__module__}.{provider.__qualname__}"
    _providers[:] = [item for item in _providers if item[1] != name]
    _providers.append((order, name, provider, tuple(roles)))
    _providers.sort(key=lambda item: (item[0], item[1]))


def waiting(organisation: Any, today: dt.date | None = None, membership: Any = None) -> list[Waiting]:
    """The work waiting (for `membership`: only what its roles may see; without one, everything)."""
    today = today or timezone.localdate()
    return [item for _order, _name, provider, roles in _providers
            if (membership is None or membership.has_role(*roles)) and (item := provider(organisation, today))
            is not None]


def open_invitations(organisation: Any, today: dt.date) -> Waiting:
    from accounts.models import Invitation

    count = Invitation.objects.for_organisation(organisation).filter(accepted_at__isnull=True,
                                                                     revoked_at__isnull=True,
                                                                     expires_at__gt=timezone.now()).count()
    return Waiting("invitations", _("Invitations"), count,
                   ngettext("%(count)s invitation not accepted yet.", "%(count)s invitations not accepted yet.",
                            count) % {"count": count} if count else _("No invitation is waiting."),
                   reverse("members", kwargs={"org": organisation.slug}))


register_waiting(open_invitations, order=20)


def open_join_requests(organisation: Any, today: dt.date) -> Waiting | None:
    """Requests to join waiting for a decision (only for an organisation that takes them, or still has some)."""
    from accounts.models import JoinRequest

    count = JoinRequest.objects.for_organisation(organisation).filter(status=JoinRequest.Status.PENDING).count()
    if not count and not organisation.allow_join_requests:
        return None
    return Waiting("join_requests", _("Join requests"), count,
                   ngettext("%(count)s request to join waits for your decision.",
                            "%(count)s requests to join wait for your decision.", count) % {"count": count}
                   if count else _("No request to join is waiting."),
                   reverse("join_requests", kwargs={"org": organisation.slug}), urgent=bool(count))


register_waiting(open_join_requests, order=21)

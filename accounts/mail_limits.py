"""Limits on mail that a person makes the platform send to an address they typed.

Statement requests (a professional asks a third party to sign) and invitations (an administrator invites
an address) send mail to any address someone types. Without limits the platform would be a relay for
whatever that person wanted to send, under our name. So each such send is counted and refused beyond:

- **per item** — a minimum time between two sends of one statement request or invitation, and a maximum
  number of sends in all (the first included); counted from the item's own row (`send_count`,
  `last_sent_at`), which the caller holds locked;
- **per sender and per organisation per day** — the last 24 hours of `MailSend` rows, a small append-only
  table written in the same transaction as the send.

Counting is in the database, never the cache, so it holds across processes and when Redis is down. Every
check runs under a row lock on the organisation (`FOR NO KEY UPDATE`: it waits only for other limited
sends of the same organisation, not for rows that merely reference it), so two concurrent sends cannot
both take the last place. The numbers are settings (the "Outgoing mail limits" block of config/settings.py).

Each area describes its kind of mail once (`MailKind`: which settings, and the words for each limit), shows
the allowance before anyone hits it (`mail_allowance`), and calls `mail_send_claim` where it sends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import ngettext

from accounts.models import MailSend, Organisation, User

DAY = dt.timedelta(hours=24)

# The limits, as stored in audit events (accounts/audit.py words them).
INTERVAL = "resend_interval"
PER_ITEM = "sends_per_item"
SENDER_DAY = "sender_per_day"
ORGANISATION_DAY = "organisation_per_day"


@dataclass(frozen=True)
class MailKind:
    """One kind of mail sent to a typed address: the settings that bound it, and how its limits are worded.

    `words` maps each limit that applies to a sentence with `%(time)s` (when the next send is possible),
    `%(max)s`, `%(minutes)s` and `%(organisation)s`; a setting name of None means "no such limit".
    """

    code: str
    words: Mapping[str, Promise]
    interval_minutes: str | None = None
    max_sends: str | None = None
    sender_per_day: str | None = None
    organisation_per_day: str | None = None

    def setting(self, name: str | None) -> int | None:
        return int(getattr(settings, name)) if name else None


@dataclass(frozen=True)
class DailyUse:
    """How much of the 24-hour limits is used: sends left, and when one more becomes possible if none is."""

    sender_left: int | None = None
    sender_free_at: dt.datetime | None = None
    organisation_left: int | None = None
    organisation_free_at: dt.datetime | None = None


@dataclass(frozen=True)
class MailAllowance:
    """Whether one more send is allowed now; if not, which limit stops it and until when (None: for good)."""

    kind: MailKind
    organisation_name: str
    limit: str = ""
    available_at: dt.datetime | None = None
    sends_left: int | None = None
    max_sends: int | None = None
    daily_left: int | None = None

    @property
    def allowed(self) -> bool:
        return not self.limit

    def reason(self) -> str:
        """Why no send is allowed, naming the limit and when it resets (the current language)."""
        if self.allowed:
            return ""
        return str(self.kind.words[self.limit] % {
            "time": moment(self.available_at) if self.available_at else "",
            "max": self._limit_value(), "minutes": self.kind.setting(self.kind.interval_minutes) or 0,
            "organisation": self.organisation_name})

    def sends_left_text(self) -> str:
        if self.sends_left is None or self.max_sends is None:
            return ""
        return ngettext("%(left)s of %(max)s send left.", "%(left)s of %(max)s sends left.",
                        self.max_sends) % {"left": self.sends_left, "max": self.max_sends}

    def summary(self) -> str:
        """What a page says next to the send button, before anyone hits a limit."""
        return " ".join(part for part in (self.reason(), self.sends_left_text()) if part)

    def _limit_value(self) -> int:
        name = {INTERVAL: self.kind.interval_minutes, PER_ITEM: self.kind.max_sends,
                SENDER_DAY: self.kind.sender_per_day, ORGANISATION_DAY: self.kind.organisation_per_day}[self.limit]
        return self.kind.setting(name) or 0


class MailLimitReached(ValidationError):
    """A send refused by a limit; the message names the limit and when it resets."""

    def __init__(self, allowance: MailAllowance) -> None:
        super().__init__(allowance.reason(), code="mail_limit")
        self.allowance = allowance


def moment(value: dt.datetime) -> str:
    """A time soon: "14:05" today, with the date on another day (local time, the locale's formats)."""
    local = timezone.localtime(value)
    if local.date() == timezone.localdate():
        return formats.date_format(local, "H:i")
    return formats.date_format(local, "DATETIME_FORMAT")


def _window(queryset: object, limit: int, now: dt.datetime) -> tuple[int, dt.datetime | None]:
    """Sends left in the last 24 hours under `limit`, and when the next becomes possible if none are."""
    recent = list(queryset.filter(sent_at__gt=now - DAY).order_by("-sent_at")  # type: ignore[attr-defined]
                  .values_list("sent_at", flat=True)[:limit])
    if len(recent) < limit:
        return limit - len(recent), None
    # The limit-th most recent send leaving the window frees one place.
    return 0, recent[limit - 1] + DAY


def daily_use(*, organisation: Organisation, kind: MailKind, sender: User | None = None,
              now: dt.datetime | None = None) -> DailyUse:
    """The 24-hour counts for one sender and for the organisation (at most two small indexed queries)."""
    now = now or timezone.now()
    sends = MailSend.objects.for_organisation(organisation).filter(kind=kind.code)
    sender_limit = kind.setting(kind.sender_per_day)
    organisation_limit = kind.setting(kind.organisation_per_day)
    sender_left = sender_free_at = organisation_left = organisation_free_at = None
    if sender_limit is not None and sender is not None:
        sender_left, sender_free_at = _window(sends.filter(sender=sender), sender_limit, now)
    if organisation_limit is not None:
        organisation_left, organisation_free_at = _window(sends, organisation_limit, now)
    return DailyUse(sender_left, sender_free_at, organisation_left, organisation_free_at)


def mail_allowance(*, organisation: Organisation, kind: MailKind, daily: DailyUse, sends: int = 0,
                   last_sent_at: dt.datetime | None = None, now: dt.datetime | None = None) -> MailAllowance:
    """May one more mail of `kind` go out now? `sends`/`last_sent_at` describe the item (0/None: a new one).

    No queries: `daily` comes from `daily_use`, computed once per page for every item on it.
    """
    now = now or timezone.now()
    max_sends = kind.setting(kind.max_sends)
    interval = kind.setting(kind.interval_minutes)
    sends_left = max(max_sends - sends, 0) if max_sends is not None and sends else None
    daily_left = min((left for left in (daily.sender_left, daily.organisation_left) if left is not None),
                     default=None)
    common: dict[str, Any] = {"kind": kind, "organisation_name": organisation.name, "sends_left": sends_left,
              "max_sends": max_sends if sends else None, "daily_left": daily_left}
    if max_sends is not None and sends >= max_sends:
        return MailAllowance(limit=PER_ITEM, **common)
    blocking: list[tuple[dt.datetime, str]] = []
    if interval is not None and last_sent_at is not None and now < last_sent_at + dt.timedelta(minutes=interval):
        blocking.append((last_sent_at + dt.timedelta(minutes=interval), INTERVAL))
    if daily.sender_left == 0 and daily.sender_free_at is not None:
        blocking.append((daily.sender_free_at, SENDER_DAY))
    if daily.organisation_left == 0 and daily.organisation_free_at is not None:
        blocking.append((daily.organisation_free_at, ORGANISATION_DAY))
    if blocking:  # a send is possible once every limit in the way has passed: name the last to go
        available_at, limit = max(blocking)
        return MailAllowance(limit=limit, available_at=available_at, **common)
    return MailAllowance(**common)


def mail_send_claim(*, organisation: Organisation, kind: MailKind, sender: User | None, object_id: int,
                    sends: int = 0, last_sent_at: dt.datetime | None = None) -> MailAllowance:
    """Check every limit and record the send, or raise `MailLimitReached`. Call it inside the transaction
    that sends (the caller holds the item's row locked); the organisation row is locked here so concurrent
    sends are counted one after the other."""
    Organisation.objects.select_for_update(no_key=True).filter(pk=organisation.pk).first()
    now = timezone.now()
    allowance = mail_allowance(organisation=organisation, kind=kind, sends=sends, last_sent_at=last_sent_at,
                               daily=daily_use(organisation=organisation, kind=kind, sender=sender, now=now), now=now)
    if not allowance.allowed:
        raise MailLimitReached(allowance)
    MailSend.objects.create(organisation=organisation, kind=kind.code, sender=sender, object_id=object_id,
                            sent_at=now)
    return allowance


def refusal_data(error: MailLimitReached) -> dict[str, object]:
    """What an audit event records about a refused send (codes and values; worded on display)."""
    allowance = error.allowance
    return {"limit": allowance.limit,
            "available_at": allowance.available_at.isoformat() if allowance.available_at else ""}


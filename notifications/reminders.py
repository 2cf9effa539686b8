"""Renewal-deadline reminders: a daily set-based scan, a claim through a unique constraint, one send each.

**The scan** (`reminder_scan`, run daily by beat through `reminder_scan_task`) works organisation by
organisation inside its tenant context, and there over windows of `SCAN_CHUNK` certification ids (keyset
on the id, each chunk its own transaction, so memory stays flat at a million certifications), with a fixed
number of queries per chunk: once, the versions in force and the organisation's id range; per chunk, the
active certifications whose anchor date can make a reminder due today (a conservative SQL pre-filter: the
engine's `reminder_window`, see `certification_filter`); their submitted dossiers; their opt-outs; the
activities of the holders whose reminders depend on them. The rules engine then decides which reminders
are due (`Report.reminders`), once per certification pattern where the activities cannot matter and per
certification where they can (`Patterns`): nothing here re-implements a rule.

**The claim** is the unique constraint on (organisation, certification, code, send_on): every due
reminder is inserted with `INSERT … ON CONFLICT DO NOTHING RETURNING id`, batch by batch, and only the
ids returned were claimed by this scan. Two scans at once cannot both insert a row (the second waits for
the first's transaction, then skips), and a scan right after claims nothing.

A claimed reminder whose send task was lost (still unsent an hour after its claim) is queued again by the
next scan; the send's status guard keeps that from ever sending twice.

**Opt-outs**: a due reminder the recipient unsubscribed from (and that is not `mandatory` in the scheme)
is still claimed, with status "skipped" and note "opted-out", and never sent. Administrators then see in
the log that it was due and why it did not go, and it is not considered again.

**Sending** (`reminder_send_batch`, one task per `SEND_BATCH` claimed reminders, enqueued through the outbox
in the claim's transaction; it runs `reminder_send`'s work for each): an atomic status transition claimed →
sending guards it, so a task delivered twice sends once. It renders the e-mail in the recipient's language
with what is still missing (the engine's problems, worded by `portfolios.reports.say`), a link to the
dossiers, the organisation's branding, and — unless the reminder is mandatory — a signed one-click
unsubscribe link. The e-mail itself leaves through
`accounts.services.email_enqueue` (the outbox again: retries, refused addresses recorded).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from celery import shared_task
from django.core import signing
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Max, Min, Q
from django.db.models.functions import ExtractDay, ExtractMonth
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.mail import mail_send, recipient_language, site_url
from accounts.models import Membership, Organisation, User
from accounts.outbox import outbox_enqueue_many
from accounts.services import audit_record
from accounts.tenancy import maintenance, tenant_context
from dossiers.models import Dossier
from notifications.models import Reminder, ReminderOptOut
from portfolios import reports
from portfolios.models import Activity, Certification
from portfolios.rules_inputs import activity_inputs, certification_context
from schemes import rules
from schemes.models import SchemeVersion
from schemes.rules.definition.administration import Reminder as SchemeReminder

logger = logging.getLogger(__name__)

SEND_TASK = "notifications.reminders.reminder_send"
SEND_BATCH_TASK = "notifications.reminders.reminder_send_batch"
# Reminders per send task: the scan hands the broker one message per batch (a million certifications can
# have a couple of hundred thousand reminders due on one day; one message each took 13 s per 20,000).
SEND_BATCH = 100
# An "after" reminder (CMI: the day after expiry) stays due for ever in the engine's eyes; the scan looks
# this many days back for one it has not sent (a scan missed, a certificate entered late), not further.
CATCH_UP_DAYS = 7
CLAIM_BATCH = 1000
# Certification ids per chunk (read, evaluated and claimed in one transaction): memory and transaction size
# stay flat, and the four reading queries per chunk are a small share of a chunk's time.
SCAN_CHUNK = 10_000
# A claimed reminder still unsent this long after its claim lost its task (the broker lost a message): the
# next scan queues it again. Harmless if the first task turns up after all: the status guard lets one through.
REQUEUE_AFTER = dt.timedelta(hours=1)
UNSUBSCRIBE_SALT = "notifications.reminder-unsubscribe"

# Why a reminder was not sent (Reminder.note holds the code; the log words it in the reader's language).
NOTES = {
    "opted-out": _("The recipient unsubscribed from this kind of reminder."),
    "no-recipient": _("The certificate's holder has no e-mail address."),
    "inactive": _("The holder's account is deactivated."),
    "not-member": _("The holder is no longer a member of the organisation."),
    "rule-removed": _("The scheme no longer has this reminder."),
    "no-date": _("The certificate lacks the date its scheme counts from."),
}

# What the reminder is about, by anchor: (already passed, still to come).
WHEN = {
    "recertification_date": (
        _("The recertification date of certificate %(number)s (%(scheme)s) was %(date)s."),
        _("The recertification date of certificate %(number)s (%(scheme)s) is %(date)s.")),
    "period_end": (
        _("The %(period)s of certificate %(number)s (%(scheme)s) ended on %(date)s."),
        _("The current %(period)s of certificate %(number)s (%(scheme)s) ends on %(date)s.")),
    "cycle_end": (
        _("The %(cycle)s of certificate %(number)s (%(scheme)s) ended on %(date)s."),
        _("The %(cycle)s of certificate %(number)s (%(scheme)s) ends on %(date)s.")),
}

AUDIT_ACTIONS = {
    "reminder.unsubscribe": (_("Unsubscribed from reminders"),
                             _("%(email)s unsubscribed from the reminder “%(code)s”")),
    "reminder.resubscribe": (_("Reminders received again"),
                             _("%(email)s asked to receive the reminder “%(code)s” again")),
}


# --- The pre-filter ----------------------------------------------------------------------------------------

def certification_filter(window: rules.ReminderWindow) -> Q:
    """SQL conditions on a certification's dates that keep every certification the engine's window keeps
    (a date's month and day need the annotation `<field>_md`, see `due_claims`)."""
    field = window.field
    condition = Q(**{f"{field}__isnull": False, f"{field}__lte": window.latest})
    if window.earliest is not None:
        condition &= Q(**{f"{field}__gte": window.earliest})
    if window.month_days is not None:
        condition &= Q(**{f"{field}_md__in": list(window.month_days)})
    return condition


# --- The scan ------------------------------------------------------------------------------------------------

@dataclass
class ScanResult:
    """What one scan did. `claimed` reminders were queued for sending; `skipped` were claimed but not sent
    (opted out); `already` were due but claimed earlier (by a previous or a concurrent scan); `requeued`
    were claimed earlier but never sent (their task was lost) and were queued again."""

    today: dt.date
    organisations: int = 0
    candidates: int = 0
    due: int = 0
    claimed: int = 0
    skipped: int = 0
    already: int = 0
    requeued: int = 0
    errors: int = 0

    def counts(self) -> dict[str, Any]:
        return {**asdict(self), "today": self.today.isoformat()}


@dataclass(frozen=True)
class Claim:
    """One due reminder to insert (the columns of the claim statement, in order)."""

    organisation_id: int
    certification_id: int
    recipient_id: int | None
    code: str
    anchor_date: dt.date
    send_on: dt.date
    status: str
    note: str


def reminder_scan(*, today: dt.date | None = None, catch_up_days: int = CATCH_UP_DAYS,
                  organisations: Iterable[int] | None = None, chunk_size: int | None = None) -> ScanResult:
    """Find every reminder due `today` in every organisation (or in the `organisations` given by id), claim
    each once, and queue the sends.

    Safe to run at any time and as often as wanted, also two at once: the unique constraint decides who
    claims what, so each reminder is sent once. Certifications are read `chunk_size` (default
    `SCAN_CHUNK`) at a time, each chunk in its own transaction: memory stays flat however many there are.
    """
    today = today or timezone.localdate()
    result = ScanResult(today=today)
    with maintenance():
        listed = Organisation.objects.order_by("pk")
        if organisations is not None:
            listed = listed.filter(pk__in=list(organisations))
        chosen = list(listed)
    for organisation in chosen:
        _scan_organisation(organisation, today, catch_up_days, result, chunk_size or SCAN_CHUNK)
        result.organisations += 1
    logger.info("Reminder scan %s", result.counts())
    return result


def _scan_organisation(organisation: Organisation, today: dt.date, catch_up_days: int, result: ScanResult,
                       chunk_size: int) -> None:
    """One organisation, chunk by chunk (keyset on the certification's id), each chunk a transaction of its
    own inside the tenant context: at most four queries to read it (`due_claims_chunk`), one per thousand due
    reminders for the claim and one per thousand sends for the outbox; then one for reminders left unsent by
    a lost task. Each chunk's sends are published once it commits."""
    with tenant_context(organisation):
        conditions = scan_conditions(organisation, today, catch_up_days)
    after: int | None = conditions.first - 1 if conditions is not None else None
    while conditions is not None and after is not None:
        with tenant_context(organisation):
            claims, after = due_claims_chunk(organisation, today, conditions, after=after, limit=chunk_size,
                                             result=result)
            result.due += len(claims)
            claimed = claim(claims) if claims else []
            to_send = [pk for pk, status in claimed if status == Reminder.Status.CLAIMED]
            result.claimed += len(to_send)
            result.skipped += len(claimed) - len(to_send)
            result.already += len(claims) - len(claimed)
            enqueue_sends(organisation.pk, to_send, today)
        if after is None:
            break
    with tenant_context(organisation):
        stuck = list(Reminder.objects.for_organisation(organisation).filter(
            status=Reminder.Status.CLAIMED, claimed_at__lt=timezone.now() - REQUEUE_AFTER).values_list("pk", flat=True))
        result.requeued += len(stuck)
        enqueue_sends(organisation.pk, stuck, today)


@dataclass(frozen=True)
class ScanConditions:
    """What the scan asks of an organisation's certifications: the versions in force per scheme code, the
    SQL pre-filter (the engine's reminder windows) and the date fields whose month and day it compares."""

    versions: dict[str, SchemeVersion]
    filter: Q
    yearly: frozenset[str]
    first: int = 0  # the lowest and highest id of the organisation's active certifications
    last: int = 0
    patterns: Patterns = field(default_factory=lambda: Patterns())


def scan_conditions(organisation: Organisation, today: dt.date,
                    catch_up_days: int = CATCH_UP_DAYS) -> ScanConditions | None:
    """The versions in force and the pre-filter (two queries); None when no reminder can be due today."""
    versions = SchemeVersion.objects.for_organisation(organisation).in_force(today)
    conditions = Q()
    yearly: set[str] = set()  # the date fields whose month and day the conditions compare
    for code, version in versions.items():
        window = rules.reminder_window(version.rules, today, since=today - dt.timedelta(days=catch_up_days))
        if window is not None:
            conditions |= Q(scheme_version__code=code) & certification_filter(window)
            if window.month_days is not None:
                yearly.add(window.field)
    if not conditions:
        return None
    bounds = Certification.objects.for_organisation(organisation).filter(
        status=Certification.Status.ACTIVE).aggregate(first=Min("pk"), last=Max("pk"))
    if bounds["first"] is None:
        return None
    return ScanConditions(versions=versions, filter=conditions, yearly=frozenset(yearly), first=bounds["first"],
                          last=bounds["last"])


def due_claims(organisation: Organisation, today: dt.date, catch_up_days: int = CATCH_UP_DAYS,
               result: ScanResult | None = None) -> list[Claim]:
    """Every reminder of the organisation due `today`, as rows to claim (nothing is written): the chunks of
    `due_claims_chunk` together. Runs inside the organisation's tenant context."""
    conditions = scan_conditions(organisation, today, catch_up_days)
    claims: list[Claim] = []
    after: int | None = conditions.first - 1 if conditions is not None else None
    while conditions is not None and after is not None:
        chunk, after = due_claims_chunk(organisation, today, conditions, after=after, limit=SCAN_CHUNK,
                                        result=result)
        claims.extend(chunk)
    return claims


def due_claims_chunk(organisation: Organisation, today: dt.date, conditions: ScanConditions, *, after: int,
                     limit: int, result: ScanResult | None = None) -> tuple[list[Claim], int | None]:
    """The reminders due `today` of the pre-filtered certifications with an id in the next `limit` ids
    above `after` (from the organisation's first), and the id to continue after (None: this was the last
    chunk).

    At most four queries whatever the chunk's size: the certifications (keyset on id windows: `id > after
    AND id <= after + limit`, so PostgreSQL walks the primary key's index once over the whole scan instead
    of filtering the organisation's rows again for every `ORDER BY id LIMIT`), their holders' submitted
    dossiers and opt-outs, and the activities of the holders whose certification needs them (see
    `Patterns`). Runs inside the tenant context.
    """
    result = result if result is not None else ScanResult(today=today)
    versions = conditions.versions
    candidates = list(
        Certification.objects.for_organisation(organisation)
        .filter(status=Certification.Status.ACTIVE, pk__gt=after, pk__lte=after + limit)
        .annotate(scheme_code=F("scheme_version__code"),
                  **{f"{name}_md": ExtractMonth(name) * 100 + ExtractDay(name) for name in sorted(conditions.yearly)})
        .filter(conditions.filter)
        .only("pk", "organisation", "holder", "number", "exam_passed_on", "recertification_date", "cycle_start",
              "designation", "product_series")
        .order_by("pk"))
    following = after + limit if after + limit < conditions.last else None
    if not candidates:
        return [], following
    result.candidates += len(candidates)
    holders = sorted({certification.holder_id for certification in candidates})
    submitted: dict[int, list[tuple[int, str, str, dt.date]]] = defaultdict(list)
    for certification_id, owner_id, series, code, reference in (
            Dossier.objects.for_organisation(organisation)
            .filter(status=Dossier.Status.SUBMITTED, kind="recertification", owner_id__in=holders)
            .values_list("certification_id", "owner_id", "product_series", "scheme_version__code", "reference_date")):
        submitted[owner_id].append((certification_id, series, code, reference))
    opted_out = set(ReminderOptOut.objects.for_organisation(organisation).filter(user_id__in=holders)
                    .values_list("user_id", "code"))

    # The engine's verdict on each certification's pattern first (no activities); only the certifications
    # whose reminders then still depend on their activities are evaluated one by one, with them.
    found: list[tuple[Any, Sequence[rules.ReminderDue]]] = []  # (annotated certification, reminders)
    one_by_one: list[tuple[Any, bool]] = []
    for certification in candidates:
        definition = versions[certification.scheme_code].rules
        covered = bool(submitted) and dossier_submitted(certification, definition, submitted, today)
        try:
            known = conditions.patterns.reminders(certification, definition, today, covered)
        except rules.ContextError:
            result.errors += 1
            continue
        if known is None:
            one_by_one.append((certification, covered))
        elif known:
            found.append((certification, known))
    if one_by_one:
        activities = activity_inputs(Activity.objects.for_organisation(organisation).filter(
            owner_id__in=sorted({certification.holder_id for certification, _covered in one_by_one})))
        for certification, covered in one_by_one:
            report = reports.evaluate_certification(
                certification, versions[certification.scheme_code].rules,
                activities.get(certification.holder_id, ()), as_of=today, dossier_submitted=covered)
            if report.reminders:
                found.append((certification, report.reminders))
    found.sort(key=lambda item: item[0].pk)

    claims: list[Claim] = []
    for certification, due_reminders in found:
        mandatory = conditions.patterns.mandatory(certification.scheme_code, versions)
        for due in due_reminders:
            skip = due.code not in mandatory and (certification.holder_id, due.code) in opted_out
            claims.append(Claim(organisation.pk, certification.pk, certification.holder_id, due.code,
                                due.anchor_date, due.send_on,
                                Reminder.Status.SKIPPED if skip else Reminder.Status.CLAIMED,
                                "opted-out" if skip else ""))
    return claims, following


class Patterns:
    """The engine's reminders per certification *pattern* — scheme, the dates and designation its context
    takes from the certification, and whether a submitted dossier covers it — evaluated once per pattern
    without activities, for a whole scan of an organisation.

    A reminder depends on the activities only through its `not_compliant` condition (`reminders_due`). A
    scheme without such a reminder: the report without activities is the answer. Otherwise, when no period
    is compliant without activities (checked on the report), that report has every reminder that can be due
    for the pattern, and exactly those whose condition is not `not_compliant`: when it has no reminder,
    none is due for any certification of the pattern; when none of its reminders is conditional on
    compliance, they are the answer; else (or should a period be compliant without activities) the
    certification is evaluated with its activities (`reminders` answers None).
    """

    def __init__(self) -> None:
        self._known: dict[tuple[Any, ...], tuple[rules.ReminderDue, ...] | None] = {}
        self._refused: set[tuple[Any, ...]] = set()  # patterns whose context the engine refused
        self._mandatory: dict[str, frozenset[str]] = {}

    def reminders(self, certification: Certification, definition: rules.SchemeDefinition, today: dt.date,
                  covered: bool) -> tuple[rules.ReminderDue, ...] | None:
        """The certification's due reminders, or None when they depend on its activities (raises
        rules.ContextError when the certification lacks the date its scheme counts from)."""
        key = (definition.code, definition.version, certification.exam_passed_on,
               certification.recertification_date, certification.cycle_start, certification.designation, covered)
        if key in self._refused:
            raise rules.ContextError(f"certification {certification.pk} lacks the date its scheme counts from")
        if key not in self._known:
            try:
                report = reports.evaluate_certification(certification, definition, (), as_of=today,
                                                        dossier_submitted=covered)
            except rules.ContextError:
                self._refused.add(key)
                raise
            conditional = {reminder.code for reminder in definition.reminders
                           if reminder.condition == "not_compliant"}
            compliant_without = any(period.compliant for period in report.periods) or bool(
                report.cycle is not None and report.cycle.compliant)
            depends = bool(conditional) and (compliant_without or any(due.code in conditional
                                                                      for due in report.reminders))
            self._known[key] = None if depends else report.reminders
        return self._known[key]

    def mandatory(self, code: str, versions: dict[str, SchemeVersion]) -> frozenset[str]:
        if code not in self._mandatory:
            self._mandatory[code] = frozenset(reminder.code for reminder in versions[code].rules.reminders
                                              if reminder.mandatory)
        return self._mandatory[code]


def dossier_submitted(certification: Certification, definition: rules.SchemeDefinition,
                      submitted: dict[int, list[tuple[int, str, str, dt.date]]], today: dt.date) -> bool:
    """The engine's `dossier_submitted` flag: a submitted recertification dossier covers this certificate
    (its own, or with per-series submission one of the holder's for the same series and scheme) for the
    date at hand, as the engine's `dossier_covers` judges it."""
    series = definition.product_series
    per_series = bool(series and series.per_series and certification.product_series)
    context = certification_context(certification, today)
    for certification_id, product_series, code, reference in submitted.get(certification.holder_id, ()):
        same = certification_id == certification.pk or (
            per_series and code == definition.code and product_series == certification.product_series)
        if same and rules.dossier_covers(definition, context, reference):
            return True
    return False


def _batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


CLAIM_COLUMNS = ("organisation_id", "certification_id", "recipient_id", "code", "anchor_date", "send_on", "status",
                 "note", "email", "language", "subject", "claimed_at")
ON_CONFLICT = "ON CONFLICT (organisation_id, certification_id, code, send_on) DO NOTHING RETURNING id, status"


def claim(claims: Sequence[Claim], *, batch_size: int = CLAIM_BATCH) -> list[tuple[int, str]]:
    """Insert the due reminders; return (id, status) of the rows THIS call inserted.

    One `INSERT … ON CONFLICT DO NOTHING RETURNING` per batch (PostgreSQL, and SQLite ≥ 3.35). Rows are
    inserted in one fixed order, so two scans inserting the same rows wait for each other instead of
    deadlocking; the one that waits then finds the rows taken and gets nothing back for them.
    """
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    table = connection.ops.quote_name(Reminder._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(column) for column in CLAIM_COLUMNS)
    row = "(" + ", ".join(["%s"] * len(CLAIM_COLUMNS)) + ")"
    claimed: list[tuple[int, str]] = []
    ordered = sorted(claims, key=lambda c: (c.organisation_id, c.certification_id, c.code, c.send_on))
    with connection.cursor() as cursor:
        for batch in _batches(ordered, batch_size):
            params: list[Any] = []
            for item in batch:
                params += [item.organisation_id, item.certification_id, item.recipient_id, item.code,
                           ops.adapt_datefield_value(item.anchor_date), ops.adapt_datefield_value(item.send_on),
                           str(item.status), item.note, "", "", "", now]
            values = ", ".join([row] * len(batch))
            sql = f"INSERT INTO {table} ({columns}) VALUES {values} {ON_CONFLICT}"  # noqa: S608 - names are ours
            cursor.execute(sql, params)
            claimed.extend((pk, status) for pk, status in cursor.fetchall())
    return claimed


def enqueue_sends(organisation_id: int, reminder_ids: Sequence[int], today: dt.date) -> None:
    """The sends of the claimed reminders through the outbox, in the claim's transaction: one
    `reminder_send_batch` per `SEND_BATCH` reminders, so the broker gets one message per batch."""
    outbox_enqueue_many(SEND_BATCH_TASK, [
        {"reminder_ids": list(batch), "organisation_id": organisation_id, "as_of": today.isoformat()}
        for batch in _batches(reminder_ids, SEND_BATCH)], batch_size=CLAIM_BATCH)


@shared_task(name="notifications.reminders.reminder_scan_task")
def reminder_scan_task(today: str | None = None) -> dict[str, Any]:
    """Beat's daily job: the scan (of `today`, ISO, by default the current date), and a heartbeat with its
    counts for the health page."""
    from notifications.tasks import beat_record

    counts = reminder_scan(today=dt.date.fromisoformat(today) if today else None).counts()
    beat_record("reminder-scan", **counts)
    return counts


# --- Sending ------------------------------------------------------------------------------------------------

def unsubscribe_token(*, organisation_id: int, user_id: int, code: str, scheme: str) -> str:
    """A signed, non-expiring token for one person's one-click unsubscribe from one kind of reminder."""
    return signing.dumps({"o": organisation_id, "u": user_id, "c": code, "s": scheme}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_data(token: str) -> dict[str, Any]:
    """The token's contents; raises signing.BadSignature when it was altered."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    if not isinstance(data, dict) or not {"o", "u", "c", "s"} <= set(data):
        raise signing.BadSignature("incomplete token")
    return data


@shared_task(name=SEND_TASK, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=5)
def reminder_send(reminder_id: int, organisation_id: int, as_of: str | None = None) -> str:
    """Send one claimed reminder; returns what happened ("sent", "skipped" or "not-claimed").

    `as_of` is the scan's day (what is missing is worded as of then); today when not given.
    """
    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    with tenant_context(organisation_id):
        return _send(reminder_id, organisation_id, day)


@shared_task(name=SEND_BATCH_TASK, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=5)
def reminder_send_batch(reminder_ids: list[int], organisation_id: int, as_of: str | None = None) -> dict[str, int]:
    """`reminder_send` for each of a batch of claimed reminders, each in its own transaction; how many had
    each outcome.

    The status guard makes the batch safe to run again: a database error retries the whole batch, and the
    reminders it already sent are "not-claimed" the second time. Any other error is logged and leaves that
    one reminder claimed (like a lost task: the next scan queues it again after `REQUEUE_AFTER`) without
    holding up the rest of the batch.
    """
    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
    outcomes: dict[str, int] = defaultdict(int)
    for reminder_id in reminder_ids:
        try:
            with tenant_context(organisation_id):
                outcomes[_send(reminder_id, organisation_id, day)] += 1
        except DatabaseError:
            raise
        except Exception:
            logger.exception("Reminder %s of organisation %s was not sent", reminder_id, organisation_id)
            outcomes["failed"] += 1
    return dict(outcomes)


def _skip(reminder: Reminder, note: str) -> str:
    reminder.status, reminder.note = Reminder.Status.SKIPPED, note
    reminder.save(update_fields=["status", "note"])
    return "skipped"


def _send(reminder_id: int, organisation_id: int, as_of: dt.date) -> str:
    reminders = Reminder.objects.for_organisation(organisation_id)
    # The guard: only the one delivery that moves the row out of "claimed" goes on; a task delivered twice
    # (or run by two workers) finds nothing to move the second time. The row stays locked until this
    # transaction commits ("sent" or "skipped"), so a second delivery running at the same moment waits and
    # then finds nothing; if this one fails, everything rolls back to "claimed" for a retry.
    if not reminders.filter(pk=reminder_id, status=Reminder.Status.CLAIMED).update(status=Reminder.Status.SENDING):
        return "not-claimed"
    reminder = reminders.select_related("organisation", "recipient", "certification__scheme_version").get(
        pk=reminder_id)
    organisation, recipient, certification = reminder.organisation, reminder.recipient, reminder.certification
    if recipient is None or not recipient.email:
        return _skip(reminder, "no-recipient")
    if not recipient.is_active:
        return _skip(reminder, "inactive")
    if not Membership.objects.for_organisation(organisation).filter(user=recipient).exists():
        return _skip(reminder, "not-member")
    code = certification.scheme_version.code
    version = (SchemeVersion.objects.for_organisation(organisation).current(code, on=as_of)
               or certification.scheme_version)
    definition = version.rules
    rule = next((item for item in definition.reminders if item.code == reminder.code), None)
    if rule is None:
        return _skip(reminder, "rule-removed")
    if not rule.mandatory and ReminderOptOut.objects.for_organisation(organisation).filter(
            user=recipient, code=reminder.code).exists():
        return _skip(reminder, "opted-out")
    try:
        report = reports.evaluate_certification(certification, definition,
                                                reports.owner_activities(organisation, recipient), as_of)
    except rules.ContextError:
        return _skip(reminder, "no-date")
    language = recipient_language(recipient, organisation)
    unsubscribe = unsubscribe_url(reminder, rule, definition)
    mail = mail_send(to=recipient.email, template="notifications/email/reminder", language=language, html=True,
                     organisation=organisation, context=lambda: reminder_context(
                         reminder=reminder, rule=rule, definition=definition, version=version, report=report,
                         as_of=as_of),
                     headers={"List-Unsubscribe": f"<{unsubscribe}>"} if unsubscribe else None)
    reminder.status, reminder.email, reminder.language = Reminder.Status.SENT, recipient.email, language
    reminder.subject, reminder.sent_at = mail.subject[:300], timezone.now()
    reminder.save(update_fields=["status", "email", "language", "subject", "sent_at"])
    return "sent"


def unsubscribe_url(reminder: Reminder, rule: SchemeReminder, definition: rules.SchemeDefinition) -> str | None:
    """The one-click unsubscribe link of a non-mandatory reminder (None for a mandatory notice)."""
    if rule.mandatory or reminder.recipient_id is None:
        return None
    token = unsubscribe_token(organisation_id=reminder.organisation_id, user_id=reminder.recipient_id,
                              code=rule.code, scheme=definition.code)
    return site_url("reminder_unsubscribe", org=reminder.organisation.slug, token=token)


def reminder_context(*, reminder: Reminder, rule: SchemeReminder, definition: rules.SchemeDefinition,
                     version: SchemeVersion, report: rules.Report, as_of: dt.date) -> dict[str, Any]:
    """What the reminder mail says, in the current language."""
    organisation, certification = reminder.organisation, reminder.certification
    unsubscribe = unsubscribe_url(reminder, rule, definition)
    days = (reminder.anchor_date - as_of).days
    scheme, number, date = version.label, certification.number, reports.date(reminder.anchor_date)
    params = {"number": number, "scheme": scheme, "date": date, "days": abs(days),
              "period": reports.label(definition.cycle.period_label, str(_("CPD year"))),
              "cycle": reports.label(definition.cycle.cycle_label, str(_("cycle")))}
    when = WHEN[rule.anchor][days >= 0] % params
    if days > 0:
        distance = ngettext("That is in %(days)s day.", "That is in %(days)s days.", days) % params
    elif days == 0:
        distance = gettext("That is today.")
    else:
        distance = ngettext("That was %(days)s day ago.", "That was %(days)s days ago.", -days) % params
    recipient = reminder.recipient
    assert recipient is not None  # a reminder without a recipient is skipped before it is rendered
    return {
        "organisation": organisation,
        "name": recipient.first_name or recipient.get_full_name() or recipient.email,
        "certification": certification,
        "scheme": scheme,
        "label": reports.label(rule.label, rule.code),
        "when": when,
        "distance": distance,
        "missing": [reports.say(message, definition) for message in report.problems],
        "dossier_not_submitted": rule.condition == "dossier_not_submitted",
        "dossiers_url": site_url("dossier_list", org=organisation.slug),
        "logo_url": site_url("organisation_logo", org=organisation.slug) if organisation.logo else "",
        "unsubscribe_url": unsubscribe,
    }


# --- Opting out -----------------------------------------------------------------------------------------------

@transaction.atomic
def reminder_opt_out(*, organisation: Organisation, user: User, code: str) -> tuple[ReminderOptOut, bool]:
    """Stop sending `user` the (non-mandatory) reminder `code` of `organisation`; (opt-out, created)."""
    opt_out, created = ReminderOptOut.objects.for_organisation(organisation).get_or_create(
        organisation=organisation, user=user, code=code)
    if created:
        audit_record(organisation=organisation, actor=user, action="reminder.unsubscribe", email=user.email,
                     code=code)
    return opt_out, created


@transaction.atomic
def reminder_opt_in(*, organisation: Organisation, user: User, code: str) -> bool:
    """Undo `reminder_opt_out`; True when there was an opt-out to remove."""
    deleted, _rows = ReminderOptOut.objects.for_organisation(organisation).filter(user=user, code=code).delete()
    if deleted:
        audit_record(organisation=organisation, actor=user, action="reminder.resubscribe", email=user.email,
                     code=code)
    return bool(deleted)

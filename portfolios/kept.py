"""The kept report: one certification's engine report, stored with the fingerprint of everything it depends on.

The dashboard shows every certification's report on every visit; evaluating it each time meant loading all of
the person's activities and running the engine per request. Instead the report is kept in `KeptReport` with an
inputs fingerprint and re-evaluated only when the fingerprint changes, at most once per change:

- the certification's own fields the engine reads (the dates, the designation: `certification_context`);
- the scheme version in force (its primary key and when it was saved: versions never change once saved);
- the date it is judged on (`as_of`, today: the report moves with the date);
- the activities: their number, largest primary key and latest `updated_at`, read by the same query that
  reads the certifications (a sub-select per certification, on the (organisation, owner) index). Any save
  goes through `auto_now` (forms, the CSV import, `bulk_create`); a deletion lowers the number; an addition
  raises the largest key. Activity rows the engine does not read (locking by a submission) need no change;
- the engine's own code (a digest of schemes/rules computed once per process), so a deployment that changes
  the rules re-evaluates.

Evidence files are not an input of the engine's report (they enter a dossier's checklist, which the dashboard
computes per draft dossier); tests/test_kept_report.py's property test adds and removes them too and checks the
kept report still equals a fresh evaluation.

The report is serialized whole (`dump_report`/`load_report`, every field, round-trip tested). Its per-activity
results are the only part that grows with the portfolio, so they are kept in their own column, not read with
the card, and decoded only if someone reads `report.activities` (the card never does).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, cast

from django.db.models import Count, Max, Subquery, TextField, Value
from django.db.models.functions import Cast, Concat

from accounts.models import Organisation, User
from portfolios import reports
from portfolios.models import Activity, Certification, KeptReport
from schemes import rules
from schemes.models import SchemeVersion
from schemes.rules.definition import Offset

# --- the serialized form -----------------------------------------------------------------------------------

_CLASSES: dict[str, type] = {cls.__name__: cls for cls in (
    rules.Report, rules.CategoryResult, rules.SubCapResult, rules.PeriodResult, rules.ActivityResult,
    rules.RenewalStatus, rules.SectionRequirement, rules.ReminderDue, Offset, rules.Message, rules.Ref,
    rules.LocalText)}
FORMAT = 1  # part of the fingerprint: a change of the stored form re-evaluates every kept report


def _encode(value: Any) -> Any:
    """JSON with tags for what JSON lacks: {"$d": decimal}, {"$day": date}, {"$t": tuple}, {"$m": mapping as
    pairs}, {"$o": class, "f": fields} for the report's frozen dataclasses."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, Decimal):
        return {"$d": str(value)}
    if isinstance(value, dt.datetime):
        raise TypeError("a report holds dates, not datetimes")
    if isinstance(value, dt.date):
        return {"$day": value.isoformat()}
    kind = rules.Report if isinstance(value, KeptReportView) else type(value)
    if _CLASSES.get(kind.__name__) is kind:  # before tuples: some of the report's classes are named tuples
        return {"$o": kind.__name__, "f": {name: _encode(getattr(value, name)) for name in _field_names(kind)
                                           if name != "definition"}}
    if isinstance(value, tuple):
        return {"$t": [_encode(item) for item in value]}
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, dict) or (hasattr(value, "items") and hasattr(value, "keys")):
        return {"$m": [[_encode(key), _encode(item)] for key, item in value.items()]}
    raise TypeError(f"cannot keep a {type(value).__name__} in a report")


def _field_names(kind: type) -> tuple[str, ...]:
    """The fields of one of the report's classes: a frozen dataclass's, or a named tuple's."""
    if dataclasses.is_dataclass(kind):
        return tuple(f.name for f in dataclasses.fields(kind))
    return tuple(kind._fields)  # type: ignore[attr-defined]


def _decode(value: Any, definition: rules.SchemeDefinition | None = None) -> Any:
    if isinstance(value, list):
        return [_decode(item, definition) for item in value]
    if not isinstance(value, dict):
        return value
    if "$d" in value:
        return Decimal(value["$d"])
    if "$day" in value:
        return dt.date.fromisoformat(value["$day"])
    if "$t" in value:
        return tuple(_decode(item, definition) for item in value["$t"])
    if "$m" in value:
        return {_decode(key): _decode(item, definition) for key, item in value["$m"]}
    cls = _CLASSES[value["$o"]]
    fields = {name: _decode(item, definition) for name, item in value["f"].items()}
    if cls is rules.Report:
        fields["definition"] = definition
    return cls(**fields)


def dump_report(report: rules.Report) -> tuple[str, str]:
    """The report as two JSON texts: everything but the per-activity results, and those results."""
    summary = _encode(report)
    activities = summary["f"].pop("activities")
    return json.dumps(summary, separators=(",", ":")), json.dumps(activities, separators=(",", ":"))


class KeptReportView(rules.Report):
    """A rules.Report read back from its kept form: equal to the evaluation it was made from, field for field;
    its `activities` decoded on first access (from the column read then)."""

    __slots__ = ("_load_activities",)

    def __eq__(self, other: object) -> bool:  # equal to a fresh Report (a dataclass compares one class only)
        if not isinstance(other, rules.Report):
            return NotImplemented
        return all(getattr(self, f.name) == getattr(other, f.name) for f in _COMPARED)

    __hash__ = rules.Report.__hash__

    @property  # type: ignore[override]  # the parent's field, read lazily
    def activities(self) -> tuple[rules.ActivityResult, ...]:
        slot = _ACTIVITIES_SLOT
        try:
            return cast("tuple[rules.ActivityResult, ...]", slot.__get__(self, rules.Report))
        except AttributeError:
            found = _decode(json.loads(self._load_activities()))  # type: ignore[attr-defined]
            slot.__set__(self, found)
            return cast("tuple[rules.ActivityResult, ...]", found)


_ACTIVITIES_SLOT = rules.Report.__dict__["activities"]
_COMPARED = [f for f in dataclasses.fields(rules.Report) if f.compare]
_SLOTS = {f.name: rules.Report.__dict__[f.name] for f in dataclasses.fields(rules.Report)}


def load_report(summary: str, activities: str | Callable[[], str], definition: rules.SchemeDefinition
                ) -> rules.Report:
    """The report `dump_report` wrote, under `definition` (the report's `definition` is not stored: it is the
    version's, read once per process). `activities` is the second text, or a callable that fetches it."""
    data = json.loads(summary)
    view = object.__new__(KeptReportView)
    for name, item in data["f"].items():
        _SLOTS[name].__set__(view, _decode(item, definition))
    _SLOTS["definition"].__set__(view, definition)
    object.__setattr__(view, "_load_activities", activities if callable(activities) else (lambda: activities))
    return view


# --- the fingerprint ---------------------------------------------------------------------------------------

@cache
def engine_digest() -> str:
    """A digest of the rules engine's source, once per process: new engine code, new fingerprints."""
    digest = hashlib.sha256(str(FORMAT).encode())
    root = Path(rules.__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def fingerprint(certification: Certification, version: SchemeVersion, as_of: dt.date, activities: str | None) -> str:
    """The digest of every input of the certification's report; `activities` is the number of the holder's
    activities, their largest key and latest `updated_at` (None: no activities)."""
    parts = [engine_digest(), version.pk, version.code, version.version, version.created_at.isoformat(),
             as_of.isoformat(), certification.exam_passed_on, certification.recertification_date,
             certification.cycle_start, certification.designation, activities]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


# --- reading and keeping -----------------------------------------------------------------------------------

@dataclasses.dataclass
class Held:
    """One certification the person holds, with its scheme version in force and its report (or why the
    certification cannot be evaluated)."""

    certification: Certification
    version: SchemeVersion
    report: rules.Report | None
    error: rules.ContextError | None


def _owner_activities(organisation: Organisation, holder: User) -> Any:
    return Activity.objects.for_organisation(organisation).filter(owner_id=holder.pk)


def held_reports(organisation: Organisation, holder: User, today: dt.date) -> list[Held]:
    """The holder's certifications as `reports.held_certifications` selects them, each with its report on
    `today`: two queries when every kept report is current (the certifications with their kept reports and
    the activities' fingerprint; the versions in force, without their JSON), plus one to read the activities
    and one to keep the new reports when some changed."""
    # One pass over the holder's activities, from the index alone (activity_org_owner_changed_idx includes
    # the key and updated_at): number, largest key and latest change, as one text.
    stats = (_owner_activities(organisation, holder).order_by().values("owner_id").annotate(stats=Concat(
        Cast(Count("pk"), TextField()), Value(":"), Cast(Max("pk"), TextField()), Value(":"),
        Cast(Max("updated_at"), TextField()), output_field=TextField())).values("stats"))
    certifications = list(
        Certification.objects.for_organisation(organisation).filter(holder=holder)
        .exclude(status=Certification.Status.WITHDRAWN)
        .select_related("scheme_version", "kept_report").defer("scheme_version__definition", "kept_report__activities")
        .annotate(activity_stats=Subquery(stats, output_field=TextField()))
        .order_by("number"))
    if not certifications:
        return []
    versions = SchemeVersion.objects.for_organisation(organisation).in_force(
        today, codes={c.scheme_version.code for c in certifications}, definition=False)
    found: list[Held] = []
    stale: list[tuple[Held, str]] = []
    for certification in certifications:
        version = versions.get(certification.scheme_version.code, certification.scheme_version)
        key = fingerprint(certification, version, today, certification.activity_stats)  # type: ignore[attr-defined]
        held = Held(certification, version, None, None)
        kept = getattr(certification, "kept_report", None)
        if kept is not None and kept.fingerprint == key:
            held.report, held.error = _read(kept, version.rules)
        else:
            stale.append((held, key))
        found.append(held)
    if stale:
        activities = reports.owner_activities(organisation, holder)
        rows = []
        for held, key in stale:
            try:
                held.report = reports.evaluate_certification(held.certification, held.version.rules, activities,
                                                             today)
                summary, results = dump_report(held.report)
                error = ""
            except rules.ContextError as problem:
                held.error = problem
                summary, results, error = "", "", json.dumps([str(problem), problem.field])
            rows.append(KeptReport(organisation=organisation, certification=held.certification, fingerprint=key,
                                   summary=summary, activities=results, error=error))
        KeptReport.objects.bulk_create(rows, update_conflicts=True, unique_fields=["certification"],
                                       update_fields=["fingerprint", "summary", "activities", "error", "updated_at"])
    return found


def _read(kept: KeptReport, definition: rules.SchemeDefinition) -> tuple[rules.Report | None,
                                                                          rules.ContextError | None]:
    if kept.error:
        message, field = json.loads(kept.error)
        return None, rules.ContextError(message, field=field)
    pk, organisation_id = kept.pk, kept.organisation_id

    def activities() -> str:
        return cast(str, KeptReport.objects.for_organisation(organisation_id).values_list(
            "activities", flat=True).get(pk=pk))

    return load_report(kept.summary, activities, definition), None


def fresh_reports(organisation: Organisation, holder: User, today: dt.date) -> list[Held]:
    """The same, evaluated now from the rows (nothing kept or read from what was kept): what the kept reports
    must equal."""
    held = reports.held_certifications(organisation, holder, today)
    activities = reports.owner_activities(organisation, holder)
    found = []
    for certification, version in held:
        try:
            found.append(Held(certification, version, reports.evaluate_certification(
                certification, version.rules, activities, today), None))
        except rules.ContextError as error:
            found.append(Held(certification, version, None, error))
    return found

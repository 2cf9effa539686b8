"""The dashboard's kept reports: each certification's engine report, evaluated at most once per change.

A dashboard request reads, per certification, the kept row (`KeptReport`) and compares its `key` with the
fingerprint of the report's inputs now:

- the evaluation date (today), so a report is never older than the day it describes;
- the scheme version in force (its primary key: versions never change once saved);
- the certification's own inputs (scheme version, dates, designation);
- the holder's activities, as (count, highest id, latest `updated_at`): an added activity raises the highest
  id (ids are never reused), a deleted one lowers the count, an edit moves `updated_at` (`auto_now`, and
  `activity_update` names it in `update_fields`). A write that bypasses `save()` and changes an engine input
  must set `updated_at` too. Evidence is not an input of the engine, so it is not in the fingerprint (the
  property test in tests/test_kept_reports.py writes evidence too and checks the report still matches);
- the engine's own code (a digest of schemes/rules/*.py), so a deployed change of a rule re-evaluates.

When the key matches, the stored summary is the report; otherwise the activities are loaded once, the
certifications whose key differs are evaluated, and their rows are replaced in one upsert. The summary keeps
exactly what the dashboard shows, with the engine's messages structured (code, template, parameters) so they
are worded in each reader's language when shown. `summarise(report)` is the one encoder: the property test
checks that a kept summary always equals `summarise` of a fresh evaluation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from django.db.models import Count, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Organisation, User
from portfolios import reports
from portfolios.models import Activity, Certification, KeptReport
from schemes import rules
from schemes.models import SchemeVersion

SUMMARY_FORMAT = 1
EXPLANATIONS_KEPT = 12  # the dashboard shows the first twelve reasons why points did not count


@cache
def engine_revision() -> str:
    """A digest of the engine's source: a new rule deployed invalidates every kept report."""
    digest = hashlib.sha256(str(SUMMARY_FORMAT).encode())
    for path in sorted(Path(rules.__file__).parent.rglob("*.py")):
        digest.update(path.relative_to(Path(rules.__file__).parent).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class ActivityState:
    count: int
    last_id: int | None
    last_change: dt.datetime | None


def fingerprint(certification: Certification, version: SchemeVersion, today: dt.date, state: ActivityState) -> str:
    parts = (engine_revision(), today.isoformat(), version.pk, certification.scheme_version_id,
             certification.exam_passed_on, certification.recertification_date, certification.cycle_start,
             certification.designation, state.count, state.last_id,
             state.last_change.isoformat() if state.last_change else None)
    return hashlib.sha256(repr(parts).encode()).hexdigest()


# --- the summary: JSON, exact (decimals as strings), messages structured -------------------------------------

def _value(value: Any) -> list[Any]:
    if isinstance(value, rules.Message):
        return ["m", _message(value)]
    if isinstance(value, rules.Ref):
        return ["r", value.kind, value.code, value.owner]
    if isinstance(value, bool):
        return ["b", value]
    if isinstance(value, int):
        return ["i", value]
    if isinstance(value, Decimal):
        return ["n", str(value)]
    if isinstance(value, dt.date):
        return ["d", value.isoformat()]
    return ["s", str(value)]  # what the engine would show of anything else: its text


def _message(message: rules.Message) -> dict[str, Any]:
    return {"code": message.code, "template": message.template,
            "params": {name: _value(value) for name, value in message.params.items()}}


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def summarise(report: rules.Report) -> dict[str, Any]:
    """What the dashboard shows of a report, as JSON."""
    return {
        "compliant": report.compliant,
        "total_counted": _decimal(report.total_counted),
        "required_total": _decimal(report.required_total),
        "deadline": report.deadline.isoformat(),
        "problems": [_message(message) for message in report.problems],
        "explanations": [_message(message) for message in report.explanations[:EXPLANATIONS_KEPT]],
        "categories": [{"code": c.code, "counted": _decimal(c.counted), "raw": _decimal(c.raw),
                        "minimum": _decimal(c.minimum), "maximum": _decimal(c.maximum)} for c in report.categories],
        "periods": [{"number": p.number, "start": p.start.isoformat(), "end": p.end.isoformat(),
                     "total_counted": _decimal(p.total_counted), "required_total": _decimal(p.required_total),
                     "compliant": p.compliant} for p in report.periods],
        "current_period": report.current_period,
        "renewal": None if report.renewal is None else {
            "consecutive_required": report.renewal.consecutive_required, "consecutive": report.renewal.consecutive,
            "eligible": report.renewal.eligible, "extends_by_years": report.renewal.extends_by_years},
        "context_error": None,
    }


def summarise_error(error: rules.ContextError) -> dict[str, Any]:
    """A certification that lacks the date its scheme counts from (the dashboard says so)."""
    return {"context_error": str(error)}


def load_value(encoded: list[Any]) -> Any:
    kind, *rest = encoded
    if kind == "m":
        return load_message(rest[0])
    if kind == "r":
        return rules.Ref(*rest)
    if kind == "n":
        return Decimal(rest[0])
    if kind == "d":
        return dt.date.fromisoformat(rest[0])
    return rest[0]


def load_message(encoded: dict[str, Any]) -> rules.Message:
    return rules.Message(encoded["code"], encoded["template"],
                         {name: load_value(value) for name, value in encoded["params"].items()})


def load_decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


# --- reading and keeping ---------------------------------------------------------------------------------------

def for_holder(organisation: Organisation, holder: User, today: dt.date
               ) -> list[tuple[Certification, SchemeVersion, dict[str, Any]]]:
    """A professional's certifications (not withdrawn, by number), each with the version its report is
    evaluated under (the one in force today, else its own) and its summary. Queries: the certifications with
    their kept reports and the activities' fingerprint, the versions in force; when an input changed, also the
    activities and one upsert. The definitions' JSON is not fetched: SchemeVersion.rules parses each version
    once per process, reading its definition only then."""
    certifications = list(with_kept(
        Certification.objects.for_organisation(organisation).filter(holder=holder)
        .exclude(status=Certification.Status.WITHDRAWN).select_related("scheme_version")
        .defer("scheme_version__definition").order_by("number"), organisation, holder))
    if not certifications:
        return []
    in_force = SchemeVersion.objects.for_organisation(organisation).in_force(
        today, codes={c.scheme_version.code for c in certifications}, definition=False)
    versions = {c.pk: in_force.get(c.scheme_version.code, c.scheme_version) for c in certifications}
    found = summaries(organisation, holder, certifications, versions, today)
    return [(c, versions[c.pk], found[c.pk]) for c in certifications]


def with_kept(certifications: Any, organisation: Organisation, holder: User | int) -> Any:
    """The certifications queryset with each one's kept key and summary and the holder's activity state (the
    fingerprint's part from the activities), all in the same query."""
    kept = KeptReport.objects.for_organisation(organisation).filter(certification_id=OuterRef("pk"))
    owned = (Activity.objects.for_organisation(organisation).filter(owner_id=getattr(holder, "pk", holder))
             .order_by().values("owner_id"))
    return certifications.annotate(
        kept_key=Subquery(kept.values("key")[:1]), kept_summary=Subquery(kept.values("summary")[:1]),
        activity_count=Coalesce(Subquery(owned.annotate(n=Count("pk")).values("n")), 0),
        activity_last_id=Subquery(owned.annotate(n=Max("pk")).values("n")),
        activity_last_change=Subquery(owned.annotate(n=Max("updated_at")).values("n")))


def summaries(organisation: Organisation, owner: User, certifications: Sequence[Certification],
              versions: dict[int, SchemeVersion], today: dt.date) -> dict[int, dict[str, Any]]:
    """Each certification's summary (certification pk → summary), evaluating only those whose inputs changed.

    `certifications` come from `with_kept`; `versions` maps each certification's pk to the version its
    report is evaluated under. Queries: none; when something changed, the activities and one upsert.
    """
    first = certifications[0]
    # Annotated by `with_kept` (one query for the holder's activities and every kept report).
    state = ActivityState(first.activity_count, first.activity_last_id,  # type: ignore[attr-defined]  # annotated
                          first.activity_last_change)  # type: ignore[attr-defined]  # by with_kept
    found: dict[int, dict[str, Any]] = {}
    stale: list[tuple[Certification, str]] = []
    for certification in certifications:
        key = fingerprint(certification, versions[certification.pk], today, state)
        if getattr(certification, "kept_key", None) == key:
            found[certification.pk] = certification.kept_summary  # type: ignore[attr-defined]  # by with_kept
        else:
            stale.append((certification, key))
    if stale:
        activities = reports.owner_activities(organisation, owner)
        rows, now = [], timezone.now()
        for certification, key in stale:
            summary = evaluate(certification, versions[certification.pk].rules, activities, today)
            found[certification.pk] = summary
            rows.append(KeptReport(organisation=organisation, certification=certification, key=key, summary=summary,
                                   computed_at=now))
        KeptReport.objects.bulk_create(rows, update_conflicts=True, unique_fields=["organisation", "certification"],
                                       update_fields=["key", "summary", "computed_at"])
    return found


def evaluate(certification: Certification, definition: rules.SchemeDefinition,
             activities: Sequence[rules.ActivityInput], today: dt.date) -> dict[str, Any]:
    """A fresh evaluation's summary (what a kept one must always equal)."""
    try:
        return summarise(reports.evaluate_certification(certification, definition, activities, today))
    except rules.ContextError as error:
        return summarise_error(error)

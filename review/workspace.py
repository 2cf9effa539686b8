"""The assessor's view of a case, built from the frozen snapshot only (never from live data), and the engine's
recomputation when activities are disallowed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from portfolios import reports
from review.models import ReviewCase
from schemes import rules


@dataclass
class Recomputed:
    counted: Decimal
    required: Decimal | None
    compliant: bool
    explanations: list[str]
    problems: list[str]
    disallowed: int


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def snapshot_inputs(snapshot: dict[str, Any], disallowed: Collection[int] = ()) -> list[rules.ActivityInput]:
    """The snapshot's activities as engine inputs, without the disallowed ones."""
    inputs = []
    for activity in snapshot.get("activities", []):
        if activity["id"] in disallowed:
            continue
        inputs.append(rules.ActivityInput(
            type=activity["type"], date=dt.date.fromisoformat(activity["date"]),
            quantity=Decimal(activity["quantity"]), attributes=activity.get("attributes") or {}, ref=activity["id"]))
    return inputs


def recompute(case: ReviewCase, disallowed: Collection[int] = ()) -> Recomputed:
    """The engine's report on the snapshot without the disallowed activities, in the current language."""
    snapshot = case.submission.snapshot
    definition = case.scheme_version.rules
    certification = snapshot.get("certification", {})
    dossier = snapshot.get("dossier", {})
    submitted = dt.datetime.fromisoformat(dossier["submitted_at"]).date()
    context = rules.CandidateContext(
        as_of=submitted, exam_passed_on=_date(certification.get("exam_passed_on")),
        recertification_date=_date(certification.get("recertification_date")),
        cycle_start=_date(certification.get("cycle_start")), designation=certification.get("designation") or None,
        dossier_kind=dossier.get("kind", "recertification"))
    reference = _date(dossier.get("reference_date"))
    if reference is not None:
        context = rules.judged_on(definition, context, reference)
    report = rules.evaluate(definition, context, reports.known(definition, snapshot_inputs(snapshot, disallowed)))
    return Recomputed(counted=report.total_counted, required=report.required_total, compliant=report.compliant,
                      explanations=[reports.say(m, definition) for m in report.explanations],
                      problems=[reports.say(m, definition) for m in report.problems], disallowed=len(disallowed))


def section_rows(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """The sections an assessor judges: each with what was submitted (answers, choices, files, statements)."""
    statements = {item["id"]: item for item in snapshot.get("statements", [])}
    evidence = {item["id"]: item for item in snapshot.get("evidence", [])}
    rows = []
    for section in snapshot.get("sections", []):
        requirements = []
        for requirement in section.get("requirements", []):
            requirements.append({**requirement,
                                 "file_items": [evidence[pk] for pk in requirement.get("files", []) if pk in evidence],
                                 "statement_items": [statements[pk] for pk in requirement.get("statements", [])
                                                     if pk in statements]})
        rows.append({"code": section["code"], "label": section.get("label") or section["code"],
                     "description": section.get("description", ""), "requirements": requirements})
    if not rows:
        # A yearly CPD submission has no sections: its one judgement is on the activities as a whole.
        rows.append({"code": "activities", "label": _("Activities and points"), "description": "", "requirements": []})
    return rows


def section_codes(snapshot: dict[str, Any]) -> list[str]:
    return [row["code"] for row in section_rows(snapshot)]


def activity_rows(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    evidence = {item["id"]: item for item in snapshot.get("evidence", [])}
    return [{**activity, "files": [evidence[pk] for pk in activity.get("evidence", []) if pk in evidence]}
            for activity in snapshot.get("activities", [])]

"""Where the certifying body's cases come from: advice sources registered by the review workflow.

The review app (issue 10) registers one source in its `AppConfig.ready`:

    from certificates.hooks import register_advice_source
    register_advice_source(ReviewAdvice())

A source answers three questions, all inside the current organisation's tenant context:

- `cases_awaiting_decision(organisation)`: the submissions (model instances) whose advice is in;
- `advice_for(submission)`: an `Advice` (outcome, reasons per section, assessors' names, when advised), or None;
- `involved_user_ids(submission)`: everyone who assessed the case (ISO 17024: none of them may decide it or hear
  its appeal).

The certificates app decides nothing about review: it only reads these answers, and tells the review app what
was decided through the `decision_recorded` signal (a case sent back is the review app's to reopen).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.dispatch import Signal

# Sent after a decision is recorded, inside its transaction: sender=Decision, decision=..., submission=...
decision_recorded = Signal()


@dataclass(frozen=True)
class SectionAdvice:
    section: str
    label: str
    verdict: str
    reasons: str = ""


@dataclass(frozen=True)
class Advice:
    outcome: str  # "grant" or "refuse" (what the assessors advise)
    advised_at: dt.datetime
    summary: str = ""
    sections: tuple[SectionAdvice, ...] = ()
    assessors: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "advised_at": self.advised_at.isoformat(), "summary": self.summary,
                "sections": [{"section": s.section, "label": s.label, "verdict": s.verdict, "reasons": s.reasons}
                             for s in self.sections],
                "assessors": list(self.assessors)}


class AdviceSource(Protocol):
    def cases_awaiting_decision(self, organisation: Any) -> Iterable[Any]: ...

    def advice_for(self, submission: Any) -> Advice | None: ...

    def involved_user_ids(self, submission: Any) -> Iterable[int]: ...


_sources: list[AdviceSource] = []


def register_advice_source(source: AdviceSource) -> AdviceSource:
    if source not in _sources:
        _sources.append(source)
    return source


def unregister_advice_source(source: AdviceSource) -> None:
    if source in _sources:
        _sources.remove(source)


def advice_sources() -> list[AdviceSource]:
    return list(_sources)


def cases_with_advice(organisation: Any) -> list[Any]:
    """Every submission some source has an advice for, once each, oldest first."""
    seen: dict[int, Any] = {}
    for source in _sources:
        for submission in source.cases_awaiting_decision(organisation):
            seen.setdefault(submission.pk, submission)
    return sorted(seen.values(), key=lambda item: (item.submitted_at, item.pk))


def advice_for(submission: Any) -> Advice | None:
    """The latest advice any source gives for the submission."""
    found = [advice for source in _sources if (advice := source.advice_for(submission)) is not None]
    return max(found, key=lambda item: item.advised_at) if found else None


def involved_user_ids(submission: Any) -> set[int]:
    return {int(pk) for source in _sources for pk in source.involved_user_ids(submission)}


# Lists ask for many cases at once: a source may answer a whole list in a fixed number of queries through
# `advice_for_many(submissions)` / `involved_for_many(submissions)` (dicts by submission pk); one without them is
# asked case by case.

def advice_for_many(submissions: Iterable[Any]) -> dict[int, Advice]:
    items = list(submissions)
    found: dict[int, Advice] = {}
    for source in _sources:
        many = getattr(source, "advice_for_many", None)
        answers = many(items) if many else {item.pk: source.advice_for(item) for item in items}
        for pk, advice in answers.items():
            if advice is not None and (pk not in found or advice.advised_at > found[pk].advised_at):
                found[pk] = advice
    return found


def involved_for_many(submissions: Iterable[Any]) -> dict[int, set[int]]:
    items = list(submissions)
    found: dict[int, set[int]] = {item.pk: set() for item in items}
    for source in _sources:
        many = getattr(source, "involved_for_many", None)
        answers = many(items) if many else {item.pk: source.involved_user_ids(item) for item in items}
        for pk, ids in answers.items():
            found.setdefault(pk, set()).update(int(user_id) for user_id in ids)
    return found

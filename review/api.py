"""The small read API the certifying-body app uses (it never reads review's tables itself).

- `cases_awaiting_decision(organisation)`: cases whose advice was sent and that await a decision;
- `advice_of(submission)`: the frozen advice of a submission (or None);
- `people_involved(case_id, organisation)`: the user ids who took part (candidate, assessors, deciders, the
  interview committee), so
  the decision is taken by people who did not assess the case (ISO 17024).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from accounts.models import Organisation
from dossiers.models import Submission
from review.models import Advice, Allocation, Interview, ReviewCase


@dataclass(frozen=True)
class AdviceView:
    case_id: int
    submission_id: int
    candidate_id: int
    scheme_code: str
    outcome: str
    summary: str
    sections: list[dict[str, Any]]
    assessors: list[dict[str, Any]]
    points: dict[str, Any]
    sent_at: dt.datetime
    sha256: str


def _view(advice: Advice) -> AdviceView:
    case = advice.case
    return AdviceView(case_id=case.pk, submission_id=case.submission_id, candidate_id=case.candidate_id,
                      scheme_code=case.scheme_version.code, outcome=advice.outcome, summary=advice.summary,
                      sections=list(advice.sections), assessors=list(advice.assessors), points=dict(advice.points),
                      sent_at=advice.sent_at, sha256=advice.sha256)


def cases_awaiting_decision(organisation: Organisation | int, *, exclude_case_ids: set[int] | None = None
                            ) -> list[AdviceView]:
    """Every advised case of the organisation, oldest advice first (the decision app leaves out those it
    decided through `exclude_case_ids`)."""
    advices = (Advice.objects.for_organisation(organisation).select_related("case", "case__scheme_version")
               .order_by("sent_at", "pk"))
    if exclude_case_ids:
        advices = advices.exclude(case_id__in=exclude_case_ids)
    return [_view(advice) for advice in advices]


def advice_of(submission: Submission) -> AdviceView | None:
    advice = (Advice.objects.for_organisation(submission.organisation_id).select_related("case", "case__scheme_version")
              .filter(case__submission=submission).first())
    return _view(advice) if advice else None


def accepted_on_rules(submission: Submission) -> bool:
    return (ReviewCase.objects.for_organisation(submission.organisation_id)
            .filter(submission=submission, state=ReviewCase.State.ACCEPTED_ON_RULES).exists())


def people_involved(case_id: int, organisation: Organisation | int) -> set[int]:
    case = ReviewCase.objects.for_organisation(organisation).filter(pk=case_id).first()
    if case is None:
        return set()
    ids = set(Allocation.objects.for_organisation(organisation).filter(case_id=case_id)
              .values_list("assessor_id", flat=True))
    for assessor_id, chair_id in (Interview.objects.for_organisation(organisation).filter(case_id=case_id)
                                  .values_list("assessor_id", "chair_id")):
        ids |= {assessor_id, chair_id}  # the interview committee took part too
    return ids | {case.candidate_id}


class ReviewAdviceSource:
    """The review's advice as the certifying-body app asks for it (certificates/hooks.py `AdviceSource`),
    registered in `ReviewConfig.ready`: the submissions with a sent advice, that advice, and who took part."""

    def cases_awaiting_decision(self, organisation: Organisation | int) -> list[Submission]:
        ids = [view.submission_id for view in cases_awaiting_decision(organisation)]
        return list(Submission.objects.for_organisation(organisation).filter(pk__in=ids))

    def advice_for(self, submission: Submission) -> Any:
        view = advice_of(submission)
        return None if view is None else self._advice(view)

    @staticmethod
    def _advice(view: AdviceView) -> Any:
        from certificates import hooks

        sections = tuple(hooks.SectionAdvice(section=str(row.get("code", "")), label=str(row.get("label", "")),
                                             verdict=str(row.get("judgement", "")),
                                             reasons="\n".join(row.get("reasons") or []))
                         for row in view.sections)
        return hooks.Advice(outcome="grant" if view.outcome == Advice.Outcome.POSITIVE else "refuse",
                            advised_at=view.sent_at, summary=view.summary, sections=sections,
                            assessors=tuple(str(item.get("name", "")) for item in view.assessors))

    def advice_for_many(self, submissions: list[Submission]) -> dict[int, Any]:
        if not submissions:
            return {}
        organisation = submissions[0].organisation_id
        advices = (Advice.objects.for_organisation(organisation).select_related("case", "case__scheme_version")
                   .filter(case__submission__in=submissions))
        return {advice.case.submission_id: self._advice(_view(advice)) for advice in advices}

    def involved_for_many(self, submissions: list[Submission]) -> dict[int, set[int]]:
        """Two queries for the whole list: the cases (their candidates) and their allocations (assessors)."""
        if not submissions:
            return {}
        organisation = submissions[0].organisation_id
        found: dict[int, set[int]] = {}
        by_case: dict[int, int] = {}
        for case_id, submission_id, candidate_id in (ReviewCase.objects.for_organisation(organisation)
                                                     .filter(submission__in=submissions)
                                                     .values_list("pk", "submission_id", "candidate_id")):
            by_case[case_id] = submission_id
            found.setdefault(submission_id, set()).add(candidate_id)
        for case_id, assessor_id in (Allocation.objects.for_organisation(organisation).filter(case_id__in=by_case)
                                     .values_list("case_id", "assessor_id")):
            found[by_case[case_id]].add(assessor_id)
        for case_id, assessor_id, chair_id in (Interview.objects.for_organisation(organisation)
                                               .filter(case_id__in=by_case)
                                               .values_list("case_id", "assessor_id", "chair_id")):
            found[by_case[case_id]] |= {assessor_id, chair_id}
        return found

    def involved_user_ids(self, submission: Submission) -> set[int]:
        case = ReviewCase.objects.for_organisation(submission.organisation_id).filter(submission=submission).first()
        return people_involved(case.pk, submission.organisation_id) if case else set()


ADVICE_SOURCE = ReviewAdviceSource()

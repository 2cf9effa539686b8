"""The review's stage on the professional's certification card (portfolios/lifecycle.py, order 40).

"In review" waits on the assessors, with the date review started; a submission the sample did not select is
"accepted on the rules" (PeopleCert, the CCMG). The candidate is never told more than the case's phase: a case
being assessed, reconciled or advised reads the same ("in review"), so nothing on the card tells how the
assessors judge or whether they disagree before the advice is frozen.

The rows come from one bulk fetch per page (`fetch_cases`, registered with `register_prefetch`): the review
cases of every dossier on it, in one query.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext as _

from dossiers.signals import submission_holds
from portfolios import reports
from portfolios.lifecycle import CURRENT, DONE, WAITING, LifecycleContext, Stage
from review.models import ReviewCase

KEY = "review.cases"
ORDER = 40


def fetch_cases(organisation: Any, dossiers: list[Any], extra: dict[str, Any]) -> None:
    """The review case of every submitted dossier (by dossier id), in one query."""
    ids = [dossier.pk for dossier in dossiers if dossier.status != "draft"]
    extra[KEY] = {case.dossier_pk: case for case in ReviewCase.objects.for_organisation(organisation).filter(
        submission__dossier_id__in=ids).annotate(dossier_pk=F("submission__dossier_id"))} if ids else {}


def case_for(context: LifecycleContext) -> ReviewCase | None:
    dossier = context.dossier
    if dossier is None or dossier.status == "draft":
        return None
    if KEY not in context.extra:  # called without the page's bulk fetch: fetch for this card
        fetch_cases(context.organisation, [dossier], context.extra)
    return context.extra[KEY].get(dossier.pk)


def review_stage(context: LifecycleContext) -> Stage | None:
    case = case_for(context)
    if case is None:
        return None
    url = reverse("dossier_detail", kwargs={"org": context.organisation.slug, "pk": context.dossier.pk})
    label = _("In review")
    State = ReviewCase.State
    if case.state == State.ACCEPTED_ON_RULES:
        return Stage("accepted", _("Accepted on the rules"), DONE,
                     _("Accepted on %(date)s on the scheme's rules alone: this submission was not selected for an "
                       "assessor's review. Nothing more to do for it.")
                     % {"date": reports.day_of(case.closed_at or case.opened_at)},
                     action_url=url, action_label=_("Your dossier"))
    if case.state == State.HELD:
        # Rare, and only for this card: the reasons come from the apps that hold review (billing: an unpaid fee).
        reasons = "; ".join(submission_holds(case.submission))
        if not reasons:
            return Stage("in_review", label, WAITING, _("Review starts shortly; nothing to do now."),
                         action_url=url, action_label=_("Your dossier"))
        return Stage("in_review", label, CURRENT, _("Review has not started yet."),
                     next_step=_("Review starts once this is settled: %(reasons)s.") % {"reasons": reasons},
                     action_url=url, action_label=_("Your dossier"))
    if case.state == State.OPEN:
        return Stage("in_review", label, WAITING,
                     _("Waiting for an assessor since %(date)s; nothing to do now.")
                     % {"date": reports.day_of(case.opened_at)},
                     action_url=url, action_label=_("Your dossier"))
    started = case.review_started_at or case.opened_at
    if case.state == State.ADVICE_GIVEN:
        return Stage("in_review", label, DONE, _("Reviewed from %(start)s to %(end)s.") % {
            "start": reports.day_of(started), "end": reports.day_of(case.closed_at or started)}, action_url=url,
            action_label=_("Your dossier"))
    # Being assessed, reconciled, advised or waiting for information: the same words for all (blindness).
    return Stage("in_review", label, WAITING,
                 _("In review since %(date)s; nothing to do now: you hear from us when the advice is in.")
                 % {"date": reports.day_of(started)}, action_url=url, action_label=_("Your dossier"))


def progress_of(submission: Any) -> list[dict[str, Any]]:
    """The dossier page's steps (dossiers.signals.review_progress): the review's (submitted → in review →
    information requested → advice given), then the certifying body's: decided, and the certificate."""
    from certificates import lifecycle as certificates_lifecycle
    from certificates.models import Decision
    from review import interview
    from review.services import progress

    case = ReviewCase.objects.for_organisation(submission.organisation_id).filter(submission=submission).first()
    steps = progress(case, submission)
    oral = interview.progress_step(case)
    if oral is not None:  # the interview comes before the advice
        steps.insert(len(steps) - 1, oral)
    if case is None or case.state == ReviewCase.State.ACCEPTED_ON_RULES:
        return steps
    extra: dict[str, Any] = {}
    certificates_lifecycle.fetch_decisions(submission.organisation_id, [submission.dossier], extra)
    outcome = extra[certificates_lifecycle.KEY].get(submission.dossier_id)
    latest = outcome.latest if outcome is not None and not outcome.awaiting else None
    if latest is None:
        steps.append({"code": "decided", "label": _("Decided"), "at": None})
        return steps
    labels = {Decision.Outcome.GRANT: _("Decided: granted"), Decision.Outcome.REFUSE: _("Decided: refused"),
              Decision.Outcome.BACK: _("Sent back for more review")}
    steps.append({"code": "decided", "label": labels.get(latest.outcome, _("Decided")), "at": latest.decided_at})
    certification = submission.dossier.certification
    if latest.outcome == Decision.Outcome.GRANT and certification.expires_on:
        steps.append({"code": "certificate", "label": _("Certificate valid until %(date)s.")
                      % {"date": reports.date(certification.expires_on)}, "at": latest.decided_at})
    return steps

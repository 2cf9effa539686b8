"""The certifying body's stages on the professional's certification card (portfolios/lifecycle.py).

- "Advice given" (order 50): the assessors' advice is with the certifying body (waiting), or was decided on
  (done). The card does not say what the advice was: the certifying body decides, and its decision is what the
  professional is told.
- "Decided" (order 55): granted, refused or sent back, with the date. A refusal names the next step: appeal
  until the deadline (the appeal page), or, once appealed, the appeal's state.
- "Certificate" (order 60): after a grant, the date the certificate is valid until.

The advice comes through the advice sources (certificates/hooks.py), never from the review app's tables. One
bulk fetch per page (`fetch_decisions`): the dossiers' submissions, their advice, and their decisions with any
appeal, in three queries whatever the number of cards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates import hooks
from certificates.models import Appeal, Decision
from dossiers.models import Submission
from portfolios import reports
from portfolios.lifecycle import CURRENT, DONE, WAITING, LifecycleContext, Stage
from schemes import rules

KEY = "certificates.decisions"


@dataclass
class Outcome:
    """What the certifying body has of one submitted dossier: the advice and the decisions, newest first."""

    advice: hooks.Advice | None = None
    decisions: list[Decision] = field(default_factory=list)

    @property
    def latest(self) -> Decision | None:
        return self.decisions[0] if self.decisions else None

    @property
    def appeal(self) -> Appeal | None:
        latest = self.latest
        return getattr(latest, "appeal", None) if latest is not None else None

    @property
    def awaiting(self) -> bool:
        """The advice is in and no decision since (or an upheld appeal set the last one aside)."""
        if self.advice is None:
            return False
        latest = self.latest
        if latest is None:
            return True
        appeal = self.appeal
        upheld = appeal is not None and appeal.status == Appeal.Status.UPHELD
        return upheld or latest.decided_at < self.advice.advised_at


def fetch_decisions(organisation: Any, dossiers: list[Any], extra: dict[str, Any]) -> None:
    """Every submitted dossier's advice and decisions (by dossier id), in three queries."""
    ids = [dossier.pk for dossier in dossiers if dossier.status != "draft"]
    found: dict[int, Outcome] = {}
    extra[KEY] = found
    if not ids:
        return
    submissions = list(Submission.objects.for_organisation(organisation).filter(dossier_id__in=ids)
                       .only("pk", "organisation_id", "dossier_id", "submitted_at"))
    if not submissions:
        return
    by_submission = {submission.pk: submission.dossier_id for submission in submissions}
    for submission_id, advice in hooks.advice_for_many(submissions).items():
        found.setdefault(by_submission[submission_id], Outcome()).advice = advice
    for decision in (Decision.objects.for_organisation(organisation).filter(submission_id__in=by_submission)
                     .select_related("appeal").order_by("-decided_at", "-id")):
        found.setdefault(by_submission[decision.submission_id], Outcome()).decisions.append(decision)


def outcome_for(context: LifecycleContext) -> Outcome | None:
    dossier = context.dossier
    if dossier is None or dossier.status == "draft":
        return None
    if KEY not in context.extra:  # called without the page's bulk fetch: fetch for this card
        fetch_decisions(context.organisation, [dossier], context.extra)
    return context.extra[KEY].get(dossier.pk)


def advice_stage(context: LifecycleContext) -> Stage | None:
    outcome = outcome_for(context)
    if outcome is None or outcome.advice is None:
        return None
    day = reports.day_of(outcome.advice.advised_at)
    if outcome.awaiting:
        return Stage("advice", _("Advice given"), WAITING,
                     _("The assessors sent their advice to the certifying body on %(date)s; it decides next. "
                       "Nothing to do now.") % {"date": day})
    return Stage("advice", _("Advice given"), DONE, _("Advice sent to the certifying body on %(date)s.")
                 % {"date": day})


def decided_stage(context: LifecycleContext) -> Stage | None:
    outcome = outcome_for(context)
    latest = outcome.latest if outcome is not None else None
    if outcome is None or latest is None:
        return None
    label = _("Decided")
    day = reports.day_of(latest.decided_at)
    if latest.outcome == Decision.Outcome.GRANT:
        return Stage("decided", label, DONE, _("Granted on %(date)s.") % {"date": day})
    if latest.outcome == Decision.Outcome.BACK:
        return Stage("decided", label, WAITING, _("On %(date)s the certifying body sent your dossier back for more "
                                                  "review; nothing to do now.") % {"date": day})
    appeal = outcome.appeal
    if appeal is None:
        deadline = rules.appeal_deadline(context.definition, timezone.localtime(latest.decided_at).date())
        if context.today > deadline:
            return Stage("decided", label, DONE, _("Refused on %(date)s; the time to appeal ended on %(deadline)s.")
                         % {"date": day, "deadline": reports.date(deadline)})
        return Stage("decided", label, CURRENT, _("Refused on %(date)s.") % {"date": day},
                     next_step=_("Read the reasons and, if you disagree, appeal before %(deadline)s.")
                     % {"deadline": reports.date(deadline)},
                     action_url=reverse("appeal_create", kwargs={"org": context.organisation.slug, "pk": latest.pk}),
                     action_label=_("Appeal against the decision"), due=deadline)
    if appeal.status == Appeal.Status.OPEN:
        return Stage("decided", label, WAITING, _("Refused on %(date)s; your appeal of %(filed)s is being handled; "
                                                  "nothing to do now.")
                     % {"date": day, "filed": reports.day_of(appeal.filed_at)})
    if appeal.status == Appeal.Status.UPHELD:
        return Stage("decided", label, WAITING, _("Your appeal was upheld on %(date)s: the certifying body decides "
                                                  "again; nothing to do now.")
                     % {"date": reports.day_of(appeal.handled_at or appeal.filed_at)})
    return Stage("decided", label, DONE, _("Refused on %(date)s; the appeal was dismissed on %(handled)s.")
                 % {"date": day, "handled": reports.day_of(appeal.handled_at or appeal.filed_at)})


def certificate_stage(context: LifecycleContext) -> Stage | None:
    outcome = outcome_for(context)
    latest = outcome.latest if outcome is not None else None
    if latest is None or latest.outcome != Decision.Outcome.GRANT or outcome is None or outcome.awaiting:
        return None
    certification = context.certification
    if certification.expires_on is None:
        return None
    from certificates.services import public_status

    url = reverse("my_certificates", kwargs={"org": context.organisation.slug})
    until = reports.date(certification.expires_on)
    status = public_status(certification, context.today)
    text = {"valid": _("Certificate valid until %(date)s."), "expired": _("The certificate expired on %(date)s."),
            "suspended": _("The certificate (valid until %(date)s) is suspended."),
            "withdrawn": _("The certificate was withdrawn.")}[status] % {"date": until}
    return Stage("certificate", _("Certificate"), DONE, text, action_url=url, action_label=_("Your certificates"))

"""Requests for information: the assessors ask the candidate questions about named sections, statements or
activities of the snapshot, which reopen exactly those (dossiers/services/resubmission.py); the candidate
answers, changes what was reopened and resubmits; a new snapshot version goes back to the assessors, who see
a redline of it against the previous one (review/redline.py).

Who may ask: an assessor of the case once every assessment is in and the assessors agree (after
reconciliation where there are two; at once after the one assessor's assessment where there is one), that
is in the "advice being drafted" state. On resubmission each assessor's assessment opens again (drafts keep
what they said) so the judgements can follow the new version; the case is in review again.

Also here: the professional's lifecycle stage ("information requested, answer by ...") and the dossier-page
panel with the questions, both registered from ReviewConfig.ready.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.mail import absolute_url, mail_send, recipient_language
from accounts.models import User
from accounts.services import audit_record
from dossiers.models import Dossier, Submission
from dossiers.services.resubmission import dossier_reopen, dossier_resubmit
from portfolios import lifecycle, reports
from review.models import Allocation, Assessment, InformationRequest, ReviewCase
from schemes import rules

AUDIT_ACTIONS = {
    "review.rfi": (gettext_lazy("Information requested"),
                   gettext_lazy("Requested information on review case %(case)s (answer by %(due)s)")),
    "review.rfi_answer": (gettext_lazy("Request for information answered"),
                          gettext_lazy("Saved answers to the request for information on review case %(case)s")),
    "review.rfi_resubmitted": (gettext_lazy("Dossier resubmitted after a request for information"),
                               gettext_lazy("Review case %(case)s is back with its assessors (version %(version)s)")),
}
KINDS = ("section", "statement", "activity")
MAX_QUESTIONS = 5
QUESTION_MAX_CHARS = 4000
ANSWER_MAX_CHARS = 10000
DEFAULT_DUE_WORKING_DAYS = 10


@dataclass(frozen=True)
class Target:
    value: str  # "section:A3.2", "statement:12", "activity:40"
    kind: str
    ref: str | int
    label: str


def targets(snapshot: dict[str, Any]) -> list[Target]:
    """What a request can name in this snapshot: every section, statement and counted activity."""
    found = [Target(f"section:{s['code']}", "section", s["code"], f"{s['code']} {s.get('label') or ''}".strip())
             for s in snapshot.get("sections", [])]
    for statement in snapshot.get("statements", []):
        found.append(Target(f"statement:{statement['id']}", "statement", statement["id"],
                            _("Statement by %(name)s (%(section)s)")
                            % {"name": statement.get("signer_name") or "", "section": statement.get("section") or ""}))
    for activity in snapshot.get("activities", []):
        found.append(Target(f"activity:{activity['id']}", "activity", activity["id"],
                            _("Activity: %(title)s (%(date)s)") % {"title": activity.get("title") or "",
                                                                   "date": activity.get("date") or ""}))
    return found


def default_due(today: dt.date | None = None) -> dt.date:
    return rules.working_days_after(today or timezone.localdate(), DEFAULT_DUE_WORKING_DAYS)


def open_request(case: ReviewCase) -> InformationRequest | None:
    return (InformationRequest.objects.for_organisation(case.organisation_id)
            .filter(case=case, status=InformationRequest.Status.OPEN).first())


def may_request(case: ReviewCase, allocation: Allocation | None) -> bool:
    """Whether this allocation's assessor may send the candidate a request now."""
    return (allocation is not None and allocation.role == Allocation.Role.ASSESSOR
            and allocation.status == Allocation.Status.SUBMITTED and case.state == ReviewCase.State.ADVISING)


def _candidate_mail(case: ReviewCase, request_: InformationRequest) -> None:
    candidate, organisation = case.candidate, case.organisation
    link = absolute_url(reverse("dossier_detail", kwargs={"org": organisation.slug,
                                                          "pk": case.submission.dossier_id}))
    mail_send(to=candidate.email, template="review/email/rfi", organisation=organisation,
              language=recipient_language(candidate, organisation), context=lambda: {
                  "user": candidate, "organisation": organisation, "scheme": case.scheme_version.label,
                  "link": link, "due": reports.date(request_.due_on), "items": request_.items})


def _assessor_mail(case: ReviewCase, allocation: Allocation, version: int) -> None:
    assessor, organisation = allocation.assessor, case.organisation
    link = absolute_url(reverse("review_case", kwargs={"org": organisation.slug, "pk": case.pk}))
    mail_send(to=assessor.email, template="review/email/rfi_answered", organisation=organisation,
              language=recipient_language(assessor, organisation), context=lambda: {
                  "user": assessor, "organisation": organisation, "case": case, "link": link, "version": version,
                  "due": reports.date(allocation.due_on)})


@transaction.atomic
def rfi_send(*, case: ReviewCase, by: User, questions: list[tuple[str, str]], due_on: dt.date) -> InformationRequest:
    """Send the candidate `questions` ((target value, question) pairs, see `targets`) to answer by `due_on`;
    reopen what they name. ValidationError: not allowed now, no question, an unknown target, a past date."""
    case = ReviewCase.objects.for_organisation(case.organisation_id).select_for_update().select_related(
        "submission", "submission__dossier", "candidate", "organisation", "scheme_version").get(pk=case.pk)
    allocation = (Allocation.objects.for_organisation(case.organisation_id)
                  .filter(case=case, assessor=by, status=Allocation.Status.SUBMITTED).first())
    if not may_request(case, allocation):
        raise ValidationError(_("Information can be requested once the assessments are in and agreed."),
                              code="state")
    if due_on <= timezone.localdate():
        raise ValidationError({"due_on": _("Choose an answer date after today.")}, code="due")
    known = {target.value: target for target in targets(case.submission.snapshot)}
    items = []
    for value, question in questions:
        target = known.get(value)
        if target is None:
            raise ValidationError(_("Ask only about parts of the submitted dossier."), code="unknown")
        if not question.strip():
            raise ValidationError(_("Write the question."), code="empty")
        items.append({"kind": target.kind, "ref": target.ref, "label": target.label,
                      "question": question.strip()[:QUESTION_MAX_CHARS], "answer": ""})
    if not items:
        raise ValidationError(_("Ask at least one question."), code="none")
    named: dict[str, list[Any]] = {kind: sorted({item["ref"] for item in items if item["kind"] == kind})
                                   for kind in KINDS}
    dossier = case.submission.dossier
    dossier_reopen(dossier=dossier, sections=[str(ref) for ref in named["section"]],
                   statements=[int(ref) for ref in named["statement"]],
                   activities=[int(ref) for ref in named["activity"]], due_on=due_on, by=by)
    now = timezone.now()
    request_ = InformationRequest.objects.create(
        organisation_id=case.organisation_id, case=case, requested_by=by, requested_at=now, due_on=due_on,
        items=items, from_version=case.submission.version)
    case.state = ReviewCase.State.INFORMATION_REQUESTED
    case.save(update_fields=["state"])
    audit_record(organisation=case.organisation, actor=by, action="review.rfi", case=case.pk, rfi=request_.pk,
                 due=due_on.isoformat(), sections=named["section"], statements=named["statement"],
                 activities=named["activity"])
    _candidate_mail(case, request_)
    return request_


def _candidate_request(user: User, request_: InformationRequest) -> InformationRequest:
    locked = (InformationRequest.objects.for_organisation(request_.organisation_id).select_for_update(of=("self",))
              .select_related("case", "case__submission", "case__submission__dossier", "case__organisation")
              .get(pk=request_.pk))
    if locked.case.candidate_id != user.pk or locked.status != InformationRequest.Status.OPEN:
        raise ValidationError(_("This request for information is closed."), code="state")
    return locked


@transaction.atomic
def rfi_answer(*, request_: InformationRequest, by: User, answers: dict[int, str]) -> InformationRequest:
    """Save the candidate's answers (by question number, from 0); blank ones stay blank."""
    locked = _candidate_request(by, request_)
    items = [dict(item) for item in locked.items]
    for index, item in enumerate(items):
        if index in answers:
            item["answer"] = answers[index].strip()[:ANSWER_MAX_CHARS]
    locked.items = items
    locked.save(update_fields=["items"])
    audit_record(organisation=locked.case.organisation, actor=by,
                 action="review.rfi_answer", case=locked.case_id, rfi=locked.pk)
    return locked


@transaction.atomic
def rfi_resubmit(*, request_: InformationRequest, by: User) -> Submission:
    """Every question answered: resubmit the dossier as a new version (dossier_resubmit re-checks it and
    sends `submission_resubmitted`, on which `on_resubmitted` hands the case back to the assessors)."""
    locked = _candidate_request(by, request_)
    unanswered = [item["label"] for item in locked.items if not item.get("answer")]
    if unanswered:
        raise ValidationError([_("Answer the question about %(label)s.") % {"label": label} for label in unanswered],
                              code="unanswered")
    return dossier_resubmit(dossier=locked.case.submission.dossier, by=by)


def on_resubmitted(sender: Any, submission: Submission, **kwargs: Any) -> None:
    """The candidate resubmitted: the request is answered, every assessment opens again with a new due date,
    and the assessors are told (in the resubmitting transaction)."""
    from review.services import due_date

    case = (ReviewCase.objects.for_organisation(submission.organisation_id).select_for_update(of=("self",))
            .select_related("organisation", "submission").filter(submission=submission).first())
    if case is None:
        return
    request_ = open_request(case)
    now = timezone.now()
    if request_ is not None:
        request_.status, request_.answered_at, request_.to_version = (InformationRequest.Status.ANSWERED, now,
                                                                      submission.version)
        request_.save(update_fields=["status", "answered_at", "to_version"])
    case.state, case.all_submitted_at, case.joint, case.escalated_at = ReviewCase.State.IN_REVIEW, None, {}, None
    case.save(update_fields=["state", "all_submitted_at", "joint", "escalated_at"])
    allocations = list(Allocation.objects.for_organisation(case.organisation_id).select_related("assessor")
                       .filter(case=case, role=Allocation.Role.ASSESSOR, status=Allocation.Status.SUBMITTED))
    due = due_date(case)
    for allocation in allocations:
        allocation.status, allocation.due_on, allocation.reminders_sent = Allocation.Status.ACTIVE, due, []
        allocation.save(update_fields=["status", "due_on", "reminders_sent"])
    (Assessment.objects.for_organisation(case.organisation_id)
     .filter(allocation__in=[a.pk for a in allocations]).update(submitted_at=None))
    audit_record(organisation=case.organisation, actor=None, action="review.rfi_resubmitted", case=case.pk,
                 version=submission.version, rfi=request_.pk if request_ else None)
    for allocation in allocations:
        _assessor_mail(case, allocation, submission.version)


def overdue_requests(organisation: Any, today: dt.date | None = None) -> list[InformationRequest]:
    """Open requests whose answer date has passed (for the coordinator's overdue list)."""
    return list(InformationRequest.objects.for_organisation(organisation)
                .filter(status=InformationRequest.Status.OPEN, due_on__lt=today or timezone.localdate())
                .select_related("case").order_by("due_on", "pk")[:500])


# --- the professional's side --------------------------------------------------------------------------------

def target_url(organisation_slug: str, dossier: Dossier, item: dict[str, Any]) -> str:
    """Where the candidate changes what a question reopened."""
    if item["kind"] == "section":
        return reverse("dossier_section", kwargs={"org": organisation_slug, "pk": dossier.pk, "code": item["ref"]})
    if item["kind"] == "activity":
        return reverse("activity_edit", kwargs={"org": organisation_slug, "pk": item["ref"]})
    return reverse("dossier_detail", kwargs={"org": organisation_slug, "pk": dossier.pk}) + "#statements-heading"


def dossier_panel(request: HttpRequest, dossier: Dossier) -> str:
    """The open request's questions on the candidate's dossier page, with the answer form and Resubmit."""
    if not dossier.is_reopened or request.user.pk != dossier.owner_id:
        return ""
    request_ = (InformationRequest.objects.for_organisation(dossier.organisation_id)
                .filter(case__submission__dossier=dossier, status=InformationRequest.Status.OPEN)
                .select_related("case").first())
    if request_ is None:
        return ""
    slug = dossier.organisation.slug
    items = [{**item, "index": index, "url": target_url(slug, dossier, item)}
             for index, item in enumerate(request_.items)]
    return render_to_string("review/rfi_dossier_panel.html", {
        "rfi": request_, "items": items, "dossier": dossier, "organisation": dossier.organisation,
        "overdue": request_.due_on < timezone.localdate()}, request=request)


def rfi_stage(context: lifecycle.LifecycleContext) -> lifecycle.Stage | None:
    """"Information requested (answer by ...)": the professional acts now (no query: the dossier says it)."""
    dossier = context.dossier
    if dossier is None or not getattr(dossier, "is_reopened", False):
        return None
    due_text = (dossier.reopened or {}).get("due_on")
    due = dt.date.fromisoformat(due_text) if due_text else None
    label = (_("Information requested (answer by %(date)s)") % {"date": reports.date(due)} if due
             else _("Information requested"))
    return lifecycle.Stage(
        "information_requested", label, lifecycle.CURRENT,
        _("The assessors asked you questions about your dossier; only what they name is open for changes."),
        next_step=_("Answer the assessors' questions and resubmit your dossier."),
        action_url=reverse("dossier_detail", kwargs={"org": context.organisation.slug, "pk": dossier.pk}),
        action_label=_("Answer the questions"), due=due)

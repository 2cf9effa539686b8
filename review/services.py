"""Review's writes: open a case on submit, allocate, declare, decline, replace, assess, reconcile, advise.

Every state change is in the audit trail (judgements never are: the trail names the case and the step only,
so it cannot tell one assessor another's verdict) and every mail goes through the outbox in its recipient's
language. Coordinators are the organisation's administrators (settings.REVIEW_COORDINATOR_ROLES).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.mail import absolute_url, mail_send
from accounts.models import Membership, Organisation, Role, User
from accounts.services import audit_record
from dossiers.models import Submission
from dossiers.signals import submission_holds
from portfolios import reports
from review import conflicts, workspace
from review.models import (
    Advice,
    Allocation,
    Assessment,
    AssessorProfile,
    CaseMessage,
    InformationRequest,
    Relationship,
    ReviewCase,
)
from schemes import rules

AUDIT_ACTIONS = {
    "review.open": (gettext_lazy("Review case opened"), gettext_lazy("Opened review case %(case)s")),
    "review.held": (gettext_lazy("Review case on hold"), gettext_lazy("Review case %(case)s waits: %(reason)s")),
    "review.accepted_on_rules": (gettext_lazy("Accepted on the rules"),
                                 gettext_lazy("Review case %(case)s was not sampled: accepted on the rules alone")),
    "review.allocate": (gettext_lazy("Assessor allocated"),
                        gettext_lazy("Allocated %(email)s to review case %(case)s")),
    "review.override": (gettext_lazy("Conflict overridden"),
                        gettext_lazy("Allocated %(email)s to review case %(case)s despite a conflict: %(reason)s")),
    "review.declare": (gettext_lazy("No conflict declared"),
                       gettext_lazy("An assessor declared no conflict on review case %(case)s")),
    "review.conflict": (gettext_lazy("Conflict declared"),
                        gettext_lazy("An assessor declared a conflict on review case %(case)s")),
    "review.decline": (gettext_lazy("Allocation declined"),
                       gettext_lazy("An assessor declined review case %(case)s")),
    "review.replace": (gettext_lazy("Assessor replaced"),
                       gettext_lazy("Replaced %(email)s on review case %(case)s")),
    "review.overdue": (gettext_lazy("Allocation overdue"),
                       gettext_lazy("An allocation of review case %(case)s was overdue and went back to the queue")),
    "review.submit": (gettext_lazy("Assessment submitted"),
                      gettext_lazy("An assessment of review case %(case)s was submitted")),
    "review.withdraw": (gettext_lazy("Assessment withdrawn"),
                        gettext_lazy("Withdrew an assessment of review case %(case)s: %(reason)s")),
    "review.revise": (gettext_lazy("Judgement revised"),
                      gettext_lazy("An assessor revised their judgement on review case %(case)s")),
    "review.escalate": (gettext_lazy("Disagreement escalated"),
                        gettext_lazy("Review case %(case)s goes to a deciding assessor")),
    "review.decide": (gettext_lazy("Disagreement decided"),
                      gettext_lazy("The deciding assessor decided review case %(case)s")),
    "review.message": (gettext_lazy("Reconciliation message"),
                       gettext_lazy("A message was posted on review case %(case)s")),
    "review.advice": (gettext_lazy("Advice sent"), gettext_lazy("Sent the advice on review case %(case)s")),
    "review.relationship": (gettext_lazy("Relationship declared"),
                            gettext_lazy("An assessor changed their list of relationships")),
}


def coordinator_roles() -> list[Role]:
    return [Role(code) for code in getattr(settings, "REVIEW_COORDINATOR_ROLES", ["admin"])]


def is_coordinator(membership: Membership | None) -> bool:
    return membership is not None and membership.has_role(*coordinator_roles())


def _language(user: User, organisation: Organisation) -> str:
    return user.preferred_language or organisation.default_language or "en"


def _mail(user: User, organisation: Organisation, kind: str, **context: Any) -> None:
    """One of review's mails (templates/review/email/<kind>: subject and body) in the user's language."""
    path = context.pop("path", None)
    link = absolute_url(path) if path else ""
    mail_send(to=user.email, template=f"review/email/{kind}", organisation=organisation,
              language=_language(user, organisation),
              context={"user": user, "organisation": organisation, "link": link, **context})


def _case_path(case: ReviewCase) -> str:
    return reverse("review_case", kwargs={"org": case.organisation.slug, "pk": case.pk})


def _dossier_path(case: ReviewCase) -> str:
    return reverse("dossier_detail", kwargs={"org": case.organisation.slug, "pk": case.submission.dossier_id})


def coordinators(organisation: Organisation) -> list[User]:
    roles = coordinator_roles()
    query = Q()
    for role in roles:
        query |= Q(**{f"is_{role}": True})
    return [m.user for m in Membership.objects.for_organisation(organisation).filter(query).select_related("user")]


def _tell_coordinators(case: ReviewCase, kind: str, **context: Any) -> None:
    for person in coordinators(case.organisation):
        _mail(person, case.organisation, kind, case=case, path=_case_path(case), **context)


def _tell_candidate(case: ReviewCase, kind: str, **context: Any) -> None:
    _mail(case.candidate, case.organisation, kind, case=case, path=_dossier_path(case),
          scheme=case.scheme_version.label, **context)


# --- Opening ---------------------------------------------------------------------------------------------

def _sample_facts(submission: Submission) -> rules.SampleFacts:
    dossier = submission.dossier
    earlier = (Submission.objects.for_organisation(submission.organisation_id)
               .filter(dossier__certification_id=dossier.certification_id, submitted_at__lt=submission.submitted_at)
               .exists())
    negative = (Advice.objects.for_organisation(submission.organisation_id)
                .filter(case__candidate_id=dossier.owner_id, case__scheme_version__code=submission.scheme_version.code,
                        outcome=Advice.Outcome.NEGATIVE).exists())
    snapshot = submission.snapshot
    activities = [(dt.date.fromisoformat(a["date"]), Decimal(a.get("counted") or a.get("points") or "0"))
                  for a in snapshot.get("activities", [])]
    return rules.SampleFacts(submitted_on=timezone.localtime(submission.submitted_at).date(),
                             first_submission=not earlier, previous_negative=negative, activities=activities,
                             compliant=bool(snapshot.get("report", {}).get("compliant", True)))


def case_open(submission: Submission) -> ReviewCase:
    """Open the review case of a submission (inside the submitting transaction), by the version's settings."""
    definition = submission.scheme_version.rules
    settings_ = definition.review
    dossier = submission.dossier
    selection = rules.review_selection(definition, _sample_facts(submission), seed=submission.snapshot_sha256)
    now = timezone.now()
    case = ReviewCase.objects.create(
        organisation_id=submission.organisation_id, submission=submission, scheme_version=submission.scheme_version,
        candidate_id=dossier.owner_id, candidate_name=submission.snapshot.get("owner", {}).get("name", ""),
        assessors_required=settings_.assessors, selection_reasons=list(selection.reasons),
        selection_draw=selection.draw, disagreement=settings_.disagreement,
        due_working_days=settings_.due_working_days, opened_at=now)
    organisation = Organisation.objects.get(pk=submission.organisation_id)
    if not selection.assessed:
        case.state, case.closed_at = ReviewCase.State.ACCEPTED_ON_RULES, now
        case.save(update_fields=["state", "closed_at"])
        audit_record(organisation=organisation, actor=None, action="review.accepted_on_rules", case=case.pk,
                     draw=selection.draw)
        _tell_candidate(case, "accepted")
        return case
    audit_record(organisation=organisation, actor=None, action="review.open", case=case.pk,
                 reasons=list(selection.reasons), draw=selection.draw)
    holds = submission_holds(submission)
    if holds:
        case.state = ReviewCase.State.HELD
        case.save(update_fields=["state"])
        audit_record(organisation=organisation, actor=None, action="review.held", case=case.pk, reason="; ".join(holds))
        return case
    _start(case)
    return case


def _start(case: ReviewCase) -> None:
    """The case may be allocated: automatically, where the organisation allows it."""
    if getattr(settings, "REVIEW_AUTO_ALLOCATE", True):
        allocate_automatically(case, by=None)


def on_submission_submitted(sender: Any, submission: Submission, **kwargs: Any) -> None:
    case_open(submission)


def on_hold_released(sender: Any, submission: Submission, **kwargs: Any) -> None:
    """A hold went away: a held case opens once no hold remains."""
    case = (ReviewCase.objects.for_organisation(submission.organisation_id).select_for_update()
            .filter(submission=submission, state=ReviewCase.State.HELD).first())
    if case is None or submission_holds(submission):
        return
    case.state = ReviewCase.State.OPEN
    case.save(update_fields=["state"])
    audit_record(organisation=case.organisation, actor=None, action="review.open", case=case.pk)
    _start(case)


# --- Allocation ----------------------------------------------------------------------------------------

def assessors_of(organisation: Organisation) -> list[User]:
    return [m.user for m in Membership.objects.for_organisation(organisation).filter(is_assessor=True)
            .select_related("user").order_by("user__last_name", "user__first_name", "user_id")]


def conflicts_of(case: ReviewCase, assessor: User) -> list[str]:
    relations = Relationship.objects.for_organisation(case.organisation_id).filter(assessor=assessor)
    return conflicts.automatic_conflicts(case.submission.snapshot, assessor, relations)


def conflicts_of_all(case: ReviewCase, people: list[User]) -> dict[int, list[str]]:
    """Every person's automatic conflicts with the case (one query for all their relationships)."""
    relations: dict[int, list[Relationship]] = {}
    for relation in Relationship.objects.for_organisation(case.organisation_id).filter(
            assessor_id__in=[person.pk for person in people]):
        relations.setdefault(relation.assessor_id, []).append(relation)
    return {person.pk: conflicts.automatic_conflicts(case.submission.snapshot, person, relations.get(person.pk, []))
            for person in people}


def _live(case: ReviewCase) -> list[Allocation]:
    return list(Allocation.objects.for_organisation(case.organisation_id)
                .filter(case=case, status__in=Allocation.COUNTED, role=Allocation.Role.ASSESSOR))


def due_date(case: ReviewCase, start: dt.date | None = None) -> dt.date:
    return rules.working_days_after(start or timezone.localdate(), case.due_working_days)


@transaction.atomic
def allocate(*, case: ReviewCase, assessor: User, by: User | None, due_on: dt.date | None = None,
             override_reason: str = "", role: str = Allocation.Role.ASSESSOR) -> Allocation:
    """Allocate an assessor (ValidationError: not an assessor, already on it, case full, or a conflict without
    a coordinator's reason to override it)."""
    case = ReviewCase.objects.for_organisation(case.organisation_id).select_for_update().get(pk=case.pk)
    if not case.is_open or case.state == ReviewCase.State.HELD:
        raise ValidationError(_("This case cannot be allocated now."), code="state")
    if not Membership.objects.for_organisation(case.organisation_id).filter(user=assessor, is_assessor=True).exists():
        raise ValidationError(_("%(name)s is not an assessor of this organisation.") % {"name": assessor},
                              code="not_assessor")
    earlier = Allocation.objects.for_organisation(case.organisation_id).filter(case=case, assessor=assessor)
    if earlier.filter(status__in=Allocation.COUNTED).exists():
        raise ValidationError(_("%(name)s is already allocated to this case.") % {"name": assessor}, code="twice")
    if role == Allocation.Role.ASSESSOR and len(_live(case)) >= case.assessors_required:
        raise ValidationError(_("This case already has the assessors it needs."), code="full")
    found = conflicts_of(case, assessor)
    if found and case.candidate_id == assessor.pk:
        raise ValidationError(_("Nobody can assess their own dossier."), code="own")
    override_reason = override_reason.strip()
    if found and not override_reason:
        raise ValidationError(
            _("%(name)s cannot assess this case: %(reasons)s. A coordinator may override this with a reason.")
            % {"name": assessor, "reasons": ", ".join(str(conflicts.REASONS[code]) for code in found)},
            code="conflict")
    if found and (by is None or not is_coordinator(Membership.objects.for_organisation(case.organisation_id)
                                                    .filter(user=by).first())):
        raise ValidationError(_("Only a coordinator can override a conflict."), code="override")
    position = (Allocation.objects.for_organisation(case.organisation_id).filter(case=case).count()) + 1
    now = timezone.now()
    allocation = Allocation.objects.create(
        organisation_id=case.organisation_id, case=case, assessor=assessor, role=role, position=position,
        allocated_by=by, allocated_at=now, due_on=due_on or due_date(case),
        override_reason=override_reason if found else "")
    Assessment.objects.create(organisation_id=case.organisation_id, allocation=allocation)
    audit_record(organisation=case.organisation, actor=by, action="review.allocate", case=case.pk,
                 email=assessor.email, allocation=allocation.pk)
    if found:
        audit_record(organisation=case.organisation, actor=by, action="review.override", case=case.pk,
                     email=assessor.email, reason=override_reason, conflicts=found)
    if case.state == ReviewCase.State.OPEN and role == Allocation.Role.ASSESSOR:
        case.state = ReviewCase.State.IN_REVIEW
        first = case.review_started_at is None
        case.review_started_at = case.review_started_at or now
        case.save(update_fields=["state", "review_started_at"])
        if first:
            _tell_candidate(case, "in_review")
    _mail(assessor, case.organisation, "allocated", case=case, path=_case_path(case),
          due=reports.date(allocation.due_on))
    return allocation


def open_loads(organisation: Organisation | int) -> dict[int, int]:
    """Open allocations per assessor (one query)."""
    rows = (Allocation.objects.for_organisation(organisation).filter(status__in=Allocation.OPEN)
            .values("assessor_id").annotate(n=Count("id")).values_list("assessor_id", "n"))
    return dict(rows)


def allocate_automatically(case: ReviewCase, *, by: User | None) -> list[Allocation]:
    """Fill the case's free places with the least loaded assessors (open load against capacity) who assess in
    the case's language, have no conflict and have not been on this case before."""
    organisation = case.organisation
    needed = case.assessors_required - len(_live(case))
    if needed <= 0:
        return []
    language = case.submission.snapshot.get("language") or case.candidate.preferred_language or ""
    loads = open_loads(organisation)
    profiles = {p.assessor_id: p for p in AssessorProfile.objects.for_organisation(organisation)}
    before = set(Allocation.objects.for_organisation(organisation).filter(case=case)
                 .values_list("assessor_id", flat=True))
    default_capacity = getattr(settings, "REVIEW_DEFAULT_CAPACITY", 10)
    people = assessors_of(organisation)
    found = conflicts_of_all(case, people)
    candidates = []
    for person in people:
        profile = profiles.get(person.pk)
        capacity = profile.capacity if profile else default_capacity
        load = loads.get(person.pk, 0)
        if person.pk in before or person.pk == case.candidate_id or load >= capacity:
            continue
        if profile and profile.languages and language and language not in profile.languages:
            continue
        if found[person.pk]:
            continue
        candidates.append((load / max(capacity, 1), load, person.pk, person))
    made = []
    for _ratio, _load, _pk, person in sorted(candidates, key=lambda item: item[:3])[:needed]:
        made.append(allocate(case=case, assessor=person, by=by))
    return made


def allocate_bulk(*, cases: Iterable[ReviewCase], assessor: User | None, by: User) -> tuple[int, list[str]]:
    """Allocate one assessor to many cases (or, with no assessor, each automatically): how many allocations
    were made, and why the others were not."""
    made, problems = 0, []
    for case in cases:
        try:
            with transaction.atomic():
                if assessor is None:
                    made += len(allocate_automatically(case, by=by))
                else:
                    allocate(case=case, assessor=assessor, by=by)
                    made += 1
        except ValidationError as error:
            problems.append(f"{case.candidate_name}: {' '.join(error.messages)}")
    return made, problems


def _back_to_queue(allocation: Allocation, status: str, reason: str, action: str, by: User | None) -> None:
    allocation.status, allocation.ended_at, allocation.end_reason = status, timezone.now(), reason
    allocation.save(update_fields=["status", "ended_at", "end_reason"])
    case = allocation.case
    audit_record(organisation=case.organisation, actor=by, action=action, case=case.pk, allocation=allocation.pk,
                 email=allocation.assessor.email)
    if case.state == ReviewCase.State.IN_REVIEW and not _live(case):
        case.state = ReviewCase.State.OPEN
        case.save(update_fields=["state"])
    _tell_coordinators(case, "returned", reason=reason, why=allocation.get_status_display())


@transaction.atomic
def declare(*, allocation: Allocation, by: User, conflict: bool, reason: str = "") -> Allocation:
    """The assessor's declaration: no conflict (the dossier opens to them), or a conflict (the case goes back)."""
    allocation = _locked(allocation)
    if allocation.assessor_id != by.pk or allocation.status != Allocation.Status.PENDING:
        raise ValidationError(_("There is nothing to declare on this allocation."), code="state")
    if conflict:
        if not reason.strip():
            raise ValidationError({"reason": _("Say what the conflict is, so the coordinator can act on it.")})
        _back_to_queue(allocation, Allocation.Status.CONFLICT, reason.strip(), "review.conflict", by)
        return allocation
    allocation.status, allocation.declared_at = Allocation.Status.ACTIVE, timezone.now()
    allocation.save(update_fields=["status", "declared_at"])
    audit_record(organisation=allocation.case.organisation, actor=by, action="review.declare",
                 case=allocation.case_id)
    return allocation


def _locked(allocation: Allocation) -> Allocation:
    return (Allocation.objects.for_organisation(allocation.organisation_id).select_for_update(of=("self",))
            .select_related("case", "case__organisation", "assessor").get(pk=allocation.pk))


@transaction.atomic
def decline(*, allocation: Allocation, by: User, reason: str) -> Allocation:
    allocation = _locked(allocation)
    if allocation.assessor_id != by.pk or not allocation.is_open:
        raise ValidationError(_("This allocation cannot be declined now."), code="state")
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason for declining.")})
    _back_to_queue(allocation, Allocation.Status.DECLINED, reason.strip(), "review.decline", by)
    return allocation


@transaction.atomic
def replace(*, allocation: Allocation, by: User, reason: str, successor: User | None = None) -> Allocation | None:
    """Take an assessor off a case at once (their access and mail stop); optionally allocate a successor."""
    allocation = _locked(allocation)
    if allocation.status not in Allocation.OPEN:
        raise ValidationError(_("Only an open allocation can be replaced."), code="state")
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason for the replacement.")})
    allocation.status, allocation.ended_at, allocation.end_reason = (Allocation.Status.REPLACED, timezone.now(),
                                                                     reason.strip())
    allocation.save(update_fields=["status", "ended_at", "end_reason"])
    case = allocation.case
    audit_record(organisation=case.organisation, actor=by, action="review.replace", case=case.pk,
                 email=allocation.assessor.email, reason=reason.strip())
    if case.state == ReviewCase.State.IN_REVIEW and not _live(case):
        case.state = ReviewCase.State.OPEN
        case.save(update_fields=["state"])
    if successor is not None:
        return allocate(case=case, assessor=successor, by=by)
    return None


def overdue_scan(today: dt.date | None = None) -> dict[str, int]:
    """Remind assessors before and after the due date; return an allocation still open after the last reminder
    to the queue and tell the coordinators. Idempotent (what was sent is recorded on the allocation)."""
    from accounts.tenancy import maintenance, tenant_context

    today = today or timezone.localdate()
    counts = {"before": 0, "after": 0, "returned": 0}
    with maintenance():
        organisation_ids = list(Allocation.objects.filter(status__in=Allocation.OPEN)
                                .values_list("organisation_id", flat=True).distinct())
    for organisation_id in organisation_ids:
        with tenant_context(organisation_id):
            rows = (Allocation.objects.for_organisation(organisation_id).filter(status__in=Allocation.OPEN)
                    .select_related("case", "case__organisation", "case__scheme_version", "assessor"))
            for allocation in rows.select_for_update(of=("self",)):
                review = allocation.case.scheme_version.rules.review
                before = allocation.due_on - dt.timedelta(days=review.reminder_days_before)
                after = allocation.due_on + dt.timedelta(days=review.reminder_days_after)
                sent = list(allocation.reminders_sent)
                if today > after and "after" in sent:
                    _back_to_queue(allocation, Allocation.Status.OVERDUE, _("overdue"), "review.overdue", None)
                    counts["returned"] += 1
                    continue
                key = "after" if today > allocation.due_on and today >= after else (
                    "before" if before <= today <= allocation.due_on else None)
                if key is None or key in sent:
                    continue
                _mail(allocation.assessor, allocation.case.organisation, f"reminder_{key}", case=allocation.case,
                      path=_case_path(allocation.case), due=reports.date(allocation.due_on))
                allocation.reminders_sent = [*sent, key]
                allocation.save(update_fields=["reminders_sent"])
                counts[key] += 1
    return counts


def _locked_case(pk: int, organisation_id: int) -> ReviewCase:
    return ReviewCase.objects.for_organisation(organisation_id).select_for_update().get(pk=pk)


# --- Assessing --------------------------------------------------------------------------------------------

JUDGEMENTS = set(Assessment.Judgement.values)


def _clean(case: ReviewCase, sections: dict[str, Any], activities: dict[str, Any]) -> tuple[dict, dict]:
    snapshot = case.submission.snapshot
    codes = set(workspace.section_codes(snapshot))
    ids = {str(a["id"]) for a in snapshot.get("activities", [])}
    clean_sections = {}
    for code, entry in sections.items():
        if code in codes:
            judgement = entry.get("judgement") or ""
            clean_sections[code] = {"judgement": judgement if judgement in JUDGEMENTS else "",
                                    "comment": (entry.get("comment") or "").strip()[:5000]}
    clean_activities = {}
    for key, entry in activities.items():
        if str(key) in ids:
            clean_activities[str(key)] = {"disallowed": bool(entry.get("disallowed")),
                                          "reason": (entry.get("reason") or "").strip()[:2000]}
    return clean_sections, clean_activities


@transaction.atomic
def assessment_save(*, allocation: Allocation, by: User, sections: dict[str, Any], activities: dict[str, Any],
                    notes: str) -> Assessment:
    """Save the draft (autosave): only the assessor's own, open, unsubmitted assessment."""
    allocation = _locked(allocation)
    if allocation.assessor_id != by.pk or allocation.status != Allocation.Status.ACTIVE:
        raise ValidationError(_("This assessment cannot be changed."), code="state")
    assessment = Assessment.objects.for_organisation(allocation.organisation_id).get(allocation=allocation)
    assessment.sections, assessment.activities = _clean(allocation.case, sections, activities)
    assessment.notes = notes[:20000]
    assessment.save(update_fields=["sections", "activities", "notes", "updated_at"])
    return assessment


def disallowed_ids(assessment: Assessment) -> set[int]:
    return {int(key) for key, entry in assessment.activities.items() if entry.get("disallowed")}


def assessment_problems(case: ReviewCase, assessment: Assessment) -> list[str]:
    problems = []
    for row in workspace.section_rows(case.submission.snapshot):
        entry = assessment.sections.get(row["code"], {})
        if not entry.get("judgement"):
            problems.append(_("Give a judgement on %(section)s.") % {"section": row["label"]})
        elif entry["judgement"] != Assessment.Judgement.MEETS and not entry.get("comment"):
            problems.append(_("Explain your judgement on %(section)s in a comment.") % {"section": row["label"]})
    for key, entry in assessment.activities.items():
        if entry.get("disallowed") and not entry.get("reason"):
            problems.append(_("Give the reason for disallowing activity %(id)s.") % {"id": key})
    return problems


@transaction.atomic
def assessment_submit(*, allocation: Allocation, by: User) -> Assessment:
    allocation = _locked(allocation)
    if allocation.assessor_id != by.pk or allocation.status != Allocation.Status.ACTIVE:
        raise ValidationError(_("This assessment cannot be submitted."), code="state")
    case = _locked_case(allocation.case_id, allocation.organisation_id)
    assessment = Assessment.objects.for_organisation(allocation.organisation_id).get(allocation=allocation)
    problems = assessment_problems(case, assessment)
    if problems:
        raise ValidationError(problems, code="incomplete")
    now = timezone.now()
    assessment.submitted_at, assessment.withdrawn_at = now, None
    assessment.save(update_fields=["submitted_at", "withdrawn_at"])
    allocation.status = Allocation.Status.SUBMITTED
    allocation.save(update_fields=["status"])
    audit_record(organisation=case.organisation, actor=by, action="review.submit", case=case.pk)
    submitted = [a for a in _live(case) if a.status == Allocation.Status.SUBMITTED]
    if len(submitted) >= case.assessors_required:
        case.all_submitted_at = now
        case.state = (ReviewCase.State.ADVISING if all(row["agree"] for row in comparison(case))
                      else ReviewCase.State.RECONCILING)
        case.save(update_fields=["all_submitted_at", "state"])
        for other in submitted:
            if case.assessors_required > 1:
                _mail(other.assessor, case.organisation, "all_in", case=case, path=_case_path(case),
                      agree=case.state == ReviewCase.State.ADVISING)
    return assessment


@transaction.atomic
def assessment_withdraw(*, assessment: Assessment, by: User, reason: str) -> Assessment:
    """A coordinator reopens a submitted assessment (before the advice is sent), with a reason."""
    allocation = _locked(assessment.allocation)
    case = allocation.case
    advised = Advice.objects.for_organisation(case.organisation_id).filter(case=case).exists()
    if allocation.status != Allocation.Status.SUBMITTED or advised:
        raise ValidationError(_("Only a submitted assessment of a case without an advice can be withdrawn."),
                              code="state")
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason for withdrawing the assessment.")})
    assessment = Assessment.objects.for_organisation(case.organisation_id).get(pk=assessment.pk)
    assessment.submitted_at, assessment.withdrawn_at, assessment.withdraw_reason = None, timezone.now(), reason.strip()
    assessment.save(update_fields=["submitted_at", "withdrawn_at", "withdraw_reason"])
    allocation.status = Allocation.Status.ACTIVE
    allocation.save(update_fields=["status"])
    case.state, case.all_submitted_at, case.joint = ReviewCase.State.IN_REVIEW, None, {}
    case.save(update_fields=["state", "all_submitted_at", "joint"])
    audit_record(organisation=case.organisation, actor=by, action="review.withdraw", case=case.pk,
                 reason=reason.strip())
    _mail(allocation.assessor, case.organisation, "withdrawn", case=case, path=_case_path(case), reason=reason.strip())
    return assessment


# --- Reconciling ----------------------------------------------------------------------------------------

def submitted_assessments(case: ReviewCase) -> list[Assessment]:
    return list(Assessment.objects.for_organisation(case.organisation_id)
                .filter(allocation__case=case, allocation__status=Allocation.Status.SUBMITTED,
                        allocation__role=Allocation.Role.ASSESSOR)
                .select_related("allocation", "allocation__assessor").order_by("allocation__position"))


def all_in(case: ReviewCase) -> bool:
    return case.all_submitted_at is not None


def comparison(case: ReviewCase) -> list[dict[str, Any]]:
    """Per section: every assessor's judgement and comment, whether they agree, and the joint judgement.
    Only for a case whose assessments are all in (callers check `all_in`)."""
    assessments = submitted_assessments(case)
    rows = []
    for row in workspace.section_rows(case.submission.snapshot):
        entries = [{"assessor": a.allocation.assessor, "position": a.allocation.position,
                    **a.sections.get(row["code"], {})} for a in assessments]
        judgements = {entry.get("judgement") for entry in entries}
        decided = (case.joint or {}).get(row["code"])
        agree = len(judgements) == 1
        rows.append({"code": row["code"], "label": row["label"], "entries": entries, "agree": agree,
                     "joint": decided or (entries[0].get("judgement") if agree and entries else ""),
                     "decided": bool(decided)})
    return rows


def _settled(case: ReviewCase) -> bool:
    return all(row["agree"] or row["decided"] for row in comparison(case))


@transaction.atomic
def message_post(*, case: ReviewCase, by: User, body: str) -> CaseMessage:
    if case.state != ReviewCase.State.RECONCILING:
        raise ValidationError(_("The discussion is open only while the assessors reconcile."), code="state")
    if not body.strip():
        raise ValidationError({"body": _("Write a message.")})
    message = CaseMessage.objects.create(organisation_id=case.organisation_id, case=case, author=by,
                                         body=body.strip()[:10000])
    audit_record(organisation=case.organisation, actor=by, action="review.message", case=case.pk)
    for other in submitted_assessments(case):
        if other.allocation.assessor_id != by.pk:
            _mail(other.allocation.assessor, case.organisation, "message", case=case, path=_case_path(case))
    return message


@transaction.atomic
def judgement_revise(*, allocation: Allocation, by: User, code: str, judgement: str, comment: str) -> None:
    """During reconciliation an assessor may change their own judgement of a section after the discussion."""
    allocation = _locked(allocation)
    case = _locked_case(allocation.case_id, allocation.organisation_id)
    if (allocation.assessor_id != by.pk or allocation.status != Allocation.Status.SUBMITTED
            or case.state != ReviewCase.State.RECONCILING):
        raise ValidationError(_("Judgements can be revised only while reconciling."), code="state")
    if judgement not in JUDGEMENTS or code not in workspace.section_codes(case.submission.snapshot):
        raise ValidationError({"judgement": _("Choose a judgement.")})
    assessment = Assessment.objects.for_organisation(case.organisation_id).get(allocation=allocation)
    previous = assessment.sections.get(code, {})
    assessment.sections = {**assessment.sections, code: {"judgement": judgement,
                                                         "comment": comment.strip() or previous.get("comment", "")}}
    assessment.save(update_fields=["sections", "updated_at"])
    audit_record(organisation=case.organisation, actor=by, action="review.revise", case=case.pk)
    if _settled(case):
        case.state = ReviewCase.State.ADVISING
        case.save(update_fields=["state"])


def decider_of(case: ReviewCase) -> Allocation | None:
    """Who decides a disagreement: the deciding assessor's allocation (third assessor), or the lead (first)
    assessor's, once the case was escalated."""
    if not case.escalated_at:
        return None
    allocations = Allocation.objects.for_organisation(case.organisation_id).filter(case=case)
    if case.disagreement == "lead_assessor":
        return allocations.filter(status=Allocation.Status.SUBMITTED, role=Allocation.Role.ASSESSOR).order_by(
            "position").first()
    return allocations.filter(role=Allocation.Role.DECIDER, status__in=Allocation.COUNTED).first()


@transaction.atomic
def escalate(*, case: ReviewCase, by: User, decider: User | None = None) -> Allocation | None:
    """Still split after the discussion: a coordinator hands the open sections to the deciding assessor."""
    case = ReviewCase.objects.for_organisation(case.organisation_id).select_for_update().get(pk=case.pk)
    if case.state != ReviewCase.State.RECONCILING:
        raise ValidationError(_("Only a case being reconciled can be escalated."), code="state")
    if case.disagreement == "third_assessor" and decider is None:
        raise ValidationError({"decider": _("Choose the third assessor.")})
    case.escalated_at = timezone.now()
    case.save(update_fields=["escalated_at"])
    audit_record(organisation=case.organisation, actor=by, action="review.escalate", case=case.pk)
    if case.disagreement == "third_assessor" and decider is not None:
        return allocate(case=case, assessor=decider, by=by, role=Allocation.Role.DECIDER)
    lead = decider_of(case)
    if lead is not None:
        _mail(lead.assessor, case.organisation, "decide", case=case, path=_case_path(case))
    return lead


@transaction.atomic
def decide(*, case: ReviewCase, by: User, judgements: dict[str, str]) -> None:
    """The deciding assessor settles every section the assessors disagree on."""
    case = ReviewCase.objects.for_organisation(case.organisation_id).select_for_update().get(pk=case.pk)
    decider = decider_of(case)
    if (case.state != ReviewCase.State.RECONCILING or decider is None or decider.assessor_id != by.pk
            or decider.status not in (Allocation.Status.ACTIVE, Allocation.Status.SUBMITTED)):
        raise ValidationError(_("You cannot decide this case."), code="state")
    open_rows = [row for row in comparison(case) if not row["agree"]]
    joint = dict(case.joint or {})
    for row in open_rows:
        value = judgements.get(row["code"], "")
        if value not in JUDGEMENTS:
            raise ValidationError({"judgement": _("Decide every section the assessors disagree on.")})
        joint[row["code"]] = value
    case.joint = joint
    case.state = ReviewCase.State.ADVISING
    case.save(update_fields=["joint", "state"])
    if decider.status == Allocation.Status.ACTIVE:
        decider.status = Allocation.Status.SUBMITTED
        decider.save(update_fields=["status"])
    audit_record(organisation=case.organisation, actor=by, action="review.decide", case=case.pk)


# --- Advice ----------------------------------------------------------------------------------------------

def advice_disallowed(case: ReviewCase) -> set[int]:
    """Activities the advice leaves out: those any assessor disallowed."""
    found: set[int] = set()
    for assessment in submitted_assessments(case):
        found |= disallowed_ids(assessment)
    return found


def advice_draft(case: ReviewCase) -> dict[str, Any]:
    from review import interview

    rows = comparison(case)
    points = workspace.recompute(case, advice_disallowed(case))
    oral = interview.advice_row(case)  # None without an interview; its judgement empty until it has an outcome
    positive_possible = (all(row["joint"] == Assessment.Judgement.MEETS for row in rows)
                         and not interview.advice_problem(oral, Advice.Outcome.POSITIVE))
    return {"rows": rows, "points": points, "positive_possible": positive_possible, "interview": oral,
            "interview_waiting": oral is not None and not oral["judgement"]}


@transaction.atomic
def advice_send(*, case: ReviewCase, by: User, outcome: str, summary: str) -> Advice:
    """Freeze and send the joint advice (by one of the case's assessors)."""
    case = ReviewCase.objects.for_organisation(case.organisation_id).select_for_update().get(pk=case.pk)
    if case.state != ReviewCase.State.ADVISING:
        raise ValidationError(_("The advice can be sent once the assessors agree."), code="state")
    if not Allocation.objects.for_organisation(case.organisation_id).filter(
            case=case, assessor=by, status=Allocation.Status.SUBMITTED).exists():
        raise ValidationError(_("Only an assessor of this case can send its advice."), code="not_assessor")
    draft = advice_draft(case)
    if outcome not in Advice.Outcome.values:
        raise ValidationError({"outcome": _("Choose positive or negative.")})
    from review import interview

    waiting = interview.advice_problem(draft["interview"], outcome)
    if waiting:
        raise ValidationError({"outcome": waiting})
    if outcome == Advice.Outcome.POSITIVE and not draft["positive_possible"]:
        raise ValidationError({"outcome": _("A positive advice needs every section to meet the requirements.")})
    sections = [{"code": row["code"], "label": str(row["label"]), "judgement": row["joint"],
                 "reasons": [entry.get("comment", "") for entry in row["entries"] if entry.get("comment")]}
                for row in draft["rows"]]
    if draft["interview"] is not None:
        sections.append(draft["interview"])
    assessors = [{"id": a.allocation.assessor_id, "name": a.allocation.assessor.get_full_name()}
                 for a in submitted_assessments(case)]
    decider = decider_of(case)
    if decider is not None and decider.assessor_id not in {a["id"] for a in assessors}:
        assessors.append({"id": decider.assessor_id, "name": decider.assessor.get_full_name()})
    points = draft["points"]
    frozen = {"case": case.pk, "outcome": outcome, "summary": summary.strip(), "sections": sections,
              "assessors": assessors, "points": {"counted": str(points.counted),
                                                 "required": None if points.required is None else str(points.required),
                                                 "compliant": points.compliant, "disallowed": points.disallowed}}
    now = timezone.now()
    digest = hashlib.sha256(json.dumps(frozen, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    advice = Advice.objects.create(organisation_id=case.organisation_id, case=case, outcome=outcome,
                                   summary=frozen["summary"], sections=sections, assessors=assessors,
                                   points=frozen["points"], sent_by=by, sent_at=now, sha256=digest)
    case.state, case.closed_at = ReviewCase.State.ADVICE_GIVEN, now
    case.save(update_fields=["state", "closed_at"])
    audit_record(organisation=case.organisation, actor=by, action="review.advice", case=case.pk, outcome=outcome)
    _tell_candidate(case, "advice", outcome=advice.get_outcome_display())
    return advice


# --- Assessors' own settings -------------------------------------------------------------------------------

def relationship_add(*, organisation: Organisation, assessor: User, kind: str, name: str, email: str = "",
                     note: str = "") -> Relationship:
    relation = Relationship.objects.create(organisation=organisation, assessor=assessor, kind=kind, name=name.strip(),
                                           email=email.strip().lower(), note=note.strip())
    audit_record(organisation=organisation, actor=assessor, action="review.relationship")
    return relation


def relationship_remove(*, relation: Relationship, by: User) -> None:
    organisation = relation.organisation
    relation.delete()
    audit_record(organisation=organisation, actor=by, action="review.relationship")


# --- The professional's view -------------------------------------------------------------------------------

def progress(case: ReviewCase | None, submission: Submission) -> list[dict[str, Any]]:
    """The steps a professional sees: submitted → in review → information requested → advice given."""
    steps = [{"code": "submitted", "label": _("Submitted"), "at": submission.submitted_at}]
    if case is None:
        return steps
    if case.state == ReviewCase.State.ACCEPTED_ON_RULES:
        steps.append({"code": "accepted", "label": _("Accepted on the rules (not sampled for assessment)"),
                      "at": case.closed_at})
        return steps
    steps.append({"code": "in_review", "label": _("In review"), "at": case.review_started_at})
    requests = list(InformationRequest.objects.for_organisation(case.organisation_id).filter(case=case))
    for asked in requests:
        steps.append({"code": "information_requested", "label": _("Information requested (answer by %(date)s)")
                      % {"date": reports.date(asked.due_on)}, "at": asked.requested_at})
        if asked.answered_at:
            steps.append({"code": "resubmitted", "label": _("Resubmitted"), "at": asked.answered_at})
    advice = Advice.objects.for_organisation(case.organisation_id).filter(case=case).first()
    steps.append({"code": "advice_given", "label": _("Advice given"), "at": advice.sent_at if advice else None})
    return steps

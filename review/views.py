"""Review pages: the coordinator's queue and overdue list, the assessor's cases, the case (declaration,
workspace, reconciliation, advice), evidence of the snapshot, and the assessor's relationships.

Every case and allocation is loaded through review/access.py; whatever it refuses answers 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.db.models.fields.json import KT
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.requests import OrgRequest
from accounts.spreadsheets import csv_response
from accounts.storage import stored_file_response
from accounts.tenancy import NotFound, member_required
from dossiers.models import SubmissionVersion
from review import access, redline, rfi, services, workspace
from review.forms import InformationRequestForm
from review.models import Allocation, Assessment, CaseMessage, InformationRequest, Relationship, ReviewCase
from schemes.models import SchemeVersion

SORTS = {"opened": ("opened_at", "pk"), "-opened": ("-opened_at", "-pk")}


def _coordinator(request: HttpRequest) -> None:
    if not services.is_coordinator(request.membership):  # type: ignore[attr-defined]
        raise PermissionDenied(_("Only a review coordinator can see this page."))


def _errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- Queue ---------------------------------------------------------------------------------------------

def _version_labels(organisation: Any, ids: set[int]) -> dict[int, str]:
    """Scheme labels of a page's few versions, reading only the label out of each (large) definition."""
    language = (translation.get_language() or "en").split("-")[0]
    rows = (SchemeVersion.objects.for_organisation(organisation).filter(pk__in=ids)
            .annotate(local=KT(f"definition__label__{language}"), en=KT("definition__label__en"))
            .values_list("pk", "local", "en", "code"))
    return {pk: local or en or code for pk, local, en, code in rows}


def _queue(request: HttpRequest) -> tuple[list[ReviewCase], dict[str, Any]]:
    organisation = request.organisation  # type: ignore[attr-defined]
    state = request.GET.get("state", "open")
    scheme = request.GET.get("scheme", "")
    assessor = request.GET.get("assessor", "")
    search = request.GET.get("q", "").strip()
    sort = request.GET.get("sort", "opened")
    sort = sort if sort in SORTS else "opened"
    cases = ReviewCase.objects.for_organisation(organisation)
    if state == "open":
        cases = cases.filter(state__in=ReviewCase.OPEN_STATES)
    elif state in ReviewCase.State.values:
        cases = cases.filter(state=state)
    if scheme:
        cases = cases.filter(scheme_version__code=scheme)
    if assessor.isdigit():
        cases = cases.filter(allocations__assessor_id=int(assessor),
                             allocations__status__in=Allocation.COUNTED).distinct()
    if search:
        cases = cases.filter(candidate_name__icontains=search)
    after = request.GET.get("after", "")
    if after:
        try:
            stamp, pk = after.rsplit("_", 1)
            moment, key = dt.datetime.fromisoformat(stamp), int(pk)
        except ValueError:
            moment, key = None, 0
        if moment is not None:
            if sort == "opened":
                cases = cases.filter(Q(opened_at__gt=moment) | Q(opened_at=moment, pk__gt=key))
            else:
                cases = cases.filter(Q(opened_at__lt=moment) | Q(opened_at=moment, pk__lt=key))
    live = (Allocation.objects.for_organisation(organisation).filter(status__in=Allocation.COUNTED)
            .select_related("assessor").order_by("position"))
    page = list(cases.order_by(*SORTS[sort]).prefetch_related(Prefetch("allocations", queryset=live, to_attr="live"))
                [:settings.PAGE_SIZE + 1])
    more = len(page) > settings.PAGE_SIZE
    page = page[:settings.PAGE_SIZE]
    labels = _version_labels(organisation, {case.scheme_version_id for case in page})
    for case in page:
        case.scheme_label = labels.get(case.scheme_version_id, "")
    query = request.GET.copy()
    query.pop("after", None)
    if more:
        last = page[-1]
        query["after"] = f"{last.opened_at.isoformat()}_{last.pk}"
    filters = {"state": state, "scheme": scheme, "assessor": assessor, "q": search, "sort": sort,
               "next": query.urlencode() if more else "", "first": bool(after)}
    return page, filters


@require_GET
@member_required()
def review_queue(request: OrgRequest, org: str) -> HttpResponse:
    _coordinator(request)
    page, filters = _queue(request)
    today = timezone.localdate()
    organisation = request.organisation  # type: ignore[attr-defined]
    return render(request, "review/queue.html", {
        "cases": page, "filters": filters, "today": today, "states": ReviewCase.State.choices,
        "assessors": services.assessors_of(organisation),
    })


@require_GET
@member_required()
def review_queue_csv(request: OrgRequest, org: str) -> HttpResponseBase:
    _coordinator(request)
    page, _filters = _queue(request)
    rows = []
    for case in page:
        live = getattr(case, "live", [])  # annotated by _queue
        rows.append([case.pk, case.candidate_name, getattr(case, "scheme_label", ""), case.get_state_display(),
                     case.opened_at.date().isoformat(), "; ".join(a.assessor.get_full_name() for a in live),
                     min((a.due_on for a in live), default="")])
    return csv_response("review-queue.csv", ["case", "candidate", "scheme", "state", "opened", "assessors",
                        "due"], rows)


@require_POST
@member_required()
def review_allocate(request: OrgRequest, org: str) -> HttpResponse:
    """Allocate the ticked cases: to the chosen assessor, or automatically."""
    _coordinator(request)
    organisation = request.organisation  # type: ignore[attr-defined]
    ids = [int(pk) for pk in request.POST.getlist("case") if pk.isdigit()]
    cases = list(ReviewCase.objects.for_organisation(organisation).filter(pk__in=ids)
                 .select_related("submission", "scheme_version", "candidate", "organisation"))
    if not cases:
        messages.error(request, _("Tick the cases to allocate."))
        return redirect("review_queue", org=org)
    assessor = None
    chosen = request.POST.get("assessor", "")
    if chosen != "auto":
        assessor = next((person for person in services.assessors_of(organisation) if str(person.pk) == chosen), None)
        if assessor is None:
            messages.error(request, _("Choose an assessor, or allocate automatically."))
            return redirect("review_queue", org=org)
    made, problems = services.allocate_bulk(cases=cases, assessor=assessor, by=request.user)  # type: ignore[arg-type]
    messages.success(request, _("%(count)s allocations made.") % {"count": made})
    for problem in problems:
        messages.warning(request, problem)
    return redirect("review_queue", org=org)


@require_GET
@member_required()
def review_overdue(request: OrgRequest, org: str) -> HttpResponse:
    _coordinator(request)
    today = timezone.localdate()
    rows = list(Allocation.objects.for_organisation(request.organisation)  # type: ignore[attr-defined]
                .filter(status__in=Allocation.OPEN, due_on__lt=today)
                .select_related("case", "assessor").order_by("due_on", "pk")[:500])
    return render(request, "review/overdue.html", {"rows": rows, "today": today,
                                                   "requests": rfi.overdue_requests(request.organisation, today)})


# --- The assessor's own ------------------------------------------------------------------------------------

@require_GET
@member_required()
def review_my_cases(request: OrgRequest, org: str) -> HttpResponse:
    if not request.membership.is_assessor:  # type: ignore[attr-defined]
        raise PermissionDenied(_("Only assessors have review cases."))
    rows = list(Allocation.objects.for_organisation(request.organisation)  # type: ignore[attr-defined]
                .filter(assessor=request.user, status__in=access.LIVE)
                .select_related("case", "case__scheme_version").order_by("due_on", "pk")[:200])
    return render(request, "review/my_cases.html", {"rows": [r for r in rows if r.case.is_open],
                                                    "today": timezone.localdate()})


@require_http_methods(["GET", "POST"])
@member_required()
def review_relationships(request: OrgRequest, org: str) -> HttpResponse:
    """The people and employers this assessor may not assess (automatic conflicts)."""
    from review.forms import RelationshipForm

    if not request.membership.is_assessor:  # type: ignore[attr-defined]
        raise PermissionDenied(_("Only assessors declare relationships."))
    organisation = request.organisation  # type: ignore[attr-defined]
    form = RelationshipForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.relationship_add(organisation=organisation, assessor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, _("Saved. You will not be allocated cases this relationship concerns."))
        return redirect("review_relationships", org=org)
    rows = Relationship.objects.for_organisation(organisation).filter(assessor=request.user)
    return render(request, "review/relationships.html", {"form": form, "rows": rows},
                  status=422 if request.method == "POST" else 200)


@require_POST
@member_required()
def review_relationship_delete(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    relation = (Relationship.objects.for_organisation(request.organisation)  # type: ignore[attr-defined]
                .filter(pk=pk, assessor=request.user).first())
    if relation is None:
        raise NotFound(_("There is no such relationship."))
    services.relationship_remove(relation=relation, by=request.user)  # type: ignore[arg-type]
    messages.success(request, _("Removed."))
    return redirect("review_relationships", org=org)


# --- The case ----------------------------------------------------------------------------------------------

def _assessment(allocation: Allocation | None) -> Assessment | None:
    if allocation is None:
        return None
    return Assessment.objects.for_organisation(allocation.organisation_id).filter(allocation=allocation).first()


def _posted_assessment(request: HttpRequest, case: ReviewCase) -> tuple[dict[str, Any], dict[str, Any]]:
    snapshot = case.submission.snapshot
    sections = {code: {"judgement": request.POST.get(f"judgement-{code}", ""),
                       "comment": request.POST.get(f"comment-{code}", "")}
                for code in workspace.section_codes(snapshot)}
    activities = {str(a["id"]): {"disallowed": request.POST.get(f"disallow-{a['id']}") == "on",
                                 "reason": request.POST.get(f"reason-{a['id']}", "")}
                  for a in snapshot.get("activities", [])}
    return sections, activities


def case_context(request: HttpRequest, case: ReviewCase, allocation: Allocation | None) -> dict[str, Any]:
    snapshot = case.submission.snapshot
    coordinator = allocation is None
    context: dict[str, Any] = {"case": case, "allocation": allocation, "coordinator": coordinator,
                               "content": access.may_read_content(request, case, allocation),
                               "all_in": access.others_visible(case), "judgements": Assessment.Judgement.choices,
                               "today": timezone.localdate()}
    assessment = _assessment(allocation)
    context["assessment"] = assessment
    if context["content"]:
        context["sections"] = workspace.section_rows(snapshot)
        context["activities"] = workspace.activity_rows(snapshot)
        disallowed = services.disallowed_ids(assessment) if assessment else set()
        context["points"] = workspace.recompute(case, disallowed)
        context["original"] = snapshot.get("report_localised", {}).get("points") or {}
        context["statements"] = snapshot.get("statements", [])
    if coordinator:
        context["allocations"] = list(Allocation.objects.for_organisation(case.organisation_id).filter(case=case)
                                      .select_related("assessor", "assessment"))
        context["assessors"] = services.assessors_of(case.organisation)
        context["conflicts"] = services.conflicts_of_all(case, context["assessors"])
    if context["all_in"] and (coordinator or (allocation is not None and (
            allocation.status == Allocation.Status.SUBMITTED or allocation.role == Allocation.Role.DECIDER))):
        context["comparison"] = services.comparison(case)
        context["thread"] = list(CaseMessage.objects.for_organisation(case.organisation_id).filter(case=case)
                                 .select_related("author"))
        decider = services.decider_of(case)
        context["decider"] = decider
        context["is_decider"] = decider is not None and allocation is not None and decider.pk == allocation.pk
        if case.state == ReviewCase.State.ADVISING:
            context["draft"] = services.advice_draft(case)
    if case.state == ReviewCase.State.ADVICE_GIVEN:
        context["advice"] = case.advice
    if context["content"]:
        context.update(rfi_context(case, allocation))
    return context


def rfi_context(case: ReviewCase, allocation: Allocation | None) -> dict[str, Any]:
    """Requests for information on the case, the form to send one, and the redline of the latest version."""
    context: dict[str, Any] = {"information_requests": list(InformationRequest.objects.for_organisation(
        case.organisation_id).filter(case=case))}
    if rfi.may_request(case, allocation):
        context["rfi_form"] = InformationRequestForm(snapshot=case.submission.snapshot,
                                                     initial={"due_on": rfi.default_due()})
    versions = list(SubmissionVersion.objects.for_organisation(case.organisation_id)
                    .filter(submission=case.submission).order_by("-number")[:2])
    if len(versions) == 2:
        current, previous = versions
        context["redline"] = redline.redline(previous.snapshot, current.snapshot, previous.number, current.number)
        context["previous_version"], context["current_version"] = previous, current
    return context


@require_GET
@member_required()
def review_case(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    case, allocation = access.case_for(request, pk)
    return render(request, "review/case.html", case_context(request, case, allocation))


@require_POST
@member_required()
def review_declare(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    allocation = access.allocation_for(request, pk)
    conflict = request.POST.get("declaration") == "conflict"
    try:
        services.declare(allocation=allocation, by=request.user, conflict=conflict,  # type: ignore[arg-type]
                         reason=request.POST.get("reason", ""))
    except ValidationError as error:
        _errors(request, error)
        return redirect("review_case", org=org, pk=allocation.case_id)
    if conflict:
        messages.success(request, _("Thank you. The case goes back to the coordinator."))
        return redirect("review_my_cases", org=org)
    return redirect("review_case", org=org, pk=allocation.case_id)


@require_POST
@member_required()
def review_decline(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    allocation = access.allocation_for(request, pk)
    try:
        services.decline(allocation=allocation, by=request.user, reason=request.POST.get("reason", ""))  # type: ignore[arg-type]
    except ValidationError as error:
        _errors(request, error)
        return redirect("review_case", org=org, pk=allocation.case_id)
    messages.success(request, _("Declined. The case goes back to the coordinator."))
    return redirect("review_my_cases", org=org)


@require_POST
@member_required()
def review_save(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    """Save the draft (htmx autosave answers a small status; a plain POST comes back to the case)."""
    allocation = access.allocation_for(request, pk)
    case = allocation.case
    sections, activities = _posted_assessment(request, case)
    try:
        assessment = services.assessment_save(allocation=allocation, by=request.user,  # type: ignore[arg-type]
                                              sections=sections, activities=activities,
                                              notes=request.POST.get("notes", ""))
    except ValidationError as error:
        if request.htmx:  # type: ignore[attr-defined]
            return render(request, "review/_saved.html", {"error": " ".join(error.messages)}, status=409)
        _errors(request, error)
        return redirect("review_case", org=org, pk=case.pk)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "review/_saved.html", {"saved": assessment.updated_at})
    if request.POST.get("submit") == "1":
        try:
            services.assessment_submit(allocation=allocation, by=request.user)  # type: ignore[arg-type]
        except ValidationError as error:
            _errors(request, error)
            return redirect("review_case", org=org, pk=case.pk)
        messages.success(request, _("Your assessment is submitted."))
    else:
        messages.success(request, _("Draft saved."))
    return redirect("review_case", org=org, pk=case.pk)


@require_POST
@member_required()
def review_recompute(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    """htmx: what the engine makes of the snapshot without the activities ticked as disallowed (nothing saved)."""
    allocation = access.allocation_for(request, pk)
    if not access.content_open(allocation):
        raise NotFound(_("There is no review case at this address."))
    case = allocation.case
    ids = {a["id"] for a in case.submission.snapshot.get("activities", [])
           if request.POST.get(f"disallow-{a['id']}") == "on"}
    return render(request, "review/_points.html", {"points": workspace.recompute(case, ids),
                                                   "original": case.submission.snapshot.get(
                                                       "report_localised", {}).get("points") or {}})


@require_GET
@member_required()
def review_evidence(request: OrgRequest, org: str, pk: int, evidence: int) -> HttpResponseBase:
    case, allocation = access.case_for(request, pk)
    item = access.evidence_for(request, case, allocation, evidence)
    try:
        return stored_file_response(item.file, filename=item.original_name, content_type=item.content_type)
    except FileNotFoundError:
        raise NotFound(_("This file is no longer in storage.")) from None


@require_GET
@member_required()
def review_dossier_pdf(request: OrgRequest, org: str, pk: int) -> HttpResponseBase:
    case, allocation = access.case_for(request, pk)
    if not access.may_read_content(request, case, allocation) or not case.submission.pdf:
        raise NotFound(_("There is no review case at this address."))
    return stored_file_response(case.submission.pdf, filename=f"dossier-{case.pk}.pdf", content_type="application/pdf")


@require_POST
@member_required()
def review_coordinate(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    """A coordinator's actions on one case: allocate (with an override reason), allocate automatically,
    replace an assessor, withdraw an assessment, escalate a disagreement."""
    case, allocation = access.case_for(request, pk)
    _coordinator(request)
    action = request.POST.get("action", "")
    people = {str(p.pk): p for p in services.assessors_of(case.organisation)}
    try:
        if action == "allocate":
            chosen = people.get(request.POST.get("assessor", ""))
            if chosen is None:
                raise ValidationError(_("Choose an assessor."))
            services.allocate(case=case, assessor=chosen, by=request.user,  # type: ignore[arg-type]
                              override_reason=request.POST.get("override_reason", ""))
        elif action == "auto":
            if not services.allocate_automatically(case, by=request.user):  # type: ignore[arg-type]
                raise ValidationError(_("No assessor without a conflict and with room is available."))
        elif action in ("replace", "withdraw"):
            target = access.coordinator_allocation_for(request, int(request.POST.get("allocation", "0") or 0))
            if target.case_id != case.pk:
                raise NotFound(_("There is no review case at this address."))
            if action == "replace":
                services.replace(allocation=target, by=request.user, reason=request.POST.get("reason", ""),  # type: ignore[arg-type]
                                 successor=people.get(request.POST.get("successor", "")))
            else:
                services.assessment_withdraw(assessment=target.assessment, by=request.user,  # type: ignore[arg-type]
                                             reason=request.POST.get("reason", ""))
        elif action == "escalate":
            services.escalate(case=case, by=request.user, decider=people.get(request.POST.get("decider", "")))  # type: ignore[arg-type]
        else:
            raise ValidationError(_("Choose an action."))
    except ValidationError as error:
        _errors(request, error)
        return redirect("review_case", org=org, pk=case.pk)
    messages.success(request, _("Done."))
    return redirect("review_case", org=org, pk=case.pk)


@require_POST
@member_required()
def review_reconcile(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    """An assessor's steps after all are in: post to the discussion, revise a judgement, decide, send the advice."""
    case, allocation = access.case_for(request, pk)
    if allocation is None or not access.content_open(allocation):
        raise NotFound(_("There is no review case at this address."))
    action = request.POST.get("action", "")
    user: User = request.user  # type: ignore[assignment]
    try:
        if action == "message":
            services.message_post(case=case, by=user, body=request.POST.get("body", ""))
        elif action == "revise":
            services.judgement_revise(allocation=allocation, by=user, code=request.POST.get("code", ""),
                                      judgement=request.POST.get("judgement", ""),
                                      comment=request.POST.get("comment", ""))
        elif action == "decide":
            services.decide(case=case, by=user, judgements={key[len("decide-"):]: str(value) for key, value in
                                                            request.POST.items() if key.startswith("decide-")})
        elif action == "advice":
            services.advice_send(case=case, by=user, outcome=request.POST.get("outcome", ""),
                                 summary=request.POST.get("summary", ""))
            messages.success(request, _("The advice is sent to the certifying body."))
            return redirect("review_case", org=org, pk=case.pk)
        else:
            raise ValidationError(_("Choose an action."))
    except ValidationError as error:
        _errors(request, error)
    return redirect("review_case", org=org, pk=case.pk)



urlpatterns = [
    path("", review_queue, name="review_queue"),
    path("queue.csv", review_queue_csv, name="review_queue_csv"),
    path("allocate/", review_allocate, name="review_allocate"),
    path("overdue/", review_overdue, name="review_overdue"),
    path("mine/", review_my_cases, name="review_my_cases"),
    path("relationships/", review_relationships, name="review_relationships"),
    path("relationships/<int:pk>/delete/", review_relationship_delete, name="review_relationship_delete"),
    path("cases/<int:pk>/", review_case, name="review_case"),
    path("cases/<int:pk>/coordinate/", review_coordinate, name="review_coordinate"),
    path("cases/<int:pk>/reconcile/", review_reconcile, name="review_reconcile"),
    path("cases/<int:pk>/evidence/<int:evidence>/", review_evidence, name="review_evidence"),
    path("cases/<int:pk>/dossier.pdf", review_dossier_pdf, name="review_dossier_pdf"),
    path("allocations/<int:pk>/declare/", review_declare, name="review_declare"),
    path("allocations/<int:pk>/decline/", review_decline, name="review_decline"),
    path("allocations/<int:pk>/save/", review_save, name="review_save"),
    path("allocations/<int:pk>/recompute/", review_recompute, name="review_recompute"),
]

# --- The oral interview (review/interview.py) and assessors' credits (review/credit.py) ----------------------
from review import credit, interview  # noqa: E402

urlpatterns += [
    path("cases/<int:pk>/interview/", interview.interview_page, name="review_interview"),
    path("cases/<int:pk>/interview/schedule/", interview.interview_schedule, name="review_interview_schedule"),
    path("cases/<int:pk>/interview/record/", interview.interview_record, name="review_interview_record"),
    path("cases/<int:pk>/interview/interview.ics", interview.interview_ics, name="review_interview_ics"),
    path("credits/", credit.credit_list, name="review_credits"),
    path("credits/offer/", credit.credit_offer_view, name="review_credit_offer"),
    path("credits/<int:pk>/decide/", credit.credit_decide, name="review_credit_decide"),
]

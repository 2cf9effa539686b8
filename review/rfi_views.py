"""Pages of requests for information: the assessor sends one from the case page; the candidate answers it on
their dossier page (review/rfi.py's panel) and resubmits. Loaded through review/access.py: anything else 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.forms import form_add_errors
from accounts.models import Role, User
from accounts.requests import OrgRequest
from accounts.tenancy import NotFound, member_required
from review import access, rfi
from review.forms import InformationRequestForm
from review.views import case_context


@require_POST
@member_required()
def review_rfi_send(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    """An assessor of the case sends the candidate questions (the form comes back with what was typed)."""
    case, allocation = access.case_for(request, pk)
    if allocation is None or not access.content_open(allocation):
        raise NotFound(_("There is no review case at this address."))
    form = InformationRequestForm(request.POST, snapshot=case.submission.snapshot)
    if form.is_valid():
        try:
            rfi.rfi_send(case=case, by=request.user, questions=form.cleaned_data["questions"],  # type: ignore[arg-type]
                         due_on=form.cleaned_data["due_on"])
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(request, _("The questions are sent to the candidate; what they name is open for "
                                        "changes until they resubmit."))
            return redirect("review_case", org=org, pk=case.pk)
    context = case_context(request, case, allocation)
    context["rfi_form"] = form
    return render(request, "review/case.html", context, status=422)


@require_POST
@member_required(Role.PROFESSIONAL)
def review_rfi_answer(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    """The candidate saves their answers; with "resubmit" the dossier goes back to the assessors as a new version."""
    asked = access.information_request_for(request, pk)
    user: User = request.user  # type: ignore[assignment]
    answers = {index: request.POST.get(f"answer-{index}", "") for index in range(len(asked.items))
               if f"answer-{index}" in request.POST}
    dossier_id = asked.case.submission.dossier_id
    try:
        asked = rfi.rfi_answer(request_=asked, by=user, answers=answers)
        if request.POST.get("action") == "resubmit":
            rfi.rfi_resubmit(request_=asked, by=user)
            messages.success(request, _("Your dossier has been resubmitted. The assessors have been told."))
        else:
            messages.success(request, _("Your answers have been saved."))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("dossier_detail", org=org, pk=dossier_id)


urlpatterns = [
    path("cases/<int:pk>/information-request/", review_rfi_send, name="review_rfi_send"),
    path("information-requests/<int:pk>/answer/", review_rfi_answer, name="review_rfi_answer"),
]

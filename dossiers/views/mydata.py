"""Your data: download everything about you, ask for your account to be deleted; administrators see and
action the deletion requests."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.forms import form_add_errors
from accounts.models import Membership, Role
from accounts.pagination import page_of
from accounts.requests import OrgRequest
from accounts.tenancy import member_required
from dossiers.services import mydata as services
from portfolios.forms.admin import DeletionActionForm, DeletionFilterForm, DeletionRequestForm
from portfolios.models import DeletionRequest


@require_GET
@member_required()
def mydata(request: OrgRequest, org: str) -> HttpResponse:
    """What we hold, the download, and the way to ask for deletion."""
    return render(request, "dossiers/mydata/index.html", {
        "pending": services.pending_requests(user=request.user, organisation=request.organisation),
        "organisations": [m.organisation for m in Membership.objects.for_user(request.user)
                          .select_related("organisation").order_by("organisation__name")],
    })


@require_GET
@never_cache
@member_required()
def mydata_export(request: OrgRequest, org: str) -> FileResponse:
    archive = services.mydata_archive(user=request.user, requested_in=request.organisation)
    filename = f"my-data-{timezone.localdate().isoformat()}.zip"
    return FileResponse(archive, as_attachment=True, filename=filename, content_type="application/zip")


@require_http_methods(["GET", "POST"])
@member_required()
def mydata_delete_request(request: OrgRequest, org: str) -> HttpResponse:
    """A confirmation page that says plainly what happens, then one request per organisation."""
    form = DeletionRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        created = services.deletion_request_create(user=request.user, reason=form.cleaned_data["reason"])
        if created:
            messages.success(request, _("Your request has been sent. The administrators of each organisation you "
                                        "belong to will handle it, and you will get an e-mail when they have."))
        else:
            messages.info(request, _("You have already asked for this; the administrators will handle it."))
        return redirect("mydata", org=org)
    organisations = [m.organisation for m in Membership.objects.for_user(request.user)
                     .select_related("organisation").order_by("organisation__name")]
    return render(request, "dossiers/mydata/delete_request.html", {
        "form": form, "organisations": organisations,
        "pending": services.pending_requests(user=request.user, organisation=request.organisation)})


@require_GET
@member_required(Role.ADMIN)
def deletion_requests(request: OrgRequest, org: str) -> HttpResponse:
    form = DeletionFilterForm(request.GET or None)
    form.is_valid()
    status = getattr(form, "cleaned_data", {}).get("status", "")
    page = page_of(request, services.deletion_requests_for(request.organisation, status))
    return render(request, "dossiers/mydata/deletion_requests.html", {"page": page, "form": form})


@require_http_methods(["GET", "POST"])
@member_required(Role.ADMIN)
def deletion_request_action(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    """What carrying out the request would remove and keep; carry it out or refuse it with a note."""
    deletion_request = get_object_or_404(DeletionRequest.objects.select_related("user", "actioned_by", "organisation"),
                                         organisation=request.organisation, pk=pk)
    pending = deletion_request.status == DeletionRequest.Status.PENDING
    form = DeletionActionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and not pending:
        form.add_error(None, _("This request has already been handled."))
    elif request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["decision"] == DeletionActionForm.CARRY_OUT:
                services.deletion_request_carry_out(deletion_request=deletion_request, by=request.user,
                                                    note=form.cleaned_data["note"])
                messages.success(request, _("The request of %(email)s has been carried out; they have been told "
                                            "by e-mail.") % {"email": deletion_request.user_email})
            else:
                services.deletion_request_refuse(deletion_request=deletion_request, by=request.user,
                                                 note=form.cleaned_data["note"])
                messages.success(request, _("The request of %(email)s has been refused; they have been told by "
                                            "e-mail.") % {"email": deletion_request.user_email})
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            return redirect("deletion_requests", org=org)
    impact = services.deletion_impact(deletion_request=deletion_request) if pending else None
    return render(request, "dossiers/mydata/deletion_action.html",
                  {"deletion_request": deletion_request, "form": form, "impact": impact, "pending": pending},
                  status=422 if form.errors else 200)


urlpatterns = [
    path("my-data/", mydata, name="mydata"),
    path("my-data/export/", mydata_export, name="mydata_export"),
    path("my-data/delete/", mydata_delete_request, name="mydata_delete_request"),
    path("manage/deletion-requests/", deletion_requests, name="deletion_requests"),
    path("manage/deletion-requests/<int:pk>/", deletion_request_action, name="deletion_request_action"),
]

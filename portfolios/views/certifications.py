"""Certifications: administrators list, create, edit, change status and bulk-create from CSV; professionals
see their own (with the status history)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.forms import form_add_errors
from accounts.models import Role
from accounts.pagination import page_of
from accounts.requests import OrgRequest
from accounts.tenancy import member_required
from portfolios import access, reports
from portfolios.forms.admin import (
    CertificationFilterForm,
    CertificationForm,
    CertificationStatusForm,
    SchemeChoiceForm,
)
from portfolios.models import Certification, CertificationStatusChange
from portfolios.services import certifications as services
from portfolios.views.csvflow import CsvImport, csv_import
from schemes.models import SchemeVersion

STASH_KIND = "certifications"


def _scheme_choices(request: OrgRequest) -> list[tuple[str, str]]:
    return sorted(services.scheme_labels(request.organisation).items(), key=lambda item: item[1].lower())


@require_GET
@member_required(Role.ADMIN)
@vary_on_headers("HX-Request")
def certification_list(request: OrgRequest, org: str) -> HttpResponse:
    labels = services.scheme_labels(request.organisation)
    form = CertificationFilterForm(request.GET or None, schemes=sorted(labels.items(), key=lambda i: i[1].lower()))
    qs = (Certification.objects.for_organisation(request.organisation).select_related("holder")
          .annotate(scheme_code=F("scheme_version__code"))
          .order_by("holder__last_name", "holder__first_name", "number"))
    form.is_valid()
    filters = getattr(form, "cleaned_data", {})
    if query := filters.get("q", "").strip():
        qs = qs.filter(Q(number__icontains=query) | Q(holder__email__icontains=query)
                       | Q(holder__first_name__icontains=query) | Q(holder__last_name__icontains=query))
    if filters.get("scheme"):
        qs = qs.filter(scheme_version__code=filters["scheme"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if days := filters.get("expiring"):
        today = timezone.localdate()
        qs = qs.filter(expires_on__gte=today, expires_on__lte=today + dt.timedelta(days=days))
    page = page_of(request, qs)
    for certification in page.object_list:
        certification.scheme_label = labels.get(certification.scheme_code, certification.scheme_code)
    context = {"page": page, "form": form}
    if request.htmx:
        return render(request, "portfolios/certifications/list.html#certification-table", context)
    return render(request, "portfolios/certifications/list.html", context)


@require_http_methods(["GET", "POST"])
@member_required(Role.ADMIN)
@vary_on_headers("HX-Request")
def certification_create(request: OrgRequest, org: str) -> HttpResponse:
    """Choose the scheme first; the form then asks only for what that scheme uses."""
    versions = SchemeVersion.objects.for_organisation(request.organisation).in_force()
    schemes = sorted(((code, reports.label(v.definition.get("label"), code)) for code, v in versions.items()),
                     key=lambda item: item[1].lower())
    code = request.POST.get("scheme") or request.GET.get("scheme") or (schemes[0][0] if len(schemes) == 1 else "")
    chooser = SchemeChoiceForm(initial={"scheme": code}, schemes=[("", "—"), *schemes])
    context: dict[str, Any] = {"chooser": chooser, "schemes": schemes, "scheme_code": code}
    version = versions.get(code)
    if version is None:
        return render(request, "portfolios/certifications/form.html", context)
    fields = services.scheme_fields(version.rules)
    form = CertificationForm(request.POST if request.method == "POST" else None, scheme=fields,
                             initial={"holder": request.GET.get("holder", "")})
    context.update({"form": form, "scheme_label": reports.label(version.definition.get("label"), code)})
    if request.method == "POST" and form.is_valid():
        try:
            holder = services.professional_by_email(request.organisation, form.cleaned_data["holder"])
            certification = services.certification_create(
                organisation=request.organisation, by=request.user, holder=holder, scheme_code=code,
                values=form.values())
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(request, _("Certification %(number)s has been created for %(person)s.")
                             % {"number": certification.number, "person": holder})
            return redirect("certification_detail", org=org, pk=certification.pk)
    if request.htmx and request.method == "GET":
        return render(request, "portfolios/certifications/form.html#certification-fields", context)
    return render(request, "portfolios/certifications/form.html", context, status=422 if form.errors else 200)


def _labelled(changes: list[CertificationStatusChange]) -> list[CertificationStatusChange]:
    for change in changes:
        label = Certification.Status(change.from_status).label if change.from_status else ""
        change.from_label = label  # type: ignore[attr-defined]  # for the template
    return changes


def _history(request: OrgRequest, certification: Certification) -> list[CertificationStatusChange]:
    return _labelled(list(CertificationStatusChange.objects.for_organisation(request.organisation)
                          .filter(certification=certification).select_related("changed_by")))


def _detail(request: OrgRequest, certification: Certification, status_form: CertificationStatusForm,
            status: int = 200) -> HttpResponse:
    return render(request, "portfolios/certifications/detail.html", {
        "certification": certification, "history": _history(request, certification), "status_form": status_form,
        "scheme_label": certification.scheme_version.label}, status=status)


@require_GET
@member_required(Role.ADMIN)
def certification_detail(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    certification = access.certification_for(request, pk, manage=True)
    return _detail(request, certification, CertificationStatusForm(initial={"status": certification.status}))


@require_POST
@member_required(Role.ADMIN)
def certification_status(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    certification = access.certification_for(request, pk, manage=True, write=True)
    form = CertificationStatusForm(request.POST)
    if form.is_valid():
        try:
            services.certification_set_status(certification=certification, status=form.cleaned_data["status"],
                                              by=request.user, note=form.cleaned_data["note"])
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(request, _("The status of %(number)s is now %(status)s.")
                             % {"number": certification.number,
                                "status": Certification.Status(form.cleaned_data["status"]).label.lower()})
            return redirect("certification_detail", org=org, pk=certification.pk)
    return _detail(request, certification, form, status=422)


@require_http_methods(["GET", "POST"])
@member_required(Role.ADMIN)
def certification_edit(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    certification = access.certification_for(request, pk, manage=True, write=request.method == "POST")
    fields = services.scheme_fields(certification.scheme_version.rules)
    initial = {name: getattr(certification, name) for name in services.EDITABLE_FIELDS}
    form = CertificationForm(request.POST if request.method == "POST" else None, scheme=fields, with_holder=False,
                             initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.certification_update(certification=certification, by=request.user, values=form.values())
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(request, _("Certification %(number)s has been saved.") % {"number": certification.number})
            return redirect("certification_detail", org=org, pk=certification.pk)
    return render(request, "portfolios/certifications/edit.html",
                  {"form": form, "certification": certification, "scheme_label": certification.scheme_version.label},
                  status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@member_required(Role.ADMIN)
def certification_import(request: OrgRequest, org: str) -> HttpResponse:
    """Upload → dry run (every row's result) → import all rows or none."""
    context: dict[str, Any] = {"header": ",".join(services.CSV_HEADER), "schemes": _scheme_choices(request)}
    organisation = request.organisation

    def done(created: list, name: str) -> HttpResponse:
        messages.success(request, _("%(count)s certifications have been created from %(file)s.")
                         % {"count": len(created), "file": name})
        return redirect("certification_list", org=org)

    return csv_import(request, CsvImport(
        kind=STASH_KIND, template="portfolios/certifications/import.html",
        parse=services.certifications_csv_parse,
        check=lambda table: services.certifications_csv_check(organisation=organisation, table=table),
        apply=lambda table, name: services.certifications_csv_import(organisation=organisation, by=request.user,
                                                                    table=table, file_name=name),
        done=done), context)


@require_GET
@member_required(Role.PROFESSIONAL)
def my_certifications(request: OrgRequest, org: str) -> HttpResponse:
    """A professional's own certifications in this organisation, each with its status history."""
    labels = services.scheme_labels(request.organisation)
    certifications = list(
        Certification.objects.for_organisation(request.organisation).filter(holder=request.user)
        .annotate(scheme_code=F("scheme_version__code")).order_by("number")
        .prefetch_related(Prefetch("status_changes", queryset=CertificationStatusChange.objects.for_organisation(
            request.organisation).select_related("changed_by"), to_attr="history")))
    for certification in certifications:
        certification.scheme_label = labels.get(certification.scheme_code, certification.scheme_code)
        _labelled(certification.history)
    return render(request, "portfolios/certifications/mine.html", {"certifications": certifications})


urlpatterns = [
    path("certifications/", my_certifications, name="my_certifications"),
    path("manage/certifications/", certification_list, name="certification_list"),
    path("manage/certifications/new/", certification_create, name="certification_create"),
    path("manage/certifications/import/", certification_import, name="certification_import"),
    path("manage/certifications/<int:pk>/", certification_detail, name="certification_detail"),
    path("manage/certifications/<int:pk>/edit/", certification_edit, name="certification_edit"),
    path("manage/certifications/<int:pk>/status/", certification_status, name="certification_status"),
]

"""Bulk import of activities by administrators: upload, dry run, import all rows or none; the history."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Role
from accounts.pagination import page_of
from accounts.requests import OrgRequest
from accounts.tenancy import member_required
from portfolios import csvio
from portfolios.models import Activity, ActivityImport
from portfolios.services import imports as services
from portfolios.views.csvflow import CsvImport, csv_import
from schemes.models import SchemeVersion

STASH_KIND = "activities"


def _context(import_context: services.ImportContext) -> dict[str, Any]:
    return {"header": ",".join(services.HEADER), "attribute_columns": import_context.attribute_columns,
            "max_rows": csvio.MAX_ROWS, "max_megabytes": csvio.MAX_BYTES // (1024 * 1024)}


def example_type(organisation: Any) -> str:
    """An activity type code from the organisation's own schemes (for the help text); "" when none of its
    schemes has activity types (a dossier-only scheme such as CMI's), so there is nothing to import."""
    for _code, version in sorted(SchemeVersion.objects.for_organisation(organisation).in_force().items()):
        types = version.rules.activity_types
        if types:
            return next(iter(types))
    return ""


@require_GET
@member_required(Role.ADMIN)
def activity_imports(request: OrgRequest, org: str) -> HttpResponse:
    """The history of imports, newest first."""
    qs = ActivityImport.objects.for_organisation(request.organisation).select_related("uploaded_by").order_by(
        "-created_at", "-pk")
    page = page_of(request, qs)
    return render(request, "portfolios/imports/list.html", {"page": page,
                                                            "offered": bool(example_type(request.organisation))})


@require_http_methods(["GET", "POST"])
@member_required(Role.ADMIN)
def activity_import(request: OrgRequest, org: str) -> HttpResponse:
    """Upload → dry run (row, person, type, points, ok or the reason) → import all rows or none."""
    organisation = request.organisation
    example = example_type(organisation)
    if not example:
        return render(request, "portfolios/imports/form.html", {"nothing_to_import": True})
    import_context = services.import_context(organisation)

    def done(record: ActivityImport, name: str) -> HttpResponse:
        messages.success(request, _("%(created)s activities have been imported from %(file)s; %(skipped)s rows had "
                                    "been imported before and were skipped.")
                         % {"created": record.created_count, "file": name, "skipped": record.skipped_count})
        return redirect("activity_import_detail", org=org, pk=record.pk)

    return csv_import(request, CsvImport(
        kind=STASH_KIND, template="portfolios/imports/form.html",
        parse=lambda text: services.activities_csv_parse(context=import_context, text=text),
        check=lambda table: services.activities_csv_check(organisation=organisation, table=table,
                                                          context=import_context),
        apply=lambda table, name: services.activities_csv_import(organisation=organisation, by=request.user,
                                                                table=table, file_name=name),
        done=done), {**_context(import_context), "example_type": example})


@require_GET
@member_required(Role.ADMIN)
def activity_import_detail(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    """One import: its file, counts and the activities it created."""
    record = get_object_or_404(ActivityImport.objects.select_related("uploaded_by"),
                               organisation=request.organisation, pk=pk)
    qs = (Activity.objects.for_organisation(request.organisation).filter(imported_by=record)
          .select_related("owner").order_by("owner__last_name", "owner__first_name", "date", "pk"))
    page = page_of(request, qs)
    return render(request, "portfolios/imports/detail.html", {"record": record, "page": page})


urlpatterns = [
    path("manage/imports/", activity_imports, name="activity_imports"),
    path("manage/imports/new/", activity_import, name="activity_import"),
    path("manage/imports/<int:pk>/", activity_import_detail, name="activity_import_detail"),
]

"""The compliance overview: every active certification with the engine's verdict, and its CSV export."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from accounts.formatting import plain_number
from accounts.models import Role
from accounts.pagination import page_of
from accounts.requests import OrgRequest
from accounts.spreadsheets import csv_response
from accounts.tenancy import member_required
from portfolios.forms.admin import ComplianceFilterForm
from portfolios.services import certifications as services

EXPORT_COLUMNS = ("certificate_number", "email", "name", "scheme", "compliant", "total_counted", "required_total",
                  "deadline", "days_left", "missing")


def _rows(request: OrgRequest) -> tuple[ComplianceFilterForm, list[services.ComplianceRow]]:
    """The filtered, sorted rows: fixed queries (certifications, versions in force, activities, labels)."""
    labels = services.scheme_labels(request.organisation)
    form = ComplianceFilterForm(request.GET or None,
                                schemes=sorted(labels.items(), key=lambda item: item[1].lower()))
    form.is_valid()
    filters: dict[str, Any] = getattr(form, "cleaned_data", {})
    rows = services.compliance_rows(organisation=request.organisation, scheme=filters.get("scheme") or "",
                                    query=(filters.get("q") or "").strip())
    rows = services.compliance_filter(rows, not_compliant=bool(filters.get("not_compliant")),
                                      risk_before=filters.get("risk_before"), sort=filters.get("sort") or "deadline")
    return form, rows


@require_GET
@member_required(Role.ADMIN)
@vary_on_headers("HX-Request")
def compliance(request: OrgRequest, org: str) -> HttpResponse:
    form, rows = _rows(request)
    page = page_of(request, rows)
    context = {"form": form, "page": page, "today": timezone.localdate(),
               "not_compliant_count": sum(1 for row in rows if not row.compliant),
               "export_query": request.GET.urlencode()}
    if request.htmx:
        return render(request, "portfolios/compliance/overview.html#compliance-table", context)
    return render(request, "portfolios/compliance/overview.html", context)


@require_GET
@member_required(Role.ADMIN)
def compliance_export(request: OrgRequest, org: str) -> HttpResponse | StreamingHttpResponse:
    """The overview (same filters and order) as CSV with stable columns: scheme codes, numbers with a decimal
    point, ISO dates, yes/no; the missing sentence in the administrator's language."""
    _form, rows = _rows(request)

    def number(value: Any) -> str:
        if value is None:
            return ""
        return plain_number(value)

    lines = ([row.certification.number, row.holder.email, row.holder.get_full_name(),
              row.certification.scheme_version.code,
              ("yes" if row.compliant else "no") if row.evaluated else "", number(row.total_counted),
              number(row.required_total), row.deadline.isoformat() if row.deadline else "",
              "" if row.days_left is None else row.days_left, row.missing] for row in rows)
    filename = f"compliance-{request.organisation.slug}-{timezone.localdate().isoformat()}.csv"
    return csv_response(filename, EXPORT_COLUMNS, lines)


urlpatterns = [
    path("manage/compliance/", compliance, name="compliance"),
    path("manage/compliance/export.csv", compliance_export, name="compliance_export"),
]

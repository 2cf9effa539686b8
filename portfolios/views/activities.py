"""The professional's activity log: list (filters, totals from the engine), add/edit/duplicate/delete with a
live points preview, and a CSV export.

Thin views: forms check input, portfolios.services.activities checks the scheme's rules and saves, and
every number on these pages comes from the engine's reports (portfolios.reports).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.formatting import plain_number
from accounts.forms import form_add_errors
from accounts.models import Role
from accounts.pagination import page_of
from accounts.requests import OrgRequest
from accounts.spreadsheets import csv_response
from accounts.tenancy import NotFound, member_required
from portfolios import access, evidence_files, reports
from portfolios.forms.activities import ATTRIBUTE_PREFIX, ActivityFilterForm, ActivityForm
from portfolios.models import Activity
from portfolios.services import activities as services
from portfolios.services.activities import CertificationProgress, TypeCatalogue
from schemes import rules


def _locked_message() -> str:
    return _("This activity is part of a submitted dossier, so it can no longer be changed or deleted. "
             "You can duplicate it to log a similar activity.")


# --- the list -----------------------------------------------------------------------------------------------

@dataclass
class RowResult:
    """One certification's verdict on one activity, from the engine's ActivityResult."""

    certification: str
    points: Decimal | None
    counted: Decimal
    state: str
    reason: str


@dataclass
class Row:
    activity: Activity
    type_label: str
    evidence_required: bool
    results: list[RowResult] = field(default_factory=list)

    @property
    def evidence_missing(self) -> bool:
        return self.evidence_required and not getattr(self.activity, "evidence_count", 0)  # annotated by the list

    @property
    def all_count(self) -> bool:
        return all(result.state == "all" for result in self.results)


@dataclass
class Total:
    """A certification's totals for the scope shown (the current period or cycle, or the chosen period)."""

    certification: str
    scope: str
    counted: Decimal
    raw: Decimal
    required: Decimal | None
    compliant: bool
    unit: str
    deadline: Any = None
    problem: str = ""


@dataclass
class Listing:
    form: ActivityFilterForm
    catalogue: TypeCatalogue
    shown: list[CertificationProgress]
    totals: list[Total]
    pks: list[int]


def _headline(report: rules.Report) -> rules.PeriodResult | None:
    """The scope the report's top-level totals refer to (as on the dashboard)."""
    if report.current_period is not None:
        return next((p for p in report.periods if p.number == report.current_period), None)
    return report.cycle


def _periods(progress: list[CertificationProgress]) -> dict[str, tuple[CertificationProgress, rules.PeriodResult]]:
    """Filter values for every CPD year / cycle the reports know, e.g. "12:3" (year 3) or "12:cycle"."""
    found = {}
    for item in progress:
        if item.report is None:
            continue
        pk = item.rules.certification.pk
        for period in item.report.periods:
            found[f"{pk}:{period.number}"] = (item, period)
        if item.report.cycle is not None:
            found[f"{pk}:cycle"] = (item, item.report.cycle)
    return found


def _listing(request: OrgRequest) -> Listing:
    """Filters applied, in the order chosen: the activity ids and what the engine says about them.

    A fixed number of queries: certifications, versions in force, all activities (the engine's input),
    and the filtered ids; the page's rows are one more query in the view.
    """
    organisation, owner = request.organisation, request.user
    certifications = services.certifications_with_rules(organisation=organisation, owner=owner)
    catalogue = TypeCatalogue(certifications)
    # A scheme without activity types (CMI: dossier sections only) has nothing to say about the log.
    progress = [item for item in services.certification_progress(
        certifications=certifications, activities=reports.owner_activities(organisation, owner))
        if item.definition.activity_types]
    periods = _periods(progress)
    period_choices: dict[str, list[tuple[str, str]]] = {}
    for value, (item, period) in periods.items():
        period_choices.setdefault(item.rules.label, []).append(
            (value, services.scope_label(item.definition, period)))
    form = ActivityFilterForm(
        request.GET or None, categories=[(value, text) for value, text, _codes in catalogue.categories],
        certifications=[(str(item.rules.certification.pk), item.rules.label) for item in progress],
        periods=list(period_choices.items()))
    qs = Activity.objects.for_organisation(organisation).filter(owner=owner)
    query = form.value("q").strip()
    if query:
        qs = qs.filter(Q(title__icontains=query) | Q(provider__icontains=query) | Q(description__icontains=query))
    category = form.value("category")
    if category:
        codes = next(codes for value, _text, codes in catalogue.categories if value == category)
        qs = qs.filter(type_code__in=codes)
    selected = next((item for item in progress if str(item.rules.certification.pk) == form.value("certification")),
                    None)
    if selected is not None:
        qs = qs.filter(type_code__in=list(selected.definition.activity_types))
    chosen_period = periods.get(form.value("period"))
    if chosen_period is not None:
        qs = qs.filter(date__gte=chosen_period[1].start, date__lte=chosen_period[1].end)
        if selected is None:
            selected = chosen_period[0]
    if form.value("evidence_missing"):
        qs = qs.annotate(evidence_total=Count("evidence")).filter(
            type_code__in=catalogue.requiring_evidence(), evidence_total=0)
    shown = [selected] if selected is not None else progress
    rows = list(qs.order_by("-date", "-id").values_list("pk", "type_code", "date"))
    sort = form.value("sort") or "-date"
    if sort == "date":
        rows.reverse()
    elif sort in ("points", "-points"):
        def points(row: tuple[int, str, Any]) -> Decimal:
            for item in shown:
                result = item.results.get(row[0])
                if result is not None and result.points is not None:
                    return result.points
            return Decimal(-1)

        rows.sort(key=points, reverse=sort == "-points")
    elif sort == "type":
        rows.sort(key=lambda row: catalogue.label(row[1]).casefold())
    totals = [_total(item, chosen_period[1] if chosen_period and chosen_period[0] is item else None)
              for item in shown]
    return Listing(form=form, catalogue=catalogue, shown=shown, totals=totals, pks=[row[0] for row in rows])


def _total(item: CertificationProgress, period: rules.PeriodResult | None) -> Total:
    unit = reports.label(item.definition.points.label_plural)
    report = item.report
    if report is None:
        return Total(item.rules.label, "", Decimal(0), Decimal(0), None, False, unit, problem=item.problem)
    scope = period or _headline(report)
    if scope is None:
        return Total(item.rules.label, "", report.total_counted, report.total_counted, report.required_total,
                     report.compliant, unit, report.deadline)
    return Total(item.rules.label, services.scope_label(item.definition, scope), scope.total_counted,
                 scope.total_raw, scope.required_total, scope.compliant, unit, scope.end)


def _row(activity: Activity, listing: Listing) -> Row:
    info = listing.catalogue.get(activity.type_code)
    row = Row(activity=activity, type_label=listing.catalogue.label(activity.type_code),
              evidence_required=bool(info and info.requires_evidence))
    for item in listing.shown:
        result = item.results.get(activity.pk)
        if result is None:
            continue
        reasons = [item.say(reason) for reason in result.reasons]
        if result.points is None or any(reason.code == "activity-rejected" for reason in result.reasons):
            state = "rejected"
        else:
            state = "all" if result.counted >= result.points else ("none" if not result.counted else "some")
        row.results.append(RowResult(item.rules.label, result.points, result.counted, state, " ".join(reasons)))
    return row


@require_GET
@member_required(Role.PROFESSIONAL)
@vary_on_headers("HX-Request")
def activity_list(request: OrgRequest, org: str) -> HttpResponse:
    """The log with filters (category, certification, period, evidence missing, search), sorting and pages;
    each row shows the engine's points and how many count, and the totals match the dashboard."""
    listing = _listing(request)
    page = page_of(request, listing.pks)
    found = {a.pk: a for a in Activity.objects.for_organisation(request.organisation)
             .filter(owner=request.user, pk__in=list(page.object_list))
             .annotate(evidence_count=Count("evidence"))}
    rows = [_row(found[pk], listing) for pk in page.object_list if pk in found]
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": listing.form, "page": page, "rows": rows, "totals": listing.totals,
               "several": len(listing.shown) > 1, "has_types": bool(listing.catalogue.types),
               "export_query": query.urlencode()}
    if request.htmx:
        return render(request, "portfolios/activities/list.html#activity-table", context)
    return render(request, "portfolios/activities/list.html", context)


@require_GET
@member_required(Role.PROFESSIONAL)
def activity_export(request: OrgRequest, org: str) -> HttpResponse | StreamingHttpResponse:
    """The filtered log as CSV with stable codes (UTF-8 with a byte-order mark, so Excel reads it right).

    The rows are read inside the request's transaction (the database wall needs it) and then streamed.
    `points` and `counted` are the engine's, for the chosen certification or else the first of the
    professional's certifications whose scheme knows the type.
    """
    listing = _listing(request)
    found = {a.pk: a for a in Activity.objects.for_organisation(request.organisation)
             .filter(owner=request.user, pk__in=listing.pks)}
    lines = [["date", "type", "quantity", "title", "provider", "points", "counted", "attributes"]]
    for pk in listing.pks:
        activity = found[pk]
        result = next((item.results[pk] for item in listing.shown if pk in item.results), None)
        points = "" if result is None or result.points is None else plain_number(result.points)
        counted = "" if result is None else plain_number(result.counted)
        lines.append([activity.date.isoformat(), activity.type_code, plain_number(activity.quantity), activity.title,
                      activity.provider, points, counted,
                      json.dumps(activity.attributes, ensure_ascii=False, sort_keys=True) if activity.attributes
                      else ""])
    stamp = timezone.localdate().isoformat()
    return csv_response(f"activities-{request.organisation.slug}-{stamp}.csv", lines[0], lines[1:], streaming=True)




# --- the form ------------------------------------------------------------------------------------------------

def _initial(activity: Activity, **override: Any) -> dict[str, Any]:
    quantity = activity.quantity
    initial = {"type_code": activity.type_code, "date": activity.date,
               "quantity": Decimal(plain_number(quantity)),
               "title": activity.title, "provider": activity.provider, "description": activity.description,
               "reflection": activity.reflection}
    for code, value in (activity.attributes or {}).items():
        initial[ATTRIBUTE_PREFIX + code] = value
    initial.update(override)
    return initial


def _draft(form: ActivityForm) -> services.ActivityDraft:
    """The live preview's input: what is valid in a bound form, or the initial values of an unbound one."""
    if form.is_bound:
        form.is_valid()
        return form.draft()
    values = {**{name: f.initial for name, f in form.fields.items() if f.initial is not None}, **form.initial}
    quantity = values.get("quantity")
    attributes = {name.removeprefix(ATTRIBUTE_PREFIX): values[name] for name in form.attribute_names
                  if values.get(name) not in (None, "")}
    day = values.get("date")
    return services.ActivityDraft(type_code=values.get("type_code") or "",
                                  date=day if hasattr(day, "isoformat") else None,
                                  quantity=Decimal(quantity) if isinstance(quantity, Decimal | int) else None,
                                  attributes=attributes)


def _form_page(request: OrgRequest, org: str, *, mode: str, activity: Activity | None = None,
               initial: dict[str, Any] | None = None) -> HttpResponse:
    """The add / edit / duplicate form. POST with action=refresh re-renders the type's fields (htmx: only
    that part) keeping what was typed; a plain POST validates and saves through the service."""
    organisation = request.organisation
    certifications = services.certifications_with_rules(organisation=organisation, owner=request.user)
    catalogue = TypeCatalogue(certifications)
    editing = activity if mode == "edit" else None
    status = 200
    refresh = request.method == "POST" and request.POST.get("action") == "refresh"
    if refresh:
        form = ActivityForm.keeping_input(request.POST, catalogue=catalogue)
        typed = ActivityForm(request.POST, catalogue=catalogue)
        draft = _draft(typed)
    elif request.method == "POST":
        form = ActivityForm(request.POST, catalogue=catalogue)
        if form.is_valid():
            data = form.to_data()
            try:
                if editing is not None:
                    saved = services.activity_update(activity=editing, data=data, by=request.user, catalogue=catalogue)
                else:
                    saved = services.activity_create(organisation=organisation, owner=request.user, data=data,
                                                     catalogue=catalogue)
            except ValidationError as error:
                form_add_errors(form, error)
            else:
                if editing is not None:
                    messages.success(request, _("“%(title)s” has been saved.") % {"title": saved.title})
                    return redirect("activity_list", org=org)
                messages.success(request, _("“%(title)s” has been added. You can now upload its evidence.")
                                 % {"title": saved.title})
                return redirect(reverse("activity_edit", kwargs={"org": org, "pk": saved.pk}) + "#evidence")
        else:
            # Say everything at once: the scheme's rules too, for the fields that are valid so far.
            form_add_errors(form, {name: texts for name, texts in services.draft_problems(
                catalogue=catalogue, draft=form.draft()).items() if name not in form.errors})
        status = 422
        draft = form.draft()
    else:
        form = ActivityForm(catalogue=catalogue, initial=initial or {})
        draft = _draft(form)
    preview = services.activity_preview(organisation=organisation, owner=request.user, draft=draft,
                                        replaces=editing, certifications=certifications, catalogue=catalogue)
    context = {"form": form, "mode": mode, "activity": activity, "preview": preview, "type_info": form.type_info,
               "has_types": bool(catalogue.types), "action_url": request.path}
    if editing is not None:
        context.update(_evidence_context(request, editing))
    if refresh and request.htmx:
        return render(request, "portfolios/activities/form.html#type-fields", context)
    return render(request, "portfolios/activities/form.html", context, status=status)


def _evidence_context(request: OrgRequest, activity: Activity) -> dict[str, Any]:
    return {
        "evidence_files": list(activity.evidence.filter(organisation=request.organisation)),
        "evidence_locked": activity.is_locked,
        "upload_parent": {"activity": activity.pk},
        "upload_list_id": f"evidence-list-activity-{activity.pk}",
        "upload_next": reverse("activity_edit", kwargs={"org": request.organisation.slug, "pk": activity.pk}),
        "upload_accept": evidence_files.ACCEPT_ATTRIBUTE,
        "upload_max_bytes": evidence_files.max_file_bytes(),
        "upload_max_mb": reports.number(evidence_files.megabytes(evidence_files.max_file_bytes())),
    }


@require_http_methods(["GET", "POST"])
@member_required(Role.PROFESSIONAL)
@vary_on_headers("HX-Request")
def activity_create(request: OrgRequest, org: str) -> HttpResponse:
    initial: dict[str, object] = {"date": timezone.localdate()}
    if request.GET.get("type"):
        initial["type_code"] = request.GET["type"]
    return _form_page(request, org, mode="create", initial=initial)


@require_http_methods(["GET", "POST"])
@member_required(Role.PROFESSIONAL)
@vary_on_headers("HX-Request")
def activity_edit(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    """Edit an activity; a locked one (part of a submitted dossier) is shown read-only and refuses changes."""
    activity = access.activity_for(request, pk, write=request.method == "POST")
    if activity.is_locked:
        if request.method == "POST":
            raise PermissionDenied(_locked_message())
        catalogue = TypeCatalogue(services.certifications_with_rules(organisation=request.organisation,
                                                                     owner=request.user))
        info = catalogue.get(activity.type_code)
        labels = {a.code: reports.label(a.label, a.code) for a in info.attributes} if info else {}
        details = [(labels.get(code, code), (_("yes") if value else _("no")) if isinstance(value, bool) else value)
                   for code, value in (activity.attributes or {}).items()]
        return render(request, "portfolios/activities/detail.html", {
            "activity": activity, "type_label": catalogue.label(activity.type_code), "details": details,
            "unit_label": info.unit_label if info else _("Quantity"),
            "locked_message": _locked_message(), **_evidence_context(request, activity)})
    return _form_page(request, org, mode="edit", activity=activity, initial=_initial(activity))


@require_http_methods(["GET", "POST"])
@member_required(Role.PROFESSIONAL)
@vary_on_headers("HX-Request")
def activity_duplicate(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    """The form prefilled from an activity (dated today); saving creates a new activity."""
    source = access.activity_for(request, pk)
    return _form_page(request, org, mode="duplicate", activity=source,
                      initial=_initial(source, date=timezone.localdate()))


@require_POST
@member_required(Role.PROFESSIONAL)
def activity_preview(request: OrgRequest, org: str) -> HttpResponse:
    """The live preview (htmx, on every change in the form): what the activity would count, and why not."""
    certifications = services.certifications_with_rules(organisation=request.organisation, owner=request.user)
    catalogue = TypeCatalogue(certifications)
    replaces = None
    if request.POST.get("replaces"):
        try:
            replaces = access.activity_for(request, int(request.POST["replaces"]))
        except ValueError as error:
            raise NotFound(_("This activity does not exist (any more).")) from error
    form = ActivityForm(request.POST, catalogue=catalogue)
    preview = services.activity_preview(organisation=request.organisation, owner=request.user, draft=_draft(form),
                                        replaces=replaces, certifications=certifications, catalogue=catalogue)
    return render(request, "portfolios/activities/form.html#preview", {"preview": preview})


@require_http_methods(["GET", "POST"])
@member_required(Role.PROFESSIONAL)
def activity_delete(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    activity = access.activity_for(request, pk, write=True)
    if activity.is_locked:
        raise PermissionDenied(_locked_message())
    evidence_count = activity.evidence.filter(organisation=request.organisation).count()
    if request.method == "POST":
        try:
            services.activity_delete(activity=activity, by=request.user)
        except ValidationError as error:
            raise PermissionDenied(error.messages[0]) from error
        messages.success(request, _("“%(title)s” has been deleted.") % {"title": activity.title})
        return redirect("activity_list", org=org)
    return render(request, "portfolios/activities/delete.html",
                  {"activity": activity, "evidence_count": evidence_count})


urlpatterns = [
    path("activities/", activity_list, name="activity_list"),
    path("activities/new/", activity_create, name="activity_create"),
    path("activities/preview/", activity_preview, name="activity_preview"),
    path("activities/export.csv", activity_export, name="activity_export"),
    path("activities/<int:pk>/", activity_edit, name="activity_edit"),
    path("activities/<int:pk>/duplicate/", activity_duplicate, name="activity_duplicate"),
    path("activities/<int:pk>/delete/", activity_delete, name="activity_delete"),
]

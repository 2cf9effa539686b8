"""The professional's dossiers: list and start, the checklist page, section editors, submission and PDF.

Everything the pages say about completeness comes from `services.dossiers.dossier_checklist`, which asks the
rules engine; the same checklist decides whether submission is allowed. After submission every page is
read-only and every change answers 403.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.forms import form_add_errors
from accounts.mail_limits import MailAllowance
from accounts.models import Role
from accounts.pagination import page_of
from accounts.requests import OrgRequest
from accounts.storage import stored_file_response
from accounts.tenancy import NotFound, member_required
from dossiers import access
from dossiers.forms.dossiers import DossierStartForm, SectionForm
from dossiers.models import Dossier, Submission
from dossiers.services import dossiers as services
from dossiers.services import statements as statement_services
from dossiers.services.submission import counted_activity_ids
from dossiers.services.submission import dossier_submit as submit_service
from dossiers.signals import dossier_panels, submission_progress
from portfolios import evidence_files, reports
from schemes import rules


def locked_message() -> str:
    return _("This dossier has been submitted and is now read-only. Changes can only be made through the "
             "review, if the assessor asks for them.")


def _send_allowances(request: OrgRequest, dossier: Dossier, checklist: services.Checklist) -> MailAllowance | None:
    """Whether each statement may be sent again, and a new one asked for (the pages say so before the
    button is pressed); nothing to say once the dossier is read-only."""
    if dossier.is_locked:
        return None
    return statement_services.statement_allowances(organisation=request.organisation, sender=request.user,
                                                   statements=checklist.statements)


@require_GET
@member_required(Role.PROFESSIONAL)
@vary_on_headers("HX-Request")
def dossier_list(request: OrgRequest, org: str) -> HttpResponse:
    """The professional's dossiers (filter by status, paginated), and a start action per certificate."""
    today = timezone.localdate()
    qs = (Dossier.objects.for_organisation(request.organisation).filter(owner=request.user)
          .select_related("certification", "scheme_version").order_by("-created_at", "-pk"))
    status = request.GET.get("status", "")
    if status in Dossier.Status.values:
        qs = qs.filter(status=status)
    page = page_of(request, qs)
    context = {"page": page, "status": status, "statuses": Dossier.Status.choices}
    if request.htmx:
        return render(request, "dossiers/dossier_list.html#dossier-table", context)
    startable = []
    for certification, version in reports.held_certifications(request.organisation, request.user, today):
        definition = version.rules
        try:
            reference = reports.dossier_reference_date(certification, definition, "recertification", today)
        except rules.ContextError:
            reference = None
        startable.append({
            "certification": certification, "scheme": version.label,
            "kinds": [(kind, _start_label(definition, kind, reference)) for kind in services.kinds_offered(definition)],
            "problem": services.membership_problem(certification, definition, today),
            "series": next((reports.label(series.label, series.code) for series in
                            (definition.product_series.series if definition.product_series else ())
                            if series.code == certification.product_series), certification.product_series),
        })
    context["startable"] = startable
    return render(request, "dossiers/dossier_list.html", context)


def _start_label(definition: rules.SchemeDefinition, kind: str, reference: dt.date | None) -> str:
    """The start button in the scheme's words: "Start the record for the CPD year to 30 April 2027" (a yearly
    submission), "Start the recertification dossier", "Start an initial certification dossier"."""
    if kind == "initial":
        return _("Start an initial certification dossier")
    if services.yearly(definition, kind) and reference is not None:
        return _("Start the record for the %(period)s to %(date)s") % {
            "period": reports.label(definition.cycle.period_label), "date": reports.date(reference)}
    return _("Start the recertification dossier")


@require_POST
@member_required(Role.PROFESSIONAL)
def dossier_start(request: OrgRequest, org: str, certification: int) -> HttpResponse:
    held = access.certification_for(request, certification, write=True)
    form = DossierStartForm(request.POST or {"kind": "recertification"})
    kind = form.cleaned_data["kind"] if form.is_valid() else "recertification"
    year_end = None
    if request.POST.get("year"):  # a chosen CPD year (a yearly submission): its last day, ISO
        try:
            year_end = dt.date.fromisoformat(request.POST["year"])
        except ValueError as error:
            raise NotFound(_("There is no such year to submit.")) from error
    try:
        dossier, created = services.dossier_start(certification=held, by=request.user, kind=kind,
                                                  year_end=year_end)
    except ValidationError as error:
        if year_end is not None and error.code == "no_year":
            raise NotFound(" ".join(error.messages)) from error
        if year_end is not None and error.code in ("closed", "submitted"):
            raise PermissionDenied(" ".join(error.messages)) from error
        messages.error(request, " ".join(error.messages))
        return redirect("dossier_list", org=org)
    if created:
        messages.success(request, _("Your dossier has been started. Work through the sections below in any order."))
    else:
        messages.info(request, _("You already have this dossier; here it is."))
    return redirect("dossier_detail", org=org, pk=dossier.pk)


@require_GET
@member_required(Role.PROFESSIONAL)
def dossier_detail(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    """The checklist: each section's state with a link to its editor, the statements, and Submit."""
    dossier = access.dossier_for(request, pk)
    checklist = services.dossier_checklist(dossier)
    submission = (Submission.objects.for_organisation(request.organisation).filter(dossier=dossier).first()
                  if dossier.is_locked else None)
    return render(request, "dossiers/dossier_detail.html", {
        "dossier": dossier, "checklist": checklist, "submission": submission,
        "new_statement_allowance": _send_allowances(request, dossier, checklist),
        "scheme_label": dossier.scheme_version.label, "title": services.dossier_title(dossier),
        "locked_message": (_("The assessors asked for more information: only the parts they named are open "
                             "for changes until you resubmit.") if dossier.is_reopened
                           else locked_message() if dossier.is_locked else ""),
        "progress": submission_progress(submission) if submission else [],
        "panels": dossier_panels(request, dossier) if submission else [],
        "today": timezone.now()})


@require_http_methods(["GET", "POST"])
@member_required(Role.PROFESSIONAL)
@vary_on_headers("HX-Request")
def dossier_section(request: OrgRequest, org: str, pk: int, code: str) -> HttpResponse:
    """One section's editor. Text answers autosave (htmx posts the form a second after typing stops and
    gets a small "Saved at" status back); a plain POST saves and comes back here."""
    dossier = access.dossier_for(request, pk, write=request.method == "POST")
    checklist = services.dossier_checklist(dossier)
    state = next((section for section in checklist.sections if section.code == code), None)
    if state is None:
        raise NotFound(_("This dossier has no such section."))
    locked = dossier.section_locked(code)  # a submitted dossier's section opens only when information is requested
    if request.method == "POST" and locked:
        raise PermissionDenied(locked_message())
    spec = None if state.synthetic else services.section_definition(checklist.definition, code)
    form = None
    status = 200
    saved = None
    if spec is not None and state.has_form:
        stored = (state.row.data or {}).get("requirements", {}) if state.row else {}
        form = SectionForm(request.POST if request.method == "POST" else None, section=spec, stored=stored,
                           readonly=locked)
        if request.method == "POST":
            if form.is_valid():
                try:
                    saved = services.dossier_section_save(dossier=dossier, code=code, values=form.values(),
                                                          by=request.user)
                except ValidationError as error:
                    form_add_errors(form, error)
            if saved is None:
                status = 422
            elif not request.htmx:
                messages.success(request, _("%(section)s has been saved.") % {"section": state.label})
                return redirect("dossier_section", org=org, pk=pk, code=code)
            else:
                checklist = services.dossier_checklist(dossier)
                state = next(section for section in checklist.sections if section.code == code)
    elif request.method == "POST":
        return redirect("dossier_section", org=org, pk=pk, code=code)
    context = {"dossier": dossier, "checklist": checklist, "section": state, "form": form, "saved": saved,
               "new_statement_allowance": _send_allowances(request, dossier, checklist)
               if not (request.htmx and request.method == "POST") else None,
               "fields": form.requirement_fields() if form else {},
               "locked_message": locked_message() if locked else "", "section_locked": locked,
               **_upload_context(request, state)}
    if request.htmx and request.method == "POST":
        return render(request, "dossiers/dossier_section.html#autosave", context, status=status)
    return render(request, "dossiers/dossier_section.html", context, status=status)


def _upload_context(request: OrgRequest, state: services.SectionState) -> dict[str, object]:
    """What the shared evidence drop zone needs (portfolios/activities/_evidence_upload.html) per document."""
    documents = [requirement for requirement in state.requirements if requirement.kind == "document"]
    for requirement in documents:
        if state.row is not None:
            requirement.upload = {"parent": {"section": state.row.pk, "requirement": requirement.code},
                                  "list_id": f"evidence-list-section-{state.row.pk}-{requirement.code}"}
    if not documents:
        return {"has_documents": False}
    return {"has_documents": True, "upload_next": request.path, "upload_accept": evidence_files.ACCEPT_ATTRIBUTE,
            "upload_max_bytes": evidence_files.max_file_bytes(),
            "upload_max_mb": reports.number(evidence_files.megabytes(evidence_files.max_file_bytes()))}


@require_http_methods(["GET", "POST"])
@member_required(Role.PROFESSIONAL)
def dossier_submit(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    """GET: what will be frozen, or what is missing. POST: submit (refused with the missing list)."""
    dossier = access.dossier_for(request, pk, write=request.method == "POST")
    if dossier.is_locked:
        if request.method == "POST":
            raise PermissionDenied(locked_message())
        messages.info(request, _("This dossier has already been submitted."))
        return redirect("dossier_detail", org=org, pk=pk)
    errors: list[str] = []
    if request.method == "POST":
        try:
            submit_service(dossier=dossier, by=request.user)
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(request, _("Your dossier has been submitted. A confirmation is on its way by e-mail; "
                                        "the PDF will be ready in a moment."))
            return redirect("dossier_detail", org=org, pk=pk)
    checklist = services.dossier_checklist(dossier)
    missing = errors or checklist.missing
    files = sum(len(r.evidence) for section in checklist.sections for r in section.requirements)
    return render(request, "dossiers/dossier_submit.html", {
        "dossier": dossier, "checklist": checklist, "missing": missing, "title": services.dossier_title(dossier),
        "activity_count": len(counted_activity_ids(checklist)), "file_count": files,
        "signed_count": sum(1 for s in checklist.statements if s.status == s.Status.SIGNED),
    }, status=422 if request.method == "POST" else 200)


@require_GET
@member_required(Role.PROFESSIONAL)
def dossier_pdf(request: OrgRequest, org: str, pk: int) -> HttpResponseBase:
    """The submitted dossier as a PDF attachment, for whoever may open the dossier."""
    dossier = access.dossier_for(request, pk)
    submission = Submission.objects.for_organisation(request.organisation).filter(dossier=dossier).first()
    if submission is None:
        raise NotFound(_("This dossier has not been submitted, so there is no PDF of it yet."))
    if not submission.pdf:
        raise NotFound(_("The PDF of this dossier is still being prepared. Try again in a minute."))
    name = f"dossier-{dossier.certification.number}-{dossier.reference_date.isoformat()}.pdf"
    try:
        return stored_file_response(submission.pdf, filename=name, content_type="application/pdf")
    except FileNotFoundError as error:
        raise NotFound(_("The PDF of this dossier is no longer in storage. Ask your administrator.")) from error


urlpatterns = [
    path("dossiers/", dossier_list, name="dossier_list"),
    path("dossiers/start/<int:certification>/", dossier_start, name="dossier_start"),
    path("dossiers/<int:pk>/", dossier_detail, name="dossier_detail"),
    path("dossiers/<int:pk>/sections/<str:code>/", dossier_section, name="dossier_section"),
    path("dossiers/<int:pk>/submit/", dossier_submit, name="dossier_submit"),
    path("dossiers/<int:pk>/pdf/", dossier_pdf, name="dossier_pdf"),
]

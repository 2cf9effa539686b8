"""The certifying body's screens: decisions, certificates, appeals, the accreditation record; the holder's
certificates and appeals; and the public pages — verification (`/verify/<code>/`) and each organisation's register.

Views are thin: forms check input, `certificates.services` checks the rules and changes things.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.forms import form_add_errors
from accounts.models import Organisation, Role
from accounts.pagination import page_of
from accounts.requests import OrgRequest
from accounts.spreadsheets import csv_response
from accounts.storage import stored_file_response
from accounts.tenancy import NotFound, activate_organisation, maintenance, member_required
from certificates import access, hooks, services
from certificates.forms import (
    AppealDecisionForm,
    AppealForm,
    CertificateFilterForm,
    DecisionForm,
    ReasonForm,
    RegisterEntryForm,
    RegisterSearchForm,
    SuspendForm,
    VerifyForm,
)
from certificates.models import Appeal, AppealFile, Certificate, CertificateEvent, Decision, normalise_code
from dossiers.models import Evidence
from portfolios import evidence_files, reports
from schemes import rules

DECIDERS = (Role.DECISION_MAKER,)
RECORD_KEEPERS = (Role.DECISION_MAKER, Role.ADMIN)


def _put_errors(form: Form, error: ValidationError) -> None:
    form_add_errors(form, error)


def _page(request: OrgRequest, items: Any) -> Any:
    return page_of(request, items)


# --- decisions ---------------------------------------------------------------------------------------------------

@member_required(*DECIDERS)
def decision_queue(request: OrgRequest, org: str) -> HttpResponse:
    """The cases with an advice waiting for a decision, and the latest decisions."""
    cases = services.cases_awaiting(request.organisation)
    involved = hooks.involved_for_many([case.submission for case in cases])
    for case in cases:
        case.refusal = services.involvement(  # type: ignore[attr-defined]  # for the template
            case.submission, request.user, involved.get(case.submission.pk, set()))
    recent = (Decision.objects.for_organisation(request.organisation)
              .select_related("certification__holder", "decided_by").order_by("-decided_at", "-id"))
    return render(request, "certificates/decision_queue.html", {"cases": cases, "page": _page(request, recent)})


def _case(request: OrgRequest, pk: int) -> services.Case:
    case = services.case_for(request.organisation, pk)
    if case is None or (case.advice is None and not case.decisions):
        raise NotFound(_("There is no such case."))
    return case


def _snapshot_evidence(request: OrgRequest, case: services.Case) -> dict[int, Evidence]:
    ids = [item["id"] for item in case.submission.snapshot.get("evidence", [])]
    return {item.pk: item for item in Evidence.objects.for_organisation(request.organisation).filter(pk__in=ids)}


@require_http_methods(["GET", "POST"])
@member_required(*DECIDERS)
def case_detail(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    """One case: the advice, the assessments, the frozen snapshot with its evidence (read-only), the decision."""
    case = _case(request, pk)
    certification = case.submission.dossier.certification
    default_start = services.renewal_start_default(case)
    form = DecisionForm(show_start=default_start is not None, initial={"starts_on": default_start})
    refusal = services.decision_problems(case, request.user)
    status = 200
    if request.method == "POST":
        form = DecisionForm(request.POST, show_start=default_start is not None)
        if form.is_valid():
            try:
                services.decision_record(organisation=request.organisation, submission_id=case.submission.pk,
                                         by=request.user, outcome=form.cleaned_data["outcome"],
                                         reasons=form.cleaned_data["reasons"],
                                         starts_on=form.cleaned_data.get("starts_on"))
            except ValidationError as error:
                _put_errors(form, error)
                status = 403 if getattr(error, "code", "") == "involved" else 422
            else:
                messages.success(request, _("The decision is recorded and the professional has been told."))
                return redirect("case_detail", org=org, pk=pk)
        else:
            status = 422
    snapshot = case.submission.snapshot
    return render(request, "certificates/case_detail.html", {
        "case": case, "certification": certification, "form": form, "refusal": refusal, "snapshot": snapshot,
        "evidence": _snapshot_evidence(request, case), "holder": case.submission.dossier.owner,
        "appeal_of": {d.pk: getattr(d, "appeal", None) for d in case.decisions}}, status=status)


# --- certificates (decision makers, administrators) --------------------------------------------------------------

def _certificate(request: OrgRequest, pk: int) -> Certificate:
    return get_object_or_404(Certificate.objects.select_related(
        "certification__holder", "certification__scheme_version", "certification__organisation"),
        organisation=request.organisation, pk=pk)


@member_required(*RECORD_KEEPERS)
def certificate_list(request: OrgRequest, org: str) -> HttpResponse:
    form = CertificateFilterForm(request.GET or None)
    items = (Certificate.objects.for_organisation(request.organisation)
             .select_related("certification__scheme_version", "certification__holder").order_by("holder_name", "pk"))
    if form.is_valid():
        if query := form.cleaned_data["q"].strip():
            items = items.filter(Q(holder_name__icontains=query) | Q(certification__number__icontains=query))
        if form.cleaned_data["status"]:
            items = items.filter(certification__status=form.cleaned_data["status"])
    page = _page(request, items)
    today = timezone.localdate()
    for certificate in page.object_list:
        certificate.public = services.public_status(certificate.certification, today)
        certificate.public_label = services.PUBLIC_STATUS_LABELS[certificate.public]
    return render(request, "certificates/certificate_list.html", {"form": form, "page": page})


@member_required(*RECORD_KEEPERS)
def certificate_detail(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    certificate = _certificate(request, pk)
    certification = certificate.certification
    events = (CertificateEvent.objects.for_organisation(request.organisation).filter(certification=certification)
              .select_related("by"))
    public = services.public_status(certification)
    return render(request, "certificates/certificate_detail.html", {
        "certificate": certificate, "certification": certification, "events": events, "public": public,
        "public_label": services.PUBLIC_STATUS_LABELS[public],
        "pdf_languages": services.certificate_languages(certificate),
        "can_decide": request.membership.has_role(Role.DECISION_MAKER),
        "scope": services.scope_labels(services.definition_for(certification), certificate.scope),
        "verify_url": request.build_absolute_uri(reverse("verify", kwargs={"code": certificate.code}))})


ACTIONS = {
    "suspend": (SuspendForm, "certificate_suspend"),
    "reinstate": (ReasonForm, "certificate_reinstate"),
    "withdraw": (ReasonForm, "certificate_withdraw"),
    "reissue": (ReasonForm, "certificate_reissue"),
}


@require_http_methods(["GET", "POST"])
@member_required(*DECIDERS)
def certificate_action(request: OrgRequest, org: str, pk: int, action: str) -> HttpResponse:
    """Suspend, reinstate, withdraw or re-issue: a page that asks first (with the reason), then does it."""
    if action not in ACTIONS:
        raise NotFound(_("There is no such action."))
    certificate = _certificate(request, pk)
    form_class, service = ACTIONS[action]
    form = form_class(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            kwargs: dict[str, Any] = {"certificate": certificate, "by": request.user, "reason": data["reason"]}
            if action == "suspend":
                kwargs["until"] = data["until"]
            try:
                getattr(services, service)(**kwargs)
            except ValidationError as error:
                _put_errors(form, error)
            else:
                messages.success(request, {
                    "suspend": _("The certificate is suspended. The register and the verification page show it now."),
                    "reinstate": _("The certificate is reinstated."),
                    "withdraw": _("The certificate is withdrawn."),
                    "reissue": _("The certificate is re-issued; its new PDF is being prepared."),
                }[action])
                return redirect("certificate_detail", org=org, pk=pk)
        status = 422
    return render(request, "certificates/certificate_action.html",
                  {"certificate": certificate, "certification": certificate.certification, "form": form,
                   "action": action}, status=status)


def _pdf_response(request: OrgRequest, certificate: Certificate, language: str) -> HttpResponseBase:
    if language not in {item["language"] for item in services.certificate_languages(certificate)}:
        raise NotFound(_("The certificate is not issued in this language."))
    if not services.language_available(certificate, language):
        return render(request, "certificates/pdf_unavailable.html", {"certificate": certificate}, status=403)
    pdf = services.pdf_request(certificate, language)
    if not pdf.file:
        return render(request, "certificates/pdf_pending.html", {"certificate": certificate, "language": language},
                      status=202)
    return stored_file_response(pdf.file, filename=f"certificate-{certificate.certification.number}-{language}.pdf",
                                content_type="application/pdf")


@member_required()
def certificate_pdf(request: OrgRequest, org: str, pk: int, language: str) -> HttpResponseBase:
    """The certificate PDF: for its holder, and for the organisation's decision makers and administrators."""
    certificate = _certificate(request, pk)
    if certificate.certification.holder_id != request.user.pk and not request.membership.has_role(*RECORD_KEEPERS):
        raise NotFound(_("There is no such certificate."))
    return _pdf_response(request, certificate, language)


# --- the holder -------------------------------------------------------------------------------------------------

@member_required(Role.PROFESSIONAL)
def my_certificates(request: OrgRequest, org: str) -> HttpResponse:
    """The professional's certificates: status, verification link, PDFs per language, register entry; their
    decisions, with the appeal open where a refusal may still be appealed."""
    certificates = list(Certificate.objects.for_organisation(request.organisation)
                        .filter(certification__holder=request.user)
                        .select_related("certification__scheme_version", "certification__organisation")
                        .order_by("certification__number"))
    for certificate in certificates:
        certificate.public = services.public_status(certificate.certification)
        certificate.public_label = services.PUBLIC_STATUS_LABELS[certificate.public]
        certificate.languages = services.certificate_languages(certificate)
        certificate.form = RegisterEntryForm(instance=certificate, prefix=f"c{certificate.pk}")
        certificate.verify_url = request.build_absolute_uri(reverse("verify", kwargs={"code": certificate.code}))
    decisions = list(Decision.objects.for_organisation(request.organisation)
                     .filter(certification__holder=request.user).select_related("certification", "appeal")
                     .order_by("-decided_at"))
    for decision in decisions:
        decision.appeal_problem = services.appeal_problem(decision, request.user)
        decision.appeal_until = (services.appeal_deadline(decision) if decision.outcome == Decision.Outcome.REFUSE
                                 else None)
        decision.existing_appeal = getattr(decision, "appeal", None) if hasattr(decision, "appeal") else None
    return render(request, "certificates/my_certificates.html", {"certificates": certificates, "decisions": decisions})


@require_POST
@member_required(Role.PROFESSIONAL)
def register_entry(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    certificate = access.certificate_for(request, pk, write=True)
    form = RegisterEntryForm(request.POST, instance=certificate, prefix=f"c{certificate.pk}")
    if form.is_valid():
        services.register_entry_save(certificate=certificate, by=request.user, register=form.cleaned_data["register"],
                                     city=form.cleaned_data["city"])
        messages.success(request, _("Your register entry is saved."))
    else:
        messages.error(request, _("Your register entry was not saved: %(errors)s")
                       % {"errors": " ".join(str(e) for errors in form.errors.values() for e in errors)})
    return redirect("my_certificates", org=org)


@require_http_methods(["GET", "POST"])
@member_required(Role.PROFESSIONAL)
def appeal_create(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    """Appeal against a refusal, within the scheme's window: grounds and files."""
    decision = access.decision_for(request, pk, write=request.method == "POST")
    problem = services.appeal_problem(decision, request.user)
    form = AppealForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and problem is None:
        if form.is_valid():
            try:
                services.appeal_file(decision=decision, by=request.user, grounds=form.cleaned_data["grounds"],
                                     files=form.cleaned_data["files"])
            except ValidationError as error:
                _put_errors(form, error)
            else:
                messages.success(request, _("Your appeal is filed. Decision makers who took no part in your case "
                                            "will hear it; the decision stays in force meanwhile."))
                return redirect("my_certificates", org=org)
        status = 422
    return render(request, "certificates/appeal_form.html",
                  {"decision": decision, "form": form, "problem": problem,
                   "deadline": services.appeal_deadline(decision)},
                  status=403 if problem and request.method == "POST" else status)


# --- appeals (decision makers) -----------------------------------------------------------------------------------

@member_required(*DECIDERS)
def appeal_list(request: OrgRequest, org: str) -> HttpResponse:
    appeals = (Appeal.objects.for_organisation(request.organisation)
               .select_related("decision__certification", "appellant", "handled_by").order_by("status", "-filed_at"))
    return render(request, "certificates/appeal_list.html", {"page": _page(request, appeals)})


def _appeal(request: OrgRequest, pk: int) -> Appeal:
    return get_object_or_404(Appeal.objects.select_related(
        "decision__certification__holder", "decision__certification__scheme_version",
        "decision__certification__organisation", "decision__decided_by", "appellant", "handled_by"),
        organisation=request.organisation, pk=pk)


@require_http_methods(["GET", "POST"])
@member_required(*DECIDERS)
def appeal_detail(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    appeal = _appeal(request, pk)
    refusal = services.appeal_involvement(appeal, request.user)
    form = AppealDecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.appeal_decide(appeal=appeal, by=request.user, outcome=form.cleaned_data["outcome"],
                                       reasons=form.cleaned_data["reasons"])
            except ValidationError as error:
                _put_errors(form, error)
                status = 403 if getattr(error, "code", "") == "involved" else 422
            else:
                messages.success(request, _("The appeal is decided and the candidate has been told."))
                return redirect("appeal_detail", org=org, pk=pk)
        else:
            status = 422
    files = AppealFile.objects.for_organisation(request.organisation).filter(appeal=appeal)
    return render(request, "certificates/appeal_detail.html",
                  {"appeal": appeal, "form": form, "refusal": refusal, "files": files}, status=status)


@member_required()
def appeal_file_download(request: OrgRequest, org: str, pk: int, file_pk: int) -> HttpResponseBase:
    """A file of an appeal: for the appellant and the organisation's decision makers."""
    stored = get_object_or_404(AppealFile.objects.select_related("appeal"), organisation=request.organisation,
                               appeal_id=pk, pk=file_pk)
    if stored.appeal.appellant_id != request.user.pk and not request.membership.has_role(*DECIDERS):
        raise NotFound(_("There is no such file."))
    return stored_file_response(stored.file, filename=evidence_files.download_name(stored.original_name,
                                                                                   stored.content_type),
                                content_type=stored.content_type)


# --- the accreditation record -----------------------------------------------------------------------------------

@member_required(*RECORD_KEEPERS)
def accreditation(request: OrgRequest, org: str) -> HttpResponse:
    rows = services.accreditation_record(request.organisation)
    return render(request, "certificates/accreditation.html", {
        "rows": rows, "columns": services.RECORD_COLUMNS,
        "table": [[row[key] for key, _label in services.RECORD_COLUMNS] for row in rows]})


@member_required(*RECORD_KEEPERS)
def accreditation_csv(request: OrgRequest, org: str) -> HttpResponseBase:
    rows = services.accreditation_record(request.organisation)
    header = [key for key, _label in services.RECORD_COLUMNS]
    return csv_response(f"accreditation-{request.organisation.slug}.csv", header,
                              ([row[key] if row[key] is not None else "" for key in header] for row in rows))


# --- public pages ---------------------------------------------------------------------------------------------------

def _rate_limited(request: OrgRequest, scope: str) -> bool:
    """At most VERIFY_RATE_LIMIT requests per VERIFY_RATE_WINDOW seconds per client address (in the cache)."""
    from django.conf import settings

    limit = int(getattr(settings, "VERIFY_RATE_LIMIT", 30))
    window = int(getattr(settings, "VERIFY_RATE_WINDOW", 60))
    client = request.META.get("REMOTE_ADDR", "")
    key = f"ratelimit:{scope}:{client}:{int(timezone.now().timestamp()) // window}"
    if cache.add(key, 1, window + 5):
        return False
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, window + 5)
        count = 1
    return count > limit


def _wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def _facts(certificate: Certificate, status: str) -> dict[str, Any]:
    """What the public is told about a certificate: no scores, no dossier content, no contact details."""
    certification = certificate.certification
    definition = services.definition_for(certification)
    body = definition.review.certifying_body
    return {
        "status": status, "holder": certificate.holder_name, "number": certification.number,
        "scheme": reports.label(definition.label, definition.code),
        "scope": services.scope_labels(definition, certificate.scope),
        "valid_from": certification.issued_on.isoformat() if certification.issued_on else None,
        "valid_until": certification.expires_on.isoformat() if certification.expires_on else None,
        "suspended_until": certificate.suspended_until.isoformat() if status == "suspended" and
        certificate.suspended_until else None,
        "certifying_body": body.name if body else certification.organisation.name,
        "organisation": certification.organisation.name,
        "code": certificate.code,
    }


@never_cache
@vary_on_headers("Accept")
def verify(request: OrgRequest, code: str) -> HttpResponse:
    """Anyone checks a certificate by its code, without an account: valid, expired, suspended or withdrawn."""
    as_json = _wants_json(request)
    if _rate_limited(request, "verify"):
        message = _("Too many checks from your address. Wait a minute and try again.")
        if as_json:
            return JsonResponse({"status": "rate_limited", "message": message}, status=429)
        return render(request, "certificates/verify.html", {"limited": message, "form": VerifyForm()}, status=429)
    normalised = normalise_code(code)
    # The code carries no organisation: find which one it belongs to (only the id), then read inside it.
    with maintenance():
        organisation_id = (Certificate.objects.filter(code=normalised).values_list("organisation_id", flat=True)
                           .first())
    certificate = None
    if organisation_id is not None:
        organisation = Organisation.objects.get(pk=organisation_id)
        activate_organisation(organisation)
        request.organisation = organisation
        certificate = (Certificate.objects.for_organisation(organisation)
                       .select_related("certification__scheme_version", "certification__organisation")
                       .filter(code=normalised).first())
    if certificate is None:
        message = _("No certificate has this verification code. Check the code as printed on the certificate.")
        if as_json:
            return JsonResponse({"status": "unknown", "message": message}, status=404)
        return render(request, "certificates/verify.html", {"unknown": message, "code": code,
                                                            "form": VerifyForm(initial={"code": code})}, status=404)
    status = services.public_status(certificate.certification)
    facts = _facts(certificate, status)
    if as_json:
        return JsonResponse(facts)
    return render(request, "certificates/verify.html", {
        "facts": facts, "status_label": services.PUBLIC_STATUS_LABELS[status],
        "valid_from": certificate.certification.issued_on, "valid_until": certificate.certification.expires_on,
        "suspended_until": certificate.suspended_until if status == "suspended" else None})


@never_cache
def verify_start(request: HttpRequest) -> HttpResponse:
    """The page to type a code on; sends it to `/verify/<code>/`."""
    form = VerifyForm(request.GET or None)
    if form.is_valid():
        return redirect("verify", code=normalise_code(form.cleaned_data["code"]) or "-")
    return render(request, "certificates/verify.html", {"form": form})


def _public_organisation(request: OrgRequest, org: str) -> Organisation:
    organisation = Organisation.objects.filter(slug=org).first()
    if organisation is None:
        raise NotFound(_("There is no register at this address."))
    activate_organisation(organisation)
    request.organisation = organisation
    return organisation


@never_cache
def public_register(request: OrgRequest, org: str) -> HttpResponse:
    """The organisation's public register: searchable by name, number, scope and city; paged."""
    if _rate_limited(request, "register"):
        return HttpResponse(_("Too many searches from your address. Wait a minute and try again."), status=429,
                            content_type="text/plain; charset=utf-8")
    organisation = _public_organisation(request, org)
    scopes = _register_scopes(organisation)
    form = RegisterSearchForm(request.GET or None, scopes=scopes)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = services.register_entries(organisation, query=filters.get("q", ""), number=filters.get("number", ""),
                                        scope=filters.get("scope", ""), city=filters.get("city", ""))
    page = _page(request, entries)
    labels = dict(scopes)
    schemes: dict[int, str] = {}
    for certificate in page.object_list:
        version = certificate.certification.scheme_version
        if version.pk not in schemes:
            schemes[version.pk] = reports.label(version.rules.label, version.code)
        certificate.scheme_label = schemes[version.pk]
        certificate.scope_labels = [labels.get(code, code) for code in certificate.scope]
    return render(request, "certificates/register.html", {"form": form, "page": page, "register_org": organisation})


def _register_scopes(organisation: Organisation) -> list[tuple[str, str]]:
    from schemes.models import SchemeVersion

    found: dict[str, str] = {}
    for version in SchemeVersion.objects.for_organisation(organisation).order_by("code", "-version"):
        for code, label in zip(_scope_codes(version.rules), services.scope_labels(version.rules,
                                                                                  _scope_codes(version.rules)),
                               strict=True):
            found.setdefault(code, label)
    return list(found.items())


def _scope_codes(definition: Any) -> list[str]:
    return [option.code for section in definition.sections for requirement in section.requirements
            if isinstance(requirement, rules.ChoiceRequirement) and requirement.code == "scope"
            for option in requirement.options]


org_urlpatterns = [
    path("decisions/", decision_queue, name="decision_queue"),
    path("decisions/<int:pk>/", case_detail, name="case_detail"),
    path("manage/certificates/", certificate_list, name="certificate_list"),
    path("manage/certificates/<int:pk>/", certificate_detail, name="certificate_detail"),
    path("manage/certificates/<int:pk>/<slug:action>/", certificate_action, name="certificate_action"),
    path("certificates/<int:pk>/pdf/<slug:language>/", certificate_pdf, name="certificate_pdf"),
    path("certificates/", my_certificates, name="my_certificates"),
    path("certificates/<int:pk>/register/", register_entry, name="register_entry"),
    path("certificates/decisions/<int:pk>/appeal/", appeal_create, name="appeal_create"),
    path("appeals/", appeal_list, name="appeal_list"),
    path("appeals/<int:pk>/", appeal_detail, name="appeal_detail"),
    path("appeals/<int:pk>/files/<int:file_pk>/", appeal_file_download, name="appeal_file_download"),
    path("manage/accreditation/", accreditation, name="accreditation"),
    path("manage/accreditation/csv/", accreditation_csv, name="accreditation_csv"),
    path("register/", public_register, name="public_register"),
]

site_urlpatterns = [
    path("verify/", verify_start, name="verify_start"),
    path("verify/<str:code>/", verify, name="verify"),
]

"""Evidence files: upload (activity or dossier section), download through a permission check, delete.

The upload endpoint is shared with the dossier pages: POST multipart with `file` (one or several) and
either `activity=<pk>` or `section=<pk>` + `requirement=<code>`. An htmx (or XMLHttpRequest with
`HX-Request: true`) call gets the parent's file list as HTML, or 400 with the reason as plain text; a plain
form post is redirected back (to `next`) with the outcome as a message.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role
from accounts.requests import OrgRequest
from accounts.storage import stored_file_response
from accounts.tenancy import NotFound, member_required
from dossiers import access
from dossiers.models import DossierSection, Evidence
from dossiers.services import dossiers as dossier_services
from dossiers.services import evidence as services
from portfolios import evidence_files
from portfolios.models import Activity


def _pk(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError as error:
        raise NotFound(_("This item does not exist (any more).")) from error


def _parent(request: OrgRequest) -> tuple[Activity | None, DossierSection | None, str]:
    """The activity or dossier section named in the POST, if the user may add files to it (404 otherwise)."""
    activity_pk, section_pk = _pk(request.POST.get("activity")), _pk(request.POST.get("section"))
    if activity_pk is not None:
        return access.activity_for(request, activity_pk, write=True), None, ""
    if section_pk is not None:
        section = access.section_for(request, section_pk, write=True)
        return None, section, request.POST.get("requirement", "").strip()
    return None, None, ""


def parent_files(organisation: Any, *, activity: Activity | None = None, section: DossierSection | None = None,
                 requirement_code: str = "") -> list[Evidence]:
    """The files of one parent, in upload order (what the file list shows)."""
    qs = Evidence.objects.for_organisation(organisation)
    if activity is not None:
        return list(qs.filter(activity=activity))
    return list(qs.filter(section=section, requirement_code=requirement_code))


def _next_url(request: OrgRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


def _fallback(request: OrgRequest, activity: Activity | None) -> str:
    if activity is not None:
        return reverse("activity_edit", kwargs={"org": request.organisation.slug, "pk": activity.pk})
    return reverse("org_home", kwargs={"org": request.organisation.slug})


@csrf_exempt  # checked below, after the size-limit handler is installed (CSRF reads the body)
@require_POST
@member_required(Role.PROFESSIONAL)
def evidence_upload(request: OrgRequest, org: str) -> HttpResponse:
    """Attach one or more files. Files over the per-file limit are cut off while they stream in."""
    limiter = evidence_files.SizeLimitUploadHandler(request)
    request.upload_handlers.insert(0, limiter)
    return _evidence_upload(request, org, limiter)


@csrf_protect
def _evidence_upload(request: OrgRequest, org: str, limiter: evidence_files.SizeLimitUploadHandler
                     ) -> HttpResponse:
    activity, section, requirement = _parent(request)
    errors = [services.too_large_message(name) for name, _size in limiter.too_large]
    uploads = request.FILES.getlist("file")
    if not uploads and not errors:
        errors.append(_("Choose a file to upload."))
    saved = []
    if activity is None and section is None:
        errors.append(_("Say which activity or dossier section the file belongs to."))
        uploads = []
    for upload in uploads:
        try:
            saved.append(services.evidence_attach(by=request.user, organisation=request.organisation,
                                                  upload=upload, activity=activity, section=section,
                                                  requirement_code=requirement))
        except ValidationError as error:
            errors.extend(error.messages)
    if request.htmx:
        if errors:
            return HttpResponseBadRequest(" ".join(errors), content_type="text/plain; charset=utf-8")
        context = _list_context(request, activity=activity, section=section, requirement_code=requirement)
        if section is not None:  # the section's state and what it still needs follow the upload (out of band)
            return render(request, "dossiers/_section_upload.html",
                          {**context, **_section_state(section)})
        return render(request, "portfolios/activities/_evidence_list.html", context)
    for evidence in saved:
        messages.success(request, _("“%(name)s” has been uploaded.") % {"name": evidence.original_name})
    for message in errors:
        messages.error(request, message)
    return redirect(_next_url(request, _fallback(request, activity)))


def _section_state(section: DossierSection) -> dict[str, Any]:
    """The section's checklist state after a change to its files (for the out-of-band parts of the answer)."""
    checklist = dossier_services.dossier_checklist(section.dossier)
    state = next((item for item in checklist.sections if item.code == section.code), None)
    return {"section": state, "dossier": section.dossier, "oob": True} if state is not None else {}


def _list_context(request: OrgRequest, *, activity: Activity | None, section: DossierSection | None,
                  requirement_code: str) -> dict[str, Any]:
    locked = (activity.is_locked if activity is not None
              else section.dossier.section_locked(section.code) if section else False)
    if activity is not None:
        list_id = f"evidence-list-activity-{activity.pk}"
    else:
        list_id = f"evidence-list-section-{section.pk if section else 0}-{requirement_code}"
    return {"evidence_files": parent_files(request.organisation, activity=activity, section=section,
                                           requirement_code=requirement_code),
            "evidence_locked": locked, "upload_list_id": list_id,
            "upload_next": _next_url(request, _fallback(request, activity))}


@require_GET
@never_cache
@member_required()
def evidence_download(request: OrgRequest, org: str, pk: int) -> FileResponse:
    """The file, as an attachment with its detected type, to whoever the evidence rules allow (portfolios/access.py).

    Streamed from storage through this view, from disk or S3 alike: no stored file ever has a public address.
    """
    evidence = access.evidence_for(request, pk)
    try:
        response = stored_file_response(
            evidence.file, content_type=evidence.content_type,
            filename=evidence_files.download_name(evidence.original_name, evidence.content_type))
    except FileNotFoundError as error:
        raise NotFound(_("This file is no longer in storage. Upload it again, or ask your administrator.")) from error
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_http_methods(["GET", "POST"])
@member_required(Role.PROFESSIONAL)
def evidence_delete(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    """Ask, then delete one of your files (not when its activity or dossier has been submitted)."""
    evidence = access.evidence_for(request, pk, write=True)
    if services.evidence_parent_locked(evidence):
        raise PermissionDenied(_("This file belongs to a submitted dossier and can no longer be deleted."))
    back = _next_url(request, _fallback(request, evidence.activity))
    if request.method == "POST":
        try:
            services.evidence_delete(evidence=evidence, by=request.user)
        except ValidationError as error:
            raise PermissionDenied(error.messages[0]) from error
        messages.success(request, _("“%(name)s” has been deleted.") % {"name": evidence.original_name})
        return redirect(back)
    return render(request, "portfolios/activities/evidence_delete.html", {"evidence": evidence, "back": back})


urlpatterns = [
    path("evidence/upload/", evidence_upload, name="evidence_upload"),
    path("evidence/<int:pk>/", evidence_download, name="evidence_download"),
    path("evidence/<int:pk>/delete/", evidence_delete, name="evidence_delete"),
]

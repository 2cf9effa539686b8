from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.models import Role
from accounts.requests import OrgRequest
from accounts.tenancy import NotFound, member_required
from schemes import editor, rules, services
from schemes.forms import AdoptForm, DefinitionJSONForm, ImportForm, VersionMetaForm
from schemes.models import SchemePreview, SchemeVersion


def _versions(request: OrgRequest, code: str) -> list[SchemeVersion]:
    versions = list(SchemeVersion.objects.for_organisation(request.organisation).filter(code=code)
                    .select_related("created_by").order_by("-version"))
    if not versions:
        raise NotFound(_("Your organisation has no scheme with this code."))
    return versions


def _latest(request: OrgRequest, code: str) -> SchemeVersion:
    return _versions(request, code)[0]


@require_GET
@member_required(Role.ADMIN)
def scheme_list(request: OrgRequest, org: str) -> HttpResponse:
    versions = SchemeVersion.objects.for_organisation(request.organisation).order_by("code", "-version")
    today = timezone.localdate()
    schemes: dict[str, dict[str, Any]] = {}
    for version in versions:
        entry = schemes.setdefault(version.code, {"code": version.code, "latest": version, "current": None,
                                                  "count": 0})
        entry["count"] += 1
        if entry["current"] is None and version.effective_from <= today:
            entry["current"] = version
    shipped = [(code, data) for code, data in sorted(rules.shipped_definitions().items()) if code not in schemes]
    return render(request, "schemes/scheme_list.html", {
        "schemes": list(schemes.values()),
        "shipped": [{"code": code, "label": editor.local_text(data.get("label"), code),
                     "form": AdoptForm(initial={"code": code}, auto_id=f"adopt-%s-{code}")} for code, data in shipped],
    })


@require_POST
@member_required(Role.ADMIN)
def scheme_adopt(request: OrgRequest, org: str) -> HttpResponse:
    form = AdoptForm(request.POST)
    if form.is_valid():
        try:
            version = services.scheme_adopt(organisation=request.organisation, code=form.cleaned_data["code"],
                                            by=request.user, effective_from=form.cleaned_data["effective_from"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(scheme)s has been adopted as version 1.") % {"scheme": version.label})
            return redirect("scheme_detail", org=org, code=version.code)
    else:
        messages.error(request, _("Choose the date the scheme takes effect."))
    return redirect("scheme_list", org=org)


@require_GET
@member_required(Role.ADMIN)
def scheme_detail(request: OrgRequest, org: str, code: str) -> HttpResponse:
    versions = _versions(request, code)
    current = SchemeVersion.objects.for_organisation(request.organisation).current(code)
    latest = versions[0]
    return render(request, "schemes/scheme_detail.html", {
        "versions": versions, "latest": latest, "current": current, "notes": _notes(latest)})


def _notes(version: SchemeVersion) -> list[dict[str, str]]:
    """The definition's (conflict) and (default) notes, in the current language."""
    return [{"kind": note.get("kind", ""), "path": note.get("path", ""),
             "text": editor.local_text(note.get("text"), "")} for note in version.definition.get("notes", [])]


@require_http_methods(["GET", "POST"])
@member_required(Role.ADMIN)
@vary_on_headers("HX-Request")
def scheme_edit(request: OrgRequest, org: str, code: str) -> HttpResponse:
    """The form editor: every editable value of the latest version, grouped; preview, then save."""
    latest = _latest(request, code)
    meta = VersionMetaForm(request.POST or None)
    groups = editor.editable_groups(latest.definition)
    loose: list[str] = []
    impact = changes = None
    if request.method == "POST":
        proposed, errors = editor.apply_form(latest.definition, request.POST)
        editor.keep_typed(groups, request.POST)
        meta_ok = meta.is_valid()
        definition = None
        # Validated even when some values could not be read (those keep their old value), so every error is
        # reported at once, not the conversion errors first and the rule errors after the next try.
        try:
            validated = services.definition_validate(proposed)
        except ValidationError as error:
            for path, messages in error.message_dict.items():
                errors.setdefault(path, []).extend(m for m in messages if m not in errors.get(path, []))
        else:
            definition = None if errors else validated
        loose = editor.attach_errors(groups, errors)
        if definition is not None and meta_ok:
            changes = _change_rows(latest.definition, rules.dump_definition(definition))
            if request.POST.get("action") == "save":
                return _save(request, org, latest, rules.dump_definition(definition), meta,
                             SchemeVersion.Source.EDITED)
            impact = services.scheme_preview_start(organisation=request.organisation, code=code,
                                                   proposed=definition, by=request.user)
    context = {"latest": latest, "meta": meta, "groups": groups, "loose_errors": loose, "impact": impact,
               "changes": changes, "posted": request.method == "POST"}
    failed = bool(loose or _has_errors(groups) or meta.errors)
    if request.htmx and request.method == "POST" and request.POST.get("action") == "preview":
        if not failed:
            return render(request, "schemes/scheme_edit.html#preview", context)
        # Errors: the whole form comes back, so every field in error is marked on preview as on save.
        response = render(request, "schemes/scheme_edit.html", context)
        response["HX-Retarget"] = "#scheme-form"
        response["HX-Reselect"] = "#scheme-form"
        response["HX-Reswap"] = "outerHTML"
        return response
    return render(request, "schemes/scheme_edit.html", context, status=422 if failed else 200)


def _change_rows(before: dict[str, Any], after: dict[str, Any]) -> list[editor.ChangeRow]:
    """The changes from ``before`` to ``after`` (the version number aside), named by label."""
    proposed = after | {"version": before.get("version")}
    return editor.change_rows(before, proposed, rules.diff_definitions(before, proposed))


def _has_errors(groups: list[editor.Group]) -> bool:
    return any(item.errors for group in groups for item in group.fields)


def _save(request: OrgRequest, org: str, based_on: SchemeVersion | None, data: dict[str, Any],
          meta: VersionMetaForm, source: str) -> HttpResponse:
    try:
        version = services.scheme_version_save(
            organisation=request.organisation, data=data, effective_from=meta.cleaned_data["effective_from"],
            by=request.user, source=source, note=meta.cleaned_data.get("change_note", ""), based_on=based_on)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(request.get_full_path())
    messages.success(request, _("Version %(version)s has been saved; it takes effect on %(date)s.")
                     % {"version": version.version, "date": version.effective_from.isoformat()})
    return redirect("scheme_detail", org=org, code=version.code)


@require_http_methods(["GET", "POST"])
@member_required(Role.ADMIN)
def scheme_edit_json(request: OrgRequest, org: str, code: str) -> HttpResponse:
    """The advanced editor: the whole definition as JSON (to add categories, types, sections...)."""
    latest = _latest(request, code)
    initial = {"definition": json.dumps(latest.definition, indent=2, ensure_ascii=False)}
    form = DefinitionJSONForm(request.POST or None, initial=initial)
    path_errors: dict[str, list[str]] = {}
    impact = changes = None
    if request.method == "POST" and form.is_valid():
        try:
            definition = services.definition_validate(form.cleaned_data["definition"])
        except ValidationError as error:
            path_errors = error.message_dict
        else:
            if definition.code != code:
                path_errors = {"code": [_("The scheme code cannot change (it is %(code)s).") % {"code": code}]}
            else:
                data = rules.dump_definition(definition)
                if request.POST.get("action") == "save":
                    return _save(request, org, latest, data, form, SchemeVersion.Source.EDITED)
                changes = _change_rows(latest.definition, data)
                impact = services.scheme_preview_start(organisation=request.organisation, code=code,
                                                       proposed=definition, by=request.user)
    return render(request, "schemes/scheme_json.html",
                  {"latest": latest, "form": form, "path_errors": path_errors, "impact": impact,
                   "changes": changes}, status=422 if path_errors else 200)


@require_GET
@member_required(Role.ADMIN)
def scheme_export(request: OrgRequest, org: str, code: str, version: int) -> HttpResponse:
    found = SchemeVersion.objects.for_organisation(request.organisation).filter(code=code, version=version).first()
    if found is None:
        raise NotFound(_("Your organisation has no such version of this scheme."))
    body = json.dumps(found.definition, indent=2, ensure_ascii=False) + "\n"
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{code}-v{version}.json"'
    return response


@require_http_methods(["GET", "POST"])
@member_required(Role.ADMIN)
def scheme_import(request: OrgRequest, org: str) -> HttpResponse:
    """Upload a definition file, see it validated with a diff and the preview, then confirm to save."""
    upload = ImportForm(request.POST or None, request.FILES or None) if "file" in request.FILES else ImportForm()
    confirm = DefinitionJSONForm(request.POST or None) if request.POST.get("action") == "save" else None
    path_errors: dict[str, list[str]] = {}
    context: dict[str, Any] = {"upload": upload}
    data = None
    if confirm is not None:
        if confirm.is_valid():
            data = confirm.cleaned_data["definition"]
        else:
            context["confirm_errors"] = confirm.errors
    elif request.method == "POST" and upload.is_valid():
        data = upload.cleaned_data["file"]
    elif request.method == "POST" and not upload.is_bound:
        upload.add_error(None, _("Choose a file to import."))
    if data is not None:
        try:
            definition = services.definition_validate(data)
        except ValidationError as error:
            path_errors = error.message_dict
        else:
            existing = SchemeVersion.objects.for_organisation(request.organisation).filter(
                code=definition.code).order_by("-version").first()
            canonical = rules.dump_definition(definition)
            if confirm is not None:
                return _save(request, org, existing, canonical, confirm, SchemeVersion.Source.IMPORTED)
            context.update({
                "definition": definition, "existing": existing,
                "changes": _change_rows(existing.definition, canonical) if existing else None,
                "impact": services.scheme_preview_start(organisation=request.organisation, code=definition.code,
                                                        proposed=definition, by=request.user) if existing else None,
                "confirm": DefinitionJSONForm(initial={
                    "definition": json.dumps(canonical, ensure_ascii=False)}),
                "label": editor.local_text(canonical.get("label"), definition.code),
            })
    context["path_errors"] = path_errors
    return render(request, "schemes/scheme_import.html", context, status=422 if path_errors else 200)


@require_GET
@member_required(Role.ADMIN)
@vary_on_headers("HX-Request")
def scheme_preview(request: OrgRequest, org: str, code: str, pk: int) -> HttpResponse:
    """A preview's progress and, once finished, its results: the panel htmx polls (the whole page without it)."""
    impact = SchemePreview.objects.for_organisation(request.organisation).filter(code=code, pk=pk).first()
    if impact is None:
        raise NotFound(_("This preview has been replaced by a newer one or the scheme has been saved since."))
    if request.htmx:
        return render(request, "schemes/_preview_job.html", {"impact": impact})
    return render(request, "schemes/scheme_preview.html", {"impact": impact, "code": code})

"""The two steps every CSV import shares: upload → dry run (every row's result) → apply all rows or none.

The checked file waits in the cache (csvio.stash) under a token tied to the organisation and the
administrator, so "Import" applies exactly what was checked; the import re-checks inside its transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.requests import OrgRequest
from portfolios import csvio
from portfolios.forms.admin import ApplyForm, CsvUploadForm


@dataclass(frozen=True)
class CsvImport:
    kind: str  # the stash's namespace
    template: str
    parse: Callable[[str], Any]  # text → table (raises csvio.CsvError)
    check: Callable[[Any], Any]  # table → dry-run result with `.errors`
    apply: Callable[[Any, str], Any]  # (table, file name) → result (raises ValidationError: nothing applied)
    done: Callable[[Any, str], HttpResponse]  # (result, file name) → the response after a successful import


def csv_import(request: OrgRequest, spec: CsvImport, context: dict[str, Any]) -> HttpResponse:
    if request.method == "POST" and "token" in request.POST:
        return _apply(request, spec, context)
    upload = CsvUploadForm(request.POST, request.FILES) if request.method == "POST" else CsvUploadForm()
    context["upload"] = upload
    check = None
    if request.method == "POST" and upload.is_valid():
        file = upload.cleaned_data["file"]
        try:
            table = spec.parse(file["text"])
        except csvio.CsvError as error:
            upload.add_error("file", str(error))
        else:
            check = spec.check(table)
            context.update({"check": check, "file_name": file["name"]})
            if not check.errors:
                context["apply"] = ApplyForm(initial={"token": csvio.stash(
                    kind=spec.kind, organisation_id=request.organisation.pk, user_id=request.user.pk,
                    name=file["name"], text=file["text"], sha256=file["sha256"])})
    status = 422 if upload.errors or (check is not None and check.errors) else 200
    return render(request, spec.template, context, status=status)


def _apply(request: OrgRequest, spec: CsvImport, context: dict[str, Any]) -> HttpResponse:
    context["upload"] = CsvUploadForm()
    form = ApplyForm(request.POST)
    found = csvio.unstash(kind=spec.kind, organisation_id=request.organisation.pk, user_id=request.user.pk,
                          token=form.cleaned_data["token"]) if form.is_valid() else None
    if found is None:
        context["errors"] = [_("The checked file is no longer available (it is kept for an hour). Upload it again.")]
        return render(request, spec.template, context, status=422)
    name, text = found
    try:
        table = replace(spec.parse(text), sha256=form.cleaned_data["token"], name=name)
        result = spec.apply(table, name)
    except csvio.CsvError as error:
        context["errors"] = [str(error)]
        return render(request, spec.template, context, status=422)
    except ValidationError as error:
        context.update({"errors": error.messages, "file_name": name, "check": spec.check(table)})
        return render(request, spec.template, context, status=422)
    return spec.done(result, name)

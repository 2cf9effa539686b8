"""Background work for portfolios: rendering a submitted dossier's PDF from its frozen snapshot.

The PDF is made from the snapshot only (never from live rows), so it shows exactly what was submitted.
WeasyPrint fetches nothing but the project's own static files: its URL fetcher refuses every other address,
so a link in a professional's text cannot make the server call out.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from pathlib import Path
from typing import Any

from celery import shared_task
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from accounts.tenancy import tenant_context
from dossiers.models import Submission
from dossiers.requirements import PdfParts, kind_of

# A base address that cannot resolve: relative references in the template resolve under it, and the fetcher
# maps only <base>/<STATIC_URL>... to the project's own static files.
PDF_BASE_URL = "https://pdf.invalid/"


def _static_prefix() -> str:
    return PDF_BASE_URL + settings.STATIC_URL.lstrip("/")


class StaticFilesOnlyFetcher(URLFetcher):
    """Serves the project's static files to WeasyPrint and refuses everything else (no network, no file:)."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        prefix = _static_prefix()
        if not url.startswith(prefix):
            raise ValueError(f"PDFs embed only the project's own static files, not {url}")
        relative = url[len(prefix):].split("?")[0].split("#")[0]
        found = finders.find(relative) if relative and ".." not in Path(relative).parts else None
        if not found:
            raise ValueError(f"No static file {relative}")
        kind = mimetypes.guess_type(found)[0] or "application/octet-stream"
        return URLFetcherResponse(url, Path(found).read_bytes(), {"Content-Type": kind})


def _when(value: str | None) -> dt.date | dt.datetime | None:
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(value)
    return parsed if "T" in value else parsed.date()


def pdf_context(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The snapshot arranged for the PDF template: files and statements placed under their requirements,
    ISO dates turned back into dates so the template formats them for the language."""
    files = {item["id"]: {**item, "uploaded_at": _when(item["uploaded_at"])} for item in snapshot["evidence"]}
    statements = {}
    for item in snapshot["statements"]:
        fields = [{**field, "value": _when(field["value"]) if field["type"] == "date" else field["value"]}
                  for field in item["fields"]]
        statements[item["id"]] = {**item, "fields": fields, "signed_at": _when(item["signed_at"]),
                                  "requested_at": _when(item["requested_at"])}
    parts = PdfParts(files=files, statements=statements, when=_when)
    sections = []
    for section in snapshot["sections"]:
        requirements = []
        for requirement in section["requirements"]:
            kind = kind_of(requirement["kind"])
            entry = {**requirement, "pdf_partial": kind.pdf_partial}
            kind.pdf(entry, parts)
            requirements.append(entry)
        sections.append({**section, "requirements": requirements})
    dossier = snapshot["dossier"]
    return {
        "s": snapshot, "sections": sections,
        "reference_date": _when(dossier["reference_date"]), "submitted_at": _when(dossier["submitted_at"]),
        "activities": [{**item, "date": _when(item["date"])} for item in snapshot["activities"]],
        "points": snapshot["report_localised"]["points"],
    }


def render_pdf(snapshot: dict[str, Any]) -> bytes:
    """The dossier PDF for a snapshot, in the submitter's language."""
    with translation.override(snapshot.get("language") or settings.LANGUAGE_CODE):
        html = render_to_string("dossiers/pdf/dossier.html", {**pdf_context(snapshot),
                                                                "stylesheet": _static_prefix() + "css/pdf.css"})
    return HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=StaticFilesOnlyFetcher()).write_pdf()


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600, max_retries=5)
def render_submission_pdf(submission_id: int, organisation_id: int) -> None:
    """Render and store a submission's PDF once (a repeat finds it done and stops)."""
    with tenant_context(organisation_id):
        submission = (Submission.objects.for_organisation(organisation_id).select_for_update()
                      .filter(pk=submission_id).first())
        if submission is None or submission.pdf:
            return
        pdf = render_pdf(submission.snapshot)
        submission.pdf.save(f"dossier-{submission.dossier_id}-{submission.pk}.pdf", ContentFile(pdf), save=False)
        submission.save(update_fields=["pdf"])

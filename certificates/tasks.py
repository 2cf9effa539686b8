"""The certificates' background work: each PDF rendered once by a task; the daily lapse and reinstatement scan.

The PDF carries a QR code (segno) of the verification link and embeds nothing but our own static files
(`dossiers.tasks.StaticFilesOnlyFetcher`); the QR code is a PNG in a data: URI this module made itself.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import logging
from typing import Any

import segno
from celery import shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError
from django.template.loader import render_to_string
from django.utils import timezone, translation
from weasyprint import HTML
from weasyprint.urls import URLFetcherResponse

from accounts.mail import site_url
from accounts.models import Organisation
from accounts.tenancy import maintenance, tenant_context
from certificates import services
from certificates.models import Certificate, CertificatePdf
from dossiers.tasks import PDF_BASE_URL, StaticFilesOnlyFetcher
from portfolios import reports

logger = logging.getLogger(__name__)
QR_PREFIX = "data:image/png;base64,"


def verification_link(certificate: Certificate) -> str:
    return site_url("verify", code=certificate.code)


class CertificateFetcher(StaticFilesOnlyFetcher):
    """Our static files, and the QR code's own data: URI — nothing else."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith(QR_PREFIX):
            return URLFetcherResponse(url, base64.b64decode(url[len(QR_PREFIX):]), {"Content-Type": "image/png"})
        return super().fetch(url, headers)


def qr_data_uri(link: str) -> str:
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=8, border=2)
    return QR_PREFIX + base64.b64encode(buffer.getvalue()).decode()


def certificate_context(certificate: Certificate) -> dict[str, Any]:
    certification = certificate.certification
    definition = services.definition_for(certification)
    body = definition.review.certifying_body
    link = verification_link(certificate)
    return {"certificate": certificate, "certification": certification, "link": link, "qr": qr_data_uri(link),
            "scheme": reports.label(definition.label, definition.code),
            "scope": services.scope_labels(definition, certificate.scope),
            "body": body.name if body else certification.organisation.name,
            "accreditation": body.accreditation if body else None,
            "organisation": certification.organisation,
            "stylesheet": PDF_BASE_URL + settings.STATIC_URL.lstrip("/") + "css/certificate-pdf.css"}


def render_certificate(certificate: Certificate, language: str) -> bytes:
    with translation.override(language):
        html = render_to_string("certificates/pdf/certificate.html", certificate_context(certificate))
    return HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=CertificateFetcher()).write_pdf()


@shared_task(name="certificates.tasks.render_certificate_pdf", autoretry_for=(OSError, DatabaseError),
             retry_backoff=True, retry_backoff_max=600, max_retries=5)
def render_certificate_pdf(pdf_id: int, organisation_id: int) -> None:
    """Render and store one certificate PDF once (a repeat finds it done and stops)."""
    with tenant_context(organisation_id):
        pdf = (CertificatePdf.objects.for_organisation(organisation_id).select_for_update(of=("self",))
               .select_related("certificate__certification__holder", "certificate__certification__scheme_version",
                               "certificate__certification__organisation").filter(pk=pdf_id).first())
        if pdf is None or pdf.file:
            return
        content = render_certificate(pdf.certificate, pdf.language)
        pdf.file.save(f"certificate-{pdf.certificate.certification.number}-{pdf.language}.pdf", ContentFile(content),
                      save=False)
        pdf.save(update_fields=["file"])


def daily_scan(*, today: dt.date | None = None) -> dict[str, int]:
    day = today or timezone.localdate()
    totals = {"extended": 0, "lapsed": 0, "reinstated": 0}
    with maintenance():
        organisations = list(Organisation.objects.order_by("pk"))
    for organisation in organisations:
        with tenant_context(organisation):
            result = services.daily_run(organisation=organisation, today=day)
        for key in totals:
            totals[key] += getattr(result, key)
    logger.info("Certificates daily scan %s: %s", day, totals)
    return totals


@shared_task(name="certificates.tasks.daily_certificates_task")
def daily_certificates_task(today: str | None = None) -> dict[str, int]:
    from notifications.tasks import beat_record

    counts = daily_scan(today=dt.date.fromisoformat(today) if today else None)
    beat_record("certificates-daily", **counts)
    return counts

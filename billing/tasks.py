"""Billing's background work: invoice PDFs, charges that waited for the profile, the annual scan, reminders.

All are queued through the outbox (or by beat) and safe to run twice: a PDF is rendered once, a charge is
invoiced once (it is locked and then has its invoice), the annual scan and the reminders claim through unique
constraints.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError
from django.template.loader import render_to_string
from django.utils import timezone, translation
from weasyprint import HTML

from accounts.models import Organisation
from accounts.tenancy import maintenance, tenant_context
from billing import services
from billing.models import Invoice
from dossiers.tasks import PDF_BASE_URL, StaticFilesOnlyFetcher

logger = logging.getLogger(__name__)


def invoice_pdf_context(invoice: Invoice) -> dict[str, Any]:
    from billing.countries import country_name

    lines = list(invoice.line_items())
    return {"invoice": invoice, "lines": lines, "issuer_country": country_name(invoice.issuer_country),
            "reference": services.format_reference(invoice.payment_reference),
            "stylesheet": PDF_BASE_URL + settings.STATIC_URL.lstrip("/") + "css/invoice-pdf.css",
            "breakdown": invoice.vat_breakdown}


def render_invoice(invoice: Invoice) -> bytes:
    """The invoice's PDF in the customer's language, embedding only our own static files."""
    with translation.override(invoice.language):
        html = render_to_string("billing/pdf/invoice.html", invoice_pdf_context(invoice))
    return HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=StaticFilesOnlyFetcher()).write_pdf()


@shared_task(name="billing.tasks.render_invoice_pdf", autoretry_for=(OSError, DatabaseError), retry_backoff=True,
             retry_backoff_max=600, max_retries=5)
def render_invoice_pdf(invoice_id: int, organisation_id: int) -> None:
    """Render and store an invoice's PDF once (a repeat finds it done and stops)."""
    with tenant_context(organisation_id):
        invoice = (Invoice.objects.for_organisation(organisation_id).select_for_update(of=("self",))
                   .select_related("organisation", "credit_of").filter(pk=invoice_id).first())
        if invoice is None or invoice.pdf:
            return
        invoice.pdf.save(f"{invoice.number}.pdf", ContentFile(render_invoice(invoice)), save=False)
        invoice.save(update_fields=["pdf"])


@shared_task(name="billing.tasks.invoice_pending_charges", autoretry_for=(DatabaseError,), retry_backoff=True,
             max_retries=5)
def invoice_pending_charges(organisation_id: int) -> int:
    with tenant_context(organisation_id):
        organisation = Organisation.objects.get(pk=organisation_id)
        return services.charges_invoice_pending(organisation=organisation)


def _organisations() -> list[Organisation]:
    with maintenance():
        return list(Organisation.objects.order_by("pk"))


def annual_billing_scan(*, today: dt.date | None = None) -> services.AnnualResult:
    """Bill the annual fees due by `today` in every organisation; safe to run as often (and as concurrently) as
    wanted: each person's contribution for a year is claimed once."""
    result = services.AnnualResult(today=today or timezone.localdate())
    for organisation in _organisations():
        with tenant_context(organisation):
            services.annual_fees_bill(organisation=organisation, today=result.today, result=result)
        result.organisations += 1
    logger.info("Annual billing scan %s", result.counts())
    return result


@shared_task(name="billing.tasks.annual_billing_task")
def annual_billing_task(today: str | None = None) -> dict[str, Any]:
    from notifications.tasks import beat_record

    counts = annual_billing_scan(today=dt.date.fromisoformat(today) if today else None).counts()
    beat_record("billing-annual-scan", **counts)
    return counts


def invoice_reminder_scan(*, today: dt.date | None = None) -> int:
    day = today or timezone.localdate()
    sent = 0
    for organisation in _organisations():
        with tenant_context(organisation):
            sent += services.invoice_reminders_send(organisation=organisation, today=day)
    return sent


@shared_task(name="billing.tasks.invoice_reminder_task")
def invoice_reminder_task(today: str | None = None) -> dict[str, Any]:
    from notifications.tasks import beat_record

    sent = invoice_reminder_scan(today=dt.date.fromisoformat(today) if today else None)
    beat_record("billing-reminder-scan", sent=sent)
    return {"sent": sent}

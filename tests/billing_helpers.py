"""Shared set-up for the billing tests: CMI's scheme, a complete billing profile, a complete CMI dossier."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest

from accounts.tenancy import maintenance
from billing.models import BillingProfile, Invoice
from dossiers.models import Dossier, Submission
from tests import factories
from tests.test_dossiers import save_section, signed_statement, start

CMI = "cmi-register-loopbaanprofessional"
PROFILE = {"legal_name": "Stichting CMI", "address": "Herengracht 1", "postcode": "1015 BA", "city": "Amsterdam",
           "country": "NL", "kvk_number": "41200896", "vat_number": "NL000099998B57", "iban": "NL91ABNA0417164300",
           "bic": "ABNANL2A", "invoice_prefix": "CMI", "payment_term_days": 30, "email": "billing@cmi.example",
           "footer": "Our terms apply."}


@pytest.fixture
def vat_table(db: None) -> None:
    """The VAT rates the data migration seeds (a transactional test's flush empties every table, so tests that
    need them say so)."""
    import importlib

    from billing.models import VatRate

    seed = importlib.import_module("billing.migrations.0004_dutch_vat_rates")
    for category, rate, valid_from, end, note in seed.RATES:
        VatRate.objects.update_or_create(country="NL", category=category, valid_from=valid_from,
                                         defaults={"rate": rate, "valid_until": end, "note": note})


def billing_profile(org, **fields) -> BillingProfile:
    with maintenance():
        profile, _created = BillingProfile.objects.update_or_create(organisation=org,
                                                                    defaults={**PROFILE, **fields})
    return profile


def cmi_certification(org, holder, **fields):
    return factories.certification(org, holder, CMI, **fields)


def complete_cmi(client, org, dossier) -> None:
    """Fill every section of a CMI recertification dossier (same level, supervisor statement signed)."""
    assert save_section(client, org, dossier, "scope", {"scope": ["career-guidance"]}).status_code == 302
    assert save_section(client, org, dossier, "level", {"level": "B"}).status_code == 302
    assert save_section(client, org, dossier, "level-change", {"level-change": "same"}).status_code == 302
    signed_statement(dossier, "supervisor-statement", "supervisor-statement", {
        "supervisor-name": "Sam Supervisor", "development": "Grew a lot.", "signed-on": "2026-01-10"},
        signer_email="sam@example.com", signer_name="Sam Supervisor")


def submitted_cmi(client, org, holder, certification=None) -> Submission:
    """A CMI recertification dossier submitted by `holder` through the page (so the signal bills it)."""
    from django.urls import reverse

    client.force_login(holder)
    dossier = start(client, org, certification or cmi_certification(org, holder))
    complete_cmi(client, org, dossier)
    response = client.post(reverse("dossier_submit", kwargs={"org": org.slug, "pk": dossier.pk}))
    assert response.status_code == 302, response.content.decode()[:2000]
    with maintenance():
        return Submission.objects.select_related("dossier").get(dossier=dossier)


def invoices_of(org, **filters) -> list[Invoice]:
    with maintenance():
        return list(Invoice.objects.filter(organisation=org, **filters).order_by("sequence"))


def dossier_of(submission) -> Dossier:
    with maintenance():
        return Dossier.objects.get(pk=submission.dossier_id)


def pdf_text(data: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is needed to read the invoice PDF")
    source = tmp_path / "invoice.pdf"
    source.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(source), "-"], check=True, capture_output=True,
                          text=True).stdout


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)

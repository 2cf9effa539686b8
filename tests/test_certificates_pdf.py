"""The certificate document (issue 11 item 3): a PDF per language with holder, number, scheme, scope, dates, the
certifying body and its accreditation, the verification code and a QR code of the verification link — looked at
with pdftotext and decoded with zbarimg (Debian's zbar-tools) — rendered by a task; the English-language CMI
certificate is a paid extra, available once its order is paid."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.tenancy import maintenance
from billing import services as billing
from certificates import services
from certificates.models import Certificate, CertificatePdf
from certificates.tasks import render_certificate, verification_link
from tests import factories
from tests.billing_helpers import billing_profile, vat_table  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vat_table")]


@pytest.fixture
def cmi_certificate(org_a, alice):
    with maintenance():
        certification = factories.certification(org_a, alice, "cmi-register-loopbaanprofessional",
                                                number="CMI-4711", issued_on=dt.date(2026, 3, 10),
                                                expires_on=dt.date(2029, 3, 10),
                                                recertification_date=dt.date(2029, 3, 10))
        certificate, _created = services.certificate_ensure(certification, scope=["career-coaching", "outplacement"])
        return Certificate.objects.select_related("certification__holder", "certification__scheme_version",
                                                  "certification__organisation").get(pk=certificate.pk)


def pdf_text(content: bytes, tmp_path: Path) -> str:
    target = tmp_path / "certificate.pdf"
    target.write_bytes(content)
    return subprocess.run(["pdftotext", str(target), "-"], check=True, capture_output=True,
                          text=True).stdout


def qr_codes(content: bytes, tmp_path: Path) -> list[str]:
    if not shutil.which("zbarimg"):
        pytest.fail("zbarimg not found: install Debian's zbar-tools (.ci/run does).")
    (tmp_path / "c.pdf").write_bytes(content)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(tmp_path / "c.pdf"), str(tmp_path / "page")],
                   check=True)
    found = subprocess.run(["zbarimg", "--quiet", "--raw", str(tmp_path / "page.png")], capture_output=True, text=True)
    return found.stdout.split()


def test_the_pdf_carries_the_facts_and_a_qr_code_of_the_verification_link(cmi_certificate, tmp_path, settings):
    settings.SITE_URL = "https://recert.example"
    with maintenance():
        content = render_certificate(cmi_certificate, "nl")
    text = " ".join(pdf_text(content, tmp_path).split())  # words as read, whatever the line breaks
    for expected in ("CMI-4711", "Alice Person", cmi_certificate.code, "CMI Register Loopbaanprofessional",
                     "DNV GL", "ISO 17024", "10 maart 2026", "10 maart 2029", "Loopbaancoaching", "Outplacement"):
        assert expected in text, expected
    link = f"https://recert.example/verify/{cmi_certificate.code}/"
    assert verification_link(cmi_certificate) == link
    assert qr_codes(content, tmp_path) == [link]


def test_english_is_a_paid_extra(client, org_a, alice, cmi_certificate, django_capture_on_commit_callbacks):
    client.force_login(alice)
    url = reverse("certificate_pdf", kwargs={"org": org_a.slug, "pk": cmi_certificate.pk, "language": "en"})
    refused = client.get(url)
    assert refused.status_code == 403
    assert "paid extra" in refused.content.decode()
    billing_profile(org_a)
    with maintenance():
        invoice = billing.order_place(organisation=org_a, user=alice, scheme_code="cmi-register-loopbaanprofessional",
                                      fee_code="english-certificate", quantity=1)
    assert client.get(url).status_code == 403  # ordered, not paid yet
    with maintenance():
        billing.payment_record(invoice=invoice, amount=invoice.total, paid_on=dt.date.today(), method="transfer",
                               reference="BANK-1")
    with django_capture_on_commit_callbacks(execute=True):
        first = client.get(url)
    assert first.status_code in (200, 202)
    done = client.get(url)
    assert done.status_code == 200
    assert done["Content-Type"] == "application/pdf"
    assert b"".join(done.streaming_content).startswith(b"%PDF")


def test_the_pdf_is_rendered_by_a_task_not_the_request(client, org_a, alice, cmi_certificate, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # nothing runs the task: the request must not render it itself
    client.force_login(alice)
    url = reverse("certificate_pdf", kwargs={"org": org_a.slug, "pk": cmi_certificate.pk, "language": "nl"})
    pending = client.get(url)
    assert pending.status_code == 202
    assert "being prepared" in pending.content.decode()
    with maintenance():
        assert CertificatePdf.objects.get(certificate=cmi_certificate, language="nl").file == ""


def test_only_the_holder_and_the_certifying_body_download_it(client, org_a, alice, bob, cmi_certificate):
    url = reverse("certificate_pdf", kwargs={"org": org_a.slug, "pk": cmi_certificate.pk, "language": "nl"})
    client.force_login(bob)
    assert client.get(url).status_code == 404
    client.force_login(alice)
    assert client.get(reverse("certificate_pdf", kwargs={"org": org_a.slug, "pk": cmi_certificate.pk,
                                                         "language": "nb"})).status_code == 404

"""Billing pages: what professionals and administrators see, isolation, the PDF's mandatory fields, the export,
bank statements, reminders, and constant query counts."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.tenancy import maintenance
from billing import services
from billing.models import InvoiceLine, InvoiceReminder, Payment, StatementImport
from billing.tasks import invoice_reminder_scan, render_invoice_pdf
from tests import factories
from tests.billing_helpers import (
    billing_profile,
    cmi_certification,
    invoices_of,
    pdf_text,
    submitted_cmi,
    vat_table,  # noqa: F401 - fixture
)
from tests.test_background import real_broker, wait_for, worker  # noqa: F401 - fixtures

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vat_table")]
D = Decimal


def url(name, org, **kwargs):
    return reverse(name, kwargs={"org": org.slug, **kwargs})


@pytest.fixture
def cmi(org_a, ada):
    billing_profile(org_a)
    return org_a


@pytest.fixture
def invoice(client, cmi, alice):
    submitted_cmi(client, cmi, alice)
    [found] = invoices_of(cmi)
    return found


# --- Professionals ----------------------------------------------------------------------------------------------

def test_a_professional_sees_only_their_own_invoices(client, cmi, alice, invoice):
    other = factories.member(cmi, "olga@example.com", "professional", first_name="Olga")
    submitted_cmi(client, cmi, other)
    olgas = invoices_of(cmi, customer=other)[0]
    client.force_login(alice)
    page = client.get(url("my_invoices", cmi)).content.decode()
    assert invoice.number in page
    assert olgas.number not in page
    assert client.get(url("my_invoice_detail", cmi, pk=olgas.pk)).status_code == 404
    assert client.get(url("invoice_pdf", cmi, pk=olgas.pk)).status_code == 404
    assert client.post(url("invoice_pay", cmi, pk=olgas.pk)).status_code == 404
    detail = client.get(url("my_invoice_detail", cmi, pk=invoice.pk)).content.decode()
    assert "is due by" in detail
    assert "NL91ABNA0417164300" in detail


def test_a_professional_cannot_reach_the_administrators_pages(client, cmi, alice, invoice):
    client.force_login(alice)
    for name, kwargs in (("billing_overview", {}), ("invoice_list", {}), ("invoice_detail", {"pk": invoice.pk}),
                         ("credit_note_create", {"pk": invoice.pk}), ("payment_create", {"pk": invoice.pk}),
                         ("statement_upload", {})):
        assert client.get(url(name, cmi, **kwargs)).status_code == 403, name


def test_another_organisations_invoice_answers_404(client, cmi, org_b, charlie, invoice):
    client.force_login(charlie)
    for name in ("my_invoice_detail", "invoice_pdf", "invoice_detail", "credit_note_create", "payment_create"):
        assert client.get(url(name, org_b, pk=invoice.pk)).status_code == 404, name
        assert client.get(url(name, cmi, pk=invoice.pk)).status_code == 404, name


def test_billing_details_for_the_employer_are_validated_and_kept(client, cmi, alice):
    client.force_login(alice)
    response = client.post(url("billing_details", cmi), {"bill_to": "employer", "employer_name": "Beispiel GmbH",
                                                         "employer_country": "DE", "country": "NL",
                                                         "employer_vat_number": "DE123"})
    assert response.status_code == 422
    body = response.content.decode()
    assert "Needed when your invoices go to your employer." in body
    assert "is not a valid VAT number" in body
    assert 'value="Beispiel GmbH"' in body  # a rejected form keeps what was typed
    response = client.post(url("billing_details", cmi), {
        "bill_to": "employer", "employer_name": "Beispiel GmbH", "employer_address": "Hauptstraße 1",
        "employer_postcode": "10115", "employer_city": "Berlin", "employer_country": "DE",
        "employer_vat_number": "DE 136 695 976", "country": "NL", "po_reference": "PO-1"})
    assert response.status_code == 302
    details = services.billing_details(cmi, alice)
    assert details.employer_vat_number == "DE136695976"
    assert AuditEvent.objects.filter(organisation=cmi, action="billing.details").exists()


def test_the_pdf_is_rendered_by_a_task_and_carries_every_mandatory_field(client, cmi, alice, invoice, tmp_path):
    client.force_login(alice)
    pending = client.get(url("invoice_pdf", cmi, pk=invoice.pk))
    assert pending.status_code == 202  # not rendered inside the request
    render_invoice_pdf(invoice.pk, cmi.pk)
    response = client.get(url("invoice_pdf", cmi, pk=invoice.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(b"".join(response.streaming_content), tmp_path)
    flat = " ".join(text.split())
    issue = invoice.issue_date
    for expected in (
        "Invoice", invoice.number,                                  # sequential number
        "Invoice date", issue.strftime("%-d %B %Y"),                # issue date
        "Supply date",                                              # tax point
        "Due date", (issue + dt.timedelta(days=30)).strftime("%-d %B %Y"),
        "Stichting CMI", "Herengracht 1", "1015 BA Amsterdam",      # issuer's name and address
        "KvK number: 41200896", "VAT number: NL000099998B57",      # issuer's KvK and VAT numbers
        "Alice Person",                                             # customer's name
        "Recertification", "Quantity", "1",                         # description and quantity
        "Unit price", "€ 625.00 excl. VAT",                         # unit price
        "Net at 21%", "VAT at 21%", "€ 131.25",                     # net per rate, rate, VAT amount
        "Total (EUR)", "€ 756.25",                                  # total and currency
        "IBAN", "NL91ABNA0417164300", "Payment reference", services.format_reference(invoice.payment_reference),
        "Our terms apply.",
    ):
        assert expected.replace("€ ", "€\u00a0") in text or expected in flat, expected


def test_the_pdf_is_in_the_customers_language(client, cmi, alice, tmp_path):
    alice.preferred_language = "nl"
    alice.save()
    submitted_cmi(client, cmi, alice)
    [invoice] = invoices_of(cmi)
    render_invoice_pdf(invoice.pk, cmi.pk)
    with maintenance():
        invoice.refresh_from_db()
        text = pdf_text(invoice.pdf.read(), tmp_path)
    assert "Factuur" in text
    assert "Recertificering" in text
    assert "Btw" in text or "btw" in text


def test_a_credit_note_pdf_names_the_invoice_it_corrects(client, cmi, alice, ada, invoice, tmp_path):
    note = services.credit_note_issue(invoice=invoice, amounts=None, reason="Fee waived", by=ada)
    render_invoice_pdf(note.pk, cmi.pk)
    with maintenance():
        note.refresh_from_db()
        text = " ".join(pdf_text(note.pdf.read(), tmp_path).split())
    assert "Credit note" in text
    assert f"Corrects invoice {invoice.number}" in text
    assert "Fee waived" in text
    assert "-756.25" in text.replace("\u00a0", " ").replace("€ ", "")


# --- Administrators ------------------------------------------------------------------------------------------

def test_the_administrator_issues_a_credit_note_after_a_confirmation(client, cmi, ada, invoice, mailoutbox,
                                                                     django_capture_on_commit_callbacks):
    client.force_login(ada)
    form = client.get(url("credit_note_create", cmi, pk=invoice.pk)).content.decode()
    assert "Credit invoice" in form
    preview = client.post(url("credit_note_create", cmi, pk=invoice.pk),
                          {"reason": "Waived", "scope": "full", "action": "preview"})
    assert preview.status_code == 200
    assert "Check the credit note below" in preview.content.decode()
    assert len(invoices_of(cmi)) == 1  # nothing issued by the preview
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("credit_note_create", cmi, pk=invoice.pk),
                               {"reason": "Waived", "scope": "full", "action": "confirm"})
    assert response.status_code == 302
    note = invoices_of(cmi)[-1]
    assert note.kind == "credit_note"
    assert note.total == D("-756.25")
    assert any(note.number in mail.subject for mail in mailoutbox)


def test_a_partial_credit_needs_an_amount_and_keeps_the_input(client, cmi, ada, invoice):
    client.force_login(ada)
    response = client.post(url("credit_note_create", cmi, pk=invoice.pk),
                           {"reason": "Discount", "scope": "partial", "action": "preview"})
    assert response.status_code == 422
    assert "Enter the amount to credit on at least one line." in response.content.decode()
    line = InvoiceLine.objects.get(invoice=invoice)
    response = client.post(url("credit_note_create", cmi, pk=invoice.pk),
                           {"reason": "Discount", "scope": "partial", f"line_{line.pk}": "700", "action": "preview"})
    assert response.status_code == 422
    assert "Discount" in response.content.decode()


def test_recording_a_payment(client, cmi, ada, invoice):
    client.force_login(ada)
    response = client.post(url("payment_create", cmi, pk=invoice.pk),
                           {"amount": "756.25", "paid_on": "2026-02-01", "reference": "NL-BANK-1"})
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    again = client.post(url("payment_create", cmi, pk=invoice.pk),
                        {"amount": "756.25", "paid_on": "2026-02-01", "reference": "NL-BANK-1"})
    assert again.status_code == 422
    assert Payment.objects.filter(invoice=invoice).count() == 1


def test_the_overview_shows_open_overdue_paid_and_totals_per_fee_and_month(client, cmi, ada, alice, invoice):
    client.force_login(ada)
    page = client.get(url("billing_overview", cmi)).content.decode()
    assert "€\u00a0756.25" in page  # open
    assert "Recertification" in page
    assert "The source gives the book&#x27;s VAT as 6%" in page or "The source gives the book's VAT as 6%" in page
    services.payment_record(invoice=invoice, amount=D("756.25"), paid_on=timezone.localdate(), method="transfer",
                            reference="X", by=ada)
    figures = services.billing_figures(organisation=cmi, today=timezone.localdate())
    assert (figures.open, figures.paid) == (D(0), D("756.25"))
    assert figures.per_fee == [{"fee_code": "recertification", "net": D("625.00"), "vat": D("131.25"),
                                "gross": D("756.25")}]


def test_overdue_amounts(cmi, invoice):
    later = invoice.due_date + dt.timedelta(days=1)
    figures = services.billing_figures(organisation=cmi, today=later)
    assert figures.overdue == D("756.25")
    assert services.billing_figures(organisation=cmi, today=invoice.due_date).overdue == D(0)


def test_the_list_filters_and_keeps_its_queries_constant(client, cmi, ada, alice, invoice,
                                                         django_assert_max_num_queries):
    client.force_login(ada)
    page = client.get(url("invoice_list", cmi), {"status": "open"}).content.decode()
    assert invoice.number in page
    assert invoice.number not in client.get(url("invoice_list", cmi), {"status": "paid"}).content.decode()
    assert invoice.number in client.get(url("invoice_list", cmi), {"fee": "recertification"}).content.decode()
    assert invoice.number not in client.get(url("invoice_list", cmi), {"fee": "annual-contribution"}).content.decode()
    assert invoice.number in client.get(url("invoice_list", cmi), {"q": "Alice"}).content.decode()
    with django_assert_max_num_queries(20) as few:
        client.get(url("invoice_list", cmi))
    for number in range(30):
        person = factories.member(cmi, f"p{number}@example.com", "professional")
        certification = cmi_certification(cmi, person)
        services.certification_fee_bill(organisation_id=cmi.pk, customer_id=person.pk,
                                        version=certification.scheme_version, reason=f"test-{number}",
                                        tax_point=timezone.localdate())
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url("invoice_list", cmi))
    assert 'rel="next"' in response.content.decode()
    assert 'rel="prev"' not in response.content.decode()
    assert "31 documents" in response.content.decode()
    second = response.context["page"].next_cursor
    with django_assert_max_num_queries(len(few.captured_queries)):
        older = client.get(url("invoice_list", cmi), {"cursor": second})
    assert len(older.context["page"].object_list) == 6
    assert 'rel="prev"' in older.content.decode()
    assert 'rel="next"' not in older.content.decode()


def test_the_bookkeeping_export_has_a_row_per_rate_and_guards_formulas(client, cmi, ada, alice):
    with maintenance():
        alice.first_name = "=HYPERLINK(1)"
        alice.save()
    submitted_cmi(client, cmi, alice)
    [invoice] = invoices_of(cmi)
    services.credit_note_issue(invoice=invoice, amounts=None, reason="x", by=ada)
    client.force_login(ada)
    today = timezone.localdate()
    response = client.get(url("invoice_export", cmi), {"start": today.isoformat(), "end": today.isoformat()})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["number", "kind", "credits", "issue_date", "supply_date"]
    assert len(rows) == 3
    invoice_row, note_row = rows[1], rows[2]
    assert invoice_row[6].startswith("'=HYPERLINK")  # a formula is not a formula in the spreadsheet
    assert invoice_row[11:15] == ["21", "625.00", "131.25", "756.25"]
    assert note_row[1] == "credit_note"
    assert note_row[2] == invoice.number
    assert note_row[12] == "-625.00"  # amounts stay numbers, not text


# --- Bank statements ---------------------------------------------------------------------------------------

CAMT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
 <BkToCstmrStmt><GrpHdr><MsgId>1</MsgId><CreDtTm>2026-02-02T08:00:00</CreDtTm></GrpHdr>
  <Stmt><Id>STMT-1</Id>
   <Ntry><Amt Ccy="EUR">756.25</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-02-01</Dt></BookgDt>
    <AcctSvcrRef>ENTRY-001</AcctSvcrRef>
    <NtryDtls><TxDtls><RltdPties><Dbtr><Nm>A. Person</Nm></Dbtr></RltdPties>
     <RmtInf><Strd><CdtrRefInf><Ref>{reference}</Ref></CdtrRefInf></Strd></RmtInf></TxDtls></NtryDtls>
   </Ntry>
   <Ntry><Amt Ccy="EUR">12.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-02-01</Dt></BookgDt>
    <AcctSvcrRef>ENTRY-002</AcctSvcrRef><NtryDtls><TxDtls><RmtInf><Ustrd>donation</Ustrd></RmtInf></TxDtls></NtryDtls>
   </Ntry>
   <Ntry><Amt Ccy="EUR">50.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><BookgDt><Dt>2026-02-01</Dt></BookgDt>
    <AcctSvcrRef>ENTRY-003</AcctSvcrRef>
   </Ntry>
  </Stmt>
 </BkToCstmrStmt>
</Document>
"""


def _upload(client, org, name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(url("statement_upload", org), {"file": SimpleUploadedFile(name, data)})


def test_a_camt053_statement_dry_run_then_apply_once(client, cmi, ada, invoice):
    client.force_login(ada)
    data = CAMT.format(reference=invoice.payment_reference).encode()
    check = _upload(client, cmi, "feb.xml", data)
    assert check.status_code == 200
    body = check.content.decode()
    assert f"Pays {invoice.number}" in body
    assert "No open invoice" in body
    assert "Not a payment received" in body
    invoice.refresh_from_db()
    assert invoice.status == "open"  # the dry run records nothing
    token = check.context["token"]
    applied = client.post(url("statement_apply", cmi), {"token": token})
    assert applied.status_code == 200
    assert "donation" in applied.content.decode()  # unmatched lines listed
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    [payment] = Payment.objects.filter(invoice=invoice)
    assert (payment.reference, payment.amount, payment.method) == ("ENTRY-001", D("756.25"), "statement")
    again = _upload(client, cmi, "feb.xml", data)
    assert "Recorded before" in again.content.decode()
    client.post(url("statement_apply", cmi), {"token": again.context["token"]})
    assert Payment.objects.filter(invoice=invoice).count() == 1
    assert StatementImport.objects.filter(organisation=cmi).count() == 2
    assert AuditEvent.objects.filter(organisation=cmi, action="statement.apply").count() == 2


def test_a_csv_statement_matches_by_the_invoice_number(client, cmi, ada, invoice):
    client.force_login(ada)
    text = ("entry_reference;booking_date;amount;currency;description;counterparty_name\n"
            f"E-1;2026-02-03;756,25;EUR;Factuur {invoice.number};A. Person\n")
    check = _upload(client, cmi, "feb.csv", text.encode())
    assert f"Pays {invoice.number}" in check.content.decode()


def test_a_bad_statement_is_refused_whole_with_reasons(client, cmi, ada, invoice):
    client.force_login(ada)
    bad = "entry_reference,booking_date,amount,currency,description\n,2026-13-01,abc,EURO,x\n"
    response = _upload(client, cmi, "bad.csv", bad.encode())
    assert response.status_code == 422
    body = response.content.decode()
    assert "Row 2" in body
    assert "entry_reference is empty" in body
    xml = b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><Document>&a;</Document>"
    response = _upload(client, cmi, "evil.xml", xml)
    assert response.status_code == 422
    assert "not a readable CAMT.053" in response.content.decode()
    assert Payment.objects.count() == 0


# --- Reminders ---------------------------------------------------------------------------------------------

def test_overdue_reminders_go_once_per_step_in_the_customers_language(cmi, alice, invoice, mailoutbox, settings,
                                                                      django_capture_on_commit_callbacks):
    settings.BILLING_REMINDER_DAYS = [7, 21]
    with maintenance():
        alice.preferred_language = "nl"
        alice.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert invoice_reminder_scan(today=invoice.due_date + dt.timedelta(days=3)) == 0
        assert invoice_reminder_scan(today=invoice.due_date + dt.timedelta(days=8)) == 1
        assert invoice_reminder_scan(today=invoice.due_date + dt.timedelta(days=9)) == 0
        assert invoice_reminder_scan(today=invoice.due_date + dt.timedelta(days=22)) == 1
        assert invoice_reminder_scan(today=invoice.due_date + dt.timedelta(days=40)) == 0
    assert list(InvoiceReminder.objects.filter(invoice=invoice).values_list("step", flat=True)) == [1, 2]
    reminders = [mail for mail in mailoutbox if invoice.number in mail.subject and "Herinnering" in mail.subject]
    assert len(reminders) == 2


def test_a_paid_invoice_gets_no_reminder(cmi, ada, invoice):
    services.payment_record(invoice=invoice, amount=invoice.total, paid_on=timezone.localdate(), method="transfer",
                            reference="P", by=ada)
    assert invoice_reminder_scan(today=invoice.due_date + dt.timedelta(days=30)) == 0


# --- Demo data -----------------------------------------------------------------------------------------------

def test_seed_demo_gives_cmi_a_profile_and_open_paid_overdue_and_credited_invoices(client):
    from django.core.management import call_command

    from accounts.models import Organisation
    from billing.models import Invoice

    call_command("seed_demo")
    call_command("seed_demo")  # idempotent
    with maintenance():
        cmi = Organisation.objects.get(slug="cmi")
        assert services.billing_profile(cmi).complete
        invoices = list(Invoice.objects.filter(organisation=cmi).order_by("sequence"))
    today = timezone.localdate()
    kinds = {(invoice.kind, invoice.status, invoice.overdue(today)) for invoice in invoices}
    assert ("invoice", "open", False) in kinds
    assert ("invoice", "open", True) in kinds
    assert ("invoice", "paid", False) in kinds
    assert ("invoice", "credited", False) in kinds
    assert ("credit_note", "settled", False) in kinds
    assert [invoice.sequence for invoice in invoices if invoice.year == today.year] == list(
        range(1, 1 + sum(1 for invoice in invoices if invoice.year == today.year)))
    assert client.login(email="admin@cmi.demo", password="demo-password-2026")
    assert client.get(reverse("billing_overview", kwargs={"org": "cmi"})).status_code == 200


# --- Rendering never inside a request -----------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_with_tasks_on_the_broker_pdfs_are_rendered_by_the_worker_never_in_a_request(
        client, cmi, alice, ada, worker, monkeypatch, tmp_path, settings):  # noqa: F811 - fixture
    """As in production (tasks go to Redis, a worker runs them): submitting a dossier, its invoice and asking
    for the invoice's PDF answer without rendering anything; the worker renders the dossier's and the
    invoice's PDFs, on its own threads."""
    import threading

    from billing import tasks as billing_tasks
    from dossiers import tasks as portfolio_tasks
    from dossiers.models import Submission

    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    rendered: list[tuple[str, int]] = []

    def spy(name, render):
        def wrapper(*args, **kwargs):
            rendered.append((name, threading.get_ident()))
            return render(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(portfolio_tasks, "render_pdf", spy("dossier", portfolio_tasks.render_pdf))
    monkeypatch.setattr(billing_tasks, "render_invoice", spy("invoice", billing_tasks.render_invoice))
    request_thread = threading.get_ident()
    submission = submitted_cmi(client, cmi, alice)
    [invoice] = invoices_of(cmi)
    client.force_login(ada)
    client.get(url("invoice_pdf", cmi, pk=invoice.pk))  # 202 while the worker renders, 200 once it has
    with maintenance():
        assert wait_for(lambda: Submission.objects.get(pk=submission.pk).pdf and invoices_of(cmi)[0].pdf, 60)
    assert {name for name, _thread in rendered} == {"dossier", "invoice"}
    assert request_thread not in {thread for _name, thread in rendered}
    response = client.get(url("invoice_pdf", cmi, pk=invoice.pk))
    assert response.status_code == 200
    assert invoice.number in pdf_text(b"".join(response.streaming_content), tmp_path)


def test_production_settings_send_tasks_to_the_broker():
    """DEBUG off with a broker (what docker-compose.yml and scripts/smoke run): no task runs in-process."""
    import subprocess
    import sys
    from pathlib import Path

    code = "from django.conf import settings; print(settings.CELERY_TASK_ALWAYS_EAGER)"
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "false",
           "DJANGO_SECRET_KEY": "s" * 60, "EMAIL_URL": "smtp://mail.recert.example:25",
           "REDIS_URL": "redis://cache.example:6379/0"}
    result = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent, env=env,
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"

"""Billing: the rounding rule, VAT on the tax point, invoices from the submission hook, credit notes, payments,
holds on review, immutability, reverse charge, the profile's validation, the audit trail."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.tenancy import maintenance
from billing import money, services
from billing.forms import BillingProfileForm
from billing.models import BillingDetails, Charge, Invoice, InvoiceLine, Payment, VatRate
from dossiers import signals
from tests.billing_helpers import (
    PROFILE,
    billing_profile,
    cmi_certification,
    invoices_of,
    submitted_cmi,
    vat_table,  # noqa: F401 - fixture
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vat_table")]
D = Decimal


# --- The rounding rule ---------------------------------------------------------------------------------------

def test_vat_exclusive_price_650_at_21_percent():
    line = money.line_amounts(unit_price=D("650.00"), quantity=D(1), rate=D(21), includes_vat=False)
    assert (line.net, line.vat, line.gross) == (D("650.00"), D("136.50"), D("786.50"))
    totals = money.invoice_totals([(D(21), line)])
    assert (totals.net, totals.vat, totals.total) == (D("650.00"), D("136.50"), D("786.50"))


def test_vat_inclusive_book_is_split_at_the_rate_of_its_tax_point():
    after = services.vat_rate(country="NL", category="reduced", on=dt.date(2026, 3, 1))
    before = services.vat_rate(country="NL", category="reduced", on=dt.date(2018, 12, 31))
    assert (after, before) == (D(9), D(6))
    nine = money.line_amounts(unit_price=D("25.00"), quantity=D(1), rate=after, includes_vat=True)
    assert (nine.net, nine.vat, nine.gross) == (D("22.94"), D("2.06"), D("25.00"))
    six = money.line_amounts(unit_price=D("25.00"), quantity=D(1), rate=before, includes_vat=True)
    assert (six.net, six.vat, six.gross) == (D("23.58"), D("1.42"), D("25.00"))


def test_half_up_per_line_and_vat_summed_per_rate():
    # 0.125 rounds up to 0.13 (banker's rounding would give 0.12); per line, so three lines of 0.05 at 21% give
    # 3 × 0.01 VAT = 0.03, not round(0.15 × 0.21) = 0.03 by luck: use amounts where the two rules differ.
    assert money.cents(D("0.125")) == D("0.13")
    assert money.cents(D("-0.125")) == D("-0.13")
    lines = [money.line_amounts(unit_price=D("0.07"), quantity=D(1), rate=D(21), includes_vat=False)] * 3
    assert lines[0].vat == D("0.01")  # 0.0147 → 0.01
    totals = money.invoice_totals((D(21), line) for line in lines)
    assert totals.vat == D("0.03")  # summed per line; round(0.21 × 0.21) would be 0.04
    assert totals.total == D("0.24")


def test_the_seeded_vat_table_has_the_current_dutch_rates():
    assert services.vat_rate(country="NL", category="standard", on=dt.date(2012, 10, 1)) == D(21)
    assert services.vat_rate(country="NL", category="standard", on=dt.date(2012, 9, 30)) == D(19)
    assert services.vat_rate(country="NL", category="reduced", on=dt.date(2019, 1, 1)) == D(9)
    with pytest.raises(ValidationError, match="No standard VAT rate of Germany"):
        services.vat_rate(country="DE", category="standard", on=dt.date(2026, 1, 1))


def test_overlapping_vat_periods_are_refused():
    rate = VatRate(country="NL", category="reduced", rate=D(10), valid_from=dt.date(2025, 1, 1))
    with pytest.raises(ValidationError, match="overlaps"):
        rate.clean()


# --- The shipped CMI fees -------------------------------------------------------------------------------------

def test_cmi_fees_carry_categories_billing_settings_and_the_vat_note():
    from schemes import rules

    cmi = rules.shipped_definition("cmi-register-loopbaanprofessional")
    settings = {}
    for fee in cmi.fees:
        assert fee.billing is not None
        settings[fee.code] = (fee.vat_category, fee.billing.on, fee.billing.review_after_payment)
    assert settings == {
        "certification": ("standard", "certification", False),
        "recertification": ("standard", "submission", True),
        "annual-contribution": ("standard", "annual", False),
        "english-certificate": ("standard", "order", False),
        "book-loopbaanbegeleiding": ("reduced", "order", False),
    }
    assert any(note.path == "fees[4].vat_rate" and note.kind == "conflict" and "9%" in note.text.get("en")
               for note in cmi.notes)


# --- Issuing from the submission hook -------------------------------------------------------------------------

@pytest.fixture
def cmi(org_a, ada):
    billing_profile(org_a)
    return org_a


def test_submitting_bills_the_recertification_fee_and_holds_review_until_paid(
        client, cmi, alice, ada, mailoutbox, django_capture_on_commit_callbacks):
    released = []

    def receiver(sender, submission, **kwargs):
        released.append(submission.pk)

    signals.submission_hold_released.connect(receiver, dispatch_uid="test-release")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            submission = submitted_cmi(client, cmi, alice)
        [invoice] = invoices_of(cmi)
        assert invoice.number == f"CMI-{invoice.issue_date.year}-000001"
        assert (invoice.net_total, invoice.vat_total, invoice.total) == (D("625.00"), D("131.25"), D("756.25"))
        assert invoice.customer_id == alice.pk
        assert invoice.status == "open"
        assert invoice.tax_point == invoice.issue_date
        assert invoice.due_date == invoice.issue_date + dt.timedelta(days=30)
        assert invoice.payment_reference.startswith("RF")
        [line] = list(InvoiceLine.objects.filter(invoice=invoice))
        assert (line.description, line.vat_rate, line.vat_category) == ("Recertification", D(21), "standard")
        mail = next(m for m in mailoutbox if invoice.number in m.subject)
        assert mail.to == ["alice@example.com"]
        assert "756.25" in mail.body
        assert "NL91ABNA0417164300" in mail.body
        assert reverse("my_invoice_detail", kwargs={"org": cmi.slug, "pk": invoice.pk}) in mail.body
        assert signals.submission_holds(submission) == ["The recertification invoice is not paid yet."]

        with django_capture_on_commit_callbacks(execute=True):
            services.payment_record(invoice=invoice, amount=D("756.25"), paid_on=dt.date.today(),
                                    method=Payment.Method.TRANSFER, reference="BANK-1", by=ada)
        invoice.refresh_from_db()
        assert invoice.status == "paid"
        assert invoice.paid_at is not None
        assert signals.submission_holds(submission) == []
        assert released == [submission.pk]
    finally:
        signals.submission_hold_released.disconnect(dispatch_uid="test-release")
    actions = list(AuditEvent.objects.filter(organisation=cmi).values_list("action", flat=True))
    assert {"invoice.issue", "payment.record", "invoice.paid", "dossier.submit"} <= set(actions)


def test_the_same_submission_is_billed_once(client, cmi, alice):
    submission = submitted_cmi(client, cmi, alice)
    services.on_submission_submitted(sender=None, submission=submission)
    services.on_submission_submitted(sender=None, submission=submission)
    assert len(invoices_of(cmi)) == 1
    assert Charge.objects.filter(organisation=cmi).count() == 1


def test_without_a_complete_profile_charges_wait_and_are_invoiced_once_it_is(client, org_a, alice, ada,
                                                                               django_capture_on_commit_callbacks):
    submission = submitted_cmi(client, org_a, alice)
    assert invoices_of(org_a) == []
    assert signals.submission_holds(submission) == ["The recertification invoice is not paid yet."]
    client.force_login(ada)
    page = client.get(reverse("billing_overview", kwargs={"org": org_a.slug})).content.decode()
    assert "Invoices cannot be issued until the billing profile is complete" in page
    assert "1 charge is waiting to be invoiced." in page
    assert reverse("billing_profile", kwargs={"org": org_a.slug}) in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("billing_profile", kwargs={"org": org_a.slug}), PROFILE)
    assert response.status_code == 302
    [invoice] = invoices_of(org_a)
    assert invoice.total == D("756.25")
    assert Charge.objects.filter(organisation=org_a, invoice__isnull=True).count() == 0


def test_an_initial_dossier_bills_the_certification_fee(cmi, alice):
    from django.utils import timezone

    from dossiers.models import Dossier, Submission

    certification = cmi_certification(cmi, alice)
    with maintenance():
        dossier = Dossier.objects.create(organisation=cmi, owner=alice, certification=certification, kind="initial",
                                         scheme_version=certification.scheme_version,
                                         reference_date=dt.date(2026, 3, 1), status="submitted")
        submission = Submission.objects.create(organisation=cmi, dossier=dossier, submitted_by=alice,
                                               scheme_version=certification.scheme_version,
                                               submitted_at=timezone.now(), snapshot={}, snapshot_sha256="x" * 64)
        services.on_submission_submitted(sender=Submission, submission=submission)
    [invoice] = invoices_of(cmi)
    assert invoice.total == D("786.50")
    assert invoice.fee_codes == "certification"
    assert signals.submission_holds(submission) == []  # the certification fee does not hold review


# --- Credit notes ---------------------------------------------------------------------------------------------

def test_a_full_credit_note_negates_every_line_and_refers_to_the_invoice(client, cmi, alice, ada):
    submitted_cmi(client, cmi, alice)
    [invoice] = invoices_of(cmi)
    note = services.credit_note_issue(invoice=invoice, amounts=None, reason="Fee waived by the board", by=ada)
    assert note.kind == "credit_note"
    assert note.credit_of_id == invoice.pk
    assert note.number == f"CMI-{note.issue_date.year}-000002"  # one series for invoices and credit notes
    assert (note.net_total, note.vat_total, note.total) == (D("-625.00"), D("-131.25"), D("-756.25"))
    [line] = list(InvoiceLine.objects.filter(invoice=note))
    assert line.vat_rate == D(21)
    assert line.credits_line.invoice_id == invoice.pk
    invoice.refresh_from_db()
    assert invoice.status == "credited"
    with pytest.raises(ValidationError, match="nothing left to credit"):
        services.credit_note_issue(invoice=invoice, amounts=None, reason="again", by=ada)
    with pytest.raises(ValidationError, match="cannot be credited"):
        services.credit_note_issue(invoice=note, amounts=None, reason="again", by=ada)
    assert AuditEvent.objects.filter(organisation=cmi, action="invoice.credit").count() == 1


def test_a_partial_credit_keeps_the_rest_due(client, cmi, alice, ada):
    submitted_cmi(client, cmi, alice)
    [invoice] = invoices_of(cmi)
    line = InvoiceLine.objects.get(invoice=invoice)
    note = services.credit_note_issue(invoice=invoice, amounts={line.pk: D("100.00")}, reason="Discount", by=ada)
    assert (note.net_total, note.vat_total, note.total) == (D("-100.00"), D("-21.00"), D("-121.00"))
    assert services.invoice_balance(invoice).due == D("635.25")
    assert services.creditable(invoice) == {line.pk: D("525.00")}
    with pytest.raises(ValidationError, match="At most 525.00 can still be credited"):
        services.credit_note_draft(invoice=invoice, amounts={line.pk: D("600")})
    services.payment_record(invoice=invoice, amount=D("635.25"), paid_on=dt.date.today(), method="transfer",
                            reference="B-2", by=ada)
    invoice.refresh_from_db()
    assert invoice.status == "paid"


# --- Immutability ---------------------------------------------------------------------------------------------

def test_an_issued_invoice_never_changes(client, cmi, alice):
    submitted_cmi(client, cmi, alice)
    [invoice] = invoices_of(cmi)
    with maintenance():
        invoice.customer_name = "Someone else"
        with pytest.raises(ValidationError, match="never changes"):
            invoice.save()
        line = InvoiceLine.objects.get(invoice=invoice)
        with pytest.raises(ValidationError):
            line.save()
        with pytest.raises(ValidationError):
            invoice.delete()
        fresh = Invoice.objects.get(pk=invoice.pk)
        fresh.status = "paid"
        fresh.save()  # settlement fields may change


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_the_database_refuses_changes_to_an_issued_invoice(client, cmi, alice):
    from django.db import DatabaseError

    submitted_cmi(client, cmi, alice)
    [invoice] = invoices_of(cmi)
    for statement in ("UPDATE billing_invoice SET total = 1 WHERE id = %s",
                      "DELETE FROM billing_invoice WHERE id = %s",
                      "UPDATE billing_invoiceline SET net = 1 WHERE invoice_id = %s"):
        with pytest.raises(DatabaseError, match="never"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [invoice.pk])
    with connection.cursor() as cursor:
        cursor.execute("UPDATE billing_invoice SET status = 'paid' WHERE id = %s", [invoice.pk])


# --- Payments -------------------------------------------------------------------------------------------------

def test_the_same_bank_reference_is_recorded_once(client, cmi, alice, ada):
    submitted_cmi(client, cmi, alice)
    [invoice] = invoices_of(cmi)
    services.payment_record(invoice=invoice, amount=D("100"), paid_on=dt.date.today(), method="transfer",
                            reference="BANK-9", by=ada)
    with pytest.raises(ValidationError, match="already been recorded"):
        services.payment_record(invoice=invoice, amount=D("100"), paid_on=dt.date.today(), method="transfer",
                                reference="BANK-9", by=ada)
    assert Payment.objects.filter(invoice=invoice).count() == 1
    invoice.refresh_from_db()
    assert invoice.status == "open"


def test_payment_reference_is_a_valid_iso_11649_reference():
    from stdnum import iso11649

    reference = services.payment_reference(12, 2026, 123)
    assert iso11649.is_valid(reference)
    assert services.format_reference(reference).startswith("RF")


# --- Customers: the employer, reverse charge -------------------------------------------------------------------

def test_an_employer_in_another_eu_country_is_invoiced_with_reverse_charge(client, cmi, alice):
    with maintenance():
        BillingDetails.objects.create(organisation=cmi, user=alice, bill_to="employer", employer_name="Beispiel GmbH",
                                      employer_address="Hauptstraße 1", employer_postcode="10115",
                                      employer_city="Berlin", employer_country="DE",
                                      employer_vat_number="DE136695976", po_reference="PO-77")
    submitted_cmi(client, cmi, alice)
    [invoice] = invoices_of(cmi)
    assert invoice.reverse_charge
    assert invoice.customer_vat_number == "DE136695976"
    assert invoice.customer_name == "Beispiel GmbH"
    assert invoice.customer_attention == "Alice Person"
    assert (invoice.net_total, invoice.vat_total, invoice.total) == (D("625.00"), D("0.00"), D("625.00"))
    assert invoice.po_reference == "PO-77"
    client.force_login(alice)
    page = client.get(reverse("my_invoice_detail", kwargs={"org": cmi.slug, "pk": invoice.pk})).content.decode()
    assert "VAT reverse-charged" in page
    assert "DE136695976" in page


def test_a_dutch_employer_pays_dutch_vat(client, cmi, alice):
    with maintenance():
        BillingDetails.objects.create(organisation=cmi, user=alice, bill_to="employer", employer_name="Voorbeeld BV",
                                      employer_address="Dam 1", employer_postcode="1012 JS", employer_city="Amsterdam",
                                      employer_country="NL", employer_vat_number="NL000099998B57")
    submitted_cmi(client, cmi, alice)
    [invoice] = invoices_of(cmi)
    assert not invoice.reverse_charge
    assert invoice.vat_total == D("131.25")


# --- The profile's validation ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("field", "value", "message"), [
    ("vat_number", "NL123456789B01", "is not a valid Dutch VAT number"),
    ("kvk_number", "1234", "exactly eight digits"),
    ("iban", "NL91ABNA0417164301", "is not a valid IBAN"),
    ("bic", "ABN", "is not a BIC"),
    ("postcode", "12345", "is not a Dutch postcode"),
    ("invoice_prefix", "CMI-X", "capital letters and digits"),
    ("payment_term_days", "0", "from 1 to 120 days"),
])
def test_the_profile_form_explains_each_bad_value(field, value, message):
    from tests.billing_helpers import PROFILE

    form = BillingProfileForm({**PROFILE, field: value})
    assert not form.is_valid()
    assert message in " ".join(str(error) for error in form.errors[field])


def test_the_profile_form_messages_are_translated(settings):
    from django.utils import translation

    from tests.billing_helpers import PROFILE

    with translation.override("nl"):
        form = BillingProfileForm({**PROFILE, "kvk_number": "12"})
        assert not form.is_valid()
        assert "acht cijfers" in " ".join(str(error) for error in form.errors["kvk_number"])
    with translation.override("nb"):
        form = BillingProfileForm({**PROFILE, "kvk_number": "12"})
        assert not form.is_valid()
        assert "åtte sifre" in " ".join(str(error) for error in form.errors["kvk_number"])


def test_a_valid_profile_is_complete():
    from tests.billing_helpers import PROFILE

    form = BillingProfileForm(PROFILE)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["postcode"] == "1015 BA"


# --- Orders ------------------------------------------------------------------------------------------------------

def test_ordering_the_book_invoices_it_at_the_reduced_rate(client, cmi, alice):
    cmi_certification(cmi, alice)
    client.force_login(alice)
    page = client.get(reverse("billing_order", kwargs={"org": cmi.slug})).content.decode()
    assert "Loopbaanbegeleiding in de praktijk" in page
    assert "English-language certificate" in page
    response = client.post(reverse("billing_order", kwargs={"org": cmi.slug}),
                           {"item": "cmi-register-loopbaanprofessional:book-loopbaanbegeleiding", "quantity": "2"})
    assert response.status_code == 302
    [invoice] = invoices_of(cmi)
    assert (invoice.net_total, invoice.vat_total, invoice.total) == (D("45.87"), D("4.13"), D("50.00"))
    assert invoice.vat_breakdown == [{"rate": "9", "net": "45.87", "vat": "4.13"}]
    assert AuditEvent.objects.filter(organisation=cmi, action="order.place").count() == 1


def test_ordering_is_refused_clearly_while_the_profile_is_incomplete(client, org_a, alice):
    cmi_certification(org_a, alice)
    client.force_login(alice)
    response = client.post(reverse("billing_order", kwargs={"org": org_a.slug}),
                           {"item": "cmi-register-loopbaanprofessional:english-certificate", "quantity": "1"})
    assert response.status_code == 422
    assert "cannot take orders yet" in response.content.decode()
    assert invoices_of(org_a) == []

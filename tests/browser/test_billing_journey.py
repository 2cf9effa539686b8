"""Issue 12's journey in a real browser: a CMI professional submits a recertification dossier, receives the
invoice by e-mail, pays it through the (local) Mollie server, sees it paid and the review hold released; the
administrator then issues a credit note. The professional uses a 390 px wide phone screen."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.tenancy import maintenance
from billing.models import Invoice, Payment
from dossiers import signals
from dossiers.models import Dossier, Submission
from dossiers.services import statements as statement_services
from review.models import ReviewCase
from tests import factories
from tests.billing_helpers import billing_profile, vat_table  # noqa: F401 - fixture
from tests.browser.test_professional_journeys import sign_in
from tests.mollie_server import MollieServer
from tests.text import first_match

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("vat_table")]
PHONE = {"viewport": {"width": 390, "height": 844}}


@pytest.fixture
def mollie(settings):
    server = MollieServer().start()
    settings.MOLLIE_API_KEY = "test_localserver1234567890"
    settings.MOLLIE_API_URL = server.url
    settings.MOLLIE_CHECKOUT_ORIGIN = server.url
    yield server
    server.stop()


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_cmi_recertification_invoice_paid_online_then_credited(new_page, mollie, mailoutbox):
    with maintenance():
        cmi = factories.organisation(slug="cmi", name="CMI")
        alice = factories.member(cmi, "alice@example.com", "professional", first_name="Alice")
        factories.member(cmi, "ada@example.com", "admin", first_name="Ada")
        factories.certification(cmi, alice, "cmi-register-loopbaanprofessional", number="CMI-0001")
    billing_profile(cmi)
    released = []
    signals.submission_hold_released.connect(lambda sender, submission, **kw: released.append(submission.pk),
                                             dispatch_uid="journey-release", weak=False)
    try:
        page = new_page(**PHONE)
        sign_in(page, "alice@example.com")

        # The dossier: three choices on the page, the supervisor's statement signed by link earlier.
        page.goto("/cmi/dossiers/")
        page.get_by_role("button", name="Start the recertification dossier").click()
        expect(page).to_have_url(re.compile(r"/cmi/dossiers/\d+/$"))
        dossier_url = page.url
        with maintenance():
            dossier = Dossier.objects.get(organisation=cmi, owner=alice)
            statement = statement_services.statement_request(
                dossier=dossier, section_code="supervisor-statement", requirement_code="supervisor-statement",
                signer_name="Sam Supervisor", signer_email="sam@example.com", by=alice)
            statement_services.statement_sign(statement=statement, signed_name="Sam Supervisor", fields={
                "supervisor-name": "Sam Supervisor", "development": "Grew in every way.", "signed-on": "2026-01-10"})
        for code, choice in (("scope", "Career guidance"), ("level", "Level B"),
                             ("level-change", "Same level as the previous certification")):
            page.goto(dossier_url + f"sections/{code}/")
            page.get_by_label(choice).check()
            page.get_by_role("button", name=re.compile("^Save")).first.click()
            expect(page.locator("main")).to_contain_text("complete")
        mailoutbox.clear()
        page.goto(dossier_url + "submit/")
        page.get_by_role("button", name="Submit the dossier").click()
        expect(page.locator("main")).to_contain_text("has been submitted")

        # The invoice arrives by e-mail; the review waits until it is paid.
        with maintenance():
            invoice = Invoice.objects.get(organisation=cmi, kind="invoice")
            submission = Submission.objects.get(dossier=dossier)
            assert signals.submission_holds(submission) == ["The recertification invoice is not paid yet."]
            assert ReviewCase.objects.for_organisation(submission.organisation).get(
                submission=submission).state == ReviewCase.State.HELD  # the review waits for the payment
        mail = next(message for message in mailoutbox if invoice.number in message.subject)
        assert mail.to == ["alice@example.com"]
        assert "756.25" in mail.body
        link = first_match(r"https?://\S+/cmi/billing/invoices/\d+/", mail.body)

        # Pay online: Mollie's (local) checkout, which calls the webhook and sends the payer back.
        page.goto(link)
        expect(page.get_by_role("heading", name=re.compile(f"Invoice {invoice.number}"))).to_be_visible()
        expect(page.locator("main")).to_contain_text("is due by")
        assert fits_the_screen(page)
        page.get_by_role("button", name=re.compile(r"Pay .*756\.25 online")).click()
        expect(page.get_by_role("heading", name="Test checkout")).to_be_visible()
        page.get_by_role("button", name="Pay").click()
        expect(page.locator("main")).to_contain_text(f"Thank you: invoice {invoice.number} is paid.")
        expect(page.locator("main")).to_contain_text("Paid on")
        assert [status for _id, status in mollie.webhook_calls] == [200]
        with maintenance():
            invoice.refresh_from_db()
            assert invoice.status == "paid"
            assert Payment.objects.get(invoice=invoice).amount == Decimal("756.25")
            assert signals.submission_holds(submission) == []
            assert ReviewCase.objects.for_organisation(submission.organisation).get(
                submission=submission).state != ReviewCase.State.HELD  # paid: the review case is open
        assert released == [submission.pk]
        page.goto("/cmi/billing/invoices/")
        expect(page.locator("main table")).to_contain_text("Paid")

        # The administrator credits the invoice, after checking what will be issued (also on a phone).
        admin = new_page(**PHONE)
        sign_in(admin, "ada@example.com")
        admin.goto("/cmi/manage/billing/")
        expect(admin.locator("main")).to_contain_text("Invoiced per fee")
        assert fits_the_screen(admin)
        admin.goto("/cmi/manage/billing/invoices/")
        assert fits_the_screen(admin)
        admin.get_by_role("link", name=invoice.number).click()
        admin.get_by_role("link", name="Issue a credit note").click()
        admin.get_by_label("Reason").fill("Fee waived by the board")
        admin.get_by_role("button", name="Check the credit note").click()
        expect(admin.locator("main")).to_contain_text("Check the credit note below")
        assert fits_the_screen(admin)
        admin.get_by_role("button", name=re.compile("Issue the credit note of")).click()
        expect(admin.locator("main")).to_contain_text("has been issued and sent to the customer")
        expect(admin.get_by_role("heading", name=re.compile("Credit note"))).to_be_visible()
        with maintenance():
            note = Invoice.objects.get(organisation=cmi, kind="credit_note")
        assert note.credit_of_id == invoice.pk
        assert note.total == Decimal("-756.25")
    finally:
        signals.submission_hold_released.disconnect(dispatch_uid="journey-release")

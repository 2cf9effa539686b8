"""Online payment through Mollie's API — against a local server speaking it (tests/mollie_server.py)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.tenancy import maintenance
from billing.models import Invoice, OnlinePayment, Payment
from dossiers import signals
from tests.billing_helpers import billing_profile, invoices_of, submitted_cmi, vat_table  # noqa: F401 - fixture
from tests.mollie_server import MollieServer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vat_table")]


@pytest.fixture
def mollie(settings) -> Iterator[MollieServer]:
    server = MollieServer().start()
    settings.MOLLIE_API_KEY = "test_localserver1234567890"
    settings.MOLLIE_API_URL = server.url
    yield server
    server.stop()


@pytest.fixture
def invoice(client, org_a, alice) -> Invoice:
    billing_profile(org_a)
    submitted_cmi(client, org_a, alice)
    return invoices_of(org_a)[0]


def url(name, org, **kwargs):
    return reverse(name, kwargs={"org": org.slug, **kwargs})


def _state(org) -> tuple:
    """Everything a webhook could change, to compare before and after."""
    with maintenance():
        return (list(Invoice.objects.filter(organisation=org).values_list("pk", "status", "paid_at")),
                list(Payment.objects.filter(organisation=org).values_list("pk", "amount", "reference")),
                list(OnlinePayment.objects.filter(organisation=org).values_list("pk", "status", "updated_at",
                                                                                "payment_id")),
                AuditEvent.objects.filter(organisation=org).count())


def test_paying_online_creates_a_mollie_payment_and_redirects_to_its_checkout(client, org_a, alice, invoice, mollie):
    client.force_login(alice)
    page = client.get(url("my_invoice_detail", org_a, pk=invoice.pk)).content.decode()
    assert "Pay €\u00a0756.25 online" in page
    response = client.post(url("invoice_pay", org_a, pk=invoice.pk))
    assert response.status_code == 302
    [payment] = mollie.payments.values()
    assert response["Location"] == f"{mollie.url}/checkout/{payment['id']}"
    assert payment["amount"] == {"currency": "EUR", "value": "756.25"}
    assert payment["webhookUrl"].endswith(url("mollie_webhook", org_a))
    assert payment["redirectUrl"].endswith(url("payment_return", org_a, pk=invoice.pk))
    assert payment["metadata"] == {"invoice": invoice.number, "organisation": org_a.slug}
    with maintenance():
        online = OnlinePayment.objects.get(invoice=invoice)
    assert (online.provider_id, online.status, online.amount) == (payment["id"], "open", Decimal("756.25"))
    # Asking again within minutes resumes the same payment instead of starting a second one.
    assert client.post(url("invoice_pay", org_a, pk=invoice.pk))["Location"] == response["Location"]
    assert len(mollie.payments) == 1


def test_a_webhook_replayed_three_times_changes_nothing_after_the_first(client, org_a, alice, invoice, mollie):
    released = []
    signals.submission_hold_released.connect(lambda sender, submission, **kw: released.append(submission.pk),
                                             dispatch_uid="test-mollie-release", weak=False)
    try:
        client.force_login(alice)
        client.post(url("invoice_pay", org_a, pk=invoice.pk))
        [payment_id] = mollie.payments
        mollie.set_status(payment_id, "paid")
        client.logout()  # Mollie has no session
        first = client.post(url("mollie_webhook", org_a), {"id": payment_id})
        assert first.status_code == 200
        assert first.content == b""
        after_first = _state(org_a)
        invoice.refresh_from_db()
        assert invoice.status == "paid"
        with maintenance():
            [payment] = Payment.objects.filter(invoice=invoice)
        assert (payment.method, payment.reference, payment.amount) == ("online", payment_id, Decimal("756.25"))
        for _replay in range(2):
            assert client.post(url("mollie_webhook", org_a), {"id": payment_id}).status_code == 200
            assert _state(org_a) == after_first
        assert len(released) == 1  # the hold is released once, by the first webhook
        fetched = [path for method, path in mollie.requests if method == "GET" and payment_id in path]
        assert len(fetched) == 3  # the status is always fetched, never taken from the webhook
    finally:
        signals.submission_hold_released.disconnect(dispatch_uid="test-mollie-release")


def test_the_webhook_shows_nothing_and_changes_nothing_for_unknown_ids(client, org_a, org_b, invoice, mollie):
    before = _state(org_a), len(mollie.requests)
    for data in ({"id": "tr_unknown1"}, {}, {"id": "x" * 500}):
        response = client.post(url("mollie_webhook", org_a), data)
        assert response.status_code == 404
        assert response.content == b""
    assert client.get(url("mollie_webhook", org_a)).status_code == 405
    assert (_state(org_a), len(mollie.requests)) == before  # not even a call to Mollie


def test_another_organisations_webhook_address_does_not_reach_this_payment(client, org_a, org_b, alice, invoice,
                                                                           mollie):
    client.force_login(alice)
    client.post(url("invoice_pay", org_a, pk=invoice.pk))
    [payment_id] = mollie.payments
    mollie.set_status(payment_id, "paid")
    client.logout()
    assert client.post(url("mollie_webhook", org_b), {"id": payment_id}).status_code == 404
    invoice.refresh_from_db()
    assert invoice.status == "open"


def test_coming_back_from_the_checkout_checks_the_status(client, org_a, alice, invoice, mollie):
    client.force_login(alice)
    client.post(url("invoice_pay", org_a, pk=invoice.pk))
    [payment_id] = mollie.payments
    mollie.set_status(payment_id, "paid")
    response = client.get(url("payment_return", org_a, pk=invoice.pk), follow=True)
    assert "Thank you: invoice" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == "paid"


def test_a_cancelled_payment_says_so_and_leaves_the_invoice_open(client, org_a, alice, invoice, mollie):
    client.force_login(alice)
    client.post(url("invoice_pay", org_a, pk=invoice.pk))
    [payment_id] = mollie.payments
    mollie.set_status(payment_id, "canceled")
    response = client.get(url("payment_return", org_a, pk=invoice.pk), follow=True)
    assert "The payment did not go through" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == "open"


def test_an_unreachable_provider_is_explained_and_nothing_is_recorded(client, org_a, alice, invoice, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.MOLLIE_API_KEY = "test_localserver1234567890"
    settings.MOLLIE_API_URL = f"http://127.0.0.1:{port}"
    client.force_login(alice)
    response = client.post(url("invoice_pay", org_a, pk=invoice.pk), follow=True)
    assert "The payment service cannot be reached right now" in response.content.decode()
    with maintenance():
        assert not OnlinePayment.objects.filter(invoice=invoice).exists()


def test_without_an_api_key_there_is_no_online_payment(client, org_a, alice, invoice, settings):
    settings.MOLLIE_API_KEY = ""
    client.force_login(alice)
    assert "online</button>" not in client.get(url("my_invoice_detail", org_a, pk=invoice.pk)).content.decode()
    response = client.post(url("invoice_pay", org_a, pk=invoice.pk), follow=True)
    assert "Online payment is not available" in response.content.decode()


def test_the_invoice_page_lets_its_pay_form_reach_only_the_checkout(client, org_a, alice, invoice, mollie, settings):
    settings.MOLLIE_CHECKOUT_ORIGIN = "https://www.mollie.com"
    client.force_login(alice)
    policy = client.get(url("my_invoice_detail", org_a, pk=invoice.pk))["Content-Security-Policy"]
    assert "form-action 'self' https://www.mollie.com" in policy
    assert "script-src 'self'" in policy
    assert "form-action 'self';" in client.get(url("my_invoices", org_a))["Content-Security-Policy"] + ";"

"""Keyset pagination (accounts/paging.py) and the invoice lists at 10,000 rows: every page costs the same
queries, none uses OFFSET, and walking the pages shows every row once, in order, both ways."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.paging import encode_cursor, keyset_page
from billing.models import Invoice
from billing.views import INVOICE_ORDER
from tests.billing_helpers import vat_table  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vat_table")]


def invoices(org, customer, count: int) -> None:
    """`count` issued invoices, several per day, inserted directly (the numbering is not what is tested)."""
    Invoice.objects.bulk_create([Invoice(
        organisation=org, number=f"T-{i:05}", year=2025, sequence=i + 1,
        issue_date=dt.date(2024, 1, 1) + dt.timedelta(days=i // 7), tax_point=dt.date(2024, 1, 1),
        due_date=dt.date(2024, 2, 1), currency="EUR", language="en", customer=customer, customer_name="Alice",
        customer_address="Street 1", customer_country="NL", customer_email="alice@example.com", issuer_name="Acme",
        issuer_address="Road 2", issuer_country="NL", issuer_kvk="12345678", issuer_vat="NL000099998B57",
        issuer_iban="NL91ABNA0417164300", payment_reference=f"RF{i:05}", net_total=100, vat_total=21,
        total=121) for i in range(count)], batch_size=2000)


def expected_order(org) -> list[str]:
    return list(Invoice.objects.for_organisation(org).order_by(*INVOICE_ORDER).values_list("number", flat=True))


def test_walking_the_pages_shows_every_row_once_in_order_both_ways(org_a, alice):
    invoices(org_a, alice, 52)
    queryset = Invoice.objects.for_organisation(org_a)
    pages, cursor = [], None
    while True:
        page = keyset_page(queryset, INVOICE_ORDER, cursor, size=10)
        pages.append([invoice.number for invoice in page])
        if not page.has_next:
            break
        cursor = page.next_cursor
    assert [number for numbers in pages for number in numbers] == expected_order(org_a)
    assert [len(numbers) for numbers in pages] == [10, 10, 10, 10, 10, 2]
    assert page.has_previous
    backwards = []
    while page.has_previous:
        page = keyset_page(queryset, INVOICE_ORDER, page.previous_cursor, size=10)
        backwards.append([invoice.number for invoice in page])
    assert backwards == pages[-2::-1]
    assert not page.has_previous
    assert page.has_next
    assert page.count == 52


@pytest.mark.parametrize("cursor", ["garbage", "", "eyJ4IjoxfQ", encode_cursor("x", object(), ())])
def test_a_cursor_that_cannot_be_read_gives_the_first_page(org_a, alice, cursor):
    invoices(org_a, alice, 3)
    page = keyset_page(Invoice.objects.for_organisation(org_a), INVOICE_ORDER, cursor, size=2)
    assert [invoice.number for invoice in page] == expected_order(org_a)[:2]
    assert not page.has_previous


def test_the_invoice_list_at_10000_rows_costs_the_same_on_every_page(client, org_a, ada, alice):
    invoices(org_a, alice, 10_000)
    order = expected_order(org_a)
    client.force_login(ada)
    list_url = reverse("invoice_list", kwargs={"org": org_a.slug})
    client.get(list_url)
    counted = []
    deep = Invoice.objects.for_organisation(org_a).get(number=order[8999])
    for cursor in [None, client.get(list_url).context["page"].next_cursor, encode_cursor("a", deep, INVOICE_ORDER)]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(list_url, {"cursor": cursor} if cursor else {})
        assert response.status_code == 200
        counted.append(len(queries.captured_queries))
        assert not any("OFFSET" in query["sql"] for query in queries.captured_queries)
    assert len(set(counted)) == 1
    shown = [invoice.number for invoice in response.context["page"]]
    assert shown == order[9000:9025]  # the page after row 9,000, without reading the 9,000 before it
    assert "10000 documents" in response.content.decode() or "10,000 documents" in response.content.decode()

    client.force_login(alice)
    mine = reverse("my_invoices", kwargs={"org": org_a.slug})
    client.get(mine)  # warm: first-request work is not what is compared
    with CaptureQueriesContext(connection) as first:
        page = client.get(mine).context["page"]
    with CaptureQueriesContext(connection) as later:
        client.get(mine, {"cursor": page.next_cursor})
    assert len(first.captured_queries) == len(later.captured_queries)
    assert not any("OFFSET" in query["sql"] for query in later.captured_queries)

"""Two processes at once on PostgreSQL, over their own connections: invoice numbers stay gap-free and unique
(also when an issue rolls back), and the annual contribution is billed once per person and year."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import time
from typing import Any

import pytest
from django.db import connection, connections, transaction

from accounts.models import Organisation
from accounts.tenancy import maintenance
from billing.models import Charge, Invoice
from tests import factories
from tests.billing_helpers import billing_profile, cmi_certification, vat_table  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("vat_table"),
              pytest.mark.skipif("connection.vendor != 'postgresql'")]

PER_PROCESS = 8
ROLL_BACK_EVERY = 3


def _quiet_outbox() -> None:
    """The child writes outbox rows as usual but publishes nothing (no PDFs rendered in the race)."""
    from accounts import outbox

    outbox.publish = lambda *args, **kwargs: 0


class Rollback(Exception):
    pass


def _issue(organisation_id: int, charge_ids: list[int], barrier: Any, results: Any) -> None:
    connections.close_all()
    _quiet_outbox()
    from accounts.tenancy import tenant_context
    from billing import services

    original = services._next_number

    def slow_number(profile, year):  # hold the number a moment, so the two processes overlap for sure
        found = original(profile, year)
        time.sleep(0.02)
        return found

    services._next_number = slow_number
    barrier.wait(timeout=30)
    issued = []
    for position, charge_id in enumerate(charge_ids):
        try:
            with tenant_context(organisation_id):
                profile = services.billing_profile(Organisation(pk=organisation_id))
                charge = Charge.objects.for_organisation(organisation_id).select_related("customer").get(pk=charge_id)
                with transaction.atomic():
                    invoice = services.invoice_issue(profile=profile, charges=[charge])
                    if position % ROLL_BACK_EVERY == 0:
                        raise Rollback  # an issue that fails after taking its number
                issued.append(invoice.number)
        except Rollback:
            pass
    results.put(issued)
    connections.close_all()


def test_two_processes_issue_gap_free_unique_numbers(org_a, alice):
    from billing import services

    billing_profile(org_a)
    certification = cmi_certification(org_a, alice)
    claims = [services.ChargeClaim(organisation_id=org_a.pk, customer_id=alice.pk, source_key=f"race:{number}",
                                   trigger="certification", version=certification.scheme_version,
                                   fee_code="certification", tax_point=dt.date(2026, 3, 1))
              for number in range(2 * PER_PROCESS)]
    with maintenance():
        ids = sorted(services.charges_claim(claims))
    connection.close()
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_issue, args=(org_a.pk, ids[start::2], barrier, results))
               for start in (0, 1)]
    for worker in workers:
        worker.start()
    issued = [number for _worker in workers for number in results.get(timeout=60)]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    with maintenance():
        stored = list(Invoice.objects.filter(organisation=org_a).order_by("sequence").values_list("sequence", "number"))
    rolled_back = 2 * len(range(0, PER_PROCESS, ROLL_BACK_EVERY))
    assert len(stored) == 2 * PER_PROCESS - rolled_back
    assert [sequence for sequence, _number in stored] == list(range(1, len(stored) + 1))  # no gap, no duplicate
    assert sorted(number for _sequence, number in stored) == sorted(issued)
    year = dt.date.today().year
    assert stored[0][1] == f"CMI-{year}-000001"


def _annual(today: str, barrier: Any, results: Any) -> None:
    connections.close_all()
    _quiet_outbox()
    from billing.tasks import annual_billing_scan

    barrier.wait(timeout=30)
    result = annual_billing_scan(today=dt.date.fromisoformat(today))
    results.put((result.claimed, result.invoiced))
    connections.close_all()


def test_the_annual_contribution_is_billed_once_under_two_concurrent_runs(org_a, alice, monkeypatch):
    billing_profile(org_a)
    people = [alice, *(factories.member(org_a, f"holder{number}@example.com", "professional")
                       for number in range(12))]
    for person in people:
        cmi_certification(org_a, person, issued_on=dt.date(2024, 6, 1), expires_on=dt.date(2027, 6, 1))
    lapsed = factories.member(org_a, "lapsed@example.com", "professional")
    cmi_certification(org_a, lapsed, issued_on=dt.date(2020, 1, 1), expires_on=dt.date(2025, 12, 31))
    connection.close()
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_annual, args=("2026-01-05", barrier, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert sum(claimed for claimed, _invoiced in outcomes) == len(people)
    assert sum(invoiced for _claimed, invoiced in outcomes) == len(people)
    with maintenance():
        charges = list(Charge.objects.filter(organisation=org_a, trigger="annual").values_list("customer_id",
                                                                                              "tax_point"))
        invoices = Invoice.objects.filter(organisation=org_a, fee_codes="annual-contribution")
        assert sorted(customer for customer, _day in charges) == sorted(person.pk for person in people)
        assert {day for _customer, day in charges} == {dt.date(2026, 1, 1)}
        assert invoices.count() == len(people)
        assert {str(total) for total in invoices.values_list("total", flat=True)} == {"160.93"}
    # A later run in the same year bills nobody again; the next year bills everyone once more.
    from accounts import outbox
    from billing.tasks import annual_billing_scan

    monkeypatch.setattr(outbox, "publish", lambda *args, **kwargs: 0)
    assert annual_billing_scan(today=dt.date(2026, 3, 1)).claimed == 0
    assert annual_billing_scan(today=dt.date(2027, 1, 1)).claimed == len(people)

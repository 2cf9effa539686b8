"""The PeopleCert series extension happens once, even when the daily task and a decision run at the same time
(PostgreSQL, two processes over their own connections): the unique claim `SeriesExtension(holder, series, key)`
makes the second wait for the first and then find the key taken."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import time
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections

from accounts.tenancy import maintenance
from certificates.models import CertificateEvent, SeriesExtension
from portfolios.models import Certification
from tests import factories
from tests.certificates_helpers import ThrowawayAdvice, submission

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.skipif("connection.vendor != 'postgresql'")]
TODAY = dt.date.today()


def _slow_claims() -> None:
    """Both processes compute the same key, then wait a moment before claiming it, so they overlap for sure."""
    from certificates import services

    original = services.rules.series_extension_due

    def slow(*args: Any, **kwargs: Any) -> Any:
        found = original(*args, **kwargs)
        time.sleep(0.5)
        return found

    services.rules.series_extension_due = slow

    from accounts import outbox

    outbox.publish = lambda *args, **kwargs: 0


def _daily(barrier: Any, results: Any) -> None:
    connections.close_all()
    _slow_claims()
    from certificates.tasks import daily_scan

    barrier.wait(timeout=30)
    results.put(("daily", daily_scan(today=TODAY)["extended"]))
    connections.close_all()


def _decide(organisation_id: int, submission_id: int, decider_id: int, barrier: Any, results: Any) -> None:
    connections.close_all()
    _slow_claims()
    from accounts.models import Organisation, User
    from accounts.tenancy import tenant_context
    from certificates import hooks, services

    with maintenance():
        from dossiers.models import Submission

        case = Submission.objects.get(pk=submission_id)
    source = ThrowawayAdvice()
    source.advise(case)
    hooks.register_advice_source(source)
    barrier.wait(timeout=30)
    with tenant_context(organisation_id, user_id=decider_id):
        organisation = Organisation.objects.get(pk=organisation_id)
        decision = services.decision_record(organisation=organisation, submission_id=submission_id,
                                            by=User.objects.get(pk=decider_id), outcome="grant",
                                            reasons="Three compliant CPD years.", today=TODAY)
    results.put(("decision", decision.outcome))
    connections.close_all()


def test_the_series_extends_once_when_the_daily_task_and_a_decision_race(org_a, alice):
    exam = TODAY.replace(year=TODAY.year - 3) - dt.timedelta(days=20)
    expiry = exam.replace(year=exam.year + 3)
    dana = factories.member(org_a, "dana@example.com", "decision_maker", first_name="Dana")
    with maintenance():
        foundation = factories.certification(org_a, alice, "peoplecert-cpd", number="ITIL-F", exam_passed_on=exam,
                                             expires_on=expiry, product_series="itil-4")
        factories.certification(org_a, alice, "peoplecert-cpd", number="ITIL-P", exam_passed_on=exam,
                                expires_on=expiry, product_series="itil-4")
        for offset in range(3):
            start = exam.replace(year=exam.year + offset)
            factories.activity(org_a, alice, "mentoring", start + dt.timedelta(days=30), Decimal(6))
            factories.activity(org_a, alice, "in-house-training", start + dt.timedelta(days=60), Decimal(15))
    case = submission(foundation)
    connection.close()
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_daily, args=(barrier, results)),
               context.Process(target=_decide, args=(org_a.pk, case.pk, dana.pk, barrier, results))]
    for worker in workers:
        worker.start()
    outcomes = dict(results.get(timeout=90) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert outcomes["decision"] == "grant"
    with maintenance():
        assert SeriesExtension.objects.filter(organisation=org_a, holder=alice, product_series="itil-4").count() == 1
        dates = set(Certification.objects.filter(organisation=org_a).values_list("expires_on", flat=True))
        assert dates == {expiry.replace(year=expiry.year + 3)}
        events = CertificateEvent.objects.filter(organisation=org_a, kind="extended")
        assert sorted(events.values_list("certification__number", flat=True)) == ["ITIL-F", "ITIL-P"]

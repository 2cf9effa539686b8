"""Noloc credits its assessors: a year's completed assessments become the assessor's own
`register-mentor-assessor` activity (4 a year + 2 per candidate), pending until the coordinator confirms it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.tenancy import maintenance
from portfolios import reports
from portfolios.models import Activity, Certification
from review import credit, services
from review.models import Advice, AssessorCredit
from tests import factories
from tests.review_helpers import NOLOC, allocations, assessors, case_of, submitted

pytestmark = pytest.mark.django_db

THIS_YEAR = timezone.localdate().year
LAST_YEAR = THIS_YEAR - 1


def url(name, org, **kwargs):
    return reverse(name, kwargs={"org": org.slug, **kwargs})


def advised(org, candidate, *, year: int) -> Advice:
    """A Noloc case of `candidate`, assessed by the organisation's one free assessor, advice sent in `year`."""
    case = case_of(submitted(org, candidate, NOLOC))
    allocation = allocations(case)[0]
    services.declare(allocation=allocation, by=allocation.assessor, conflict=False)
    services.assessment_save(allocation=allocation, by=allocation.assessor, notes="", activities={},
                             sections={"activities": {"judgement": "meets", "comment": ""}})
    services.assessment_submit(allocation=allocation, by=allocation.assessor)
    advice = services.advice_send(case=case_of(case.submission), by=allocation.assessor, outcome="positive",
                                  summary="")
    with maintenance():
        Advice.objects.filter(pk=advice.pk).update(sent_at=advice.sent_at.replace(year=year, month=6, day=15))
    return advice


@pytest.fixture
def xena(org_a, ada):
    """An assessor who is also a Register Jobcoach, with two assessments advised last year and one this year."""
    person = assessors(org_a, "Xena Xavier")[0]
    factories.certification(org_a, person, NOLOC)
    for index, year in enumerate((LAST_YEAR, LAST_YEAR, THIS_YEAR)):
        advised(org_a, factories.member(org_a, f"cand{index}@example.com", "professional"), year=year)
    return person


def points_of(org, person) -> list[Any]:
    with maintenance():
        certification = Certification.objects.get(organisation=org, holder=person)
    definition = certification.scheme_version.rules
    report = reports.evaluate_certification(certification, definition, reports.owner_activities(org, person))
    return [(row.type, row.points) for row in report.activities]


def test_the_assessor_is_offered_each_years_completed_assessments(client, org_a, xena):
    assert credit.completed_by_year(org_a, xena) == {LAST_YEAR: 2, THIS_YEAR: 1}
    offer = credit.offers(org_a, xena)
    assert [(row["year"], row["candidates"], row["points"]) for row in offer["years"]] == [
        (THIS_YEAR, 1, Decimal(6)), (LAST_YEAR, 2, Decimal(8))]
    client.force_login(xena)
    page = client.get(url("review_my_cases", org_a)).content.decode()
    assert 'data-testid="credit-offers"' in page
    assert f"{LAST_YEAR}: 2 candidates, 8 points" in page


def test_an_assessor_without_the_certification_is_not_offered_anything(client, org_a, xena):
    other = assessors(org_a, "Olga Other")[0]
    factories.certification(org_a, other, "cmi-register-loopbaanprofessional")
    assert credit.offers(org_a, other)["eligible"] is False
    client.force_login(other)
    assert 'data-testid="credit-offers"' not in client.get(url("review_my_cases", org_a)).content.decode()
    client.post(url("review_credit_offer", org_a), {"year": LAST_YEAR})
    with maintenance():
        assert not AssessorCredit.objects.exists()


def test_an_offer_waits_for_the_coordinator_and_a_year_is_credited_once(client, org_a, ada, xena, mailoutbox,
                                                                       django_capture_on_commit_callbacks):
    client.force_login(xena)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("review_credit_offer", org_a), {"year": LAST_YEAR, "candidates": 99})
    assert response.status_code == 302
    with maintenance():
        pending = AssessorCredit.objects.get(assessor=xena)
        assert AuditEvent.objects.filter(action="review.credit_offer", actor=xena).count() == 1
        assert not Activity.objects.filter(owner=xena).exists()
    assert (pending.year, pending.candidates, pending.status) == (LAST_YEAR, 2, "pending")  # counted, not typed
    assert [m.to for m in mailoutbox] == [[ada.email]]
    assert points_of(org_a, xena) == []  # pending: the engine sees nothing
    page = client.get(url("review_my_cases", org_a)).content.decode()
    assert f'data-year="{LAST_YEAR}"' not in page
    assert "Pending confirmation" in page
    with pytest.raises(services.ValidationError):
        credit.credit_offer(organisation=org_a, assessor=xena, year=LAST_YEAR)
    with pytest.raises(IntegrityError), transaction.atomic(), maintenance():
        AssessorCredit.objects.create(organisation=org_a, assessor=xena, year=LAST_YEAR, candidates=2,
                                      type_code=credit.TYPE_CODE, offered_at=timezone.now())
    with pytest.raises(services.ValidationError):  # nothing to credit in a year without assessments
        credit.credit_offer(organisation=org_a, assessor=xena, year=LAST_YEAR - 1)


def test_the_coordinator_confirms_and_the_activity_counts(client, org_a, ada, xena, mailoutbox,
                                                         django_capture_on_commit_callbacks):
    offered = credit.credit_offer(organisation=org_a, assessor=xena, year=LAST_YEAR)
    client.force_login(ada)
    page = client.get(url("review_credits", org_a)).content.decode()
    assert 'data-testid="pending-credit"' in page
    assert "Xena Xavier" in page
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("review_credit_decide", org_a, pk=offered.pk), {"action": "confirm"})
    assert response.status_code == 302
    with maintenance():
        confirmed = AssessorCredit.objects.select_related("activity").get(pk=offered.pk)
        assert AuditEvent.objects.filter(action="review.credit_confirm", actor=ada).count() == 1
    activity = confirmed.activity
    assert confirmed.status == "confirmed"
    assert (activity.owner, activity.type_code, activity.quantity, activity.attributes, activity.date) == (
        xena, "register-mentor-assessor", Decimal(1), {"candidates": 2}, dt.date(LAST_YEAR, 12, 31))
    assert points_of(org_a, xena) == [("register-mentor-assessor", Decimal(8))]
    assert [m.to for m in mailoutbox] == [[xena.email]]
    with pytest.raises(services.ValidationError):  # decided once
        credit.credit_reject(credit=confirmed, by=ada, reason="too late")
    client.force_login(xena)
    page = client.get(url("review_my_cases", org_a)).content.decode()
    assert f'data-year="{LAST_YEAR}"' not in page
    assert f'data-year="{THIS_YEAR}"' in page


def test_rejecting_needs_a_reason_and_frees_the_year(client, org_a, ada, xena):
    offered = credit.credit_offer(organisation=org_a, assessor=xena, year=LAST_YEAR)
    client.force_login(ada)
    response = client.post(url("review_credit_decide", org_a, pk=offered.pk), {"action": "reject", "reason": " "})
    assert response.status_code == 422
    assert "Give a reason for rejecting the credit." in response.content.decode()
    response = client.post(url("review_credit_decide", org_a, pk=offered.pk),
                           {"action": "reject", "reason": "Two of these were mentoring, not assessing."})
    assert response.status_code == 302
    with maintenance():
        rejected = AssessorCredit.objects.get(pk=offered.pk)
        assert AuditEvent.objects.filter(action="review.credit_reject", actor=ada).count() == 1
        assert not Activity.objects.filter(owner=xena).exists()
    assert (rejected.status, rejected.reason) == ("rejected", "Two of these were mentoring, not assessing.")
    assert LAST_YEAR in [row["year"] for row in credit.offers(org_a, xena)["years"]]
    again = credit.credit_offer(organisation=org_a, assessor=xena, year=LAST_YEAR)
    assert again.status == "pending"


def test_only_another_coordinator_decides_and_others_get_404(client, org_a, ada, xena, alice):
    factories.member(org_a, xena.email, "admin")  # Xena coordinates too, but not her own credit
    offered = credit.credit_offer(organisation=org_a, assessor=xena, year=LAST_YEAR)
    with pytest.raises(services.ValidationError):
        credit.credit_confirm(credit=offered, by=xena)
    decide = url("review_credit_decide", org_a, pk=offered.pk)
    for person in (alice, assessors(org_a, "Olga Other")[0]):
        client.force_login(person)
        assert client.post(decide, {"action": "confirm"}).status_code == 404
        assert client.get(url("review_credits", org_a)).status_code == 403
    with maintenance():
        assert AssessorCredit.objects.get(pk=offered.pk).status == "pending"


def test_the_administrators_home_shows_credits_waiting(org_a, ada, xena):
    assert credit.credits_waiting(org_a, timezone.localdate()) is None
    credit.credit_offer(organisation=org_a, assessor=xena, year=LAST_YEAR)
    waiting: Any = credit.credits_waiting(org_a, timezone.localdate())
    assert (waiting.count, waiting.url) == (1, url("review_credits", org_a))

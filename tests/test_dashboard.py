"""The professional's home: cards computed by the engine, in plain words, with constant queries."""

import datetime as dt

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def home(client, org):
    return client.get(reverse("org_home", kwargs={"org": org.slug}))


def test_noloc_card_says_what_is_missing(client, org_a, alice, settings):
    factories.certification(org_a, alice, recertification_date=dt.date(2027, 6, 1), number="NL-7")
    factories.activity(org_a, alice, "course", dt.date(2025, 3, 1), 20)
    factories.activity(org_a, alice, "volunteering", dt.date(2025, 3, 1), 7)  # 14 points, cap 10
    client.force_login(alice)
    body = home(client, org_a).content.decode()
    assert "Certificate NL-7" in body
    assert "30 PE points counted" in body
    assert "of 75 required" in body
    assert "Not yet complete" in body
    assert "4 more logged, not counted" in body
    assert "10 of at least 30" in body or "20 of at least 30" in body
    assert "31 May 2027" in body  # the window's last day


def test_peoplecert_card_per_cpd_year(client, org_a, alice):
    factories.certification(org_a, alice, "peoplecert-cpd", exam_passed_on=dt.date(2023, 4, 30))
    for year in (2024, 2025, 2026):
        factories.activity(org_a, alice, "mentoring", dt.date(year, 1, 10), 5)
        factories.activity(org_a, alice, "podcasts-webinars", dt.date(year, 2, 10), 15)
    client.force_login(alice)
    body = home(client, org_a).content.decode()
    assert "3 of 3 consecutive complete years" in body
    assert "Per CPD year" in body


def test_card_in_dutch_uses_dutch_numbers_and_words(client, org_a, alice):
    alice.preferred_language = "nl"
    alice.save()
    factories.certification(org_a, alice, "peoplecert-cpd", exam_passed_on=dt.date(2023, 4, 30))
    factories.activity(org_a, alice, "mentoring", dt.date(2026, 6, 1), "1.5")
    client.force_login(alice)
    body = home(client, org_a).content.decode()
    assert 'lang="nl"' in body
    assert "1,5" in body


def test_membership_needed_for_peoplecert(client, org_a, alice):
    factories.certification(org_a, alice, "peoplecert-cpd", membership_valid_until=dt.date(2025, 1, 1))
    client.force_login(alice)
    assert "Membership needed" in home(client, org_a).content.decode()


def test_no_certification_explains_what_to_expect(client, org_a, alice):
    client.force_login(alice)
    assert "You hold no certification in this organisation yet" in home(client, org_a).content.decode()


def test_dashboard_query_count_does_not_grow_with_activities(client, org_a, alice, django_assert_max_num_queries):
    factories.certification(org_a, alice)
    factories.certification(org_a, alice, "peoplecert-cpd")
    factories.activity(org_a, alice, "course", dt.date(2025, 3, 1), 5)
    client.force_login(alice)
    home(client, org_a)
    with django_assert_max_num_queries(16) as few:
        home(client, org_a)
    for day in range(60):
        factories.activity(org_a, alice, "workshop", dt.date(2024, 1, 1) + dt.timedelta(days=day * 7), 2)
    # The first visit after a change evaluates again (reading the activities, keeping the new reports: two
    # more); the next ones read the kept reports.
    with django_assert_max_num_queries(len(few.captured_queries) + 2):
        home(client, org_a)
    with django_assert_max_num_queries(16) as many:
        home(client, org_a)
    assert len(few.captured_queries) == len(many.captured_queries)


def test_another_professionals_activities_do_not_count(client, org_a, alice, bob):
    factories.certification(org_a, alice)
    factories.activity(org_a, bob, "course", dt.date(2025, 3, 1), 40)
    client.force_login(alice)
    assert "0 PE points counted" in home(client, org_a).content.decode()

"""The kept report (portfolios/kept.py): stored faithfully, re-evaluated when an input changes and only then, and
after any sequence of writes equal to a fresh evaluation."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dossiers.models import Evidence
from portfolios import kept, reports
from portfolios.models import Activity, KeptReport
from schemes import rules
from schemes.models import SchemeVersion
from schemes.services import scheme_version_save
from tests import factories

pytestmark = pytest.mark.django_db

TYPES = ["course", "workshop", "congress", "book-read", "podcast", "peer-meeting", "congress-outside",
         "noloc-committee", "volunteering", "lecture"]
START = dt.date(2023, 7, 1)
TODAY = dt.date(2026, 3, 1)
_people = itertools.count()


def _fresh_portfolio(org):
    person = factories.member(org, f"kept-{next(_people)}@example.org", "professional")
    certification = factories.certification(org, person, recertification_date=dt.date(2027, 6, 1))
    return person, certification


def _assert_kept_equals_fresh(org, person, today):
    held, fresh = kept.held_reports(org, person, today), kept.fresh_reports(org, person, today)
    assert [h.certification.pk for h in held] == [f.certification.pk for f in fresh]
    for found, expected in zip(held, fresh, strict=True):
        assert found.version.pk == expected.version.pk
        assert (found.error is None) == (expected.error is None)
        if expected.error is not None:
            assert found.error is not None
            assert (str(found.error), found.error.field) == (str(expected.error), expected.error.field)
            continue
        assert found.report is not None
        assert expected.report is not None
        assert found.report == expected.report
        assert expected.report == found.report
        assert found.report.activities == expected.report.activities
        assert kept.dump_report(found.report) == kept.dump_report(expected.report)


def test_round_trip_keeps_every_field(org_a, alice):
    factories.certification(org_a, alice, "peoplecert-cpd", number="P-1", exam_passed_on=dt.date(2023, 4, 30))
    for year in (2024, 2025, 2026):
        factories.activity(org_a, alice, "mentoring", dt.date(year, 1, 10), "5.5")
        factories.activity(org_a, alice, "podcasts-webinars", dt.date(year, 2, 10), 15)
    factories.activity(org_a, alice, "mentoring", dt.date(2010, 1, 1), 1)  # too early: explained
    [(certification, version)] = reports.held_certifications(org_a, alice, TODAY)
    report = reports.evaluate_certification(certification, version.rules, reports.owner_activities(org_a, alice),
                                            TODAY)
    assert report.activities
    assert report.periods
    assert report.renewal is not None
    summary, results = kept.dump_report(report)
    loaded = kept.load_report(summary, results, version.rules)
    assert isinstance(loaded, rules.Report)
    assert loaded == report
    assert report == loaded
    assert loaded.definition is version.rules
    for field in ("scheme", "version", "as_of", "designation", "compliant", "total_counted", "required_total",
                  "deadline", "categories", "scope", "current_period", "periods", "cycle",
                  "consecutive_compliant_periods", "renewal", "sections", "activities", "explanations",
                  "problems", "reminders"):
        assert getattr(loaded, field) == getattr(report, field), field
    assert loaded.to_dict() == report.to_dict()
    assert loaded.counted_activities() == report.counted_activities()
    assert kept.dump_report(loaded) == (summary, results)


def test_activities_are_read_only_when_asked_for(org_a, alice):
    factories.certification(org_a, alice)
    factories.activity(org_a, alice, "course", dt.date(2025, 3, 1), 5)
    kept.held_reports(org_a, alice, TODAY)
    [held] = kept.held_reports(org_a, alice, TODAY)
    assert held.report is not None
    with CaptureQueriesContext(connection) as queries:
        assert held.report.total_counted == Decimal(5)
    assert len(queries) == 0
    expected = list(Activity.objects.filter(owner=alice).values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        assert [result.ref for result in held.report.activities] == expected
        assert len(held.report.activities) == 1
    assert len(queries) == 1


def test_evaluated_once_per_change(org_a, alice):
    certification = factories.certification(org_a, alice)
    factories.activity(org_a, alice, "course", dt.date(2025, 3, 1), 5)
    with CaptureQueriesContext(connection) as first:
        kept.held_reports(org_a, alice, TODAY)
    with CaptureQueriesContext(connection) as second:
        kept.held_reports(org_a, alice, TODAY)
    assert len(second) == 2 < len(first)  # certifications with kept reports and fingerprint; versions in force
    stored = KeptReport.objects.get(certification=certification)
    kept.held_reports(org_a, alice, TODAY)
    assert KeptReport.objects.get(certification=certification).updated_at == stored.updated_at
    kept.held_reports(org_a, alice, TODAY + dt.timedelta(days=1))  # a new day: evaluated again
    assert KeptReport.objects.get(certification=certification).updated_at > stored.updated_at


def test_a_certification_that_cannot_be_evaluated_is_kept_too(org_a, alice):
    factories.certification(org_a, alice, recertification_date=None)
    kept.held_reports(org_a, alice, TODAY)
    [held] = kept.held_reports(org_a, alice, TODAY)
    assert held.report is None
    assert held.error is not None
    assert held.error.field == "recertification_date"
    _assert_kept_equals_fresh(org_a, alice, TODAY)


def test_another_organisations_kept_report_is_not_read(org_a, org_b, alice):
    factories.certification(org_a, alice)
    kept.held_reports(org_a, alice, TODAY)
    assert KeptReport.objects.for_organisation(org_b).count() == 0
    assert kept.held_reports(org_b, alice, TODAY) == []


# --- the property: any sequence of writes, then kept == fresh ----------------------------------------------

step = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(TYPES), st.integers(0, 1500), st.integers(0, 12)),
    st.tuples(st.just("edit"), st.integers(0, 50), st.sampled_from(TYPES), st.integers(0, 1500), st.integers(0, 12)),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("evidence-add"), st.integers(0, 50)),
    st.tuples(st.just("evidence-remove"), st.integers(0, 50)),
    st.tuples(st.just("version"), st.integers(40, 120), st.integers(0, 400)),
    st.tuples(st.just("today"), st.integers(-400, 600)),
    st.tuples(st.just("recertification"), st.integers(-300, 300)),
    st.tuples(st.just("look"),),
)


def _apply(org, person, certification, action, today):
    mine = list(Activity.objects.filter(owner=person).order_by("pk"))
    kind = action[0]
    if kind == "add":
        factories.activity(org, person, action[1], START + dt.timedelta(days=action[2]), action[3])
    elif kind == "edit" and mine:
        activity = mine[action[1] % len(mine)]
        activity.type_code, activity.date = action[2], START + dt.timedelta(days=action[3])
        activity.quantity = Decimal(action[4])
        activity.save()
    elif kind == "delete" and mine:
        mine[action[1] % len(mine)].delete()
    elif kind == "evidence-add" and mine:
        evidence = Evidence(organisation=org, owner=person, activity=mine[action[1] % len(mine)],
                            original_name="a.pdf", content_type="application/pdf", size=9, sha256="0" * 64)
        evidence.file.save("a.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
        evidence.save()
    elif kind == "evidence-remove":
        files = list(Evidence.objects.filter(owner=person).order_by("pk"))
        if files:
            files[action[1] % len(files)].delete()
    elif kind == "version":
        latest = SchemeVersion.objects.filter(organisation=org, code=certification.scheme_version.code).order_by(
            "-effective_from", "-version").first()
        data = copy.deepcopy(latest.definition)
        data["totals"]["cycle_min"] = str(action[1])
        effective = max(latest.effective_from, today - dt.timedelta(days=action[2]))
        scheme_version_save(organisation=org, data=data, effective_from=effective, by=person, source="edited")
    elif kind == "today":
        today = today + dt.timedelta(days=action[1])
    elif kind == "recertification":
        certification.recertification_date = dt.date(2027, 6, 1) + dt.timedelta(days=action[1])
        certification.save()
    return today


@settings(deadline=None, max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=12), looks=st.lists(st.booleans(), min_size=12, max_size=12))
def test_kept_report_equals_a_fresh_evaluation_after_any_writes(org_a, steps, looks):
    person, certification = _fresh_portfolio(org_a)
    today = TODAY
    for action, look in zip(steps, looks, strict=False):
        today = _apply(org_a, person, certification, action, today)
        if look:  # sometimes read in between, so some changes find a kept report and some do not
            _assert_kept_equals_fresh(org_a, person, today)
    _assert_kept_equals_fresh(org_a, person, today)


def test_kept_reports_are_under_row_level_security():
    with connection.cursor() as cursor:
        cursor.execute("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = %s",
                       ["portfolios_keptreport"])
        assert cursor.fetchone() == (True, True)

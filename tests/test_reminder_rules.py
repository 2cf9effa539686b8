"""Time travel through every reminder rule of the four schemes: a fixed "today" passed to the scan.

Each test scans day by day and looks at what was claimed (certificate, kind, due date): the rules engine
decides what is due, the scan's SQL pre-filter must never hide a due reminder, and the unique constraint
makes every reminder once.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db.models import F

from accounts.tenancy import maintenance, tenant_context
from dossiers.models import Dossier
from notifications import reminders
from notifications.models import Reminder
from portfolios import reports
from portfolios.models import Certification
from schemes import rules
from schemes.models import SchemeVersion
from tests import factories

pytestmark = pytest.mark.django_db

D = dt.date


def days(start: dt.date, end: dt.date):
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def scan_through(start: dt.date, end: dt.date) -> None:
    for day in days(start, end):
        reminders.reminder_scan(today=day)


def claimed(certification=None) -> list[tuple[str, dt.date, dt.date]]:
    """(code, anchor date, due date) of every reminder claimed, oldest first."""
    with maintenance():
        rows = Reminder.objects.all() if certification is None else Reminder.objects.filter(
            organisation=certification.organisation, certification=certification)
        return [(r.code, r.anchor_date, r.send_on) for r in rows.order_by("send_on", "code", "id")]


EXAM = D(2023, 4, 30)


def peoplecert(org, holder, exam=EXAM, **fields):
    return factories.certification(org, holder, "peoplecert-cpd", exam_passed_on=exam, **fields)


def compliant_cpd_year(org, holder, day: dt.date) -> None:
    """20 counted points, 5 of them Professional Experience (PeopleCert's yearly requirement)."""
    factories.activity(org, holder, "best-practice-at-work", day, 5)
    factories.activity(org, holder, "in-house-training", day, 15)


def submit_dossier(certification, reference_date: dt.date) -> Dossier:
    with maintenance():
        return Dossier.objects.create(
            organisation=certification.organisation, owner=certification.holder, certification=certification,
            scheme_version=certification.scheme_version, reference_date=reference_date,
            product_series=certification.product_series, status=Dossier.Status.SUBMITTED)


# --- PeopleCert: 60, 30 and 7 days before each CPD-year anniversary while that year is short ----------------

def test_peoplecert_60_30_and_7_days_before_the_anniversary(org_a, alice):
    certification = peoplecert(org_a, alice)
    scan_through(D(2027, 2, 20), D(2027, 5, 5))
    anniversary = D(2027, 4, 30)
    assert claimed(certification) == [("cpd-year-due", anniversary, D(2027, 3, 1)),
                                      ("cpd-year-due", anniversary, D(2027, 3, 31)),
                                      ("cpd-year-due", anniversary, D(2027, 4, 23))]


def test_peoplecert_compliant_year_gets_no_reminder(org_a, alice):
    certification = peoplecert(org_a, alice)
    compliant_cpd_year(org_a, alice, D(2026, 9, 1))
    scan_through(D(2027, 2, 25), D(2027, 5, 2))
    assert claimed(certification) == []


def test_peoplecert_exam_on_29_february_falls_due_on_28_february(org_a, alice):
    certification = peoplecert(org_a, alice, exam=D(2024, 2, 29))
    scan_through(D(2026, 12, 25), D(2027, 3, 3))
    anniversary = D(2027, 2, 28)
    assert claimed(certification) == [("cpd-year-due", anniversary, D(2026, 12, 30)),
                                      ("cpd-year-due", anniversary, D(2027, 1, 29)),
                                      ("cpd-year-due", anniversary, D(2027, 2, 21))]


def test_peoplecert_29_february_in_a_leap_year(org_a, alice):
    certification = peoplecert(org_a, alice, exam=D(2024, 2, 29))
    for day in (D(2027, 12, 31), D(2028, 1, 30), D(2028, 2, 22), D(2028, 2, 29), D(2028, 3, 1)):
        reminders.reminder_scan(today=day)
    anniversary = D(2028, 2, 29)
    assert claimed(certification) == [("cpd-year-due", anniversary, D(2027, 12, 31)),
                                      ("cpd-year-due", anniversary, D(2028, 1, 30)),
                                      ("cpd-year-due", anniversary, D(2028, 2, 22))]


def test_becoming_compliant_between_two_reminders_stops_the_later_one(org_a, alice):
    certification = peoplecert(org_a, alice)
    scan_through(D(2027, 2, 27), D(2027, 3, 10))
    assert claimed(certification) == [("cpd-year-due", D(2027, 4, 30), D(2027, 3, 1))]
    compliant_cpd_year(org_a, alice, D(2027, 3, 5))
    scan_through(D(2027, 3, 11), D(2027, 5, 1))
    assert claimed(certification) == [("cpd-year-due", D(2027, 4, 30), D(2027, 3, 1))]


def test_a_missed_day_sends_only_the_latest_due_reminder_once(org_a, alice):
    certification = peoplecert(org_a, alice)
    # The scan did not run for weeks: on 20 April the 60- and 30-day reminders are both overdue.
    first = reminders.reminder_scan(today=D(2027, 4, 20))
    assert (first.due, first.claimed) == (1, 1)
    assert claimed(certification) == [("cpd-year-due", D(2027, 4, 30), D(2027, 3, 31))]
    again = reminders.reminder_scan(today=D(2027, 4, 21))
    assert (again.due, again.claimed, again.already) == (1, 0, 1)
    reminders.reminder_scan(today=D(2027, 4, 23))
    assert [send_on for _code, _anchor, send_on in claimed(certification)] == [D(2027, 3, 31), D(2027, 4, 23)]


def test_second_scan_right_after_claims_nothing(org_a, alice):
    peoplecert(org_a, alice)
    first = reminders.reminder_scan(today=D(2027, 3, 1))
    second = reminders.reminder_scan(today=D(2027, 3, 1))
    assert (first.claimed, second.claimed, second.already) == (1, 0, 1)
    assert len(claimed()) == 1


def test_withdrawn_or_lapsed_certificates_are_not_reminded(org_a, alice):
    peoplecert(org_a, alice, status=Certification.Status.LAPSED)
    peoplecert(org_a, alice, status=Certification.Status.WITHDRAWN)
    assert reminders.reminder_scan(today=D(2027, 3, 1)).candidates == 0


# --- CMI: apply 4 and 3 months before expiry; "expired" after ----------------------------------------------

def test_cmi_apply_at_4_and_3_months_and_expired_after(org_a, alice):
    certification = factories.certification(org_a, alice, "cmi-register-loopbaanprofessional",
                                            recertification_date=D(2027, 6, 1))
    scan_through(D(2027, 1, 25), D(2027, 6, 12))
    expiry = D(2027, 6, 1)
    assert claimed(certification) == [("apply-for-recertification", expiry, D(2027, 2, 1)),
                                      ("apply-for-recertification", expiry, D(2027, 3, 1)),
                                      ("certificate-expired", expiry, D(2027, 6, 2))]


def test_cmi_submitted_dossier_stops_apply_reminders_not_the_expiry_notice(org_a, alice):
    certification = factories.certification(org_a, alice, "cmi-register-loopbaanprofessional",
                                            recertification_date=D(2027, 6, 1))
    submit_dossier(certification, D(2027, 6, 1))
    scan_through(D(2027, 1, 30), D(2027, 3, 2))
    reminders.reminder_scan(today=D(2027, 6, 2))
    assert claimed(certification) == [("certificate-expired", D(2027, 6, 1), D(2027, 6, 2))]


def test_expired_notice_catches_up_a_week_not_for_ever(org_a, alice):
    recent = factories.certification(org_a, alice, "cmi-register-loopbaanprofessional",
                                     recertification_date=D(2027, 5, 28))
    old = factories.certification(org_a, alice, "cmi-register-loopbaanprofessional",
                                  recertification_date=D(2027, 3, 1))
    reminders.reminder_scan(today=D(2027, 6, 3))
    assert claimed(recent) == [("certificate-expired", D(2027, 5, 28), D(2027, 5, 29))]
    assert claimed(old) == []


# --- Noloc: 6, 3 and 1 month before the recertification date while not submitted --------------------------

def test_noloc_6_3_and_1_month_before_the_recertification_date(org_a, alice):
    certification = factories.certification(org_a, alice, recertification_date=D(2027, 6, 1))
    scan_through(D(2026, 11, 25), D(2027, 6, 10))
    date = D(2027, 6, 1)
    assert claimed(certification) == [("submit-portfolio", date, D(2026, 12, 1)),
                                      ("submit-portfolio", date, D(2027, 3, 1)),
                                      ("submit-portfolio", date, D(2027, 5, 1))]


def test_noloc_submitted_dossier_stops_the_reminders(org_a, alice):
    certification = factories.certification(org_a, alice, recertification_date=D(2027, 6, 1))
    scan_through(D(2026, 11, 28), D(2026, 12, 3))
    submit_dossier(certification, D(2027, 6, 1))
    scan_through(D(2027, 2, 26), D(2027, 3, 3))
    reminders.reminder_scan(today=D(2027, 5, 1))
    assert claimed(certification) == [("submit-portfolio", D(2027, 6, 1), D(2026, 12, 1))]


def test_noloc_dossier_for_an_earlier_date_does_not_count(org_a, alice):
    certification = factories.certification(org_a, alice, recertification_date=D(2027, 6, 1))
    submit_dossier(certification, D(2023, 6, 1))  # the previous recertification
    reminders.reminder_scan(today=D(2027, 3, 1))
    assert claimed(certification) == [("submit-portfolio", D(2027, 6, 1), D(2027, 3, 1))]


# --- CCMG: before the yearly minimum and the cycle end, when short -----------------------------------------

def test_ccmg_yearly_minimum_and_cycle_end_when_short(org_a, alice):
    certification = factories.certification(org_a, alice, "ccmg-cpd", cycle_start=D(2025, 1, 1), designation="CCOP")
    scan_through(D(2026, 10, 28), D(2027, 1, 2))
    scan_through(D(2027, 10, 28), D(2028, 1, 2))
    year_end, cycle_end = D(2026, 12, 31), D(2027, 12, 31)
    assert claimed(certification) == [("yearly-minimum", year_end, D(2026, 11, 1)),
                                      ("yearly-minimum", year_end, D(2026, 12, 17)),
                                      ("cycle-total", cycle_end, D(2027, 11, 1)),
                                      ("yearly-minimum", cycle_end, D(2027, 11, 1)),
                                      ("cycle-total", cycle_end, D(2027, 12, 17)),
                                      ("yearly-minimum", cycle_end, D(2027, 12, 17))]


def test_ccmg_a_year_with_its_minimum_met_gets_no_yearly_reminder(org_a, alice):
    certification = factories.certification(org_a, alice, "ccmg-cpd", cycle_start=D(2025, 1, 1), designation="CCOP")
    factories.activity(org_a, alice, "training-course-with-exam", D(2026, 3, 1), 40)
    scan_through(D(2026, 10, 28), D(2027, 1, 2))
    assert claimed(certification) == []


def test_ccmg_cycle_starting_29_february(org_a, alice):
    certification = factories.certification(org_a, alice, "ccmg-cpd", cycle_start=D(2024, 2, 29), designation="CCOP")
    # Yearly periods end the day before each anniversary: 27 February 2025 and 2026 (the anniversary is the 28th).
    scan_through(D(2025, 12, 25), D(2026, 3, 2))
    year_end = D(2026, 2, 27)
    assert claimed(certification) == [("yearly-minimum", year_end, D(2025, 12, 29)),
                                      ("yearly-minimum", year_end, D(2026, 2, 13))]


# --- The pre-filter never hides what the engine finds due --------------------------------------------------

def engine_due(organisation, today: dt.date) -> set[tuple[int, str, dt.date, dt.date]]:
    """Every due reminder, evaluating EVERY active certification (no pre-filter), within the catch-up."""
    found = set()
    with tenant_context(organisation):
        certifications = list(Certification.objects.for_organisation(organisation)
                              .filter(status=Certification.Status.ACTIVE).annotate(code=F("scheme_version__code")))
        versions = SchemeVersion.objects.for_organisation(organisation).in_force(today)
        for certification in certifications:
            definition = versions[certification.code].rules
            report = reports.evaluate_certification(certification, definition, [], as_of=today)
            longest_after = max((offset.amount * (31 if offset.unit == "months" else 1) for rule in definition.reminders
                                 for offset in rule.offsets if offset.direction == "after"), default=0)
            oldest = today - dt.timedelta(days=longest_after + reminders.CATCH_UP_DAYS)
            found |= {(certification.pk, due.code, due.anchor_date, due.send_on) for due in report.reminders
                      if due.offset.direction == "before" or due.anchor_date >= oldest}
    return found


def test_pre_filter_keeps_everything_the_engine_finds_due(org_a, alice):
    rng = random.Random(5)
    tricky = [D(2024, 2, 29), D(2023, 2, 28), D(2023, 3, 1), D(2024, 12, 31), D(2025, 1, 1), D(2023, 8, 31)]
    for index in range(12):
        peoplecert(org_a, alice, exam=tricky[index] if index < len(tricky) else D(2022, 1, 1) + dt.timedelta(
            days=rng.randrange(1500)))
        factories.certification(org_a, alice, "ccmg-cpd", designation="CCOP", cycle_start=(
            tricky[index] if index < len(tricky) else D(2024, 1, 1) + dt.timedelta(days=rng.randrange(1100))))
        factories.certification(org_a, alice, recertification_date=D(2026, 12, 1) + dt.timedelta(
            days=rng.randrange(500)))
        factories.certification(org_a, alice, "cmi-register-loopbaanprofessional",
                                recertification_date=D(2026, 12, 1) + dt.timedelta(days=rng.randrange(500)))
    checked = 0
    # Two winters: year ends, both 28 Februaries (one in a leap year) and many due dates of the dates above.
    for today in [*days(D(2026, 12, 20), D(2027, 3, 10)), *days(D(2027, 12, 20), D(2028, 3, 10))]:
        with tenant_context(org_a):
            found = {(c.certification_id, c.code, c.anchor_date, c.send_on)
                     for c in reminders.due_claims(org_a, today)}
        assert found == engine_due(org_a, today), today
        checked += len(found)
    assert checked > 100  # the comparison saw plenty of due reminders


# --- The definition format: `mandatory` ---------------------------------------------------------------------

def test_only_cmis_expiry_notice_is_mandatory():
    mandatory = {(code, rule.code) for code in rules.shipped_definitions()
                 for rule in rules.shipped_definition(code).reminders if rule.mandatory}
    assert mandatory == {("cmi-register-loopbaanprofessional", "certificate-expired")}


def test_mandatory_is_written_only_when_true_and_must_be_a_boolean():
    raw = rules.shipped_definitions()["noloc-register-jobcoach"]
    assert "mandatory" not in raw["reminders"][0]
    raw["reminders"][0]["mandatory"] = True
    definition = rules.load_definition(raw)
    assert definition.reminders[0].mandatory is True
    assert rules.dump_definition(definition)["reminders"][0]["mandatory"] is True
    raw["reminders"][0]["mandatory"] = "yes"
    with pytest.raises(rules.DefinitionError) as error:
        rules.load_definition(raw)
    assert any(path == "reminders[0].mandatory" for path, _reason in error.value.errors)

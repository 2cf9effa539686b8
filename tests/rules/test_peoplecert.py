"""PeopleCert CPD: CPD years on the exam anniversary, caps per CPD year, 20 points, renewal after three."""

from __future__ import annotations

from decimal import Decimal

import pytest

from schemes.rules import evaluate

from .support import act, category, context, day, texts

EXAM = "2024-04-30"


def report(peoplecert, as_of, *activities, exam=EXAM):
    return evaluate(peoplecert, context(as_of, exam_passed_on=exam), list(activities))


def compliant_year(year_end: str) -> list:
    """5 Professional Experience + 15 Professional Education points dated on the CPD year's deadline."""
    return [act("mentoring", year_end, 5), act("reading", year_end, 15)]


# --- CPD years and their boundaries -------------------------------------------------------------------


def test_first_cpd_year_runs_from_the_day_after_the_exam_through_the_anniversary(peoplecert):
    result = report(peoplecert, "2024-06-01")
    assert [(period.number, period.start, period.end) for period in result.periods] == [
        (1, day("2024-05-01"), day("2025-04-30"))
    ]
    assert result.deadline == day("2025-04-30")


@pytest.mark.parametrize(
    ("when", "period"),
    [("2024-05-01", 1), ("2025-04-30", 1), ("2025-05-01", 2), ("2026-04-30", 2), ("2026-05-01", 3)],
)
def test_activity_lands_in_the_cpd_year_of_its_date(peoplecert, when, period):
    result = report(peoplecert, "2026-06-01", act("mentoring", when, 2))
    assert result.activities[0].period == period


def test_activity_on_the_exam_date_is_before_the_first_cpd_year(peoplecert):
    result = report(peoplecert, "2024-06-01", act("mentoring", EXAM, 2))
    assert result.activities[0].counted == 0
    assert texts(result.explanations, peoplecert) == [
        "2 points dated before 1 May 2024 do not count: they fall outside the CPD year "
        "1 May 2024 – 30 April 2025."
    ]


def test_periods_list_every_year_up_to_the_one_containing_as_of(peoplecert):
    result = report(peoplecert, "2027-05-01")
    assert [period.number for period in result.periods] == [1, 2, 3, 4]
    assert result.current_period == 4


def test_on_the_anniversary_the_current_year_is_the_one_ending_that_day(peoplecert):
    result = report(peoplecert, "2026-04-30")
    assert result.current_period == 2
    assert result.periods[-1].end == day("2026-04-30")


def test_as_of_before_the_first_year_evaluates_the_first_year(peoplecert):
    result = report(peoplecert, "2024-04-01")
    assert result.current_period == 1
    assert result.deadline == day("2025-04-30")


@pytest.mark.parametrize(
    ("exam", "ends"),
    [
        ("2024-02-29", ["2025-02-28", "2026-02-28", "2027-02-28", "2028-02-29", "2029-02-28"]),
        ("2023-02-28", ["2024-02-28", "2025-02-28", "2026-02-28", "2027-02-28", "2028-02-28", "2029-02-28"]),
    ],
)
def test_29_february_anniversary(peoplecert, exam, ends):
    result = report(peoplecert, "2029-01-01", exam=exam)
    assert [period.end for period in result.periods] == [day(end) for end in ends]


def test_29_february_exam_years_start_on_1_march(peoplecert):
    result = report(peoplecert, "2029-01-01", exam="2024-02-29")
    assert [period.start for period in result.periods] == [
        day("2024-03-01"),
        day("2025-03-01"),
        day("2026-03-01"),
        day("2027-03-01"),
        day("2028-03-01"),
    ]


def test_29_february_activity_lands_in_the_leap_year_period(peoplecert):
    result = report(peoplecert, "2028-03-01", act("mentoring", "2028-02-29", 1), exam="2024-02-29")
    assert result.activities[0].period == 4


# --- caps, minimums and compliance --------------------------------------------------------------------


def test_community_exactly_on_the_cap_counts_in_full(peoplecert):
    result = report(
        peoplecert,
        "2025-04-30",
        act("attending-events", "2024-06-01", 10),
        act("reading-forums", "2024-07-01", 5),
    )
    assert category(result, "community") == (15, 15)
    assert result.explanations == ()


def test_community_one_step_over_the_cap(peoplecert):
    result = report(
        peoplecert,
        "2025-04-30",
        act("attending-events", "2024-06-01", 10),
        act("reading-forums", "2024-07-01", "5.5"),
    )
    assert category(result, "community") == (Decimal("15.5"), 15)
    assert result.category("community").capped
    assert texts(result.explanations, peoplecert) == [
        "0.5 of 15.5 Community points exceed the 15 per CPD year cap (CPD year 1 May 2024 – 30 April 2025)."
    ]


def test_the_example_sentence_for_a_capped_year(peoplecert):
    result = report(
        peoplecert,
        "2026-04-30",
        act("attending-events", "2025-06-01", 10),
        act("reading-forums", "2025-07-01", 9),
    )
    assert texts(result.explanations, peoplecert) == [
        "4 of 19 Community points exceed the 15 per CPD year cap (CPD year 1 May 2025 – 30 April 2026)."
    ]


def test_professional_education_is_capped_at_15(peoplecert):
    result = report(
        peoplecert, "2025-04-30", act("reading", "2024-06-01", 10), act("podcasts-webinars", "2024-06-02", 10)
    )
    assert category(result, "professional-education") == (20, 15)


def test_caps_apply_per_cpd_year(peoplecert):
    result = report(
        peoplecert, "2026-04-30", act("reading", "2025-04-30", 15), act("reading", "2025-05-01", 15)
    )
    assert [period.category("professional-education").counted for period in result.periods] == [15, 15]


def test_later_activities_are_the_ones_greyed_out(peoplecert):
    result = report(
        peoplecert,
        "2025-04-30",
        act("reading", "2024-09-01", 10, ref="late"),
        act("reading", "2024-06-01", 10, ref="early"),
    )
    counted = {item.ref: item.counted for item in result.activities}
    assert counted == {"early": 10, "late": 5}
    late = next(item for item in result.activities if item.ref == "late")
    assert texts(late.reasons, peoplecert) == [
        "The Professional Education cap of 15 per CPD year is reached."
    ]


def test_compliant_with_exactly_20_and_exactly_5_experience(peoplecert):
    result = report(peoplecert, "2025-04-30", *compliant_year("2025-04-30"))
    assert result.compliant
    assert result.total_counted == 20
    assert result.required_total == 20
    assert result.problems == ()


def test_not_compliant_half_a_point_short_of_20(peoplecert):
    result = report(
        peoplecert, "2025-04-30", act("mentoring", "2025-04-30", 5), act("reading", "2025-04-30", "14.5")
    )
    assert not result.compliant
    assert texts(result.problems, peoplecert) == [
        "Add 0.5 more points that count by 30 April 2025: the CPD year needs 20 and has 19.5."
    ]


def test_experience_minimum_is_required_even_with_20_points(peoplecert):
    result = report(
        peoplecert,
        "2025-04-30",
        act("mentoring", "2025-01-01", "4.5"),
        act("reading", "2025-01-01", 15),
        act("attending-events", "2025-01-01", 15),
    )
    assert result.total_counted == Decimal("34.5")
    assert not result.compliant
    assert texts(result.problems, peoplecert) == [
        "Add 0.5 more Professional Experience points by 30 April 2025: the CPD year needs at least 5."
    ]


def test_points_over_a_cap_do_not_make_up_the_total(peoplecert):
    result = report(
        peoplecert,
        "2025-04-30",
        act("mentoring", "2025-01-01", 5),
        act("reading", "2025-01-01", 14),
        act("reading", "2025-01-02", 14),
    )
    assert result.total_counted == 20
    assert result.periods[0].total_raw == 33


def test_singular_point_wording(peoplecert):
    result = report(peoplecert, "2024-06-01", act("mentoring", "2024-06-01", 4))
    assert texts(result.problems, peoplecert)[0] == (
        "Add 1 more Professional Experience point by 30 April 2025: the CPD year needs at least 5."
    )


def test_top_level_refers_to_the_current_cpd_year(peoplecert):
    result = report(
        peoplecert, "2025-05-01", *compliant_year("2025-04-30"), act("mentoring", "2025-05-01", 2)
    )
    assert result.current_period == 2
    assert (result.total_counted, result.compliant) == (2, False)
    assert result.periods[0].compliant


def test_activity_after_as_of_does_not_count_yet(peoplecert):
    result = report(peoplecert, "2025-01-01", act("mentoring", "2025-01-02", 3))
    assert result.activities[0].counted == 0
    assert texts(result.explanations, peoplecert) == ["3 points dated after 1 January 2025 do not count yet."]
    assert texts(result.activities[0].reasons, peoplecert) == ["The date is after 1 January 2025."]


def test_rejected_activity_is_explained_and_counts_nothing(peoplecert):
    result = report(peoplecert, "2025-04-30", act("mentoring", "2025-01-01", 16))
    assert result.activities[0].counted == 0
    assert category(result, "professional-experience") == (0, 0)
    assert texts(result.explanations, peoplecert) == [
        "Mentoring individuals or groups to support their development on 1 January 2025 does not count: "
        "16 points is above the per-activity maximum of 15."
    ]


# --- consecutive compliant years and renewal ----------------------------------------------------------


def test_three_consecutive_compliant_years_extend_the_certificate(peoplecert):
    activities = compliant_year("2025-04-30") + compliant_year("2026-04-30") + compliant_year("2027-04-30")
    result = report(peoplecert, "2027-04-30", *activities)
    assert result.consecutive_compliant_periods == 3
    assert result.renewal.eligible
    assert result.renewal.extends_by_years == 3


def test_two_compliant_years_are_not_enough(peoplecert):
    activities = compliant_year("2025-04-30") + compliant_year("2026-04-30")
    result = report(peoplecert, "2027-04-29", *activities, *compliant_year("2027-04-29"))
    assert result.consecutive_compliant_periods == 2  # the third year has not ended yet
    assert not result.renewal.eligible


def test_a_missed_year_breaks_the_chain(peoplecert):
    activities = compliant_year("2025-04-30") + compliant_year("2027-04-30") + compliant_year("2028-04-30")
    result = report(peoplecert, "2028-04-30", *activities)
    assert [period.compliant for period in result.periods] == [True, False, True, True]
    assert result.consecutive_compliant_periods == 2
    assert not result.renewal.eligible


def test_no_year_ended_yet(peoplecert):
    result = report(peoplecert, "2025-04-29", *compliant_year("2025-04-29"))
    assert result.consecutive_compliant_periods == 0


# --- reminders ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "send_on"),
    [
        ("2025-02-28", None),
        ("2025-03-01", "2025-03-01"),
        ("2025-04-01", "2025-03-31"),
        ("2025-04-23", "2025-04-23"),
        ("2025-04-30", "2025-04-23"),
    ],
)
def test_reminders_60_30_7_days_before_the_deadline(peoplecert, as_of, send_on):
    result = report(peoplecert, as_of)
    assert [reminder.send_on for reminder in result.reminders] == ([day(send_on)] if send_on else [])
    if send_on:
        assert result.reminders[0].anchor_date == day("2025-04-30")
        assert result.reminders[0].code == "cpd-year-due"


def test_no_reminder_when_the_year_is_compliant(peoplecert):
    assert report(peoplecert, "2025-04-23", *compliant_year("2025-04-01")).reminders == ()

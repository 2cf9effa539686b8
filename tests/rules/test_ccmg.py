"""CCMG: a three-year cycle from the cycle start, a yearly minimum and a cycle total per designation."""

from __future__ import annotations

import pytest

from schemes.rules import ContextError, evaluate

from .support import act, category, context, day, texts

START = "2024-01-01"


def report(ccmg, designation, *activities, as_of="2026-12-31", start=START):
    return evaluate(ccmg, context(as_of, cycle_start=start, designation=designation), list(activities))


def yearly(points, *years, type_code="webinar"):
    return [act(type_code, f"{year}-06-01", points) for year in years]


def test_cycle_and_yearly_periods(ccmg):
    result = report(ccmg, "CCSUP")
    assert [(period.start, period.end) for period in result.periods] == [
        (day("2024-01-01"), day("2024-12-31")),
        (day("2025-01-01"), day("2025-12-31")),
        (day("2026-01-01"), day("2026-12-31")),
    ]
    assert (result.cycle.start, result.cycle.end) == (day("2024-01-01"), day("2026-12-31"))


@pytest.mark.parametrize(
    ("designation", "per_year", "per_cycle"),
    [("CCSUP", 25, 75), ("CCOP", 35, 105), ("CCStP", 40, 120), ("CCIDP", 45, 135)],
)
def test_each_designation_exactly_compliant(ccmg, designation, per_year, per_cycle):
    activities = yearly(per_year, 2024, 2025, 2026) + yearly(10, 2024, type_code="in-house-training")
    result = report(ccmg, designation, *activities)
    assert [period.required_total for period in result.periods] == [per_year] * 3
    assert result.required_total == per_cycle
    assert result.compliant


@pytest.mark.parametrize(
    ("designation", "per_year"),
    [("CCSUP", 25), ("CCOP", 35), ("CCStP", 40), ("CCIDP", 45)],
)
def test_one_year_below_its_minimum_fails_the_cycle(ccmg, designation, per_year):
    # Enough for the cycle total (and CCOP's education minimum), but the middle year is one point short.
    activities = yearly(per_year + 1, 2024, 2026) + yearly(per_year - 1, 2025)
    activities += yearly(10, 2024, type_code="in-house-training")
    result = report(ccmg, designation, *activities)
    assert [period.compliant for period in result.periods] == [True, False, True]
    assert result.total_counted >= result.required_total
    assert not result.compliant


def test_ccop_needs_10_education_points_per_cycle(ccmg):
    result = report(ccmg, "CCOP", *yearly(35, 2024, 2025, 2026))
    assert result.total_counted == 105
    assert result.category("education-training").minimum == 10
    assert not result.compliant
    assert "Add 10 more Education and training points by 31 December 2026" in texts(result.problems, ccmg)[0]


def test_ccop_exactly_10_education_points(ccmg):
    activities = yearly(35, 2024, 2025) + [
        act("webinar", "2026-03-01", 25),
        act("in-house-training", "2026-04-01", 10),
    ]
    result = report(ccmg, "CCOP", *activities)
    assert category(result, "education-training") == (10, 10)
    assert result.compliant


def test_other_designations_have_no_education_minimum(ccmg):
    assert report(ccmg, "CCSUP").category("education-training").minimum is None


def test_training_course_counts_on_completion(ccmg):
    activities = [
        act("training-course-with-exam", "2024-05-01", 8, completed=False),
        act("training-course-with-exam", "2024-06-01", 6, completed=True),
        act("training-course-with-exam", "2024-07-01", 4),
    ]
    result = report(ccmg, "CCSUP", *activities, as_of="2024-12-31")
    assert category(result, "education-training") == (10, 10)
    assert texts(result.explanations, ccmg) == [
        "8 Training course with an exam points do not count yet: they are awarded on completion."
    ]


def test_current_year_and_cycle_problems(ccmg):
    result = report(ccmg, "CCSUP", *yearly(25, 2024), act("webinar", "2025-03-01", 5), as_of="2025-06-01")
    assert result.current_period == 2
    assert result.deadline == day("2025-12-31")
    assert texts(result.problems, ccmg) == [
        "Add 20 more points that count by 31 December 2025: the CPD year needs 25 and has 5.",
        "Add 45 more points that count by 31 December 2026: the CPD cycle needs 75 and has 30.",
    ]


def test_a_past_year_that_fell_short_is_a_problem(ccmg):
    result = report(ccmg, "CCSUP", *yearly(20, 2024), as_of="2025-02-01")
    assert (
        texts(result.problems, ccmg)[0]
        == "The CPD year ending 31 December 2024 needed 25 points that count and had 20."
    )


def test_activity_after_the_cycle(ccmg):
    result = report(ccmg, "CCSUP", act("webinar", "2027-01-01", 3), as_of="2027-02-01")
    assert result.current_period is None
    assert result.deadline == day("2026-12-31")
    assert texts(result.explanations, ccmg) == [
        "3 points dated after 31 December 2026 do not count: they fall outside the CPD year "
        "1 January 2026 – 31 December 2026."
    ]


def test_cycle_starting_on_29_february(ccmg):
    result = report(ccmg, "CCSUP", start="2024-02-29", as_of="2024-03-01")
    assert [period.end for period in result.periods] == [
        day("2025-02-27"),
        day("2026-02-27"),
        day("2027-02-27"),
    ]


def test_designation_is_required(ccmg):
    with pytest.raises(ContextError, match="needs a designation: CCSUP, CCOP, CCStP, CCIDP"):
        report(ccmg, None)


def test_unknown_designation(ccmg):
    with pytest.raises(ContextError, match='Unknown designation "CCXX"'):
        report(ccmg, "CCXX")


@pytest.mark.parametrize(
    ("as_of", "codes"),
    [
        ("2024-10-31", []),
        ("2024-11-01", ["yearly-minimum"]),
        ("2026-11-01", ["yearly-minimum", "cycle-total"]),
    ],
)
def test_reminders_before_the_year_end_and_the_cycle_end(ccmg, as_of, codes):
    assert [reminder.code for reminder in report(ccmg, "CCSUP", as_of=as_of).reminders] == codes


def test_reminder_14_days_before(ccmg):
    reminders = report(ccmg, "CCSUP", as_of="2024-12-20").reminders
    assert [(reminder.send_on, reminder.offset.amount) for reminder in reminders] == [(day("2024-12-17"), 14)]

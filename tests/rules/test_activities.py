"""Points of one activity in isolation: every formula, and the rules an activity must pass on its own."""

from __future__ import annotations

from decimal import Decimal

import pytest

from schemes.rules import ActivityInput, activity_points, check_activity, describe_formula, render_message

from .support import act, day


def points(definition, type_code, quantity, **attributes):
    result = activity_points(definition, act(type_code, "2025-01-01", quantity, **attributes))
    assert result.problems == (), [render_message(message, definition) for message in result.problems]
    return result.points


def problems(definition, activity, index=None):
    return [render_message(message, definition) for message in check_activity(definition, activity, index)]


@pytest.mark.parametrize(
    ("type_code", "quantity", "attributes", "expected"),
    [
        ("course", "12.5", {}, "12.5"),  # 1 SBU = 1 PE
        ("workshop", "3", {}, "3"),  # 1 per teaching hour
        ("congress", "1", {}, "3"),  # a half day
        ("congress", "2", {}, "6"),  # a day
        ("congress", "3", {}, "9"),  # a day and a half
        ("book-read", "2", {}, "4"),  # 2 per book
        ("journal-subscription", "3", {}, "3"),  # 1 per subscription-year
        ("podcast", "4", {}, "4"),  # 1 per podcast
        ("peer-meeting", "5", {}, "10"),  # 2 per meeting
        ("congress-outside", "4", {}, "12"),
        ("course-outside", "7", {}, "7"),
        ("noloc-board", "2", {}, "20"),  # 10 per year
        ("noloc-committee", "1", {}, "6"),
        ("network-board", "1", {}, "10"),
        ("network-member", "3", {}, "18"),
        ("register-mentor-assessor", "1", {"candidates": 3}, "10"),  # 4 per year + 2 per candidate
        ("register-mentor-assessor", "2", {"candidates": 0}, "8"),
        ("mentor-other-context", "1", {}, "4"),
        ("article", "1", {"words": 1500}, "10"),
        ("book-written", "1", {}, "25"),
        ("noloc-webinar", "2", {}, "12"),
        ("lecture", "1", {}, "6"),
        ("volunteering", "2", {}, "4"),  # 2 per year per kind
    ],
)
def test_noloc_formulas(noloc, type_code, quantity, attributes, expected):
    assert points(noloc, type_code, quantity, **attributes) == Decimal(expected)


def test_article_under_1500_words_is_rejected(noloc):
    activity = act("article", "2025-01-01", 1, words=1499)
    assert problems(noloc, activity) == ["Number of words is 1499, below the minimum of 1500"]
    assert activity_points(noloc, activity).points == 10  # computed, but it counts for nothing


def test_article_needs_a_word_count(noloc):
    assert problems(noloc, act("article", "2025-01-01", 1)) == ["Number of words is required"]


def test_candidates_must_be_a_whole_number(noloc):
    activity = act("register-mentor-assessor", "2025-01-01", 1, candidates=Decimal("1.5"))
    assert problems(noloc, activity) == ["Candidates guided or assessed must be a whole number, not 1.5"]
    assert activity_points(noloc, activity).points is None


def test_half_days_must_be_whole(noloc):
    assert problems(noloc, act("congress", "2025-01-01", "1.5")) == [
        "the quantity must be a whole number of Half-days, not 1.5"
    ]


def test_sbu_may_be_fractional(noloc):
    assert points(noloc, "course", "0.5") == Decimal("0.5")


@pytest.mark.parametrize("quantity", ["0", "-2"])
def test_quantity_must_be_positive(noloc, quantity):
    assert problems(noloc, act("course", "2025-01-01", quantity)) == [
        f"the quantity must be more than 0, not {quantity}"
    ]


def test_quantity_must_be_a_number(noloc):
    activity = ActivityInput(type="course", date=day("2025-01-01"), quantity=1.5)  # type: ignore[arg-type]
    assert problems(noloc, activity) == ["the quantity must be a number"]


def test_unknown_type(noloc):
    assert problems(noloc, act("knitting", "2025-01-01")) == [
        '"knitting" is not an activity type of this scheme'
    ]
    assert activity_points(noloc, act("knitting", "2025-01-01")).points is None


@pytest.mark.parametrize("quantity", ["0.5", "1", "14.5", "15"])
def test_peoplecert_bounds_accept(peoplecert, quantity):
    assert points(peoplecert, "mentoring", quantity) == Decimal(quantity)


def test_peoplecert_below_minimum(peoplecert):
    assert problems(peoplecert, act("mentoring", "2025-01-01", "0.25")) == [
        "0.25 points is below the per-activity minimum of 0.5",
        "0.25 points is not a multiple of the step of 0.5",
    ]


def test_peoplecert_one_step_above_maximum_is_rejected_not_clamped(peoplecert):
    result = activity_points(peoplecert, act("mentoring", "2025-01-01", "15.5"))
    assert result.points == Decimal("15.5")
    assert not result.valid
    assert problems(peoplecert, act("mentoring", "2025-01-01", "15.5")) == [
        "15.5 points is above the per-activity maximum of 15"
    ]


def test_peoplecert_off_step(peoplecert):
    assert problems(peoplecert, act("reading", "2025-01-01", "1.25")) == [
        "1.25 points is not a multiple of the step of 0.5"
    ]


def test_check_activity_names_index_and_type(peoplecert):
    assert problems(peoplecert, act("mentoring", "2025-01-01", 16), index=3) == [
        "activity 3 (mentoring): 16 points is above the per-activity maximum of 15"
    ]


def test_check_activity_of_a_valid_activity_is_empty(peoplecert):
    assert check_activity(peoplecert, act("mentoring", "2025-01-01", 2), 0) == []


def test_completed_must_be_yes_or_no(ccmg):
    activity = act("training-course-with-exam", "2025-01-01", 4, completed="yes")
    assert problems(ccmg, activity) == [
        "Completed must be yes or no",
        "whether the activity is completed must be yes or no",
    ]


def test_date_must_be_a_calendar_date(noloc):
    activity = ActivityInput(type="course", date="2025-01-01", quantity=Decimal(1))  # type: ignore[arg-type]
    assert problems(noloc, activity) == ["the date is missing or not a calendar date"]


@pytest.mark.parametrize(
    ("type_code", "expected"),
    [
        ("course", "Points = Study-load hours (SBU) × 1"),
        ("congress", "3 points per half day, 6 points per day"),
        ("article", "Points = Articles × 10"),
        ("noloc-board", "Points = Years × 10"),
        ("register-mentor-assessor", "Points = Years × 4 + Candidates guided or assessed × 2"),
    ],
)
def test_describe_formula(noloc, type_code, expected):
    assert render_message(describe_formula(noloc, type_code), noloc) == expected


def test_describe_formula_in_dutch(noloc):
    assert (
        render_message(describe_formula(noloc, "congress"), noloc, "nl")
        == "3 points per half day, 6 points per day"
    )
    assert render_message(describe_formula(noloc, "book-read"), noloc, "nl") == "Points = Boeken × 2"

"""Noloc Register Jobcoach: 75 PE points in the four years before the recertification date, and the
dossier sections whose requirements depend on that date."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from schemes.rules import evaluate

from .support import act, category, context, day, texts

RECERTIFICATION = "2027-03-01"


def report(noloc, *activities, recertification=RECERTIFICATION, as_of=None, **flags):
    """Evaluated on the last day of the window unless ``as_of`` says otherwise."""
    as_of = as_of or (day(recertification) - timedelta(days=1)).isoformat()
    return evaluate(noloc, context(as_of, recertification_date=recertification, **flags), list(activities))


def full_portfolio(when="2025-06-01") -> list:
    """30 points in category 1 and 30 + 3 + 10 + 2 in others: exactly compliant."""
    return [
        act("course", when, 30),
        act("peer-meeting", when, 15),
        act("congress-outside", when, 1),
        act("noloc-board", when, 1),
        act("volunteering", when, 1),
    ]


# --- the four-year window -----------------------------------------------------------------------------


def test_window_is_the_four_years_before_the_recertification_date(noloc):
    result = report(noloc)
    assert (result.cycle.start, result.cycle.end) == (day("2023-03-01"), day("2027-02-28"))
    assert result.periods == ()
    assert result.consecutive_compliant_periods is None
    assert result.deadline == day("2027-02-28")


@pytest.mark.parametrize(
    ("when", "counts"),
    [("2023-02-28", False), ("2023-03-01", True), ("2027-02-28", True), ("2027-03-01", False)],
)
def test_window_edges(noloc, when, counts):
    result = report(noloc, act("course", when, 4), as_of="2027-03-01")
    assert result.activities[0].counted == (4 if counts else 0)


def test_outside_the_window_is_explained(noloc):
    result = report(noloc, act("course", "2023-02-28", 4), act("course", "2027-03-01", 2), as_of="2027-03-02")
    assert texts(result.explanations, noloc) == [
        "4 points dated before 1 March 2023 do not count: they fall outside the recertification period "
        "1 March 2023 – 28 February 2027.",
        "2 points dated after 28 February 2027 do not count: they fall outside the recertification period "
        "1 March 2023 – 28 February 2027.",
    ]


def test_recertification_on_29_february(noloc):
    result = report(noloc, recertification="2028-02-29")
    assert (result.cycle.start, result.cycle.end) == (day("2024-02-29"), day("2028-02-28"))


def test_window_start_when_four_years_back_has_no_29_february(noloc):
    result = report(noloc, recertification="2029-02-28")
    assert result.cycle.start == day("2025-02-28")


def test_future_activities_inside_the_window_do_not_count_yet(noloc):
    result = report(noloc, act("course", "2026-06-01", 5), as_of="2026-01-01")
    assert result.total_counted == 0
    assert texts(result.explanations, noloc) == ["5 points dated after 1 January 2026 do not count yet."]


# --- categories, caps and compliance ------------------------------------------------------------------


def test_exactly_compliant(noloc):
    result = report(noloc, *full_portfolio())
    assert (result.total_counted, result.required_total, result.compliant) == (75, 75, True)
    assert category(result, "training-within-field") == (30, 30)
    assert result.problems == ()


def test_total_of_75_needs_30_in_category_one(noloc):
    result = report(
        noloc,
        act("course", "2025-01-01", "29.5"),
        act("peer-meeting", "2025-01-01", 15),
        act("noloc-board", "2025-01-01", 3),
        act("volunteering", "2025-01-01", 5),
    )
    assert result.total_counted == Decimal("99.5")
    assert not result.compliant
    assert texts(result.problems, noloc) == [
        "Add 0.5 more Further training within the field points by 28 February 2027: the recertification "
        "period needs at least 30."
    ]


def test_one_short_of_75(noloc):
    result = report(noloc, *full_portfolio()[:-1])
    assert result.total_counted == 73
    assert texts(result.problems, noloc) == [
        "Add 2 more points that count by 28 February 2027: the recertification period needs 75 and has 73."
    ]


def test_reading_exactly_on_its_sub_cap(noloc):
    result = report(noloc, act("book-read", "2025-01-01", 4), act("podcast", "2025-01-02", 2))
    training = result.category("training-within-field")
    assert (training.raw, training.counted) == (10, 10)
    assert [(cap.code, cap.raw, cap.counted, cap.maximum) for cap in training.sub_caps] == [
        ("reading", 10, 10, 10)
    ]


def test_reading_one_over_its_sub_cap(noloc):
    result = report(
        noloc,
        act("book-read", "2025-01-01", 5),
        act("journal-subscription", "2025-01-02", 1),
        act("course", "2025-01-03", 25),
    )
    assert category(result, "training-within-field") == (36, 35)  # min(11, 10) + 25
    assert texts(result.explanations, noloc) == [
        "1 of 11 Reading professional literature and podcasts points exceed the cap of 10 "
        "(recertification period 1 March 2023 – 28 February 2027)."
    ]
    journal = next(item for item in result.activities if item.type == "journal-subscription")
    assert texts(journal.reasons, noloc) == [
        "The cap of 10 on Reading professional literature and podcasts within Further training within the "
        "field is reached."
    ]


def test_category_one_has_no_upper_cap(noloc):
    result = report(noloc, act("course", "2025-01-01", 80))
    assert category(result, "training-within-field") == (80, 80)


@pytest.mark.parametrize(
    ("type_code", "quantity", "code", "cap"),
    [
        ("peer-meeting", 16, "collegial-development", 30),  # 32 points
        ("congress-outside", 11, "outside-field", 30),  # 33 points
        ("noloc-board", 4, "professional-group", 30),  # 40 points
        ("book-written", 2, "field-contribution", 30),  # 50 points
        ("volunteering", 6, "societal", 10),  # 12 points
    ],
)
def test_category_caps_per_four_years(noloc, type_code, quantity, code, cap):
    result = report(noloc, act(type_code, "2025-01-01", quantity))
    raw, counted = category(result, code)
    assert raw > cap
    assert counted == cap


@pytest.mark.parametrize(("quantity", "counted"), [(15, 30), (16, 30)])
def test_collegial_cap_exactly_and_one_meeting_over(noloc, quantity, counted):
    assert (
        category(report(noloc, act("peer-meeting", "2025-01-01", quantity)), "collegial-development")[1]
        == counted
    )


def test_societal_cap_exactly_on_10(noloc):
    assert category(report(noloc, act("volunteering", "2025-01-01", 5)), "societal") == (10, 10)


def test_article_under_1500_words_counts_nothing(noloc):
    result = report(noloc, act("article", "2025-01-01", 1, words=1499))
    assert category(result, "field-contribution") == (0, 0)
    assert texts(result.explanations, noloc) == [
        "Published article about the field (at least 1,500 words) on 1 January 2025 does not count: "
        "Number of words is 1499, below the minimum of 1500."
    ]


def test_article_with_1500_words_counts(noloc):
    assert category(report(noloc, act("article", "2025-01-01", 1, words=1500)), "field-contribution") == (
        10,
        10,
    )


def test_mentor_assessor_with_candidates(noloc):
    result = report(noloc, act("register-mentor-assessor", "2025-01-01", 2, candidates=4))
    assert category(result, "professional-group") == (16, 16)


def test_congress_half_days(noloc):
    result = report(noloc, act("congress", "2025-01-01", 1), act("congress", "2025-02-01", 2))
    assert category(result, "training-within-field") == (9, 9)


def test_period_after_the_deadline_speaks_in_the_past(noloc):
    result = report(noloc, act("course", "2025-01-01", 10), as_of="2027-03-05")
    assert texts(result.problems, noloc)[0] == (
        "The recertification period ending 28 February 2027 needed at least 30 Further training within the "
        "field points and had 10."
    )


# --- dossier sections ---------------------------------------------------------------------------------


def test_sections_listed_for_a_recertification(noloc):
    assert [section.code for section in report(noloc).sections] == [
        "A1",
        "A2",
        "A3.1",
        "A3.2",
        "A4",
        "B",
        "C",
    ]


@pytest.mark.parametrize(
    ("recertification", "required"),
    [("2022-12-31", True), ("2023-01-01", False), ("2026-12-31", False), ("2027-01-01", True)],
)
def test_a2_exemption_edges(noloc, recertification, required):
    section = report(noloc, recertification=recertification).section("A2")
    assert (section.required, section.exempt) == (required, not required)


def test_a2_exemption_reason(noloc):
    section = report(noloc, recertification="2025-06-01").section("A2")
    assert texts([section.reason], noloc) == [
        "Exempt for recertification dates from 1 January 2023 to 31 December 2026."
    ]


@pytest.mark.parametrize(
    ("recertification", "meetings", "situations"),
    [
        ("2023-06-01", 1, 1),  # before the table: the first row's values (a marked default)
        ("2024-01-01", 1, 1),
        ("2024-12-31", 1, 1),
        ("2025-01-01", 2, 1),
        ("2026-07-01", 3, 2),
        ("2027-01-01", 4, 2),
        ("2031-05-01", 4, 2),
    ],
)
def test_a3_1_numbers_follow_the_recertification_year(noloc, recertification, meetings, situations):
    section = report(noloc, recertification=recertification).section("A3.1")
    assert section.required
    assert dict(section.values) == {"meetings_required": meetings, "situations_required": situations}


@pytest.mark.parametrize("code", ["A1", "A3.2", "A4", "B", "C"])
def test_other_sections_are_always_required(noloc, code):
    assert report(noloc, recertification="2025-06-01").section(code).required


def test_sections_in_the_report_dict(noloc):
    sections = report(noloc, recertification="2025-06-01").to_dict()["sections"]
    assert sections["A2"] == {
        "required": False,
        "exempt": True,
        "reason": "Exempt for recertification dates from 1 January 2023 to 31 December 2026.",
    }
    assert sections["A3.1"] == {
        "required": True,
        "exempt": False,
        "meetings_required": 2,
        "situations_required": 1,
        "reason": None,
    }


def test_no_sections_for_an_initial_dossier(noloc):
    assert report(noloc, dossier_kind="initial").sections == ()


# --- reminders ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "send_on"),
    [
        ("2026-08-31", None),
        ("2026-09-01", "2026-09-01"),
        ("2026-12-15", "2026-12-01"),
        ("2027-02-01", "2027-02-01"),
        ("2027-03-01", "2027-02-01"),
        ("2027-03-02", None),
    ],
)
def test_reminders_6_3_1_months_before(noloc, as_of, send_on):
    result = report(noloc, as_of=as_of)
    assert [reminder.send_on for reminder in result.reminders] == ([day(send_on)] if send_on else [])


def test_no_reminder_once_the_dossier_is_submitted(noloc):
    assert report(noloc, as_of="2027-02-01", dossier_submitted=True).reminders == ()

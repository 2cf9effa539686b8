"""Plausible input only: a quantity above the type's plausible maximum per activity, and a date before the
earliest plausible date, are refused with a message naming the bound (issue 8, item 5)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from schemes.rules import (
    EARLIEST_ACTIVITY_DATE,
    DefinitionError,
    PayloadError,
    check_activity,
    check_activity_date,
    default_quantity_max,
    dump_definition,
    earliest_activity_date,
    evaluate,
    evaluate_payload,
    load_definition,
    render_message,
    shipped_definitions,
)

from .support import act, context, day, texts


def test_defaults_per_quantity_unit(noloc, peoplecert):
    assert default_quantity_max("hours") == default_quantity_max("sbu") == 1000
    assert default_quantity_max("books") == default_quantity_max("articles") == 100
    assert default_quantity_max("years") == default_quantity_max("subscription-years") == 50
    assert default_quantity_max("half-days") == default_quantity_max("days") == 365
    assert default_quantity_max("an-administrators-own-unit") == 1000
    assert noloc.activity_types["book-read"].plausible_quantity == 100
    assert peoplecert.activity_types["mentoring"].plausible_quantity == 1000


def test_an_implausible_quantity_is_refused_naming_the_bound(peoplecert, noloc):
    assert texts(check_activity(peoplecert, act("reading", "2025-01-01", "9999999.99")), peoplecert) == [
        "the quantity 9999999.99 is more than one activity can plausibly have: at most 1000 Hours"]
    assert texts(check_activity(noloc, act("book-read", "2025-01-01", 101)), noloc) == [
        "the quantity 101 is more than one activity can plausibly have: at most 100 Books"]
    assert check_activity(noloc, act("book-read", "2025-01-01", 100)) == []


def test_the_engine_counts_nothing_for_an_implausible_quantity(noloc):
    report = evaluate(noloc, context("2026-05-01", recertification_date="2027-03-01"),
                      [act("course", "2025-01-01", "9999999.99", ref="typo"), act("course", "2025-01-02", 8)])
    assert report.total_counted == 8
    [typo] = [result for result in report.activities if result.ref == "typo"]
    assert (typo.points, typo.counted) == (None, 0)
    assert "at most 1000 Study-load hours (SBU)" in texts(report.explanations, noloc)[0]


def noloc_raw():
    return shipped_definitions()["noloc-register-jobcoach"]


def test_a_type_sets_its_own_bound_written_only_when_set(noloc):
    raw = noloc_raw()
    assert "quantity_max" not in raw["activity_types"]["course"]  # saved documents stay canonical
    assert dump_definition(load_definition(raw)) == raw
    raw["activity_types"]["course"]["quantity_max"] = "40"
    definition = load_definition(raw)
    assert definition.activity_types["course"].plausible_quantity == 40
    assert dump_definition(definition)["activity_types"]["course"]["quantity_max"] == "40"
    assert texts(check_activity(definition, act("course", "2025-01-01", 41)), definition) == [
        "the quantity 41 is more than one activity can plausibly have: at most 40 Study-load hours (SBU)"]
    raw["activity_types"]["course"]["quantity_max"] = None
    assert "quantity_max" not in dump_definition(load_definition(raw))["activity_types"]["course"]


@pytest.mark.parametrize(("value", "reason"), [
    ("0", "Must be more than 0."),
    (40, 'Must be a decimal number written as a string, such as "0.5", not 40.'),
    ("-1", "Must not be negative (-1)."),
])
def test_a_bound_must_be_a_positive_decimal(value, reason):
    raw = noloc_raw()
    raw["activity_types"]["course"]["quantity_max"] = value
    with pytest.raises(DefinitionError) as error:
        load_definition(raw)
    assert error.value.errors == [("activity_types.course.quantity_max", reason)]


def test_a_whole_unit_needs_a_whole_bound():
    raw = noloc_raw()
    raw["activity_types"]["book-read"]["quantity_max"] = "10.5"
    with pytest.raises(DefinitionError) as error:
        load_definition(raw)
    assert error.value.errors == [("activity_types.book-read.quantity_max",
                                   'The unit "books" counts whole things, so its maximum must be a whole number.')]


def test_dates_before_1970_are_refused(peoplecert):
    assert texts(check_activity(peoplecert, act("reading", "0001-01-01", 2)), peoplecert) == [
        "the date 1 January 0001 is too early: the earliest date accepted is 1 January 1970"]
    assert texts(check_activity_date(day("1969-12-31")), peoplecert) == [
        "the date 31 December 1969 is too early: the earliest date accepted is 1 January 1970"]
    assert check_activity_date(day("1970-01-01")) == []


def test_the_earliest_date_is_ten_years_before_the_candidates_frame(peoplecert, noloc, ccmg):
    # PeopleCert: CPD year 1 starts the day after the exam; Noloc: the window's first day; CCMG: the cycle.
    assert earliest_activity_date(peoplecert, context("2026-05-01", exam_passed_on="2024-04-30")) == day("2014-05-01")
    assert earliest_activity_date(noloc, context("2026-05-01", recertification_date="2027-03-01")) == day(
        "2013-03-01")
    assert earliest_activity_date(ccmg, context("2026-05-01", cycle_start="2025-01-01")) == day("2015-01-01")
    # 1 January 1970 at the earliest, and when the context lacks its date.
    assert earliest_activity_date(ccmg, context("1980-05-01", cycle_start="1975-01-01")) == EARLIEST_ACTIVITY_DATE
    assert earliest_activity_date(noloc, context("2026-05-01")) == EARLIEST_ACTIVITY_DATE
    assert earliest_activity_date(noloc) == EARLIEST_ACTIVITY_DATE


def test_the_engine_rejects_activities_before_the_candidates_earliest_date(noloc):
    report = evaluate(noloc, context("2026-05-01", recertification_date="2027-03-01"),
                      [act("course", "2013-02-28", 8, ref="implausible"), act("course", "2013-03-01", 8, ref="early")])
    results = {result.ref: result for result in report.activities}
    assert (results["implausible"].points, results["implausible"].counted) == (8, 0)  # rejected, not clamped
    assert texts(results["implausible"].reasons, noloc) == [
        "Course, training or programme on 28 February 2013 does not count: the date 28 February 2013 is too "
        "early: the earliest date accepted is 1 March 2013."]
    assert results["early"].points == 8  # plausible, merely before the window
    assert [reason.code for reason in results["early"].reasons] == ["date-before-frame"]


def test_check_activity_takes_the_candidates_bounds(noloc):
    activity = act("course", "2013-02-28", 8)
    assert check_activity(noloc, activity) == []
    [problem] = check_activity(noloc, activity, earliest=day("2013-03-01"), today=day("2026-05-01"))
    assert problem.code == "date-too-early"
    [problem] = check_activity(noloc, act("course", "2026-05-02", 8), today=day("2026-05-01"))
    assert problem.code == "date-in-future"


def test_the_evaluation_command_refuses_implausible_input():
    with pytest.raises(PayloadError) as error:
        evaluate_payload({"scheme": "noloc-register-jobcoach", "recertification_date": "2027-03-01",
                          "as_of": "2026-05-01", "activities": [
                              {"type": "course", "date": "2025-01-01", "quantity": 9999999.99},
                              {"type": "course", "date": "0001-01-01", "quantity": 8},
                              {"type": "course", "date": "2013-02-28", "quantity": 8}]})
    assert error.value.errors == [
        "activity 0 (course): the quantity 9999999.99 is more than one activity can plausibly have: at most 1000 "
        "Study-load hours (SBU)",
        "activity 1 (course): the date 1 January 0001 is too early: the earliest date accepted is 1 March 2013",
        "activity 2 (course): the date 28 February 2013 is too early: the earliest date accepted is 1 March 2013",
    ]


def test_messages_are_translatable(noloc):
    [problem] = check_activity(noloc, act("course", "1969-01-01", 8))
    dutch = render_message(problem, noloc, "nl", lambda template: template)
    assert "1 januari 1970" in dutch


def test_decimal_bounds_are_exact(noloc):
    raw = noloc_raw()
    raw["activity_types"]["course"]["quantity_max"] = "12.5"
    definition = load_definition(raw)
    assert check_activity(definition, act("course", "2025-01-01", Decimal("12.5"))) == []
    assert check_activity(definition, act("course", "2025-01-01", Decimal("12.51")))
    assert dt.date(1970, 1, 1) == EARLIEST_ACTIVITY_DATE

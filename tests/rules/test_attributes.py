"""The one encoding of attribute values (issue 9, item 7): an integer attribute is a whole number, a decimal
attribute a ``Decimal`` in memory and a string in plain notation when stored ("2.5"); a float is never a
number. The form, the CSV import and the engine agree (tests/test_activities.py, tests/test_imports.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from schemes.rules import (
    attribute_json,
    attribute_number,
    check_activity,
    evaluate,
    evaluate_payload,
    load_definition,
    shipped_definitions,
)

from .support import act, context, texts

ECTS = {"code": "ects", "label": {"en": "ECTS credits", "nl": "ECTS-punten", "nb": "ECTS-poeng"},
        "type": "decimal", "required": True, "min": "0.5", "max": "60"}


@pytest.fixture(scope="module")
def noloc_ects():
    """Noloc with an administrator's decimal attribute on courses."""
    raw = shipped_definitions()["noloc-register-jobcoach"]
    raw["activity_types"]["course"]["attributes"] = [ECTS]
    return load_definition(raw)


@pytest.mark.parametrize("value", [Decimal("2.5"), "2.5", "12", 3, Decimal("0.5"), "60"])
def test_a_decimal_attribute_is_a_decimal_a_plain_string_or_a_whole_number(noloc_ects, value):
    assert check_activity(noloc_ects, act("course", "2025-01-01", 8, ects=value)) == []


@pytest.mark.parametrize("value", [2.5, "2,5", "1e1", "two", True, " 2.5"])
def test_anything_else_is_not_a_number(noloc_ects, value):
    assert texts(check_activity(noloc_ects, act("course", "2025-01-01", 8, ects=value)), noloc_ects) == [
        "ECTS credits must be a number"]


def test_bounds_apply_to_the_stored_text(noloc_ects):
    assert texts(check_activity(noloc_ects, act("course", "2025-01-01", 8, ects="0.25")), noloc_ects) == [
        "ECTS credits is 0.25, below the minimum of 0.5"]
    assert texts(check_activity(noloc_ects, act("course", "2025-01-01", 8, ects="60.5")), noloc_ects) == [
        "ECTS credits is 60.5, above the maximum of 60"]


def test_an_integer_attribute_stays_a_whole_number(noloc):
    assert check_activity(noloc, act("article", "2025-01-01", 1, words=1500)) == []
    assert texts(check_activity(noloc, act("article", "2025-01-01", 1, words="1500")), noloc) == [
        "Number of words must be a number"]


def test_stored_activities_count(noloc_ects):
    """What the form and the import store is what the engine counts (it counted nothing before)."""
    report = evaluate(noloc_ects, context("2026-05-01", recertification_date="2027-03-01"),
                      [act("course", "2025-01-01", 8, ects=attribute_json(Decimal("2.50")))])
    assert report.total_counted == 8


def test_the_encoding_round_trips():
    assert attribute_json(Decimal("2.50")) == "2.5"
    assert attribute_json(Decimal("100")) == "100"
    assert attribute_json(1500) == 1500
    assert attribute_json(True) is True
    assert attribute_json("a text") == "a text"
    assert attribute_number("decimal", attribute_json(Decimal("0.125"))) == Decimal("0.125")
    assert attribute_number("integer", "3") is None  # an integer attribute is a JSON integer


def test_the_evaluation_command_reads_json_numbers_and_plain_strings():
    payload = {"scheme": "noloc-register-jobcoach", "recertification_date": "2027-03-01", "as_of": "2026-05-01",
               "activities": [{"type": "course", "date": "2025-01-01", "quantity": 8, "ects": 2.5},
                              {"type": "course", "date": "2025-01-02", "quantity": 4, "ects": "1.5"}]}
    raw = shipped_definitions()["noloc-register-jobcoach"]
    raw["activity_types"]["course"]["attributes"] = [ECTS]
    assert evaluate_payload(payload, load_definition(raw))["total_counted"] == 12

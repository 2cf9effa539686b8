"""The review sample: which submissions go to an assessor (pure rule, deterministic seeded draw)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from schemes import rules

DAY = dt.date(2026, 6, 1)


def facts(**changes):
    base = rules.SampleFacts(submitted_on=DAY, first_submission=False, previous_negative=False, activities=())
    return dataclasses.replace(base, **changes)


def with_percent(percent, **sample):
    raw = rules.shipped_definitions()["peoplecert-cpd"]
    raw["review"]["sample"] = {"percent": percent, **sample}
    return rules.load_definition(raw)


def test_a_scheme_without_a_sample_assesses_everything():
    selection = rules.review_selection(rules.shipped_definition("cmi-register-loopbaanprofessional"), facts(), "x")
    assert selection == rules.Selection(assessed=True, reasons=("all_assessed",), draw=None)


def test_the_draw_is_fixed_by_the_seed_and_spreads_over_the_range():
    assert rules.sample_draw("abc") == rules.sample_draw("abc")
    draws = [rules.sample_draw(f"seed-{n}") for n in range(2000)]
    assert all(0 <= d < 10_000 for d in draws)
    share = sum(d < 1000 for d in draws) / len(draws)
    assert 0.07 < share < 0.13  # about 10 %


def test_percent_zero_and_hundred():
    none = with_percent(0, first_submission=False, previous_negative=False)
    everyone = with_percent(100, first_submission=False, previous_negative=False)
    for n in range(50):
        assert not rules.review_selection(none, facts(), f"s{n}").assessed
        assert rules.review_selection(everyone, facts(), f"s{n}").reasons == ("drawn",)


def test_rules_select_first_submissions_previous_negatives_and_many_points():
    definition = with_percent(0, many_points={"points": "40", "days": 30})
    assert rules.review_selection(definition, facts(first_submission=True), "s").reasons == ("first_submission",)
    assert rules.review_selection(definition, facts(previous_negative=True), "s").reasons == ("previous_negative",)
    recent = [(DAY - dt.timedelta(days=5), Decimal(25)), (DAY - dt.timedelta(days=29), Decimal(15))]
    assert rules.review_selection(definition, facts(activities=recent), "s").reasons == ("many_points",)
    spread = [(DAY - dt.timedelta(days=5), Decimal(25)), (DAY - dt.timedelta(days=30), Decimal(15))]
    assert not rules.review_selection(definition, facts(activities=spread), "s").assessed
    assert rules.review_selection(definition, facts(compliant=False), "s").reasons == ("not_compliant",)


def test_switched_off_rules_do_not_select():
    definition = with_percent(0, first_submission=False, previous_negative=False)
    assert not rules.review_selection(definition, facts(first_submission=True, previous_negative=True), "s").assessed


def test_a_percentage_above_100_is_refused():
    raw = rules.shipped_definitions()["peoplecert-cpd"]
    raw["review"]["sample"]["percent"] = 101
    with pytest.raises(rules.DefinitionError, match=r"review\.sample\.percent"):
        rules.load_definition(raw)


def test_working_days_skip_weekends():
    friday = dt.date(2026, 12, 4)
    assert rules.working_days_after(friday, 1) == dt.date(2026, 12, 7)
    assert rules.working_days_after(friday, 15) == dt.date(2026, 12, 25)


def test_review_settings_left_out_keep_their_defaults_and_dump_canonically():
    raw = rules.shipped_definitions()["noloc-register-jobcoach"]
    definition = rules.load_definition(raw)
    assert (definition.review.due_working_days, definition.review.disagreement) == (15, "third_assessor")
    assert rules.dump_definition(definition) == raw

"""What the Django side asks the engine instead of reasoning about cycle models: the date a scheme counts
from, a dossier's reference date and the context it is judged in, whether a submitted dossier covers a
candidate, the headline scope and its activities, and the date rule of an activity being logged."""

from __future__ import annotations

import pytest

from schemes.rules import (
    ContextError,
    anchor_field,
    check_activity_date,
    dossier_covers,
    evaluate,
    judged_on,
    reference_date,
    render_message,
)

from .support import act, context, day


def test_anchor_field_per_scheme(peoplecert, noloc, ccmg, cmi):
    assert anchor_field(peoplecert) == "exam_passed_on"
    assert anchor_field(noloc) == anchor_field(cmi) == "recertification_date"
    assert anchor_field(ccmg) == "cycle_start"


def test_context_error_names_the_field(noloc, ccmg):
    with pytest.raises(ContextError) as error:
        reference_date(noloc, context("2026-05-01"))
    assert error.value.field == "recertification_date"
    with pytest.raises(ContextError) as error:
        evaluate(ccmg, context("2026-05-01", cycle_start="2025-01-01"), [])
    assert error.value.field == "designation"


def test_reference_date_of_each_model(peoplecert, noloc, ccmg):
    # Anniversary: the end of the current CPD year; window: the recertification date; fixed: the cycle's end.
    assert reference_date(peoplecert, context("2026-05-01", exam_passed_on="2024-04-30")) == day("2027-04-30")
    assert reference_date(peoplecert, context("2026-04-30", exam_passed_on="2024-04-30")) == day("2026-04-30")
    assert reference_date(noloc, context("2026-05-01", recertification_date="2027-03-01")) == day("2027-03-01")
    assert reference_date(ccmg, context("2026-05-01", cycle_start="2025-01-01", designation="CCOP")) == day(
        "2027-12-31")


def test_reference_date_of_an_initial_dossier_is_today_and_needs_no_anchor(noloc):
    assert reference_date(noloc, context("2026-05-01", dossier_kind="initial")) == day("2026-05-01")


def test_a_dossier_keeps_its_own_window(noloc):
    """The certificate's recertification date moved after the dossier was started: the dossier is still
    judged on the window before its own reference date, as of that date at the latest."""
    moved = context("2028-05-01", recertification_date="2028-09-01")
    judged = judged_on(noloc, moved, day("2027-03-01"))
    assert judged.recertification_date == day("2027-03-01")
    assert judged.as_of == day("2027-03-01")
    assert judged_on(noloc, moved, day("2029-01-01")).as_of == day("2028-05-01")


def test_judged_on_keeps_the_anchor_of_other_models(peoplecert):
    now = context("2026-05-01", exam_passed_on="2024-04-30")
    judged = judged_on(peoplecert, now, day("2026-04-30"))
    assert judged.exam_passed_on == day("2024-04-30")
    assert judged.as_of == day("2026-04-30")


def test_dossier_covers(peoplecert, noloc):
    window = context("2026-05-01", recertification_date="2027-03-01")
    assert dossier_covers(noloc, window, day("2027-03-01"))
    assert not dossier_covers(noloc, window, day("2023-03-01"))  # the previous recertification
    yearly = context("2026-05-01", exam_passed_on="2024-04-30")
    assert dossier_covers(peoplecert, yearly, day("2027-04-30"))
    assert not dossier_covers(peoplecert, yearly, day("2026-04-30"))  # last CPD year's


def test_headline_scope_and_its_counted_activities(peoplecert, noloc):
    report = evaluate(peoplecert, context("2026-05-10", exam_passed_on="2024-04-30"), [
        act("mentoring", "2025-06-01", 4, ref="last year"), act("mentoring", "2026-05-05", 3, ref="this year")])
    assert (report.scope.number, report.scope.start, report.scope.end) == (3, day("2026-05-01"), day("2027-04-30"))
    assert [result.ref for result in report.counted_activities()] == ["this year"]
    assert peoplecert.cycle.scope_label == peoplecert.cycle.period_label
    report = evaluate(noloc, context("2026-05-10", recertification_date="2027-03-01"), [
        act("course", "2023-06-01", 4, ref="early"), act("course", "2026-05-05", 3, ref="late")])
    assert report.scope == report.cycle
    assert [result.ref for result in report.counted_activities()] == ["early", "late"]
    assert noloc.cycle.scope_label == noloc.cycle.cycle_label


def test_an_activity_cannot_be_logged_in_the_future():
    assert check_activity_date(day("2026-05-01"), today=day("2026-05-01")) == []
    [problem] = check_activity_date(day("2026-05-02"), today=day("2026-05-01"))
    assert render_message(problem, None) == (
        "the date cannot be in the future (2 May 2026 is after 1 May 2026); log an activity once it has taken place")
    assert check_activity_date(day("2030-01-01")) == []  # no clock in the engine: only with today

"""Properties of the engine over generated portfolios (hypothesis).

Portfolios mix valid and rejected activities, dates before, inside and after the frame and after
``as_of``, so the properties hold across every way a point can fail to count.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemes.rules import ActivityInput, ActivityResult, CandidateContext, Report, evaluate, shipped_definition
from schemes.rules.engine.evaluation import evaluate_reference
from schemes.rules.engine.report import activity_results

from .support import day

SCHEMES = {
    # code: (context dates, first possible activity date, number of days activities spread over)
    "peoplecert-cpd": ({"exam_passed_on": day("2024-02-29")}, day("2024-01-01"), 5 * 365),
    "noloc-register-jobcoach": ({"recertification_date": day("2027-03-01")}, day("2022-06-01"), 5 * 365),
    "ccmg-cpd": ({"cycle_start": day("2024-01-01")}, day("2023-10-01"), 4 * 365),
}

# Per test rather than a global profile, so other test modules keep their own hypothesis settings.
RULES = settings(deadline=None, max_examples=150)


def points(result: Any) -> Decimal:
    """An eligible activity's points (eligible results always have them)."""
    assert result.points is not None
    return Decimal(result.points)


@st.composite
def activity(draw, code: str, ref: int) -> ActivityInput:
    definition = shipped_definition(code)
    _, first, span = SCHEMES[code]
    type_code = draw(st.sampled_from(sorted(definition.activity_types)))
    attributes: dict = {}
    if type_code == "article":
        attributes["words"] = draw(st.integers(1400, 2000))
    elif type_code == "register-mentor-assessor":
        attributes["candidates"] = draw(st.integers(0, 4))
    elif type_code == "training-course-with-exam":
        attributes["completed"] = draw(st.booleans())
    # Halves from 0 to 20: some zero, some off a whole unit, some above PeopleCert's 15: rejected ones too.
    quantity = Decimal(draw(st.integers(0, 40))) / 2
    when = first + timedelta(days=draw(st.integers(0, span)))
    return ActivityInput(type=type_code, date=when, quantity=quantity, attributes=attributes, ref=ref)


@st.composite
def portfolio(draw, extra: bool = False):
    code = draw(st.sampled_from(sorted(SCHEMES)))
    dates, first, span = SCHEMES[code]
    definition = shipped_definition(code)
    as_of = first + timedelta(days=draw(st.integers(0, span)))
    designation = draw(st.sampled_from(["CCSUP", "CCOP", "CCStP", "CCIDP"])) if code == "ccmg-cpd" else None
    context = CandidateContext(as_of=as_of, designation=designation, **dates)  # type: ignore[arg-type]  # dates only
    count = draw(st.integers(0, 30))
    activities = [draw(activity(code, ref)) for ref in range(count)]
    if extra:
        return definition, context, activities, draw(activity(code, count))
    return definition, context, activities


def scopes(report: Report):
    """Every evaluated scope: the periods and the cycle."""
    return [*report.periods, *([report.cycle] if report.cycle else [])]


@RULES
@given(portfolio())
def test_counted_never_exceeds_raw(case):
    report = evaluate(*case)
    for scope in scopes(report):
        for category in scope.categories:
            assert 0 <= category.counted <= category.raw
            for cap in category.sub_caps:
                assert 0 <= cap.counted <= cap.raw
        assert scope.total_counted <= scope.total_raw
    for result in report.activities:
        assert 0 <= result.counted <= (result.points or 0)


@RULES
@given(portfolio(), st.randoms(use_true_random=False))
def test_shuffling_the_activities_changes_nothing(case, rng: random.Random):
    definition, context, activities = case
    shuffled = list(activities)
    rng.shuffle(shuffled)
    assert (
        evaluate(definition, context, shuffled).to_dict()
        == evaluate(definition, context, activities).to_dict()
    )


@RULES
@given(portfolio(extra=True))
def test_adding_an_activity_never_lowers_a_counted_total(case):
    definition, context, activities, added = case
    before = evaluate(definition, context, activities)
    after = evaluate(definition, context, [*activities, added])
    assert after.total_counted >= before.total_counted
    for old, new in zip(scopes(before), scopes(after), strict=True):
        assert new.total_counted >= old.total_counted
        for old_category, new_category in zip(old.categories, new.categories, strict=True):
            assert new_category.counted >= old_category.counted


@RULES
@given(portfolio())
def test_a_cap_is_never_exceeded(case):
    report = evaluate(*case)
    for scope in scopes(report):
        for category in scope.categories:
            if category.maximum is not None:
                assert category.counted <= category.maximum
            for cap in category.sub_caps:
                if cap.maximum is not None:
                    assert cap.counted <= cap.maximum


@RULES
@given(portfolio())
def test_every_uncounted_point_is_explained(case):
    report = evaluate(*case)
    uncounted = sum(
        (
            result.points - result.counted
            for result in report.activities
            if result.points is not None
            and not any(reason.code == "activity-rejected" for reason in result.reasons)
        ),
        Decimal(0),
    )
    explained = sum(
        (
            message.params.get("excess", message.params.get("points", Decimal(0)))
            for message in report.explanations
            if message.code != "activity-rejected"
        ),
        Decimal(0),
    )
    assert explained == uncounted
    for result in report.activities:
        if result.points is None or result.counted < result.points:
            assert result.reasons


@RULES
@given(portfolio())
def test_category_counted_is_the_capped_sum(case):
    """counted = min(max, Σ min(sub-cap group, sub-cap) + the rest), whatever order caps were filled in."""
    definition, context, _ = case
    report = evaluate(*case)
    cap_reasons = {"category-cap-reached", "sub-cap-reached"}
    eligible = [
        result for result in report.activities if all(reason.code in cap_reasons for reason in result.reasons)
    ]
    for scope in scopes(report):
        for category in scope.categories:
            capped_types = {
                name
                for cap in definition.index.categories[category.code].sub_caps
                for name in cap.activity_types
            }
            in_scope = [
                result
                for result in eligible
                if definition.activity_types[result.type].category == category.code
                and scope.start <= result.date <= scope.end
            ]
            expected = sum(
                (points(result) for result in in_scope if result.type not in capped_types), Decimal(0)
            )
            for cap in definition.index.categories[category.code].sub_caps:
                group = sum(
                    (points(result) for result in in_scope if result.type in cap.activity_types), Decimal(0)
                )
                expected += (
                    min(group, cap.max) if category.per == ("period" if scope.number else "cycle") else group
                )
            if category.maximum is not None:
                expected = min(expected, category.maximum)
            assert category.counted == expected


@RULES
@given(portfolio())
def test_leaving_out_the_detail_changes_no_number(case):
    """`detail=False` (the bulk preview's shortcut) gives the same compliance, totals and scopes."""
    full, lean = evaluate(*case), evaluate(*case, detail=False)
    assert (lean.compliant, lean.total_counted, lean.required_total, lean.deadline) == (
        full.compliant, full.total_counted, full.required_total, full.deadline)
    assert lean.categories == full.categories
    assert lean.periods == full.periods
    assert lean.cycle == full.cycle
    assert lean.consecutive_compliant_periods == full.consecutive_compliant_periods
    assert not lean.activities
    assert not lean.explanations


@st.composite
def odd_activity(draw, code: str, ref: int) -> ActivityInput:
    """An activity the engine's fast path must hand to ``score``: an odd quantity (a float, NaN, below 0,
    a Decimal with trailing zeros), a date-time or a very early date, a type unknown or not a text, a ref
    that is not a number — or a plain one."""
    base = draw(activity(code, ref))
    quantity = draw(st.sampled_from([base.quantity, float(base.quantity), Decimal("NaN"),
                                     base.quantity.quantize(Decimal("0.01")), Decimal(-1)]))
    when = draw(st.sampled_from([base.date, datetime.combine(base.date, datetime.min.time()), day("1969-12-31"),
                                 day("2001-01-01")]))
    kind = draw(st.sampled_from([base.type, base.type, "no-such-type", 7]))
    ref_value = draw(st.sampled_from([ref, f"row-{ref}", (ref, "x")]))
    return ActivityInput(type=kind, date=when, quantity=quantity, attributes=base.attributes, ref=ref_value)


@st.composite
def odd_portfolio(draw):
    definition, context, plain = draw(portfolio())
    odd = [draw(odd_activity(definition.code, len(plain) + ref)) for ref in range(draw(st.integers(0, 10)))]
    return definition, context, draw(st.permutations(plain + odd))


@RULES
@given(odd_portfolio())
def test_the_fast_path_gives_the_reference_report(case):
    """`evaluate` (compiled per definition, scoring simple activities inline, allocating through flat
    lists) returns exactly what the reference path (`score` for every activity, the straightforward
    allocation) returns: equal, and alike down to each Decimal's exponent."""
    fast, reference = evaluate(*case), evaluate_reference(*case)
    assert fast == reference
    assert repr(fast) == repr(reference)
    assert fast.to_dict() == reference.to_dict()
    assert evaluate(*case, detail=False) == evaluate_reference(*case, detail=False)


def test_activity_results_are_the_named_tuples():
    fields: dict[str, Any] = {"index": 3, "ref": "r", "type": "course", "date": day("2025-01-02"),
                              "points": Decimal("1.50"), "counted": Decimal(1), "period": None, "reasons": ()}
    (made,) = activity_results([tuple(fields.values())])
    assert type(made) is ActivityResult
    assert made == ActivityResult(**fields)
    assert hash(made) == hash(ActivityResult(**fields))
    assert repr(made) == repr(ActivityResult(**fields))
    assert repr(made).startswith("ActivityResult(index=3, ref='r', type='course', ")
    assert (made.index, made.counted, made.reasons) == (3, Decimal(1), ())
    with pytest.raises(AttributeError):
        made.counted = Decimal(2)  # type: ignore[misc]


# Every shipped scheme, CMI's (no activity types: every activity is rejected) too: (context dates, first
# possible activity date, days activities spread over, designations).
EVERY_SCHEME = {
    **{code: (*values, (None,)) for code, values in SCHEMES.items() if code != "ccmg-cpd"},
    "ccmg-cpd": (*SCHEMES["ccmg-cpd"], ("CCSUP", "CCOP", "CCStP", "CCIDP")),
    "cmi-register-loopbaanprofessional": ({"recertification_date": day("2027-03-01")}, day("2022-06-01"), 5 * 365,
                                          (None,)),
}


@st.composite
def any_portfolio(draw):
    """A portfolio of any shipped scheme, big enough for caps to bind, on few dates (so many activities share
    a date and a type and only the whole canonical key orders them), some of its activities odd."""
    code = draw(st.sampled_from(sorted(EVERY_SCHEME)))
    dates, first, span, designations = EVERY_SCHEME[code]
    definition = shipped_definition(code)
    as_of = first + timedelta(days=draw(st.integers(0, span)))
    context = CandidateContext(as_of=as_of, designation=draw(st.sampled_from(designations)), **dates)  # type: ignore[arg-type]
    days = draw(st.lists(st.integers(0, span), min_size=1, max_size=12))
    types = sorted(definition.activity_types) or ["no-such-type"]
    activities = []
    for ref in range(draw(st.integers(0, 80))):
        type_code = draw(st.sampled_from(types))
        attributes: dict = {}
        if type_code == "article":
            attributes["words"] = draw(st.sampled_from([1400, 1500, 2000, Decimal(1600), None]))
        elif type_code == "register-mentor-assessor":
            attributes["candidates"] = draw(st.sampled_from([0, 2, 4, -1, True]))
        elif type_code == "training-course-with-exam":
            attributes["completed"] = draw(st.sampled_from([True, False, "no"]))
        quantity = draw(st.sampled_from([Decimal(1), Decimal(2), Decimal("2.0"), Decimal("1.5"), Decimal("0.50"),
                                         Decimal(8), Decimal(16), Decimal(0), Decimal(40)]))
        when = first + timedelta(days=draw(st.sampled_from(days)))
        ref_value = draw(st.sampled_from([ref, ref % 3, f"row-{ref % 4}"]))
        activities.append(ActivityInput(type=type_code, date=when, quantity=quantity,
                                        attributes={k: v for k, v in attributes.items() if v is not None},
                                        ref=ref_value))
    if code != "cmi-register-loopbaanprofessional" and draw(st.booleans()):
        activities.extend(draw(odd_activity(code, 1000 + ref)) for ref in range(draw(st.integers(1, 5))))
    return definition, context, draw(st.permutations(activities))


@RULES
@given(any_portfolio())
def test_the_fast_path_gives_the_reference_report_for_every_scheme(case):
    """The same on every shipped scheme and with many ties, bound caps and repeated quantities (the points
    tables filled by one evaluation serve the next): equal, with the same repr, the same dictionary."""
    fast, reference = evaluate(*case), evaluate_reference(*case)
    assert fast == reference
    assert repr(fast) == repr(reference)
    assert fast.to_dict() == reference.to_dict()
    assert evaluate(*case, detail=False) == evaluate_reference(*case, detail=False)


def test_a_sum_that_would_round_gives_the_reference_report():
    """Points with more digits than the Decimal context keeps: the fast path's regrouped sums could round
    differently, so the evaluation notices the rounding and returns the reference path's report."""
    definition = shipped_definition("noloc-register-jobcoach")
    context = CandidateContext(as_of=day("2027-03-01"), recertification_date=day("2027-03-01"))
    quantities = [Decimal("1.000000000000000000000000001"), Decimal("7.5"), Decimal("0.999999999999999999999999999")]
    activities = [ActivityInput(type="course", date=day("2024-01-01") + timedelta(days=ref), quantity=quantity, ref=ref)
                  for ref, quantity in enumerate(quantities * 5)]
    fast, reference = evaluate(definition, context, activities), evaluate_reference(definition, context, activities)
    assert repr(fast) == repr(reference)

"""Benchmark of the pure rules engine (standard library only).

Run from the repository root: ``python bench/bench_rules.py`` (``--portfolios-only``: part 1 only).

1. One large portfolio: 2,000 activities over a four-year Noloc window, and 2,000 PeopleCert activities
   over four CPD years; prints the median of 60 evaluations of each.
2. A compliance preview: 10,000 professionals with 40 activities each; prints the total time, with every
   report in full (``evaluate``'s default, as before) and with ``detail=False`` (what the scheme-change
   preview asks for).

Each figure comes with a baseline measured in the same run (issue 14, item 3): a bare loop over the same
activities that computes each one's points with its type's own formula, sums them per category (and sub-cap)
and applies the same caps (``min`` with each maximum) — the least any evaluation has to do, so the ratio
says how much the engine does beyond it, whatever else the shared machine is busy with.

The portfolios are generated from a fixed seed, so every run evaluates the same data.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from schemes.rules import (  # noqa: E402 (the path above makes the package importable from a checkout)
    ActivityInput,
    CandidateContext,
    SchemeDefinition,
    evaluate,
    shipped_definition,
)

RUNS = 60
ZERO = Decimal(0)
PROFESSIONALS = 10_000
ACTIVITIES_EACH = 40


def _quantity(definition: SchemeDefinition, type_code: str, rng: random.Random) -> tuple[Decimal, dict]:
    """A quantity (and attributes) that passes the type's own rules, so every activity is evaluated fully."""
    formula = definition.activity_types[type_code].formula
    attributes: dict = {}
    if type_code == "article":
        attributes["words"] = rng.randint(1500, 4000)
    if formula.KIND == "per_year_plus_per_candidate":
        attributes["candidates"] = rng.randint(0, 5)
    if definition.points.step is not None:  # PeopleCert: 0.5 to 15 hours in steps of 0.5
        return Decimal(rng.randint(1, 30)) / 2, attributes
    if definition.index.units[formula.unit].whole:
        return Decimal(rng.randint(1, 3)), attributes
    return Decimal(rng.randint(1, 16)) / 2, attributes


def portfolio(definition: SchemeDefinition, start: date, days: int, count: int, rng: random.Random) -> list:
    types = sorted(definition.activity_types)
    activities = []
    for index in range(count):
        type_code = rng.choice(types)
        quantity, attributes = _quantity(definition, type_code, rng)
        day = start + timedelta(days=rng.randrange(days))
        activities.append(
            ActivityInput(type=type_code, date=day, quantity=quantity, attributes=attributes, ref=index)
        )
    return activities


def bare_plan(definition: SchemeDefinition) -> dict:
    """Per activity type, what the bare loop needs, looked up before it is timed: its formula's points
    function, its category and the category's maximum, and its sub-cap and the sub-cap's maximum."""
    plan = {}
    for code, kind in definition.activity_types.items():
        category = definition.index.categories[kind.category]
        sub_cap = definition.index.sub_cap_of_type.get(code)
        plan[code] = (kind.formula.points, category.code, category.max,
                      sub_cap.code if sub_cap else None, sub_cap.max if sub_cap else None)
    return plan


def bare_loop(plan: dict, activities: list) -> dict:
    """The same activities summed per category and sub-cap with the same caps, and nothing else."""
    raw: dict = {}
    caps: dict = {}
    for activity in activities:
        points_of, category, category_max, sub_cap, sub_cap_max = plan[activity.type]
        points = points_of(activity.quantity, activity.attributes)
        raw[category] = raw.get(category, ZERO) + points
        caps[category] = category_max
        if sub_cap is not None:
            raw[sub_cap] = raw.get(sub_cap, ZERO) + points
            caps[sub_cap] = sub_cap_max
    return {name: total if caps[name] is None else min(total, caps[name]) for name, total in raw.items()}


def median_ms(definition: SchemeDefinition, context: CandidateContext, activities: list) -> tuple[float, float]:
    """The median of RUNS evaluations and of RUNS bare loops over the same activities, interleaved (the
    fastest of each is printed too: on a busy machine it is the figure least disturbed by other work)."""
    plan = bare_plan(definition)
    timings, bare = [], []
    for _ in range(RUNS):
        started = time.perf_counter()
        evaluate(definition, context, activities)
        timings.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        bare_loop(plan, activities)
        bare.append((time.perf_counter() - started) * 1000)
    print(f"  fastest of {RUNS}: {min(timings):.2f} ms, bare loop {min(bare):.3f} ms, "
          f"ratio {min(timings) / min(bare):.1f}")
    return statistics.median(timings), statistics.median(bare)


def main() -> None:
    portfolios_only = "--portfolios-only" in sys.argv[1:]  # leave out the 10,000 professionals
    rng = random.Random(20250601)
    noloc = shipped_definition("noloc-register-jobcoach")
    peoplecert = shipped_definition("peoplecert-cpd")

    noloc_context = CandidateContext(as_of=date(2027, 3, 1), recertification_date=date(2027, 3, 1))
    noloc_activities = portfolio(noloc, date(2023, 3, 1), 4 * 365, 2000, rng)
    noloc_median, noloc_bare = median_ms(noloc, noloc_context, noloc_activities)
    print(f"Noloc, 2,000 activities in the four-year window: median {noloc_median:.2f} ms of {RUNS} runs; "
          f"bare loop {noloc_bare:.2f} ms; ratio {noloc_median / noloc_bare:.1f}")

    peoplecert_context = CandidateContext(as_of=date(2028, 4, 30), exam_passed_on=date(2024, 4, 30))
    peoplecert_activities = portfolio(peoplecert, date(2024, 5, 1), 4 * 365, 2000, rng)
    median, peoplecert_bare = median_ms(peoplecert, peoplecert_context, peoplecert_activities)
    print(f"PeopleCert, 2,000 activities over four CPD years: median {median:.2f} ms of {RUNS} runs; "
          f"bare loop {peoplecert_bare:.2f} ms; ratio {median / peoplecert_bare:.1f}")

    print(f"RESULT engine.noloc-2000={noloc_median:.2f} ms")
    print(f"RESULT engine.bare-loop-noloc-2000={noloc_bare:.3f} ms")
    print(f"RESULT engine.noloc-2000-ratio={noloc_median / noloc_bare:.2f} x")
    print(f"RESULT engine.peoplecert-2000={median:.2f} ms")
    print(f"RESULT engine.bare-loop-peoplecert-2000={peoplecert_bare:.3f} ms")
    print(f"RESULT engine.peoplecert-2000-ratio={median / peoplecert_bare:.2f} x")
    if portfolios_only:
        return
    population = []
    for number in range(PROFESSIONALS):
        if number % 2:
            recertification = date(2026, 1, 1) + timedelta(days=rng.randrange(730))
            context = CandidateContext(as_of=date(2026, 6, 1), recertification_date=recertification)
            activities = portfolio(
                noloc, recertification - timedelta(days=4 * 365), 4 * 365, ACTIVITIES_EACH, rng
            )
            population.append((noloc, context, activities))
        else:
            exam = date(2021, 1, 1) + timedelta(days=rng.randrange(1460))
            context = CandidateContext(as_of=date(2026, 6, 1), exam_passed_on=exam)
            activities = portfolio(peoplecert, exam + timedelta(days=1), 4 * 365, ACTIVITIES_EACH, rng)
            population.append((peoplecert, context, activities))
    plans = {noloc.code: bare_plan(noloc), peoplecert.code: bare_plan(peoplecert)}
    elapsed, compliant = _population(population, detail=True)
    bare_population = _bare_population(population, plans)
    lean, _ = _population(population, detail=False)
    bare_again = _bare_population(population, plans)
    print(
        f"{PROFESSIONALS:,} professionals x {ACTIVITIES_EACH} activities: {elapsed:.2f} s in total "
        f"({compliant:,} compliant); bare loop {bare_population:.2f} s; ratio {elapsed / bare_population:.1f}"
    )
    print(f"  the same with detail=False (what the scheme-change preview asks): {lean:.2f} s; "
          f"bare loop {bare_again:.2f} s; ratio {lean / bare_again:.1f}")
    print(f"RESULT engine.population-10000x40={elapsed:.2f} s")
    print(f"RESULT engine.bare-loop-population={bare_population:.3f} s")
    print(f"RESULT engine.population-10000x40-ratio={elapsed / bare_population:.2f} x")
    print(f"RESULT engine.population-10000x40-lean={lean:.2f} s")
    print(f"RESULT engine.bare-loop-population-lean={bare_again:.3f} s")
    print(f"RESULT engine.population-10000x40-lean-ratio={lean / bare_again:.2f} x")


def _population(population: list, *, detail: bool) -> tuple[float, int]:
    """Seconds to evaluate every professional's portfolio, and how many are compliant."""
    started = time.perf_counter()
    compliant = sum(
        evaluate(definition, context, activities, detail=detail).compliant
        for definition, context, activities in population
    )
    return time.perf_counter() - started, compliant


def _bare_population(population: list, plans: dict) -> float:
    started = time.perf_counter()
    for definition, _context, activities in population:
        bare_loop(plans[definition.code], activities)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()

"""``evaluate``: a scheme definition, a candidate context and activities in; a report out.

Pure and deterministic: Decimal arithmetic only, no clock (``as_of`` is an input), and the result does not
depend on the order of the activities. The steps live in their own modules: the time frame (``frame``),
classifying and allocating the points (``allocation``: the reference path; ``columns``: the fast path
``evaluate`` takes, which must give the same report), explanations and problems (``explanations``),
sections (``sections``) and reminders (``reminders``). docs/rules-engine.md describes the semantics.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Rounded, localcontext

from ..activities import ActivityInput
from ..definition import SchemeDefinition
from ..messages import Message
from . import columns as fast
from .allocation import Allocation, Work, allocate_reference, classify_reference, scope_results
from .compiled import Compiled, compiled, remembered
from .context import CandidateContext, check_context
from .explanations import cap_explanation, date_explanations, problems
from .frame import REJECTED, Frame
from .reminders import reminders_due
from .report import ActivityResult, PeriodResult, ReminderDue, RenewalStatus, Report, SectionRequirement
from .sections import sections


def evaluate(
    defn: SchemeDefinition, context: CandidateContext, activities: Sequence[ActivityInput], *, detail: bool = True
) -> Report:
    """Evaluate a candidate's activities against a scheme definition on ``context.as_of``.

    ``detail=False`` computes the same points and compliance but leaves out what only a person reads
    (explanations, problems, sections, reminders, per-activity results): for bulk previews.

    Every activity's points are those of ``score`` (the function behind ``activity_points``): the fast
    path applies the same formulas and checks, and hands ``score`` whatever it would object to. Activities
    that break a rule, are dated after ``as_of`` or outside the frame, or are not completed yet count for
    nothing and are explained. The rest pass through their caps (sub-cap, then category per period, then
    per cycle) in the canonical order.
    """
    return _evaluate(defn, context, activities, detail=detail, reference=False)


def evaluate_reference(
    defn: SchemeDefinition, context: CandidateContext, activities: Sequence[ActivityInput], *, detail: bool = True
) -> Report:
    """``evaluate`` by the reference path: ``score`` for every activity and the straightforward allocation.
    ``evaluate`` must return the same report (tests/rules/test_properties.py); it is not used elsewhere."""
    return _evaluate(defn, context, activities, detail=detail, reference=True)


def _evaluate(
    defn: SchemeDefinition,
    context: CandidateContext,
    activities: Sequence[ActivityInput],
    *,
    detail: bool,
    reference: bool,
) -> Report:
    anchor, designation = check_context(defn, context)
    as_of = context.as_of
    lookups = compiled(defn, designation)
    frame = Frame(defn, anchor, as_of) if reference else remembered(
        lookups, "frame", (anchor, as_of), lambda: Frame(defn, anchor, as_of))
    if reference:
        works = classify_reference(defn, frame, activities, as_of)
        allocation = allocate_reference(works, lookups.plans)
        explanations = _explanations(works, allocation, frame, as_of) if detail else ()
        results = _activity_results(works) if detail else ()
    else:
        with localcontext() as arithmetic:
            arithmetic.clear_flags()
            columns = fast.classify(defn, frame, activities, as_of, lookups)
            allocated = fast.allocate(columns, lookups, detail=detail)
            allocation = allocated.allocation
            if detail:
                reasons: dict[int, tuple[Message, ...]] = {}
                explanations = fast.explanations(columns, allocated, frame, as_of, reasons)
                results = fast.results(columns, allocated, reasons)
            else:
                explanations, results = (), ()
            rounded = arithmetic.flags[Rounded]
        if rounded:  # a sum regrouped per route could differ from the reference's in its last digit
            return _evaluate(defn, context, activities, detail=detail, reference=True)
    return _report(defn, context, frame, lookups, allocation, explanations, results, detail=detail,
                   reference=reference)


def _report(
    defn: SchemeDefinition,
    context: CandidateContext,
    frame: Frame,
    lookups: Compiled,
    allocation: Allocation,
    explanations: tuple[Message, ...],
    results: tuple[ActivityResult, ...],
    *,
    detail: bool,
    reference: bool,
) -> Report:
    as_of = context.as_of
    designation = defn.index.designations.get(context.designation) if context.designation is not None else None
    totals = designation.totals if designation else defn.totals
    periods, cycle = scope_results(defn, lookups.bounds, frame, allocation, totals,
                                   None if reference else lookups.empty)
    current = None if frame.current is None else periods[frame.current]
    headline = current if defn.cycle.model == "anniversary" else cycle
    assert headline is not None
    return Report(
        definition=defn,
        scheme=defn.code,
        version=defn.version,
        as_of=as_of,
        designation=context.designation,
        compliant=headline.compliant,
        total_counted=headline.total_counted,
        required_total=headline.required_total,
        deadline=current.end if current is not None else headline.end,
        categories=headline.categories,
        scope=headline,
        current_period=current.number if current is not None else None,
        periods=periods,
        cycle=cycle,
        consecutive_compliant_periods=consecutive(periods, as_of) if periods else None,
        renewal=renewal(defn, periods, as_of),
        sections=_sections(defn, context, lookups, reference) if detail else (),
        activities=results,
        explanations=explanations,
        problems=tuple(problems(defn, periods, cycle, current, as_of)) if detail else (),
        reminders=_reminders(defn, context, cycle, current, lookups, reference) if detail else (),
    )


def _sections(
    defn: SchemeDefinition, context: CandidateContext, lookups: Compiled, reference: bool
) -> tuple[SectionRequirement, ...]:
    """``sections``, kept per what it reads of the context on the fast path."""
    if reference:
        return sections(defn, context)
    key = (context.dossier_kind, context.level_changed, context.recertification_date, context.as_of)
    found: tuple[SectionRequirement, ...] = remembered(lookups, "sections", key, lambda: sections(defn, context))
    return found


def _reminders(
    defn: SchemeDefinition,
    context: CandidateContext,
    cycle: PeriodResult | None,
    current: PeriodResult | None,
    lookups: Compiled,
    reference: bool,
) -> tuple[ReminderDue, ...]:
    """``reminders_due``, kept per what it reads of the context and the scopes on the fast path."""
    if reference:
        return reminders_due(defn, context, cycle, current)
    key = (
        context.as_of,
        context.recertification_date,
        context.dossier_submitted,
        None if cycle is None else (cycle.end, cycle.compliant),
        None if current is None else (current.end, current.compliant),
    )
    found: tuple[ReminderDue, ...] = remembered(
        lookups, "reminders", key, lambda: reminders_due(defn, context, cycle, current))
    return found


def _activity_results(works: Sequence[Work]) -> tuple[ActivityResult, ...]:
    return tuple(
        ActivityResult(
            index=work.index,
            ref=work.activity.ref,
            type=work.activity.type,
            date=work.activity.date,
            points=work.points,
            counted=work.counted,
            period=work.period,
            reasons=work.reasons,
        )
        for work in works
    )


def _explanations(
    works: Sequence[Work], allocation: Allocation, frame: Frame, as_of: dt.date
) -> tuple[Message, ...]:
    """Every point that did not count, explained: rejected activities, dates, then caps.

    Also sets the per-activity reasons of activities outside the frame, in the future or not completed.
    """
    explanations = [reason for work in works if work.status == REJECTED for reason in work.reasons]
    explanations.extend(date_explanations(works, frame, as_of))
    for binding, amount in allocation.excess.items():
        explanations.append(cap_explanation(binding, amount, allocation.raw, frame))
    return tuple(explanations)


def consecutive(periods: Sequence[PeriodResult], as_of: dt.date) -> int:
    """The run of compliant periods ending with the last period that ended on or before ``as_of``."""
    run = 0
    for period in periods:
        if period.end > as_of:
            break
        run = run + 1 if period.compliant else 0
    return run


def renewal(definition: SchemeDefinition, periods: Sequence[PeriodResult], as_of: dt.date) -> RenewalStatus | None:
    rule = definition.cycle.renewal
    if rule is None:
        return None
    run = consecutive(periods, as_of)
    return RenewalStatus(
        consecutive_required=rule.consecutive_periods,
        consecutive=run,
        eligible=run >= rule.consecutive_periods,
        extends_by_years=rule.extends_by_years,
    )

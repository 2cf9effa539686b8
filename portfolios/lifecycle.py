"""A certification's whole lifecycle, as the professional's card shows it, and the one next thing to do.

The stages come from providers in a small registry, called in order: this module registers the ones that
exist in portfolios (the points, the dossier's open sections, the submission); the apps above it add theirs
(in review, information requested with its due date, decided, certificate valid until) from their
AppConfig.ready():

    from portfolios.lifecycle import Stage, register_stage
    register_stage(review_stage, order=40)   # a callable (LifecycleContext) -> Stage | None

A stage is `done`, `current` (the person acts now), `waiting` (someone else acts) or `todo`. The card's
sentence is the `next_step` of the first current stage; with none, the text of the last waiting stage; with
neither, the last done stage's. Providers get the certification, its scheme definition, the engine's report,
the dossier for the current reference date (or the latest submitted one) and its checklist, so they need no
queries of their own for what portfolios knows. An app that needs its own rows registers a bulk fetch,
called once per page for all its dossiers before any card is built, which leaves its rows in `extra` (each card
gets a copy of what the fetches left, so what one card's provider adds stays its own), so a page's queries do
not grow with its cards:

    from portfolios.lifecycle import register_prefetch
    register_prefetch(fetch_cases)   # (organisation, dossiers, extra) -> None; extra["review.cases"] = {...}

A provider called without the page's fetch (an empty `extra`) fetches for its own card. A stage waiting on
someone else is over once a later stage is done or waiting: it is shown done (submitted, then in review).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from portfolios import reports
from schemes import rules

DONE, CURRENT, WAITING, TO_DO = "done", "current", "waiting", "todo"


@dataclass(frozen=True)
class Stage:
    code: str
    label: str
    status: str
    text: str
    next_step: str = ""
    action_url: str = ""
    action_label: str = ""
    due: dt.date | None = None


@dataclass
class LifecycleContext:
    organisation: Any
    user: Any
    certification: Any
    definition: rules.SchemeDefinition
    report: rules.Report | None
    today: dt.date
    dossier: Any = None  # the dossier for the current reference date, or the latest submitted one
    checklist: Any = None  # portfolios.services.dossiers.Checklist of a draft dossier (None in lists)
    deadline: dt.date | None = None  # the date the points are due (the day after the last counted day)
    extra: dict[str, Any] = field(default_factory=dict)  # for providers to share what they fetched


@dataclass
class Lifecycle:
    stages: list[Stage]

    @property
    def next(self) -> Stage | None:
        for status in (CURRENT, WAITING, DONE):
            found = [stage for stage in self.stages if stage.status == status]
            if found:
                return found[0] if status == CURRENT else found[-1]
        return None

    @property
    def sentence(self) -> str:
        stage = self.next
        if stage is None:
            return ""
        return stage.next_step or stage.text

    @property
    def complete(self) -> bool:
        """Nothing left for the person to do (every stage done or with someone else)."""
        return bool(self.stages) and all(stage.status in (DONE, WAITING) for stage in self.stages)


Provider = Callable[[LifecycleContext], Stage | None]
_providers: list[tuple[int, str, Provider]] = []


def register_stage(provider: Provider, *, order: int) -> None:
    """Add a stage provider (idempotent per provider: registering it again replaces it)."""
    name = f"{provider.__module__}.{provider.__qualname__}"
    _providers[:] = [item for item in _providers if item[1] != name]
    _providers.append((order, name, provider))
    _providers.sort(key=lambda item: (item[0], item[1]))


def lifecycle(context: LifecycleContext) -> Lifecycle:
    stages = [stage for _order, _name, provider in _providers if (stage := provider(context)) is not None]
    for index, stage in enumerate(stages):
        if stage.status == WAITING and any(later.status in (DONE, WAITING) for later in stages[index + 1:]):
            stages[index] = replace(stage, status=DONE)
    return Lifecycle(stages)


Prefetch = Callable[[Any, list[Any], dict[str, Any]], None]
_prefetches: list[tuple[str, Prefetch]] = []


def register_prefetch(fetch: Prefetch) -> None:
    """Add a bulk fetch `(organisation, dossiers, extra) -> None` (registering it again replaces it)."""
    name = f"{fetch.__module__}.{fetch.__qualname__}"
    _prefetches[:] = [item for item in _prefetches if item[0] != name]
    _prefetches.append((name, fetch))


def prefetch(organisation: Any, dossiers: list[Any]) -> dict[str, Any]:
    """Every registered bulk fetch, once, for a page's dossiers: pass a copy as each card's `extra`."""
    extra: dict[str, Any] = {}
    found = [dossier for dossier in dossiers if dossier is not None]
    for _name, fetch in _prefetches:
        fetch(organisation, found, extra)
    return extra


# --- the gap, in words (issue 13 item 2: the overall gap and every category gap together, shortest first) --

def points_gaps(report: rules.Report, definition: rules.SchemeDefinition) -> list[tuple[Decimal, str]]:
    """(points missing, what for) for every unmet minimum of the current scope, smallest gap first."""
    labels = {category.code: category.label for category in definition.categories}
    gaps = [(category.missing, reports.label(labels.get(category.code), category.code))
            for category in report.categories if category.minimum is not None and category.missing > 0]
    if report.required_total is not None and report.total_counted < report.required_total:
        gaps.append((report.required_total - report.total_counted, ""))
    return sorted(gaps, key=lambda gap: (gap[0], gap[1] == ""))


def gap_sentence(report: rules.Report, definition: rules.SchemeDefinition, due: dt.date | None) -> str:
    unit = reports.label(definition.points.label_plural)
    parts = [(_("%(points)s more %(unit)s for %(category)s") if what else _("%(points)s more %(unit)s overall"))
             % {"points": reports.number(points), "unit": unit, "category": what} for points, what in
             points_gaps(report, definition)]
    if not parts:
        return ""
    listed = parts[0] if len(parts) == 1 else _("%(first)s and %(last)s") % {"first": ", ".join(parts[:-1]),
                                                                           "last": parts[-1]}
    if due is None:
        return _("Add %(gaps)s.") % {"gaps": listed}
    return _("Add %(gaps)s before %(date)s.") % {"gaps": listed, "date": reports.date(due)}


# --- the stages portfolios knows --------------------------------------------------------------------------

def points_stage(context: LifecycleContext) -> Stage | None:
    report, definition = context.report, context.definition
    if not definition.categories and (report is None or report.required_total is None):
        return None  # a dossier-only scheme (CMI): no points to collect
    label = reports.label(definition.points.label_plural)
    label = label[:1].upper() + label[1:]
    if report is None:
        return Stage("points", label, CURRENT, _("The points cannot be counted yet."),
                     next_step=_("Ask your administrator to complete certificate %(number)s.")
                     % {"number": context.certification.number})
    counted = reports.number(report.total_counted)
    if report.compliant:
        text = (_("%(counted)s of %(required)s counted: enough.") % {
            "counted": counted, "required": reports.number(report.required_total)}
            if report.required_total is not None else _("%(counted)s counted: enough.") % {"counted": counted})
        return Stage("points", label, DONE, text)
    sentence = gap_sentence(report, definition, context.deadline) or (
        [reports.say(message, definition) for message in report.problems] or [_("The points are not enough yet.")]
    )[0]
    text = (_("%(counted)s of %(required)s counted.") % {"counted": counted,
                                                        "required": reports.number(report.required_total)}
            if report.required_total is not None else _("%(counted)s counted.") % {"counted": counted})
    return Stage("points", label, CURRENT, text, next_step=sentence,
                 action_url=reverse("activity_create", kwargs={"org": context.organisation.slug}),
                 action_label=_("Log an activity"), due=context.deadline)


def dossier_stage(context: LifecycleContext) -> Stage | None:
    definition, dossier, org = context.definition, context.dossier, context.organisation.slug
    if not definition.sections and dossier is None:
        return None
    label = _("Dossier")
    if dossier is None:
        return Stage("dossier", label, TO_DO if _points_open(context) else CURRENT, _("Not started."),
                     next_step=_("Start your dossier: its sections can be filled in while you collect points."),
                     action_url=reverse("dossier_list", kwargs={"org": org}), action_label=_("Start your dossier"))
    if dossier.status != "draft":
        return Stage("dossier", label, DONE, _("All sections complete."))
    url = reverse("dossier_detail", kwargs={"org": org, "pk": dossier.pk})
    checklist = context.checklist
    if checklist is None:  # a list (the compliance overview) knows only the dossier's status
        return Stage("dossier", label, CURRENT, _("Started, not submitted yet."),
                     next_step=_("Complete and submit the dossier."), action_url=url,
                     action_label=_("Continue your dossier"))
    sections = [section for section in checklist.sections if section.required and not section.synthetic
                and not any(r.kind == "points_summary" for r in section.requirements)] if checklist else []
    open_sections = [section for section in sections if section.state != "complete"]
    if open_sections:
        names = ", ".join(section.code for section in open_sections)
        text = (_("%(open)s of %(all)s sections still open: %(names)s.")
                % {"open": len(open_sections), "all": len(sections), "names": names})
        first = open_sections[0]
        return Stage("dossier", label, CURRENT, text,
                     next_step=_("Complete section %(code)s (%(label)s) of your dossier.")
                     % {"code": first.code, "label": first.label},
                     action_url=reverse("dossier_section", kwargs={"org": org, "pk": dossier.pk, "code": first.code}),
                     action_label=_("Continue your dossier"))
    if checklist is not None and checklist.missing and not _points_open(context):
        return Stage("dossier", label, CURRENT, _("Not ready to submit yet."), next_step=checklist.missing[0],
                     action_url=url, action_label=_("Continue your dossier"))
    if _points_open(context):
        return Stage("dossier", label, DONE if sections else TO_DO, _("Every section is complete.")
                     if sections else _("Submitted once the points are enough."))
    return Stage("dossier", label, CURRENT, _("Every section is complete."),
                 next_step=_("Everything is in: submit your dossier."),
                 action_url=reverse("dossier_submit", kwargs={"org": org, "pk": dossier.pk}),
                 action_label=_("Submit your dossier"))


def submitted_stage(context: LifecycleContext) -> Stage | None:
    dossier = context.dossier
    if dossier is None or dossier.status == "draft" or dossier.submitted_at is None:
        return None
    day = reports.date(dossier.submitted_at.date())
    return Stage("submitted", _("Submitted"), WAITING,
                 _("Submitted on %(date)s; nothing to do now: your organisation reviews it and tells you.")
                 % {"date": day}, action_url=reverse("dossier_detail", kwargs={
                     "org": context.organisation.slug, "pk": dossier.pk}), action_label=_("Your dossier"))


def _points_open(context: LifecycleContext) -> bool:
    report = context.report
    if not context.definition.categories and (report is None or report.required_total is None):
        return False
    return report is None or not report.compliant


register_stage(points_stage, order=10)
register_stage(dossier_stage, order=20)
register_stage(submitted_stage, order=30)

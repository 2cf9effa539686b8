"""The professional's home: one card per certification, everything computed by the rules engine.

A fixed number of queries whatever the number of activities: certifications with their kept reports
(portfolios/kept.py: the engine runs only when an input changed, and then once), the versions in force, their
dossiers, and per card with a draft dossier its checklist (sections,
statements, evidence). Each card shows the certification's whole lifecycle (portfolios/lifecycle.py: points,
dossier, submitted, and what the apps above add) and one sentence naming the next thing to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from accounts.home import waiting
from accounts.requests import OrgRequest
from accounts.tenancy import member_required
from dossiers.models import Dossier
from dossiers.services.dossiers import (
    dossier_checklist,
    first_open_year_end,
    membership_problem,
    submission_title,
    yearly,
)
from portfolios import kept, lifecycle, reports
from portfolios.models import Certification
from schemes import rules


@dataclass
class Bar:
    label: str
    counted: Decimal
    raw: Decimal
    minimum: Decimal | None
    maximum: Decimal | None

    @property
    def bound(self) -> Decimal | None:
        return self.maximum if self.maximum is not None else self.minimum

    @property
    def percent(self) -> int:
        bound = self.bound
        if not bound:
            return 100 if self.counted else 0
        return min(100, int(self.counted * 100 / bound))

    @property
    def met(self) -> bool:
        return self.minimum is None or self.counted >= self.minimum

    @property
    def uncounted(self) -> Decimal:
        return self.raw - self.counted

    @property
    def cap_only(self) -> bool:
        """Only a maximum: drawn as room used up to a cap, not as a target to reach."""
        return self.maximum is not None and self.minimum is None


@dataclass
class PeriodBar:
    label: str
    counted: Decimal
    required: Decimal | None
    compliant: bool
    current: bool

    @property
    def percent(self) -> int:
        if not self.required:
            return 100 if self.counted else 0
        return min(100, int(self.counted * 100 / self.required))


@dataclass
class Card:
    certification: Certification
    scheme_label: str
    compliant: bool | None = None
    counted: Decimal | None = None
    required: Decimal | None = None
    deadline: Any = None
    days_left: int | None = None
    missing: list[str] = field(default_factory=list)
    explanations: list[str] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    periods: list[PeriodBar] = field(default_factory=list)
    period_label: str = ""
    unit_label: str = ""
    renewal: rules.RenewalStatus | None = None
    membership_lapsed: bool = False
    problem: str = ""
    dossier: Dossier | None = None
    due: Any = None
    rule: str = ""
    lifecycle: lifecycle.Lifecycle | None = None
    chain: str = ""
    past_short: bool = False
    submission_title: str = ""  # a yearly submission's own name: "Record for the CPD year to 30 April 2027"
    years: list[YearLine] = field(default_factory=list)  # a yearly submission's CPD years, newest first


@dataclass
class YearLine:
    """One CPD year of a yearly submission on the card: its record, or whether it can still be started."""

    end: Any
    title: str
    dossier: Dossier | None
    open: bool
    closed: str = ""


def certification_cards(request: OrgRequest) -> list[Card]:
    organisation, user = request.organisation, request.user
    today = timezone.localdate()
    held = kept.held_reports(organisation, user, today)
    if not held:
        return []
    dossiers = list(Dossier.objects.for_organisation(organisation).filter(owner=user, kind="recertification")
                    .select_related("certification", "scheme_version").defer("scheme_version__definition")
                    .order_by("-created_at", "-pk"))
    extra = lifecycle.prefetch(organisation, dossiers)  # the apps' rows for every card at once
    cards = []
    for item in held:
        certification, version, report = item.certification, item.version, item.report
        definition = version.rules
        card = Card(certification=certification, scheme_label=reports.label(definition.label, version.code),
                    unit_label=reports.label(definition.points.label_plural))
        # The one judgement of the prerequisite (PeopleCert Plus), shared with starting and submitting dossiers.
        card.membership_lapsed = membership_problem(certification, definition, today) is not None
        if report is None:
            assert item.error is not None
            card.problem = reports.context_problem(certification, item.error)
            card.lifecycle = lifecycle.lifecycle(lifecycle.LifecycleContext(
                organisation=organisation, user=user, certification=certification, definition=definition,
                report=None, today=today, extra=dict(extra)))
            cards.append(card)
            continue
        card.compliant = report.compliant
        card.counted, card.required = report.total_counted, report.required_total
        card.deadline = card.due = reports.due_date(certification, definition, report, today)
        card.rule = reports.deadline_rule(report, card.due)
        card.days_left = (card.due - today).days
        try:
            reference = reports.dossier_reference_date(certification, definition, "recertification", today)
        except rules.ContextError:
            reference = card.due
        card.dossier = _dossier_for(dossiers, certification, definition, reference)
        if yearly(definition, "recertification"):
            card.submission_title = submission_title(definition, "recertification", reference)
            card.years = _years(dossiers, certification, definition, report, today)
        checklist = (dossier_checklist(card.dossier, today=today)
                     if card.dossier is not None and card.dossier.status == Dossier.Status.DRAFT else None)
        card.lifecycle = lifecycle.lifecycle(lifecycle.LifecycleContext(
            organisation=organisation, user=user, certification=certification, definition=definition, report=report,
            today=today, dossier=card.dossier, checklist=checklist, deadline=card.due, extra=dict(extra)))
        card.missing = [reports.say(message, definition) for message in report.problems]
        card.explanations = [reports.say(message, definition) for message in report.explanations]
        categories = {category.code: category for category in definition.categories}
        card.bars = [Bar(reports.label(categories[c.code].label, c.code), c.counted, c.raw, c.minimum, c.maximum)
                     for c in report.categories]
        if report.periods:  # yearly periods (a window scheme has only its cycle)
            card.period_label = reports.label(definition.cycle.period_label)
            card.periods = [PeriodBar(f"{reports.date(p.start)} – {reports.date(p.end)}", p.total_counted,
                                      p.required_total, p.compliant, p.number == report.current_period)
                            for p in report.periods]
        card.renewal = report.renewal
        if report.renewal is not None:
            card.chain, card.past_short = _chain(report, definition)
        cards.append(card)
    return cards


def _years(dossiers: list[Dossier], certification: Certification, definition: rules.SchemeDefinition,
           report: rules.Report, today: Any) -> list[YearLine]:
    """The CPD years so far, newest first: each with its record if one was started, else open (the current
    year, and the past years that can still complete a chain of consecutive years with it:
    `first_open_year_end`) or closed."""
    lines = []
    started = [p for p in report.periods if p.start <= today]
    first_open = first_open_year_end(definition, started[-1].end) if started else today
    for period in reversed(started):
        dossier = _dossier_for(dossiers, certification, definition, period.end)
        closed = "" if dossier is not None or period.end >= first_open else gettext(
            "Closed: it can no longer count in a chain of consecutive years with the current one.")
        lines.append(YearLine(period.end, submission_title(definition, "recertification", period.end), dossier,
                              open=dossier is None and not closed, closed=closed))
    return lines


def _dossier_for(dossiers: list[Dossier], certification: Certification, definition: rules.SchemeDefinition,
                 due: Any) -> Dossier | None:
    """The dossier judged on the card's date (with per-series submission, any of the series' certificates'),
    else the latest submitted one of the certification: what became of it (its review, the decision, the
    certificate) stays on the card until the next dossier is started. Not for yearly returns (PeopleCert): each
    CPD year has its own submission, and the card asks for this year's."""
    per_series = bool(definition.product_series and definition.product_series.per_series
                      and certification.product_series)
    for dossier in dossiers:
        if dossier.reference_date != due or dossier.scheme_version.code != certification.scheme_version.code:
            continue
        if dossier.certification_id == certification.pk or (
                per_series and dossier.product_series == certification.product_series):
            return dossier
    if rules.yearly_returns(definition):
        return None
    submitted = [dossier for dossier in dossiers if dossier.certification_id == certification.pk
                 and dossier.status != Dossier.Status.DRAFT and dossier.submitted_at is not None]
    return max(submitted, key=lambda dossier: (dossier.submitted_at, dossier.pk), default=None)


def _chain(report: rules.Report, definition: rules.SchemeDefinition) -> tuple[str, bool]:
    """The run of consecutive complete CPD years, and the last finished year that broke it (if short)."""
    renewal = report.renewal
    assert renewal is not None
    text = gettext("%(run)s of %(needed)s consecutive complete years.") % {
        "run": renewal.consecutive, "needed": renewal.consecutive_required}
    current = report.current_period
    past = [period for period in report.periods
            if current is None or (period.number is not None and period.number < current)]
    if past and not past[-1].compliant and past[-1].required_total is not None:
        short = past[-1].required_total - past[-1].total_counted
        unit = reports.label(definition.points.label_plural)
        if short > 0:
            text += " " + gettext("The year to %(date)s is short by %(points)s %(unit)s.") % {
                "date": reports.date(past[-1].end), "points": reports.number(short), "unit": unit}
        else:
            text += " " + gettext("The year to %(date)s did not meet every minimum.") % {
                "date": reports.date(past[-1].end)}
        return text, True
    return text, False


urlpatterns: list = []


@require_GET
@member_required()
def org_home(request: OrgRequest, org: str) -> HttpResponse:
    """The organisation's home: a professional's certification cards, and the tools of the other roles."""
    cards = certification_cards(request) if request.membership.is_professional else []
    work = waiting(request.organisation, membership=request.membership)
    return render(request, "dossiers/org_home.html", {"cards": cards, "waiting": work})


urlpatterns = [
    path("", org_home, name="org_home"),
]

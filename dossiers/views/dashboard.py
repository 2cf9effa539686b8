"""The professional's home: one card per certification, everything computed by the rules engine.

A fixed number of queries whatever the number of activities: certifications, the versions in force,
the person's activities, and their open dossiers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.requests import OrgRequest
from accounts.tenancy import member_required
from dossiers.models import Dossier
from dossiers.services.dossiers import membership_problem
from portfolios import reports
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


def certification_cards(request: OrgRequest) -> list[Card]:
    organisation, user = request.organisation, request.user
    today = timezone.localdate()
    held = reports.held_certifications(organisation, user, today)
    if not held:
        return []
    activities = reports.owner_activities(organisation, user)
    drafts = {d.certification_id: d for d in Dossier.objects.for_organisation(organisation)
              .filter(owner=user, status=Dossier.Status.DRAFT).order_by("-created_at")}
    cards = []
    for certification, version in held:
        definition = version.rules
        card = Card(certification=certification, scheme_label=version.label, dossier=drafts.get(certification.pk),
                    unit_label=reports.label(definition.points.label_plural))
        # The one judgement of the prerequisite (PeopleCert Plus), shared with starting and submitting dossiers.
        card.membership_lapsed = membership_problem(certification, definition, today) is not None
        try:
            report = reports.evaluate_certification(certification, definition, activities, today)
        except rules.ContextError as error:
            card.problem = reports.context_problem(certification, error)
            cards.append(card)
            continue
        card.compliant = report.compliant
        card.counted, card.required = report.total_counted, report.required_total
        card.deadline = report.deadline
        card.days_left = (report.deadline - today).days
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
        cards.append(card)
    return cards



@require_GET
@member_required()
def org_home(request: OrgRequest, org: str) -> HttpResponse:
    """The organisation's home: a professional's certification cards, and the tools of the other roles."""
    cards = certification_cards(request) if request.membership.is_professional else []
    return render(request, "dossiers/org_home.html", {"cards": cards})


urlpatterns = [
    path("", org_home, name="org_home"),
]

"""The professional's home: one card per certification, everything computed by the rules engine.

A fixed number of queries whatever the number of activities: certifications (with their kept reports), the
versions in force, a fingerprint of the person's activities, and their open dossiers; when an input changed,
also the activities and one upsert of the reports evaluated afresh.
"""

from __future__ import annotations

import datetime as dt
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
from portfolios import kept_reports, reports
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
    has_draft: bool = False


def certification_cards(request: OrgRequest) -> list[Card]:
    """The cards, from each certification's kept report (portfolios/kept_reports.py): evaluated only when one
    of its inputs changed since it was kept, and then once."""
    organisation, user = request.organisation, request.user
    today = timezone.localdate()
    kept = kept_reports.for_holder(organisation, user, today)
    if not kept:
        return []
    drafts = set(Dossier.objects.for_organisation(organisation).filter(owner=user, status=Dossier.Status.DRAFT)
                 .values_list("certification_id", flat=True))
    return [_card(certification, version.rules, summary, certification.pk in drafts, today)
            for certification, version, summary in kept]


def _card(certification: Certification, definition: rules.SchemeDefinition, summary: dict[str, Any],
          has_draft: bool, today: Any) -> Card:
    def number(value: str | None) -> Decimal:  # a kept figure that is always there
        return kept_reports.load_decimal(value) or Decimal(0)

    bound = kept_reports.load_decimal  # a minimum, maximum or requirement, which may be absent
    card = Card(certification=certification, scheme_label=reports.label(definition.label, definition.code),
                has_draft=has_draft, unit_label=reports.label(definition.points.label_plural))
    # The one judgement of the prerequisite (PeopleCert Plus), shared with starting and submitting dossiers.
    card.membership_lapsed = membership_problem(certification, definition, today) is not None
    if summary["context_error"] is not None:
        card.problem = summary["context_error"]
        return card
    card.compliant = summary["compliant"]
    card.counted, card.required = number(summary["total_counted"]), bound(summary["required_total"])
    card.deadline = dt.date.fromisoformat(summary["deadline"])
    card.days_left = (card.deadline - today).days
    card.missing = [reports.say(kept_reports.load_message(m), definition) for m in summary["problems"]]
    card.explanations = [reports.say(kept_reports.load_message(m), definition) for m in summary["explanations"]]
    categories = definition.index.categories
    card.bars = [Bar(reports.label(categories[c["code"]].label, c["code"]), number(c["counted"]), number(c["raw"]),
                     bound(c["minimum"]), bound(c["maximum"])) for c in summary["categories"]]
    if summary["periods"]:  # yearly periods (a window scheme has only its cycle)
        card.period_label = reports.label(definition.cycle.period_label)
        card.periods = [PeriodBar(f"{reports.date(dt.date.fromisoformat(p['start']))} – "
                                  f"{reports.date(dt.date.fromisoformat(p['end']))}", number(p["total_counted"]),
                                  bound(p["required_total"]), p["compliant"],
                                  p["number"] == summary["current_period"]) for p in summary["periods"]]
    if summary["renewal"] is not None:
        card.renewal = rules.RenewalStatus(**summary["renewal"])
    return card



@require_GET
@member_required()
def org_home(request: OrgRequest, org: str) -> HttpResponse:
    """The organisation's home: a professional's certification cards, and the tools of the other roles."""
    cards = certification_cards(request) if request.membership.is_professional else []
    return render(request, "dossiers/org_home.html", {"cards": cards})


urlpatterns = [
    path("", org_home, name="org_home"),
]

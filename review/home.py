"""The review's work waiting on the administrator's home (accounts/home.py, orders 10–12), one query each:
cases still needing an assessor, allocations past their due date, and advised cases waiting for a decision."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.home import Waiting
from certificates.models import Appeal, Decision
from review.models import Advice, Allocation, ReviewCase


def waiting_for_allocation(organisation: Any, today: dt.date) -> Waiting:
    """Open cases with fewer live assessors than they need (none yet, or one of two)."""
    count = (ReviewCase.objects.for_organisation(organisation)
             .filter(state__in=[ReviewCase.State.OPEN, ReviewCase.State.IN_REVIEW])
             .annotate(live=Count("allocations", filter=Q(allocations__status__in=Allocation.COUNTED,
                                                          allocations__role=Allocation.Role.ASSESSOR)))
             .filter(live__lt=F("assessors_required")).count())
    url = reverse("review_queue", kwargs={"org": organisation.slug}) + "?state=open"
    return Waiting("review_allocation", _("Review queue"), count,
                   ngettext("%(count)s case waits for an assessor.", "%(count)s cases wait for an assessor.", count)
                   % {"count": count} if count else _("Every case has its assessors."), url)


def overdue_allocations(organisation: Any, today: dt.date) -> Waiting:
    count = (Allocation.objects.for_organisation(organisation)
             .filter(status__in=Allocation.OPEN, due_on__lt=today).count())
    return Waiting("review_overdue", _("Overdue assessments"), count,
                   ngettext("%(count)s allocation is past its due date.", "%(count)s allocations are past their due "
                            "date.", count) % {"count": count} if count else _("No assessment is overdue."),
                   reverse("review_overdue", kwargs={"org": organisation.slug}), urgent=bool(count))


def waiting_for_decision(organisation: Any, today: dt.date) -> Waiting:
    """Advised cases with no decision since the advice (a decision an upheld appeal set aside does not count)."""
    decided = (Decision.objects.for_organisation(organisation)
               .filter(submission_id=OuterRef("case__submission_id"), decided_at__gte=OuterRef("sent_at"))
               .exclude(Exists(Appeal.objects.for_organisation(organisation)
                               .filter(decision_id=OuterRef("pk"), status=Appeal.Status.UPHELD))))
    count = Advice.objects.for_organisation(organisation).filter(~Exists(decided)).count()
    return Waiting("review_decision", _("Decisions to take"), count,
                   ngettext("%(count)s advised case waits for a decision.", "%(count)s advised cases wait for a "
                            "decision.", count) % {"count": count} if count else _("No case waits for a decision."),
                   reverse("decision_queue", kwargs={"org": organisation.slug}))

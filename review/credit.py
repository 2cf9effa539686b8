"""Noloc credits its assessors: an assessor who also holds a certification whose scheme knows the
`register-mentor-assessor` activity (Register Jobcoach: 4 points a year + 2 per candidate, attribute
`candidates`) turns a calendar year's completed assessments — advices sent on cases they assessed — into that
activity of their own.

The offer is an `AssessorCredit` pending confirmation; the certification coordinator confirms it (only then is
the activity created, so only a confirmed credit counts in the rules engine) or rejects it with a reason. One
year is credited once: a pending or confirmed credit holds the year (a database constraint), a rejected one
frees it. The count is always computed here from the advices, never taken from the form.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.db.models.functions import ExtractYear
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.home import Waiting
from accounts.models import Membership, Organisation, User
from accounts.requests import OrgRequest
from accounts.services import audit_record
from accounts.tenancy import NotFound, member_required
from portfolios.services.activities import ActivityData, activity_create, certifications_with_rules
from review import services
from review.models import Advice, Allocation, AssessorCredit

TYPE_CODE = "register-mentor-assessor"
FORMULA = "per_year_plus_per_candidate"

AUDIT_ACTIONS = {
    "review.credit_offer": (gettext_lazy("Assessor credit offered"),
                            gettext_lazy("An assessor asked to credit %(candidates)s assessments of %(year)s")),
    "review.credit_confirm": (gettext_lazy("Assessor credit confirmed"),
                              gettext_lazy("Confirmed the credit of %(email)s for %(year)s")),
    "review.credit_reject": (gettext_lazy("Assessor credit rejected"),
                             gettext_lazy("Rejected the credit of %(email)s for %(year)s: %(reason)s")),
}


# --- Who, and how many ------------------------------------------------------------------------------------

def credit_type(organisation: Organisation | int, assessor: User) -> Any | None:
    """The activity type (from one of the assessor's own certifications) their assessments can be credited
    as, or None when they hold no certification whose scheme has it."""
    org = organisation if isinstance(organisation, Organisation) else Organisation.objects.get(pk=organisation)
    for held in certifications_with_rules(organisation=org, owner=assessor):
        kind = held.definition.activity_types.get(TYPE_CODE)
        if kind is not None and getattr(kind.formula, "KIND", "") == FORMULA:
            return kind
    return None


def completed_by_year(organisation: Organisation | int, assessor: User) -> dict[int, int]:
    """Calendar year (of the advice, in local time) → number of cases the assessor assessed whose advice was sent."""
    rows = (Advice.objects.for_organisation(organisation)
            .filter(case__allocations__assessor=assessor, case__allocations__status=Allocation.Status.SUBMITTED)
            .annotate(year=ExtractYear("sent_at")).values("year").annotate(cases=Count("case", distinct=True)))
    return {row["year"]: row["cases"] for row in rows}


def points_for(kind: Any, candidates: int) -> Decimal:
    return Decimal(kind.formula.per_year) + Decimal(kind.formula.per_candidate) * candidates


def offers(organisation: Organisation | int, assessor: User) -> dict[str, Any]:
    """What the assessor's page shows: the years they may still credit, and their credits so far."""
    credits = list(AssessorCredit.objects.for_organisation(organisation).filter(assessor=assessor))
    kind = credit_type(organisation, assessor)
    if kind is None:
        return {"eligible": False, "years": [], "credits": credits}
    taken = {c.year for c in credits if c.status != AssessorCredit.Status.REJECTED}
    this_year = timezone.localdate().year
    years = [{"year": year, "candidates": count, "points": points_for(kind, count), "so_far": year == this_year}
             for year, count in sorted(completed_by_year(organisation, assessor).items(), reverse=True)
             if count and year not in taken and year <= this_year]
    return {"eligible": True, "years": years, "credits": credits}


# --- Steps ----------------------------------------------------------------------------------------------

@transaction.atomic
def credit_offer(*, organisation: Organisation, assessor: User, year: int) -> AssessorCredit:
    """The assessor asks to credit a year (ValidationError: not eligible, nothing completed, already credited)."""
    membership = Membership.objects.for_organisation(organisation).filter(user=assessor, is_assessor=True).first()
    kind = credit_type(organisation, assessor) if membership else None
    if kind is None:
        raise ValidationError(_("Only an assessor who holds a certification with this activity can credit "
                                "assessments."), code="not_eligible")
    count = completed_by_year(organisation, assessor).get(year, 0)
    if not count or year > timezone.localdate().year:
        raise ValidationError(_("You have no completed assessments in %(year)s.") % {"year": year}, code="none")
    taken = AssessorCredit.objects.for_organisation(organisation).filter(
        assessor=assessor, year=year, status__in=[AssessorCredit.Status.PENDING, AssessorCredit.Status.CONFIRMED])
    if taken.exists():
        raise ValidationError(_("%(year)s is already credited.") % {"year": year}, code="twice")
    try:
        with transaction.atomic():
            credit = AssessorCredit.objects.create(organisation=organisation, assessor=assessor, year=year,
                                                   candidates=count, type_code=TYPE_CODE, offered_at=timezone.now())
    except IntegrityError:  # a second request for the same year got in first
        raise ValidationError(_("%(year)s is already credited.") % {"year": year}, code="twice") from None
    audit_record(organisation=organisation, actor=assessor, action="review.credit_offer", credit=credit.pk,
                 year=year, candidates=count)
    for person in services.coordinators(organisation):
        if person.pk != assessor.pk:
            services._mail(person, organisation, "credit_pending", credit=credit, assessor=assessor,
                           path=reverse("review_credits", kwargs={"org": organisation.slug}))
    return credit


def _pending(credit: AssessorCredit, by: User) -> AssessorCredit:
    current = (AssessorCredit.objects.for_organisation(credit.organisation_id).select_for_update()
               .select_related("assessor", "organisation").get(pk=credit.pk))
    if current.status != AssessorCredit.Status.PENDING:
        raise ValidationError(_("This credit is already decided."), code="state")
    if current.assessor_id == by.pk:
        raise ValidationError(_("Someone else confirms your own credit."), code="own")
    if not services.is_coordinator(Membership.objects.for_organisation(current.organisation_id)
                                   .filter(user=by).first()):
        raise ValidationError(_("Only a coordinator can confirm a credit."), code="not_coordinator")
    return current


@transaction.atomic
def credit_confirm(*, credit: AssessorCredit, by: User) -> AssessorCredit:
    """Confirm: the activity is created in the assessor's portfolio with the count filled in."""
    credit = _pending(credit, by)
    organisation, assessor = credit.organisation, credit.assessor
    kind = credit_type(organisation, assessor)
    if kind is None:
        raise ValidationError(_("The assessor no longer holds a certification with this activity."),
                              code="not_eligible")
    today = timezone.localdate()
    day = min(dt.date(credit.year, 12, 31), today)
    with translation.override(services._language(assessor, organisation)):
        title = ngettext("Assessor in %(year)s: %(count)s candidate assessed",
                         "Assessor in %(year)s: %(count)s candidates assessed", credit.candidates) % {
            "year": credit.year, "count": credit.candidates}
        provider = organisation.name
    activity = activity_create(organisation=organisation, owner=assessor, data=ActivityData(
        type_code=credit.type_code, date=day, quantity=Decimal(1), title=title, provider=provider,
        attributes={kind.formula.attribute: credit.candidates}))
    credit.status, credit.decided_by, credit.decided_at, credit.activity = (
        AssessorCredit.Status.CONFIRMED, by, timezone.now(), activity)
    credit.save(update_fields=["status", "decided_by", "decided_at", "activity"])
    audit_record(organisation=organisation, actor=by, action="review.credit_confirm", credit=credit.pk,
                 email=assessor.email, year=credit.year, candidates=credit.candidates, activity=activity.pk)
    services._mail(assessor, organisation, "credit_decided", credit=credit, confirmed=True,
                   path=reverse("review_my_cases", kwargs={"org": organisation.slug}))
    return credit


@transaction.atomic
def credit_reject(*, credit: AssessorCredit, by: User, reason: str) -> AssessorCredit:
    credit = _pending(credit, by)
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason for rejecting the credit.")})
    credit.status, credit.decided_by, credit.decided_at, credit.reason = (
        AssessorCredit.Status.REJECTED, by, timezone.now(), reason.strip())
    credit.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    audit_record(organisation=credit.organisation, actor=by, action="review.credit_reject", credit=credit.pk,
                 email=credit.assessor.email, year=credit.year, reason=credit.reason)
    services._mail(credit.assessor, credit.organisation, "credit_decided", credit=credit, confirmed=False,
                   path=reverse("review_my_cases", kwargs={"org": credit.organisation.slug}))
    return credit


# --- The administrator's home ---------------------------------------------------------------------------

def credits_waiting(organisation: Any, today: dt.date) -> Waiting | None:
    count = AssessorCredit.objects.for_organisation(organisation).filter(status=AssessorCredit.Status.PENDING).count()
    if not count:
        return None
    return Waiting("assessor_credits", _("Assessor credits"), count,
                   ngettext("%(count)s assessor credit to confirm.", "%(count)s assessor credits to confirm.",
                            count) % {"count": count},
                   reverse("review_credits", kwargs={"org": organisation.slug}))


# --- Views ----------------------------------------------------------------------------------------------

def _coordinator(request: HttpRequest) -> None:
    if not services.is_coordinator(request.membership):  # type: ignore[attr-defined]
        raise PermissionDenied(_("Only a review coordinator can see this page."))


def _list(request: HttpRequest, *, rejecting: int | None = None, reason: str = "", error: str = "",
          status: int = 200) -> HttpResponse:
    rows = list(AssessorCredit.objects.for_organisation(request.organisation)  # type: ignore[attr-defined]
                .select_related("assessor", "decided_by").order_by("status", "-year", "pk")[:500])
    pending = [row for row in rows if row.status == AssessorCredit.Status.PENDING]
    decided = [row for row in rows if row.status != AssessorCredit.Status.PENDING]
    return render(request, "review/credit_list.html", {
        "pending": pending, "decided": decided, "rejecting": rejecting, "reason": reason, "error": error},
        status=status)


@require_GET
@member_required()
def credit_list(request: OrgRequest, org: str) -> HttpResponse:
    _coordinator(request)
    return _list(request)


@require_POST
@member_required()
def credit_decide(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    if not services.is_coordinator(request.membership):  # type: ignore[attr-defined]
        raise NotFound(_("There is no such credit."))
    credit = AssessorCredit.objects.for_organisation(request.organisation).filter(pk=pk).first()  # type: ignore[attr-defined]
    if credit is None:
        raise NotFound(_("There is no such credit."))
    reason = request.POST.get("reason", "")
    try:
        if request.POST.get("action") == "confirm":
            credit_confirm(credit=credit, by=request.user)  # type: ignore[arg-type]
            messages.success(request, _("Confirmed: the activity is in the assessor's portfolio."))
        else:
            credit_reject(credit=credit, by=request.user, reason=reason)  # type: ignore[arg-type]
            messages.success(request, _("Rejected; the assessor is told why."))
    except ValidationError as error:
        return _list(request, rejecting=credit.pk, reason=reason, error=" ".join(error.messages), status=422)
    return redirect("review_credits", org=org)


@require_POST
@member_required()
def credit_offer_view(request: OrgRequest, org: str) -> HttpResponse:
    if not request.membership.is_assessor:  # type: ignore[attr-defined]
        raise PermissionDenied(_("Only assessors have review cases."))
    year = request.POST.get("year", "")
    try:
        if not year.isdigit():
            raise ValidationError(_("Choose a year."))
        credit = credit_offer(organisation=request.organisation, assessor=request.user,  # type: ignore[arg-type]
                              year=int(year))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Sent for confirmation: %(year)s, %(count)s candidates.")
                         % {"year": credit.year, "count": credit.candidates})
    return redirect("review_my_cases", org=org)

"""The interview panel of the case page and the assessor's credit offers on their reviews page (each reads
what it shows through review/interview.py and review/credit.py, so the pages' own views stay as they are)."""

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("review/interview_panel.html", takes_context=True)
def interview_panel(context: Any) -> dict[str, Any]:
    from review import interview

    case, request = context["case"], context["request"]
    allocation, coordinator = context.get("allocation"), context.get("coordinator")
    if not interview.required(case):
        return {"oral": None}
    found = interview.interview_of(case)
    committee = found is not None and request.user.pk in (found.assessor_id, found.chair_id)
    assessed = allocation is not None and allocation.status == "submitted" and case.all_submitted_at is not None
    return {"organisation": context.get("organisation"), "case": case, "oral": {
        "interview": found, "may_open": bool(coordinator) or committee,
        "show_outcome": bool(coordinator) or committee or assessed}}


@register.inclusion_tag("review/credit_offers.html", takes_context=True)
def credit_offers(context: Any) -> dict[str, Any]:
    from review import credit

    request = context["request"]
    return {"organisation": context.get("organisation"), "csrf_token": context.get("csrf_token"),
            "offer": credit.offers(request.organisation, request.user)}

"""Reminder pages: the administrators' log of what was sent and refused, and the public unsubscribe link.

The unsubscribe page needs no log-in: the link carries a signed token naming the organisation, the person
and the kind of reminder (notifications/access.py). `accounts.access.open_token_link` resolves it under the
organisation in the address only, so another organisation's token is not valid there (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from accounts.access import open_token_link
from accounts.models import DeliveryFailure, Organisation, Role
from accounts.pagination import page_of
from accounts.requests import OrgRequest
from accounts.tenancy import member_required
from notifications import reminders as services
from notifications.access import UNSUBSCRIBE_LINK, UnsubscribeSubject
from notifications.forms import ReminderFilterForm, UnsubscribeForm
from notifications.models import Reminder, ReminderOptOut
from portfolios import reports
from schemes.models import SchemeVersion


def reminder_labels(organisation: Organisation) -> dict[str, str]:
    """Reminder code → its label in the current language, from the latest version of each scheme (one query)."""
    labels: dict[str, str] = {}
    seen: set[str] = set()
    for version in (SchemeVersion.objects.for_organisation(organisation)
                    .order_by("code", "-effective_from", "-version")):
        if version.code in seen:
            continue
        seen.add(version.code)
        for rule in version.rules.reminders:
            labels.setdefault(rule.code, reports.label(rule.label, rule.code))
    return labels


@dataclass
class LogRow:
    reminder: Reminder
    label: str
    note: str
    refused: bool


@require_GET
@member_required(Role.ADMIN)
@vary_on_headers("HX-Request")
def reminder_log(request: OrgRequest, org: str) -> HttpResponse:
    """Every reminder claimed in the organisation: due date, kind, certificate, recipient, status, sent at."""
    labels = reminder_labels(request.organisation)
    form = ReminderFilterForm(request.GET or None, codes=sorted(labels.items(), key=lambda item: item[1]))
    reminders = form.filter(Reminder.objects.for_organisation(request.organisation)
                            .select_related("certification", "recipient").order_by("-send_on", "-id"))
    page = page_of(request, reminders)
    addresses = {reminder.email or getattr(reminder.recipient, "email", "") for reminder in page.object_list}
    refused = set(DeliveryFailure.objects.for_organisation(request.organisation)
                  .filter(email__in=addresses - {""}).values_list("email", flat=True))
    rows = [LogRow(reminder, labels.get(reminder.code, reminder.code),
                   str(services.NOTES.get(reminder.note, reminder.note)),
                   (reminder.email or getattr(reminder.recipient, "email", "")) in refused)
            for reminder in page.object_list]
    context = {"form": form, "page": page, "rows": rows,
               "refused_count": DeliveryFailure.objects.for_organisation(request.organisation).count()}
    if request.htmx:
        return render(request, "notifications/reminder_log.html#reminder-table", context)
    return render(request, "notifications/reminder_log.html", context)


@require_GET
@member_required(Role.ADMIN)
@vary_on_headers("HX-Request")
def delivery_failures(request: OrgRequest, org: str) -> HttpResponse:
    """Addresses the mail server refused for good: messages to them are not retried."""
    failures = DeliveryFailure.objects.for_organisation(request.organisation).order_by("-last_failed_at", "-id")
    query = request.GET.get("q", "").strip()[:200]
    if query:
        failures = failures.filter(Q(email__icontains=query) | Q(subject__icontains=query))
    page = page_of(request, failures)
    context = {"page": page, "query": query}
    if request.htmx:
        return render(request, "notifications/delivery_failures.html#failure-table", context)
    return render(request, "notifications/delivery_failures.html", context)


def _unsubscribe_context(subject: UnsubscribeSubject) -> dict[str, Any]:
    """What the page says about the link's person and reminder, in the scheme's latest version."""
    version, code = subject.version, subject.code
    rule = next((item for item in version.rules.reminders if item.code == code), None) if version else None
    return {"person": subject.person, "code": code, "label": reports.label(rule.label, code) if rule else code,
            "mandatory": subject.mandatory, "scheme": version.label if version else subject.scheme,
            "has_mandatory": bool(version and any(item.mandatory for item in version.rules.reminders))}


@require_http_methods(["GET", "POST"])
@never_cache
def reminder_unsubscribe(request: HttpRequest, org: str, token: str) -> HttpResponse:
    """The link in a reminder: a confirm button (no log-in needed), then the reminder stops.

    A link used before says so and offers to receive the reminders again; a mandatory notice cannot be
    unsubscribed from.
    """
    link = open_token_link(request, org, token, UNSUBSCRIBE_LINK)
    organisation = link.organisation
    context = _unsubscribe_context(link.obj)
    person, code = context["person"], context["code"]
    opted_out = ReminderOptOut.objects.for_organisation(organisation).filter(user=person, code=code).exists()
    state = "mandatory" if link.state == "mandatory" else ("already" if opted_out else "confirm")
    status = 200
    if request.method == "POST" and state != "mandatory":
        form = UnsubscribeForm(request.POST)
        if not form.is_valid():
            status = 400
        elif form.cleaned_data["action"] == "resubscribe":
            services.reminder_opt_in(organisation=organisation, user=person, code=code)
            state = "resubscribed"
        else:
            services.reminder_opt_out(organisation=organisation, user=person, code=code)
            state = "done" if not opted_out else "already"
    return render(request, "notifications/unsubscribe.html", {**context, "state": state, "token": token},
                  status=status)


urlpatterns = [
    path("manage/reminders/", reminder_log, name="reminder_log"),
    path("manage/reminders/refused/", delivery_failures, name="delivery_failures"),
    path("reminders/unsubscribe/<str:token>/", reminder_unsubscribe, name="reminder_unsubscribe"),
]

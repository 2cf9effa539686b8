"""The administrators' health page: is the background machinery alive, and is work piling up?

Platform figures (outbox backlog, failed tasks) are shown as counts and task names only; their details
can name other organisations' people and stay with platform superusers (the Django admin).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Min
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.cache import cache_health
from accounts.models import DeliveryFailure, Organisation, OutboxMessage, Role
from accounts.requests import OrgRequest
from accounts.tenancy import maintenance, member_required
from notifications.models import Heartbeat, TaskFailure

STALE_AFTER = {"worker": dt.timedelta(minutes=3), "beat": dt.timedelta(minutes=3),
               "outbox-relay": dt.timedelta(minutes=3), "reminder-scan": dt.timedelta(hours=26)}


@dataclass
class Check:
    label: str
    ok: bool
    detail: str
    applies: bool = True  # False: this part does not exist in this deployment (shown as such, never red)


def broker_reachable() -> tuple[bool, str]:
    from celery import current_app as app  # the project's app (config/celery.py), without importing config

    if app.conf.task_always_eager:
        return True, str(_("Tasks run inside the web process (no broker configured)."))
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
    except Exception as error:  # noqa: BLE001 - any failure means unreachable
        return False, str(_("Unreachable: %(error)s") % {"error": type(error).__name__})
    return True, str(_("Reachable."))


def cache_check() -> Check:
    """The shared cache (rate limits, used sign-in codes, CSV imports between their two steps); asked now."""
    health = cache_health(probe=True)
    if health.kind == "database":
        return Check(str(_("Cache")), True, str(_("In the database (embedded default).")))
    if health.kind == "memory":
        return Check(str(_("Cache")), True, str(_("In this process's memory: rate limits are counted per process.")))
    if health.reachable:
        return Check(str(_("Cache")), True, str(_("Reachable: rate limits are shared by all web processes.")))
    return Check(str(_("Cache")), False, str(_(
        "Unreachable since %(when)s: rate limits are counted per process, and a CSV import may ask for its file "
        "again, until it answers. Sign-in and all forms keep working.") % {
            "when": timezone.localtime(health.since).strftime("%Y-%m-%d %H:%M")}))


def _beat(beats: dict[str, Heartbeat], name: str, label: str, now: dt.datetime) -> Check:
    beat = beats.get(name)
    if beat is None:
        return Check(label, False, str(_("Never seen.")))
    age = now - beat.at
    minutes = int(age.total_seconds() // 60)
    return Check(label, age <= STALE_AFTER[name],
                 str(_("Last seen %(minutes)s minutes ago (%(when)s).") % {
                     "minutes": minutes, "when": timezone.localtime(beat.at).strftime("%Y-%m-%d %H:%M")}))


def health_checks(organisation: Organisation) -> dict[str, Any]:
    now = timezone.now()
    ok, detail = broker_reachable()
    checks = [Check(str(_("Message broker")), ok, detail), cache_check()]
    with maintenance():  # platform tables: liveness and aggregates only
        beats = {beat.name: beat for beat in Heartbeat.objects.filter(name__in=list(STALE_AFTER))}
        backlog = OutboxMessage.objects.filter(published_at__isnull=True).aggregate(
            count=Count("id"), oldest=Min("created_at"))
        failures = list(TaskFailure.objects.filter(at__gte=now - dt.timedelta(days=1))
                        .values("task").annotate(count=Count("id")).order_by("-count")[:10])
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # The embedded default: no broker, so no worker or scheduler process; say what applies instead.
        checks += [
            Check(str(_("Worker")), True, str(_("Not used here: tasks run inside the web process as they are "
                                                "asked for.")), applies=False),
            Check(str(_("Scheduler (beat)")), True, str(_("Not part of this deployment: nothing runs on a "
                                                          "schedule, so daily reminders are not sent. Configure "
                                                          "a broker and start Celery beat to send them.")),
                  applies=False),
            _beat(beats, "reminder-scan", str(_("Daily reminder scan")), now) if "reminder-scan" in beats else
            Check(str(_("Daily reminder scan")), True, str(_("Not scheduled in this deployment.")), applies=False)]
    else:
        checks += [_beat(beats, "worker", str(_("Worker")), now),
                   _beat(beats, "beat", str(_("Scheduler (beat)")), now),
                   _beat(beats, "reminder-scan", str(_("Daily reminder scan")), now)]
    waiting = backlog["count"]
    oldest = backlog["oldest"]
    stuck = oldest is not None and now - oldest > dt.timedelta(minutes=5)
    checks.append(Check(str(_("Outbox")), not stuck, str(
        _("%(count)s messages waiting; the oldest since %(when)s.") % {
            "count": waiting, "when": timezone.localtime(oldest).strftime("%Y-%m-%d %H:%M")}
        if waiting else _("Nothing waiting."))))
    refused = DeliveryFailure.objects.for_organisation(organisation).count()
    return {"checks": checks, "failures": failures, "refused": refused, "eager": settings.CELERY_TASK_ALWAYS_EAGER}


@require_GET
@never_cache
@member_required(Role.ADMIN)
def health(request: OrgRequest, org: str) -> HttpResponse:
    context = health_checks(request.organisation)
    status = 200 if all(check.ok for check in context["checks"]) else 503
    return render(request, "notifications/health.html", context, status=status if request.GET.get("probe") else 200)


urlpatterns = [path("manage/health/", health, name="health")]

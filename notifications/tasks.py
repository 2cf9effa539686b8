"""Periodic work scheduled by beat (see CELERY_BEAT_SCHEDULE in config/settings.py)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from accounts.outbox import publish
from notifications.models import Heartbeat


def beat_record(name: str, **detail: object) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"at": timezone.now(), "detail": detail})


@shared_task
def outbox_relay() -> int:
    """Publish what the requests could not (the broker was down when they committed)."""
    count = 0
    while (sent := publish()) > 0:
        count += sent
    beat_record("outbox-relay", published=count)
    return count


@shared_task
def heartbeat(scheduled_at: str | None = None) -> None:
    """Run by a worker every minute at beat's request: shows both are alive."""
    beat_record("worker")
    if scheduled_at:
        Heartbeat.objects.update_or_create(name="beat", defaults={"at": dt.datetime.fromisoformat(scheduled_at)})

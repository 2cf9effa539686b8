"""The transactional outbox: `outbox_enqueue` inside a transaction, published after it commits.

Why: `task.delay()` inside a request either waits on the broker (slow when Redis is down) or loses the
work (when the call fails after the database committed). Writing the task to the database in the same
transaction as the change makes both atomic; publishing after commit fails fast when the broker is
unreachable, and the relay (a beat task, and `manage.py outbox_relay`) publishes whatever is left.
Tasks may therefore run more than once in rare crashes: every task that has an effect outside the
database guards itself (reminders claim their row; PDFs are rendered once).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from importlib import import_module
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import OutboxMessage

logger = logging.getLogger(__name__)


def outbox_enqueue(task: str, /, **kwargs: Any) -> OutboxMessage:
    """Record `task(**kwargs)` in the current transaction; it is published once the transaction commits."""
    message = OutboxMessage.objects.create(task=task, kwargs=kwargs)
    transaction.on_commit(lambda: publish([message.pk]), robust=True)
    return message


def outbox_enqueue_many(task: str, kwargs_list: list[dict[str, Any]], *, batch_size: int = 1000) -> list[int]:
    """`outbox_enqueue` for many messages at once: bulk insert, published in batches after commit."""
    if not kwargs_list:
        return []
    messages = OutboxMessage.objects.bulk_create([OutboxMessage(task=task, kwargs=kwargs) for kwargs in kwargs_list],
                                                 batch_size=batch_size)
    ids = [message.pk for message in messages]

    def publish_all() -> None:
        for start in range(0, len(ids), batch_size):
            batch = ids[start:start + batch_size]
            if publish(batch, limit=batch_size) < len(batch):
                return  # the broker is down: the relay publishes the rest

    transaction.on_commit(publish_all, robust=True)
    return ids


def publish(ids: Iterable[int] | None = None, *, limit: int = 500) -> int:
    """Hand pending messages to Celery (these ids, or the oldest pending ones); return how many went.

    Stops at the first broker failure: when the broker is down, every other attempt would fail too, and a
    request must not wait for that. Rows are locked with SKIP LOCKED so the relay and a request's
    after-commit publish never send the same message twice.
    """
    from celery import current_app as app  # the project's app (config/celery.py), without importing config

    published: list[int] = []
    with transaction.atomic():
        pending = OutboxMessage.objects.filter(published_at__isnull=True).order_by("created_at", "id")
        if ids is not None:
            pending = pending.filter(pk__in=list(ids))
        messages = list(pending.select_for_update(skip_locked=True)[:limit])
        if not messages:
            return 0
        try:
            # One broker connection and producer for the whole batch (not one acquired per message).
            with _producer(app) as producer:
                for message in messages:
                    task = _task(app, message.task)
                    try:
                        if task is None:
                            raise LookupError(f"unknown task {message.task}")
                        task.apply_async(kwargs=message.kwargs, retry=False, producer=producer)
                    except LookupError as error:
                        _failed(message, error)
                        continue
                    published.append(message.pk)
        except Exception as error:  # noqa: BLE001 - any broker error: keep the message for the relay
            unsent = next((message for message in messages if message.pk not in set(published)), messages[0])
            _failed(unsent, error)
            logger.warning("Outbox: broker unavailable, %s left for the relay: %s", unsent, error)
        # One UPDATE for the batch (thousands of reminders are published at once).
        OutboxMessage.objects.filter(pk__in=published).update(published_at=timezone.now(), attempts=F("attempts") + 1)
    return len(published)


def _producer(app: Any) -> contextlib.AbstractContextManager[Any]:
    """A producer from the app's pool on one broker connection; none when tasks run eagerly (in-process)."""
    if app.conf.task_always_eager:
        return contextlib.nullcontext(None)
    return app.producer_or_acquire()


def _task(app: Any, name: str) -> Any:
    """The registered task, importing its module first (Celery discovers tasks lazily)."""
    if name not in app.tasks:
        try:
            import_module(name.rsplit(".", 1)[0])
        except ImportError:
            return None
    return app.tasks.get(name)


def _failed(message: OutboxMessage, error: Exception) -> None:
    message.attempts += 1
    message.last_error = f"{type(error).__name__}: {error}"[:2000]
    message.save(update_fields=["attempts", "last_error"])


def backlog() -> int:
    return OutboxMessage.objects.filter(published_at__isnull=True).count()

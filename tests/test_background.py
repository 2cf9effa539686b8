"""Background work on the real broker: the outbox keeps work while Redis is unreachable, a real Celery
worker (Celery's embedded test worker, real Redis) runs it, refused addresses are recorded, and the
administrators' health page reports it all."""

from __future__ import annotations

import os
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse

from accounts.models import DeliveryFailure, Invitation, OutboxMessage
from accounts.tenancy import maintenance
from config.celery import app
from notifications.models import Heartbeat
from notifications.tasks import heartbeat, outbox_relay

DEAD_BROKER = "redis://127.0.0.1:1/0"


def use_broker(url: str) -> None:
    """Point the Celery app at another broker, dropping pooled connections to the old one."""
    from kombu import pools

    app.conf.broker_url = url
    app.pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()  # kombu's global producer pools would keep the closed connections


@pytest.fixture
def real_broker(settings) -> Iterator[str]:
    """Tasks go through Redis (not in-process) for this test; restored afterwards."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    original, options = app.conf.broker_url, app.conf.broker_transport_options
    # Parallel test processes share one Redis database: each keeps its queues under its own key prefix, so one
    # process's embedded worker never takes (or loses) another's tasks.
    prefix = f"test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}:"
    app.conf.broker_transport_options = {**(options or {}), "global_keyprefix": prefix}
    use_broker(settings.REDIS_URL)
    yield settings.REDIS_URL
    app.conf.broker_transport_options = options
    use_broker(original)


@pytest.fixture
def worker(real_broker) -> Iterator[object]:
    from celery.contrib.testing.worker import start_worker

    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=15) as running:
        yield running


def wait_for(condition, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_requests_answer_and_the_work_waits(client, real_broker, org_a, ada):
    use_broker(DEAD_BROKER)
    client.force_login(ada)
    started = time.monotonic()
    response = client.post(reverse("invitation_create", kwargs={"org": org_a.slug}),
                           {"email": "later@example.com", "role": "assessor"})
    elapsed = time.monotonic() - started
    assert response.status_code == 302
    assert elapsed < 5, f"the request waited {elapsed:.1f}s on the broker"
    with maintenance():
        assert Invitation.objects.filter(email="later@example.com").exists()
        waiting = OutboxMessage.objects.filter(published_at__isnull=True, task="accounts.tasks.send_email")
        assert waiting.count() == 1
        assert "Error" in waiting.get().last_error
    assert client.get(reverse("members", kwargs={"org": org_a.slug})).status_code == 200
    # The broker is back: the relay publishes, and the mail is delivered once.
    use_broker(real_broker)
    from celery.contrib.testing.worker import start_worker

    with start_worker(app, pool="threads", concurrency=1, perform_ping_check=False, shutdown_timeout=15):
        assert outbox_relay() == 1
        assert wait_for(lambda: len(mail.outbox) == 1)
        assert outbox_relay() == 0
        time.sleep(0.5)
    assert [m.to for m in mail.outbox] == [["later@example.com"]]


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_outbox_work(worker, org_a, ada):
    from accounts.services import email_enqueue

    with maintenance():
        email_enqueue(to="someone@example.com", subject="Hello", body="From the worker", organisation=org_a)
    assert wait_for(lambda: len(mail.outbox) == 1)
    assert mail.outbox[0].subject == "Hello"
    with maintenance():
        assert not OutboxMessage.objects.filter(published_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_heartbeats_reach_the_health_page(worker, client, org_a, ada):
    heartbeat.delay(scheduled_at="2026-11-22T06:00:00+00:00")
    assert wait_for(lambda: Heartbeat.objects.filter(name="worker").exists())
    client.force_login(ada)
    page = client.get(reverse("health", kwargs={"org": org_a.slug})).content.decode()
    assert "Message broker" in page
    assert "Reachable." in page
    assert "Last seen 0 minutes ago" in page


# --- a mail server that refuses one address for good ---------------------------------------------------

class RefusingSMTP(socketserver.StreamRequestHandler):
    """Just enough SMTP: RCPT TO for bounce@… answers 550, everything else is accepted."""

    def handle(self) -> None:
        self.wfile.write(b"220 test ESMTP\r\n")
        while line := self.rfile.readline():
            command = line.decode().strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.wfile.write(b"250 test\r\n")
            elif command.startswith("RCPT TO") and "BOUNCE@" in command:
                self.wfile.write(b"550 5.1.1 No such mailbox\r\n")
            elif command == "DATA":
                self.wfile.write(b"354 go on\r\n")
                while self.rfile.readline() not in (b".\r\n", b""):
                    pass
                self.wfile.write(b"250 queued\r\n")
            elif command == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server(settings) -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), RefusingSMTP)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                                    "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5}}}
    yield port
    server.shutdown()
    server.server_close()


@pytest.mark.django_db
def test_a_refused_address_is_recorded_once_not_retried_for_ever(smtp_server, client, org_a, ada,
                                                                django_capture_on_commit_callbacks):
    from accounts.services import email_enqueue

    with django_capture_on_commit_callbacks(execute=True):
        email_enqueue(to="bounce@example.com", subject="Reminder", body="…", organisation=org_a)
        email_enqueue(to="bounce@example.com", subject="Reminder again", body="…", organisation=org_a)
    failure = DeliveryFailure.objects.get(organisation=org_a, email="bounce@example.com")
    assert failure.count == 2
    assert "550" in failure.reason
    client.force_login(ada)
    page = client.get(reverse("health", kwargs={"org": org_a.slug})).content.decode()
    assert "1 address of your organisation was refused" in page


def test_health_page_is_for_administrators(client, db, org_a, alice):
    client.force_login(alice)
    assert client.get(reverse("health", kwargs={"org": org_a.slug})).status_code == 403


def test_database_is_postgres_for_these_tests(db):
    assert connection.vendor == "postgresql"

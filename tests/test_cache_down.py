"""Redis down must not mean "cannot log in": with the cache AND the broker unreachable every form still
answers — log-in (also a failed one), sign-up, password reset, TOTP, evidence upload, CSV import, the
dashboard — promptly and without a 5xx; the fallback is logged once and shown on the health page.

Two ways for Redis to be down: nothing listens on the port (connection refused at once), and a server that
accepts connections but never answers (only the client's timeouts end the wait).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlparse

import pytest
from allauth.mfa.totp.internal import auth as totp_auth
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts import cache as fallback_cache
from accounts.models import OutboxMessage
from accounts.tenancy import maintenance
from dossiers.models import Evidence
from portfolios.models import Activity
from tests import factories
from tests.test_background import DEAD_BROKER, real_broker, use_broker  # noqa: F401 - real_broker is a fixture

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
# A hang guard, not a performance target: a request must not wait on Redis for long (the client timeouts are
# a second or two, and after one failure the cache is not asked again for a while).
PROMPT = 5.0


@pytest.fixture
def silent_redis() -> Iterator[str]:
    """A port that accepts TCP connections (the kernel completes them) but never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    listener.close()


@pytest.fixture(params=["refused", "silent"])
def dead_cache(request, settings, real_broker) -> Iterator[str]:  # noqa: F811 - the imported fixture
    location = "redis://127.0.0.1:1/0" if request.param == "refused" else request.getfixturevalue("silent_redis")
    fallback_cache.forget_outages()
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": location}}
    use_broker(DEAD_BROKER)
    yield location
    fallback_cache.forget_outages()


def prompt(call: Callable[[], Any], what: str) -> Any:
    started = time.monotonic()
    response = call()
    elapsed = time.monotonic() - started
    assert response.status_code < 500, f"{what}: {response.status_code}\n{response.content.decode()[:2000]}"
    assert elapsed < PROMPT, f"{what} waited {elapsed:.1f}s"
    return response


@pytest.mark.django_db(transaction=True)
def test_every_form_works_with_cache_and_broker_unreachable(dead_cache, settings, tmp_path, caplog):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path),
                                                                               "base_url": None}}}
    org = factories.organisation(slug="acme", name="Acme Certification")
    alice = factories.member(org, "alice@example.com", "professional", first_name="Alice")
    bob = factories.member(org, "bob@example.com", "professional", first_name="Bob")
    ada = factories.member(org, "ada@example.com", "admin", first_name="Ada")
    factories.certification(org, alice, recertification_date=dt.date(2027, 6, 1), number="NL-1")
    activity = factories.activity(org, alice, "course", dt.date(2025, 3, 1), 8, title="Course")
    secret = totp_auth.generate_totp_secret()
    with maintenance():
        totp_auth.TOTP.activate(bob, secret)
    caplog.set_level(logging.WARNING, logger="accounts.cache")
    client = Client(raise_request_exception=False)

    prompt(lambda: client.get(reverse("account_login")), "log-in page")
    failed = prompt(lambda: client.post(reverse("account_login"), {"login": alice.email, "password": "wrong"}),
                    "failed log-in")
    assert failed.status_code == 200
    assert "The email address and/or password you specified are not correct." in failed.content.decode()
    signed_in = prompt(lambda: client.post(reverse("account_login"), {"login": alice.email,
                                                                       "password": factories.PASSWORD}), "log-in")
    assert signed_in.status_code == 302
    assert client.session.get("_auth_user_id") == str(alice.pk)
    dashboard = prompt(lambda: client.get(f"/{org.slug}/"), "dashboard")
    assert dashboard.status_code == 200
    uploaded = prompt(lambda: client.post(reverse("evidence_upload", kwargs={"org": org.slug}), {
        "activity": activity.pk, "file": SimpleUploadedFile("certificate.pdf", PDF, content_type="application/pdf"),
        "next": reverse("activity_edit", kwargs={"org": org.slug, "pk": activity.pk})},
        headers={"HX-Request": "true"}), "evidence upload")
    assert uploaded.status_code == 200
    with maintenance():
        assert Evidence.objects.filter(organisation=org, activity=activity).count() == 1
    prompt(lambda: client.post(reverse("account_logout")), "log-out")

    signed_up = prompt(lambda: client.post(reverse("account_signup"), {
        "email": "newbie@example.com", "password1": "a-long-new-password-1", "password2": "a-long-new-password-1",
        "first_name": "New", "last_name": "Bie"}), "sign-up")
    assert signed_up.status_code == 302
    assert signed_up["Location"] == reverse("account_email_verification_sent")
    reset = prompt(lambda: client.post(reverse("account_reset_password"), {"email": alice.email}), "password reset")
    assert reset.status_code == 302

    mfa_client = Client(raise_request_exception=False)
    first = prompt(lambda: mfa_client.post(reverse("account_login"), {"login": bob.email,
                                                                       "password": factories.PASSWORD}), "TOTP log-in")
    assert first["Location"] == reverse("mfa_authenticate")
    code = totp_auth.format_hotp_value(totp_auth.hotp_value(secret, next(totp_auth.yield_hotp_counters_from_time())))
    second = prompt(lambda: mfa_client.post(reverse("mfa_authenticate"), {"code": code}), "TOTP code")
    assert second.status_code == 302
    assert mfa_client.session.get("_auth_user_id") == str(bob.pk)

    admin = Client(raise_request_exception=False)
    admin.force_login(ada)
    imports = reverse("activity_import", kwargs={"org": org.slug})
    csv_text = ("email_or_certificate_number,type,date,quantity,title\n"
                "alice@example.com,course,2025-04-01,3,Imported course\n")
    checked = prompt(lambda: admin.post(imports, {"file": SimpleUploadedFile(
        "activities.csv", csv_text.encode(), content_type="text/csv")}), "CSV dry run")
    assert checked.status_code == 200
    token = checked.context["apply"].initial["token"]  # the checked file waits in the (fallback) cache
    applied = prompt(lambda: admin.post(imports, {"token": token}), "CSV import")
    assert applied.status_code in (200, 302), applied.content.decode()[:2000]
    with maintenance():
        assert Activity.objects.filter(organisation=org, title="Imported course").exists()

    health = prompt(lambda: admin.get(reverse("health", kwargs={"org": org.slug})), "health page")
    page = health.content.decode()
    assert "Cache" in page
    assert "Unreachable since" in page
    assert "rate limits are counted per process" in page

    with maintenance():  # the mail waits for the broker; nothing was lost
        assert OutboxMessage.objects.filter(published_at__isnull=True, task="accounts.tasks.send_email").count() >= 2
    outage_logs = [record for record in caplog.records if record.name == "accounts.cache"
                   and "unreachable" in record.getMessage()]
    assert len(outage_logs) == 1, [record.getMessage() for record in outage_logs]


class RedisProxy:
    """A TCP relay to the real Redis that can be cut and restored on the same port: Redis "goes away"."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self.listener: socket.socket | None = None
        self.open: list[socket.socket] = []
        self.up()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        if self.listener is not None:
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            self.listener.close()
            self.listener = None
        for connection in self.open:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        self.open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _address = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self.open += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


def test_the_shared_cache_is_used_again_when_redis_comes_back(settings, caplog):
    """During the outage the per-process cache answers; afterwards Redis again (what it held before is
    still there), and both changes are logged once."""
    real = urlparse(settings.CACHES["default"]["LOCATION"])
    proxy = RedisProxy((real.hostname, real.port or 6379))
    fallback_cache.forget_outages()
    caplog.set_level(logging.INFO, logger="accounts.cache")
    settings.CACHES = {"default": {**settings.CACHES["default"], "RETRY_AFTER": 0,
                                   "LOCATION": f"redis://127.0.0.1:{proxy.port}{real.path}"}}
    try:
        cache.set("probe", "shared")
        assert fallback_cache.cache_health().reachable is True
        proxy.down()
        cache.set("probe", "local")
        cache.set("other", 1)
        assert cache.get("probe") == "local"
        assert cache.incr("other") == 2
        health = fallback_cache.cache_health()
        assert (health.reachable, health.since is not None) == (False, True)
        proxy.up()
        assert cache.get("probe") == "shared"
        assert fallback_cache.cache_health().reachable is True
    finally:
        proxy.down()
        fallback_cache.forget_outages()
    messages = [record.getMessage() for record in caplog.records if record.name == "accounts.cache"]
    assert sum("unreachable" in message for message in messages) == 1, messages
    assert sum("reachable again" in message for message in messages) == 1, messages


def test_redis_client_timeouts_are_short(settings):
    """A Redis that accepts but never answers must not hold a request for long."""
    options = settings.CACHES["default"]["OPTIONS"]
    assert 0 < options["socket_connect_timeout"] <= 2
    assert 0 < options["socket_timeout"] <= 2


def test_while_redis_is_down_it_is_asked_once_per_interval_not_once_per_call(settings):
    """A server that hangs up on every connection: count how often the cache knocks."""
    knocks: list[int] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)

    def hang_up() -> None:
        while True:
            try:
                connection, _address = listener.accept()
            except OSError:
                return
            knocks.append(1)
            connection.close()

    threading.Thread(target=hang_up, daemon=True).start()
    fallback_cache.forget_outages()
    settings.CACHES = {"default": {**settings.CACHES["default"], "RETRY_AFTER": 3600,
                                   "LOCATION": f"redis://127.0.0.1:{listener.getsockname()[1]}/0"}}
    try:
        for number in range(50):
            cache.set(f"key-{number}", number)
        assert [cache.get(f"key-{number}") for number in range(50)] == list(range(50))
        assert cache.add("lock", True) is True
        assert cache.add("lock", True) is False
        assert len(knocks) == 1
        assert fallback_cache.cache_health(probe=True).reachable is False  # the health page asks anyway
        assert len(knocks) == 2
    finally:
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        fallback_cache.forget_outages()


def test_the_health_page_shows_a_reachable_cache(client, db, settings):
    fallback_cache.forget_outages()
    org = factories.organisation(slug="acme", name="Acme Certification")
    ada = factories.member(org, "ada@example.com", "admin", first_name="Ada")
    client.force_login(ada)
    page = client.get(reverse("health", kwargs={"org": org.slug})).content.decode()
    assert "Reachable: rate limits are shared by all web processes." in page
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                                   "LOCATION": "django_cache"}}
    assert "In the database (embedded default)." in client.get(
        reverse("health", kwargs={"org": org.slug})).content.decode()

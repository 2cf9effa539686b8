"""Shared fixtures: the cast, after healthchecks' tests.

Org A ("acme"): Alice (professional), Bob (assessor), Ada (administrator).
Org B ("bravo"): Charlie (professional and administrator) — the outsider who must get 404s in org A.

Test code itself is "maintenance code": it may set up rows in several organisations. Requests made
through the test client or the live server run with the real, strict tenant context (the middleware
resets both walls for the request), so views are tested under the ORM guard and PostgreSQL RLS.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection

from accounts import tenancy
from tests import factories

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _test_code_is_maintenance(request: pytest.FixtureRequest) -> Iterator[None]:
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames)
    token = tenancy._maintenance.set(True)
    try:
        if uses_db and "transactional_db" not in request.fixturenames and "live_server" not in request.fixturenames:
            request.getfixturevalue("db")
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config('app.maintenance', 'on', true)")
        yield
    finally:
        tenancy._maintenance.reset(token)


@pytest.fixture(autouse=True)
def _fresh_cache(request: pytest.FixtureRequest, settings: Any) -> None:
    """Rate limits live in the (real, Redis) cache: start every test with none used up.

    Each pytest-xdist worker gets its own key prefix and deletes only its own keys: a FLUSHDB (what
    `cache.clear()` does on Redis) would also wipe the other worker's rate limits and stashed files, and the
    broker's queues, which share the Redis database. The database cache (no REDIS_URL) can only be cleared
    by tests that use the database.
    """
    import redis
    from django.core.cache import cache

    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(request.fixturenames)
    backend = settings.CACHES["default"]
    if "redis" in backend["BACKEND"].lower():
        prefix = f"{backend.get('KEY_PREFIX', '')}-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
        settings.CACHES = {"default": {**backend, "KEY_PREFIX": prefix}}
        client = redis.Redis.from_url(backend["LOCATION"])
        try:
            keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
            if keys:
                client.delete(*keys)
        finally:
            client.close()
    elif uses_db:
        cache.clear()


@pytest.fixture(autouse=True)
def _fast_settings(settings: Any) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture
def org_a(db: None) -> factories.Organisation:
    return factories.organisation(slug="acme", name="Acme Certification")


@pytest.fixture
def org_b(db: None) -> factories.Organisation:
    return factories.organisation(slug="bravo", name="Bravo Body")


@pytest.fixture
def alice(org_a: factories.Organisation) -> factories.User:
    return factories.member(org_a, "alice@example.com", "professional", first_name="Alice")


@pytest.fixture
def bob(org_a: factories.Organisation) -> factories.User:
    return factories.member(org_a, "bob@example.com", "assessor", first_name="Bob")


@pytest.fixture
def ada(org_a: factories.Organisation) -> factories.User:
    return factories.member(org_a, "ada@example.com", "admin", first_name="Ada")


@pytest.fixture
def charlie(org_b: factories.Organisation) -> factories.User:
    return factories.member(org_b, "charlie@example.com", "professional", "admin", first_name="Charlie")


@pytest.fixture
def advice_source() -> Iterator[object]:
    """The certificates app's throwaway advice source (the review app's stand-in), for one test."""
    from tests.certificates_helpers import registered_advice_source

    yield from registered_advice_source()


# --- A real browser: Playwright driving Debian's Chromium (never a downloaded browser) ---------------------

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's package (apt-get install chromium).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium: Any, live_server: Any, settings: Any) -> Iterator[Callable[..., Any]]:
    """Factory: each call opens a page in a fresh context (its own cookies), like a second person.

    Links in e-mails point at the live server, and assertions wait as long as actions do.
    """
    from playwright.sync_api import expect

    settings.SITE_URL = live_server.url
    expect.set_options(timeout=15_000)
    contexts = []

    def make(**context_options: Any) -> Any:
        context = chromium.new_context(base_url=live_server.url, **context_options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()

"""The shared cache, and what happens while Redis cannot be reached.

What uses the cache (all through `django.core.cache.cache`):
- allauth's rate limits (log-in, failed log-ins, sign-up, password reset, e-mail confirmation, our
  address-notice mails), each guarded by a small lock made with `cache.add`;
- allauth's MFA: a TOTP code once used is remembered (`cache.add`) so it cannot be replayed;
- CSV imports: the checked file waits between the dry run and "Import" (`portfolios.csvio.stash`).
Not the cache: sessions (database), messages (session/cookie), parsed scheme definitions (a per-process
`functools` cache), the outbox (database).

Plain `RedisCache` raises `redis.ConnectionError` on every call while Redis is down, so signing in answered
500. Ignoring the error (as django-redis's IGNORE_EXCEPTIONS does) is not enough either: allauth's lock
would never be acquired and every rate-limited form would answer 429. `FallbackRedisCache` instead answers
from a per-process in-memory cache (`LocMemCache`) while Redis is unreachable, so everything keeps working;
what changes is that rate limits, used TOTP codes and stashed CSV files are per process until Redis is
back (with several web processes a limit is that many times looser, and an import whose two steps land on
different processes asks for the file again).

Failing fast: the client's connect and socket timeouts are short (settings), and after a failure this
process does not ask Redis again for `RETRY_AFTER` seconds (one request probes, the others use the
fallback), so a request waits on a dead Redis at most once per interval, never once per call. The outage
is logged when it starts and when it ends, not per call, and shown on the administrators' health page
(`cache_health`). Values written during the outage are dropped when Redis is back: Redis again holds the
truth (including what it held before).

Settings: `"BACKEND": "accounts.cache.FallbackRedisCache"`, `"LOCATION"` and `"OPTIONS"` as for Django's
`RedisCache`, and optionally `"RETRY_AFTER"` (seconds, default 30).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# "Cannot reach Redis", as opposed to a bug in how we call it (those still raise).
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
FALLBACK_MAX_ENTRIES = 10_000


@dataclass
class Outage:
    since: dt.datetime  # when it started, for people
    error: str  # the last error's class name
    next_try: float  # time.monotonic() after which one request asks Redis again


# Per process, keyed by location. Django gives each thread its own backend instance; the outage (and the
# fallback's storage, a LocMemCache keyed by name) belong to the process.
_outages: dict[str, Outage] = {}
_lock = threading.Lock()


def _label(location: str) -> str:
    """The location without credentials, for logs and the health page."""
    parts = urlsplit(location)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def forget_outages() -> None:
    """Start from "Redis reachable" in this process (tests)."""
    with _lock:
        _outages.clear()


class FallbackRedisCache(RedisCache):
    """Django's RedisCache, answering from a per-process memory cache while Redis is unreachable."""

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._location = server if isinstance(server, str) else ",".join(server)
        self._retry_after = float(params.get("RETRY_AFTER", 30))
        same_keys: dict[str, Any] = {name: params[name] for name in ("TIMEOUT", "KEY_PREFIX", "VERSION", "KEY_FUNCTION")
                     if name in params}
        self._fallback = LocMemCache(f"redis-fallback:{self._location}",
                                     {**same_keys, "OPTIONS": {"MAX_ENTRIES": FALLBACK_MAX_ENTRIES}})

    # --- the switch ---------------------------------------------------------------------------------

    def _use_redis(self) -> bool:
        """Whether this call goes to Redis: always while it is up; once per RETRY_AFTER while it is down."""
        outage = _outages.get(self._location)
        if outage is None:
            return True
        with _lock:
            now = time.monotonic()
            if now < outage.next_try:
                return False
            outage.next_try = now + self._retry_after  # this call probes; the others keep to the fallback
            return True

    def _went_down(self, error: Exception) -> None:
        with _lock:
            outage = _outages.get(self._location)
            if outage is not None:
                outage.error = type(error).__name__
                outage.next_try = time.monotonic() + self._retry_after
                return
            _outages[self._location] = Outage(since=timezone.now(), error=type(error).__name__,
                                              next_try=time.monotonic() + self._retry_after)
        logger.warning("Cache at %s unreachable (%s: %s): answering from a per-process memory cache; rate limits "
                       "are counted per process until it is back.", _label(self._location),
                       type(error).__name__, error)

    def _came_back(self) -> None:
        with _lock:
            outage = _outages.pop(self._location, None)
        if outage is not None:
            self._fallback.clear()  # Redis holds the truth again
            logger.warning("Cache at %s reachable again after %s; the shared cache is used again.",
                           _label(self._location), timezone.now() - outage.since)

    def _run(self, name: str, *args: Any) -> Any:
        if not self._use_redis():
            return getattr(self._fallback, name)(*args)
        try:
            result = getattr(RedisCache, name)(self, *args)
        except UNREACHABLE as error:
            self._went_down(error)
            return getattr(self._fallback, name)(*args)
        if self._location in _outages:
            self._came_back()
        return result

    def probe(self) -> bool:
        """Ask Redis now, whatever the retry interval says (the health page); True if it answered."""
        try:
            self._cache.get_client(write=False).ping()
        except UNREACHABLE as error:
            self._went_down(error)
            return False
        if self._location in _outages:
            self._came_back()
        return True

    # --- the cache API (everything else in BaseCache is built on these) -------------------------------

    def add(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._run("add", key, value, timeout, version)

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        return self._run("get", key, default, version)

    def set(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        self._run("set", key, value, timeout, version)

    def touch(self, key: str, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._run("touch", key, timeout, version)

    def delete(self, key: str, version: int | None = None) -> bool:
        return self._run("delete", key, version)

    def get_many(self, keys: Any, version: int | None = None) -> dict[str, Any]:
        return self._run("get_many", list(keys), version)

    def has_key(self, key: str, version: int | None = None) -> bool:
        return self._run("has_key", key, version)

    def incr(self, key: str, delta: int = 1, version: int | None = None) -> int:
        return self._run("incr", key, delta, version)

    def set_many(self, data: dict[str, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> list:
        return self._run("set_many", data, timeout, version)

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._run("delete_many", list(keys), version)

    def clear(self) -> Any:
        return self._run("clear")


@dataclass(frozen=True)
class CacheHealth:
    kind: str  # "redis", "database" or "memory"
    reachable: bool
    since: dt.datetime | None  # start of the outage
    location: str


def cache_health(alias: str = "default", *, probe: bool = False) -> CacheHealth:
    """What the cache is and whether it answers; `probe` asks Redis now instead of trusting the last call."""
    backend = caches[alias]
    if isinstance(backend, FallbackRedisCache):
        if probe:
            backend.probe()
        outage = _outages.get(backend._location)
        return CacheHealth("redis", outage is None, outage.since if outage else None, _label(backend._location))
    if isinstance(backend, DatabaseCache):
        return CacheHealth("database", True, None, str(backend._table))  # type: ignore[attr-defined]  # set by DatabaseCache.__init__, not in its stubs
    return CacheHealth("memory", True, None, "")

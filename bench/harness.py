"""The harness every page benchmark uses: the project served the way production serves it, loaded by `wrk`.

- **Server**: gunicorn, 2 sync workers, on PostgreSQL (DATABASE_URL, default the `recert_bench` database) as
  the application role under row-level security, with production settings (scripts/prodenv.py: DEBUG off, a
  secret key, an SMTP EMAIL_URL, ALLOWED_HOSTS, Redis cache, static files collected with the manifest
  storage and served by WhiteNoise). The only difference is the URLconf (bench/settings_bench.py):
  bench/urls_bench.py includes the project's `config.urls` unchanged and adds `/bench/trivial/`. gunicorn
  writes no access log here (the Dockerfile's writes one to stdout), which costs both URLs alike.
- **Baseline**: `/bench/trivial/` is a truly trivial signed-in view (`login_required`, returns "ok": no
  template, no tenancy lookups) behind the same middleware as every page. Each page is measured next to it
  in the same run, rounds alternating, so a busy machine slows both alike.
- **Load**: `wrk` (Debian: `apt-get install -y wrk`), a separate process, with a signed-in session cookie
  and the `X-Forwarded-Proto: https` header production's TLS proxy adds; bench/wrk_report.lua prints the
  rate and the latency percentiles. By default one connection per gunicorn worker (2), so a latency is one
  request's service time, not time spent queueing.

A page benchmark (bench/bench_dashboard.py is the example) calls `setup()` before anything touches Django,
creates its data, then `measure(pages, user=...)`. Figures end in `RESULT name=value unit` lines, which
bench/run_all collects.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

import prodenv  # noqa: E402

TRIVIAL_PATH = "/bench/trivial/"
LUA = Path(__file__).resolve().parent / "wrk_report.lua"
LOG_DIR = ROOT / "var" / "bench"
WORKERS = 2
# What production's TLS-terminating proxy adds (settings.SECURE_PROXY_SSL_HEADER); the session cookie is
# Secure, as in production, and sent here over loopback HTTP by the load generator like the proxy would.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=5.0, help="length of one measuring round per URL")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (the median is reported)")
    parser.add_argument("--connections", type=int, default=WORKERS, help="wrk connections (default: one per worker)")


@dataclass(frozen=True)
class Environment:
    env: dict[str, str]
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def setup() -> Environment:
    """Production settings for this process and the server (same secret key, so sessions made here are valid
    there); the database migrated; static files collected. Call before importing anything from Django."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed. On Debian/Ubuntu: apt-get install -y wrk (it generates the load from a "
                 "separate process; see README, Benchmarks).")
    port = prodenv.free_port()
    database_url = os.environ.get("DATABASE_URL", "postgres://recert_app@127.0.0.1:5432/recert_bench")
    env = prodenv.production_env(
        database_url=database_url, redis_url=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
        site_url=f"http://127.0.0.1:{port}", email_url="smtp://127.0.0.1:2525",  # nothing here sends mail
        media_root=LOG_DIR / "media", settings_module="bench.settings_bench")
    os.environ.clear()
    os.environ.update(env)
    LOG_DIR.mkdir(parents=True, exist_ok=True)

    from prepare_services import prepare_postgres

    prepare_postgres()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if prodenv.collect_static(env):
        print("(static files collected with the production storage into var/static)")
    return Environment(env=env, port=port)


def session_cookie(user: Any) -> str:
    """A `Cookie:` header value for a signed-in session of `user` (Django's own login, stored in the database
    like any session)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def queries_per_request(path: str, user: Any) -> int:
    """Statements one request of `path` sends to the database, counted in this process through the same
    middleware and settings (Django's test client, no network)."""
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", headers=PROXY_HEADERS)
    client.force_login(user)
    client.get(path)  # warm: first-request caches are not what we count
    executed: list[str] = []

    def count(execute, sql, params, many, context):  # noqa: ANN001, ANN202
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(executed)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def serve(environment: Environment) -> Iterator[str]:
    """gunicorn with production settings on a free loopback port, until the block ends; its base URL."""
    log = LOG_DIR / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--workers", str(WORKERS),
               "--worker-class", "sync", "--bind", f"127.0.0.1:{environment.port}", "--chdir", str(ROOT)]
    with log.open("w") as handle:
        process = subprocess.Popen(command, cwd=ROOT, env=environment.env, stdout=handle, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120  # a busy shared machine can take a while
        while True:
            if process.poll() is not None:
                raise SystemExit(f"gunicorn exited ({process.returncode}); its log:\n{_tail(log)}")
            try:
                with urllib.request.urlopen(environment.base_url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not answer /healthz within 120 s; its log:\n{_tail(log)}")
            time.sleep(0.2)
        yield environment.base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def check_page(url: str, cookie: str, expect: str) -> None:
    """One request as the load will make it: must answer 200 (not a redirect to the log-in) with `expect`."""
    request = urllib.request.Request(url, headers={"Cookie": cookie, **PROXY_HEADERS})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            status, body = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, body = error.code, ""
    if status != 200 or expect not in body:
        raise SystemExit(f"{url} answered {status} without {expect!r}: the benchmark would measure the wrong page")


@dataclass(frozen=True)
class Run:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def wrk(url: str, cookie: str, *, seconds: float, connections: int) -> Run:
    headers = [item for name, value in {"Cookie": cookie, **PROXY_HEADERS}.items()
               for item in ("-H", f"{name}: {value}")]
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
               "-s", str(LUA), *headers, url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next((line for line in output.splitlines() if line.startswith("WRK_JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no report:\n{output}")
    data = json.loads(line.removeprefix("WRK_JSON "))
    errors = sum(data[key] for key in ("connect", "read", "write", "status", "timeout"))
    return Run(requests=data["requests"], seconds=data["duration_us"] / 1e6, p50_ms=data["p50_us"] / 1000,
               p95_ms=data["p95_us"] / 1000, errors=errors)


@dataclass(frozen=True)
class Figures:
    rate: float
    p50_ms: float
    p95_ms: float
    requests: int
    errors: int


def _combine(runs: list[Run]) -> Figures:
    """The rate over all rounds together; the latency percentiles as the median of the rounds'."""
    return Figures(rate=sum(r.requests for r in runs) / sum(r.seconds for r in runs),
                   p50_ms=statistics.median(r.p50_ms for r in runs), p95_ms=statistics.median(r.p95_ms for r in runs),
                   requests=sum(r.requests for r in runs), errors=sum(r.errors for r in runs))


@dataclass(frozen=True)
class Page:
    name: str  # the figures' prefix in RESULT lines, e.g. "dashboard-500"
    label: str
    path: str
    expect: str  # text the page must contain (so a 200 error page is not measured)
    user: Any


def measure(environment: Environment, pages: list[Page], args: argparse.Namespace) -> None:
    """Serve, check every URL, warm up, then alternate rounds of wrk over the trivial view and each page;
    print a table and RESULT lines (rates, p50, p95 of each; each page's rate and p95 ratio to the trivial)."""
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {cores} cores ({usable} usable), load average {load:.2f} before the run; gunicorn "
          f"{WORKERS} sync workers, production settings, PostgreSQL; wrk 1 thread, {args.connections} connections, "
          f"{args.rounds} rounds of {args.seconds:g} s per URL")
    queries = {page.name: queries_per_request(page.path, page.user) for page in pages}
    trivial_user = pages[0].user
    cookies = {page.name: session_cookie(page.user) for page in pages}
    cookies["trivial"] = session_cookie(trivial_user)
    targets = [("trivial", TRIVIAL_PATH, "ok")] + [(page.name, page.path, page.expect) for page in pages]
    runs: dict[str, list[Run]] = {name: [] for name, _path, _expect in targets}
    with serve(environment) as base:
        for name, path, expect in targets:
            check_page(base + path, cookies[name], expect)
            wrk(base + path, cookies[name], seconds=2, connections=args.connections)  # warm both workers
        for round_number in range(args.rounds):
            order = targets if round_number % 2 == 0 else list(reversed(targets))
            for name, path, _expect in order:
                runs[name].append(wrk(base + path, cookies[name], seconds=args.seconds, connections=args.connections))
        for name, path, expect in targets:
            check_page(base + path, cookies[name], expect)
    figures = {name: _combine(found) for name, found in runs.items()}
    trivial = figures["trivial"]
    labels = {"trivial": f"trivial signed-in view ({TRIVIAL_PATH})"} | {page.name: page.label for page in pages}
    print(f"\n{'':52} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'requests':>9} {'queries':>8}")
    for name, found in figures.items():
        print(f"{labels[name]:52} {found.rate:8.1f} {found.p50_ms:8.2f} {found.p95_ms:8.2f} {found.requests:9} "
              f"{queries.get(name, ''):>8}" + (f"  ({found.errors} wrk errors!)" if found.errors else ""))
        print(f"{'':52} rounds: " + ", ".join(f"{run.rate:.0f}" for run in runs[name]) + " req/s")
    for page in pages:
        found = figures[page.name]
        print(f"{page.label}: {found.rate / trivial.rate:.0%} of the trivial view's rate, p95 "
              f"{found.p95_ms / trivial.p95_ms:.1f}x its p95")
    print()
    print(f"RESULT machine.cores={cores} cores")
    for page in pages:
        found = figures[page.name]
        print(f"RESULT {page.name}.rate={found.rate:.1f} req/s")
        print(f"RESULT {page.name}.p50={found.p50_ms:.2f} ms")
        print(f"RESULT {page.name}.p95={found.p95_ms:.2f} ms")
        print(f"RESULT {page.name}.trivial-rate={trivial.rate:.1f} req/s")
        print(f"RESULT {page.name}.trivial-p50={trivial.p50_ms:.2f} ms")
        print(f"RESULT {page.name}.trivial-p95={trivial.p95_ms:.2f} ms")
        print(f"RESULT {page.name}.rate-ratio={found.rate / trivial.rate:.3f} x")
        print(f"RESULT {page.name}.p95-ratio={found.p95_ms / trivial.p95_ms:.2f} x")
        print(f"RESULT {page.name}.queries={queries[page.name]} queries")
    if any(found.errors for found in figures.values()):
        raise SystemExit("wrk reported errors (see the table): the figures are not trustworthy")

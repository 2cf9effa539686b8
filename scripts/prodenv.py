"""Production settings for processes started on this machine: shared by the page benchmarks (bench/harness.py)
and the production-like smoke run (scripts/smoke).

Both start real processes (gunicorn, Celery) with the settings `docker-compose.yml` gives the containers:
DEBUG off, a secret key, a mail server, WhiteNoise serving static files collected by the manifest storage.
They differ from compose only in addresses (loopback ports, their own database and Redis db) and in
`DJANGO_SECURE_SSL_REDIRECT=false` (compose's default too: TLS ends at a proxy in front).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
# Collected once per change of the static sources or the locked dependencies (compressing them takes ~30 s).
STATIC_ROOT = ROOT / "var" / "static"
STATIC_STAMP = STATIC_ROOT / ".collected.sha256"
# Variables of the development and test environment that production never has.
NOT_IN_PRODUCTION = ("TESTING", "CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL", "STATICFILES_STORAGE",
                     "DJANGO_ALLOW_ASYNC_UNSAFE", "PYTEST_XDIST_WORKER")


def free_port() -> int:
    """A TCP port nobody listens on now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(*, database_url: str, redis_url: str, site_url: str, email_url: str, media_root: Path,
                   settings_module: str = "config.settings", secret_key: str | None = None) -> dict[str, str]:
    """The environment of a production process: this one's, less test switches, plus production settings."""
    env = {key: value for key, value in os.environ.items() if key not in NOT_IN_PRODUCTION}
    env.update({
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secret_key or secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "SITE_URL": site_url,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "EMAIL_URL": email_url,
        "MEDIA_ROOT": str(media_root),
        "STATIC_ROOT": str(STATIC_ROOT),
        "PYTHONUNBUFFERED": "1",
    })
    return env


def _static_sources_digest() -> str:
    """What the collected files depend on: our static/ folder and the installed packages (by the lock)."""
    digest = hashlib.sha256((ROOT / "requirements.lock").read_bytes())
    for path in sorted((ROOT / "static").rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def collect_static(env: dict[str, str]) -> bool:
    """`collectstatic` with the production storage (hashed names, compressed copies, the manifest WhiteNoise
    and `{% static %}` need) into var/static, unless that is already done for these sources. True if it ran."""
    want = _static_sources_digest()
    if (STATIC_ROOT / "staticfiles.json").exists() and STATIC_STAMP.exists() and STATIC_STAMP.read_text() == want:
        return False
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "--clear", "-v", "0"],
                   cwd=ROOT, env=env, check=True)
    STATIC_STAMP.write_text(want)
    return True


def database_url_named(url: str, name: str) -> str:
    """`url` pointing at database `name` (same server and role)."""
    return urlunparse(urlparse(url)._replace(path="/" + name))


def _admin_url(app_url: str) -> str:
    app = urlparse(app_url)
    return os.environ.get("PG_ADMIN_URL", f"postgresql://postgres@{app.hostname}:{app.port or 5432}/postgres")


def _migrations_digest() -> str:
    """What a migrated database depends on: our migration files and the locked third-party packages'."""
    digest = hashlib.sha256((ROOT / "requirements.lock").read_bytes())
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def database_template(database_url: str) -> str:
    """The name of a database migrated to the current migrations, `<name>_template`, made (with `migrate`) only
    when the migrations changed: copying it is ~1 s where migrating a fresh database takes ~10 s."""
    app = urlparse(database_url)
    role, name = app.username or "recert_app", app.path.lstrip("/") + "_template"
    want = _migrations_digest()
    with psycopg.connect(_admin_url(database_url), autocommit=True, connect_timeout=5) as conn:
        row = conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                           [name]).fetchone()
        if row is not None and row[0] == want:
            return name
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(role)))
    env = {**os.environ, "DATABASE_URL": database_url_named(database_url, name)}
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    with psycopg.connect(_admin_url(database_url), autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(want)))
    return name


def database_reset(database_url: str, *, template: str | None = None) -> None:
    """Drop and re-create the database of `database_url` (owned by its role; a copy of `template` if given),
    through the admin connection scripts/prepare_services.py uses. Only for databases of our own."""
    app = urlparse(database_url)
    role, name = app.username or "recert_app", app.path.lstrip("/")
    with psycopg.connect(_admin_url(database_url), autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        create = sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(role))
        if template:
            create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        conn.execute(create)

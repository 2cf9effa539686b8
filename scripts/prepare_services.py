"""Make sure the test suite's PostgreSQL role and Redis are there; explain clearly when they are not.

The application role must not be a superuser and must not have BYPASSRLS, otherwise PostgreSQL would
silently skip the row-level-security policies that the tests prove.
"""

import os
import sys
from urllib.parse import urlparse

import psycopg
import redis
from psycopg import sql


def fail(message: str) -> None:
    print(f"\n{message}\n", file=sys.stderr)
    sys.exit(2)


def prepare_postgres() -> None:
    app = urlparse(os.environ["DATABASE_URL"])
    role, database = app.username or "recert_app", app.path.lstrip("/") or "recert"
    admin_url = os.environ.get("PG_ADMIN_URL", f"postgresql://postgres@{app.hostname}:{app.port or 5432}/postgres")
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEDB NOSUPERUSER NOBYPASSRLS").format(
                    sql.Identifier(role)))
            if app.password:
                conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role),
                                                                       sql.Literal(app.password)))
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
                conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(database),
                                                                           sql.Identifier(role)))
    except psycopg.OperationalError as error:
        print(f"(could not use PG_ADMIN_URL to prepare the role: {str(error).strip()}; trying DATABASE_URL)")
    try:
        with psycopg.connect(os.environ["DATABASE_URL"], connect_timeout=5) as conn:
            row = conn.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user").fetchone()
            assert row is not None  # the current role is always in pg_roles
            superuser, bypass = row
    except psycopg.OperationalError as error:
        fail(f"PostgreSQL is not reachable at DATABASE_URL={os.environ['DATABASE_URL']}: {error}\n"
             "Start PostgreSQL, or point DATABASE_URL (and PG_ADMIN_URL) at one; see scripts/test.")
    if superuser or bypass:
        fail(f"The role {role!r} bypasses row-level security (superuser or BYPASSRLS); the tests need a "
             "plain role. Use another DATABASE_URL user.")


def prepare_redis() -> None:
    url = os.environ["REDIS_URL"]
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        fail(f"Redis is not reachable at REDIS_URL={url}: {error}\nStart Redis or set REDIS_URL.")


if __name__ == "__main__":
    prepare_postgres()
    prepare_redis()
    print("PostgreSQL and Redis are ready.")

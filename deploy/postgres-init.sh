#!/bin/sh
# First start of the database container: the application's own role. It owns its tables, is not a
# superuser and has no BYPASSRLS, so the row-level-security policies (FORCE) apply to it.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" <<SQL
CREATE ROLE recert_app LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '${POSTGRES_APP_PASSWORD}';
CREATE DATABASE recert OWNER recert_app;
SQL

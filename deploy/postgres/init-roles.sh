#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised (docker-entrypoint-initdb.d), as the
# image's superuser. Creates KAM's two roles and its database:
#   kam_owner  owns the schema, runs migrations (the "migrate" service only)
#   kam_app    what web, worker and beat connect as: owns nothing, no SUPERUSER, no BYPASSRLS,
#              so PostgreSQL's row-level security applies to every query it makes.
#   kam_search NOLOGIN, BYPASSRLS: owns only the account-search function (accounts migration 0007),
#              which returns the caller's current tenant's rows only; kam_app cannot become it.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-postgres}" \
     -v owner_pw="$KAM_OWNER_DB_PASSWORD" -v app_pw="$KAM_APP_DB_PASSWORD" <<'SQL'
CREATE ROLE kam_owner LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB PASSWORD :'owner_pw';
CREATE ROLE kam_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB PASSWORD :'app_pw';
CREATE ROLE kam_search NOLOGIN NOSUPERUSER BYPASSRLS NOCREATEROLE NOCREATEDB;
GRANT kam_search TO kam_owner;
-- The operator ends a stuck application session as the owner: pg_terminate_backend (README).
GRANT pg_signal_backend TO kam_owner;
CREATE DATABASE kam OWNER kam_owner;
SQL

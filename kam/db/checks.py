"""Start-up guard: the application's database role must not be able to bypass row-level security."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

log = logging.getLogger(__name__)

# Everything that lets a role see past the policies: superuser, BYPASSRLS, owning a table (owners
# bypass RLS unless it is FORCEd, and can switch it off), or being able to SET ROLE to such a role.
ROLE_POWERS_SQL = """
WITH powerful AS (
    SELECT r.oid, r.rolname,
           r.rolsuper, r.rolbypassrls,
           EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE c.relowner = r.oid AND c.relkind IN ('r', 'p')
                     AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                     AND n.nspname NOT LIKE 'pg_toast%') AS owns_tables
    FROM pg_roles r
)
SELECT p.rolname, p.rolsuper, p.rolbypassrls, p.owns_tables
FROM powerful p
WHERE (p.rolsuper OR p.rolbypassrls OR p.owns_tables)
  AND pg_has_role(current_user, p.oid, 'MEMBER')
ORDER BY p.rolname
"""


def role_powers(connection: Any) -> list[tuple[str, bool, bool, bool]]:
    """Roles the connection's user is or may become that can bypass RLS: (name, super, bypass, owns)."""
    with connection.connection.cursor() as cursor:  # the raw cursor: no tenant needed for catalogs
        cursor.execute(ROLE_POWERS_SQL)
        return list(cursor.fetchall())


def describe(powers: list[tuple[str, bool, bool, bool]]) -> str:
    parts = []
    for name, is_super, bypass, owns in powers:
        why = [w for w, flag in (("superuser", is_super), ("BYPASSRLS", bypass),
                                 ("owns tables", owns)) if flag]
        parts.append(f"{name} ({', '.join(why)})")
    return "; ".join(parts)


def assert_role_cannot_bypass_rls(connection: Any) -> None:
    powers = role_powers(connection)
    if not powers:
        return
    message = (
        f"KAM refuses to run: the database role {connection.settings_dict['USER']!r} can bypass "
        f"row-level security through {describe(powers)}. Connect the application as a role that owns "
        "no table and has neither SUPERUSER nor BYPASSRLS (DATABASE_URL), and run migrations as the "
        "owner role (DATABASE_OWNER_URL). For a throw-away development database only, "
        "KAM_ALLOW_RLS_BYPASS=1 starts anyway (ignored when KAM_ENV=production)."
    )
    if getattr(settings, "KAM_ALLOW_RLS_BYPASS", False):
        log.warning("%s — continuing because KAM_ALLOW_RLS_BYPASS is set.", message)
        return
    raise ImproperlyConfigured(message)


def check_now(alias: str = "default") -> None:
    """Connect once and run the guard (wsgi.py and the Celery worker call this at start)."""
    from django.db import connections

    connections[alias].ensure_connection()

"""What the application role may do, applied by the owner after every ``migrate``.

The application role gets SELECT/INSERT/UPDATE/DELETE on the tables and USAGE on the sequences,
never TRUNCATE (it ignores row-level security), never DDL (it owns nothing, and PostgreSQL 15+
gives it no CREATE on ``public``). Append-only tables (the audit trail) lose UPDATE and DELETE;
``django_migrations`` is read-only for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.db import connections

if TYPE_CHECKING:
    from kam.db.base import DatabaseWrapper


# Append-only tables written by a service rather than by audit triggers: the company's settings
# changes (kam.models.TenantSettingsChange; the tenant row is no tenant data, no trigger sees it).
EXPLICIT_AUDIT_TABLES = ("kam_tenantsettingschange",)


def append_only_tables() -> list[str]:
    try:
        from kam.audit import event_tables
    except ImportError:  # the audit trail is not installed yet
        return []
    return [*event_tables(), *EXPLICIT_AUDIT_TABLES]


def apply_grants(using: str = "default") -> None:
    connection: Any = connections[using]
    app_user = connection.app_user
    if app_user == connection.owner_user:
        return  # one role for everything: nothing to grant (and the start-up guard will object)
    qn = connection.ops.quote_name
    role = qn(app_user)
    statements = [
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        # Functions whose EXECUTE was revoked from PUBLIC (e.g. the SECURITY DEFINER search).
        f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {role}",
        f"REVOKE INSERT, UPDATE, DELETE ON django_migrations FROM {role}",
    ]
    statements += [f"REVOKE UPDATE, DELETE ON {qn(table)} FROM {role}"
                   for table in append_only_tables()]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def grant_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """post_migrate receiver (connected once, for the kam app): migrate runs as the owner.

    ``flush`` sends post_migrate too, as the application role: nothing to grant then."""
    if cast("DatabaseWrapper", connections[using]).is_owner:  # ENGINE is always kam.db
        apply_grants(using)

"""The ``kam.db`` backend: PostgreSQL with the tenant set, transaction-locally, on every statement."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db.backends.postgresql import base as pg
from django.db.backends.postgresql.creation import DatabaseCreation as PgCreation
from django.db.backends.postgresql.operations import DatabaseOperations as PgOperations
from psycopg2 import sql as pgsql
from psycopg2.extensions import TRANSACTION_STATUS_INERROR
from psycopg2.extensions import cursor as PgCursor

from kam import context
from kam.audit import context_sql as audit_context_sql

_NO_TENANT = "SELECT set_config('app.tenant_id', '', true), set_config('app.system_read', '', true);"
_SYSTEM_READ = ("SELECT set_config('app.tenant_id', '', true), "
                "set_config('app.system_read', 'on', true);")


def tenant_prefix() -> str:
    """The statement that makes the database see what ``kam.tenancy`` holds right now.

    A tenant wins over ``system_read``; with neither, the policies show nothing and refuse writes.
    The audit trail's actor (``kam.audit.context_sql``, '' when none) rides along the same way.
    """
    tenant = context.current_tenant.get()
    if tenant is not None:
        return (f"SELECT set_config('app.tenant_id', '{int(tenant.pk)}', true), "
                "set_config('app.system_read', '', true);" + audit_context_sql())
    return (_SYSTEM_READ if context.system_read.get() else _NO_TENANT) + audit_context_sql()


# Sent alone, without the set_config: statements PostgreSQL refuses inside a transaction block (a
# two-statement message is one), and transaction control (after an error only ROLLBACK [TO
# SAVEPOINT] is accepted, so nothing may run before it). None of them reads tenant rows.
_SEND_ALONE = re.compile(
    r"\s*(BEGIN|START\s+TRANSACTION|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE|PREPARE\s+TRANSACTION"
    r"|CREATE\s+DATABASE|DROP\s+DATABASE|ALTER\s+DATABASE|VACUUM|REINDEX|ALTER\s+SYSTEM"
    r"|(CREATE|DROP)\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY|(CREATE|DROP)\s+TABLESPACE)\b",
    re.IGNORECASE,
)


def _prepend(prefix: str, query: Any) -> Any:
    if isinstance(query, str) and _SEND_ALONE.match(query):
        return query
    if isinstance(query, bytes):
        return prefix.encode() + query
    if isinstance(query, pgsql.Composable):
        return pgsql.Composed([pgsql.SQL(prefix), query])
    return prefix + query


class TenantCursor(PgCursor):
    """A psycopg2 cursor whose every execution runs with the current tenant set.

    The ``set_config`` goes in the same simple-protocol message as the statement: inside a
    transaction it applies to that transaction; in autocommit mode PostgreSQL runs the two
    statements as one implicit transaction, so the setting still never outlives the statement.
    Server-side (named) cursors cannot carry a second statement in their ``DECLARE``: the setting
    is sent just before, in an explicit transaction when the connection is in autocommit mode.
    """

    def execute(self, query: Any, vars: Any = None) -> None:
        if self.connection.get_transaction_status() == TRANSACTION_STATUS_INERROR:
            return super().execute(query, vars)  # only a rollback can follow: it needs no tenant
        prefix = tenant_prefix()
        if self.name is None:
            return super().execute(_prepend(prefix, query), vars)
        plain = PgCursor(self.connection)
        if not self.connection.autocommit:
            plain.execute(prefix)
            return super().execute(query, vars)
        # Autocommit + named cursor = Django's WITH HOLD cursor: declare it in a transaction that
        # carries the tenant; PostgreSQL materialises a held cursor when that transaction commits.
        plain.execute("BEGIN; " + prefix)
        try:
            super().execute(query, vars)
        except BaseException:
            plain.execute("ROLLBACK")
            raise
        plain.execute("COMMIT")
        return None

    def executemany(self, query: Any, vars_list: Any) -> None:
        return super().executemany(_prepend(tenant_prefix(), query), vars_list)

    def copy_expert(self, sql: Any, file: Any, size: int = 8192) -> None:
        if self.connection.autocommit:
            raise RuntimeError("COPY needs a transaction to carry the tenant; wrap it in atomic()")
        PgCursor(self.connection).execute(tenant_prefix())
        return super().copy_expert(sql, file, size)


class DatabaseCreation(PgCreation):
    """Test databases are created, migrated and dropped by the owner role."""

    connection: DatabaseWrapper

    def create_test_db(self, *args: Any, **kwargs: Any) -> str:
        with self.connection.as_owner():
            return super().create_test_db(*args, **kwargs)

    def destroy_test_db(self, *args: Any, **kwargs: Any) -> None:
        with self.connection.as_owner():
            return super().destroy_test_db(*args, **kwargs)


class DatabaseOperations(PgOperations):
    connection: DatabaseWrapper

    def execute_sql_flush(self, sql_list: Iterable[str]) -> None:
        # TRUNCATE (tests' flush) is the owner's: the application role has no TRUNCATE privilege.
        with self.connection.as_owner():
            return super().execute_sql_flush(sql_list)


# Which of settings.KAM_DB_SESSION this process's application sessions get: "web" unless the
# process is a Celery worker (kam.celery sets "worker" before its first connection).
_session_kind = "web"


def set_session_kind(kind: str) -> None:
    """Give this process's next connections the session limits of ``kind`` (settings)."""
    global _session_kind
    from django.conf import settings

    if kind not in settings.KAM_DB_SESSION:
        raise ValueError(f"unknown session kind {kind!r}; known: {sorted(settings.KAM_DB_SESSION)}")
    _session_kind = kind


def session_options(kind: str | None = None) -> str:
    """libpq ``options`` that set the session limits of ``kind`` (default: this process's)."""
    from django.conf import settings

    limits = settings.KAM_DB_SESSION.get(kind or _session_kind, {})
    return " ".join(f"-c {name}={value}" for name, value in limits.items())


_checked_roles: set[tuple[str, str]] = set()
_checked_lock = threading.Lock()


class DatabaseWrapper(pg.DatabaseWrapper):
    creation_class = DatabaseCreation
    ops_class = DatabaseOperations

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._owner_depth = 0

    # --- the owner role -----------------------------------------------------------------------

    @property
    def owner_user(self) -> str:
        return self.settings_dict.get("OWNER_USER") or self.settings_dict["USER"]

    @property
    def app_user(self) -> str:
        return self.settings_dict.get("APP_USER") or self.settings_dict["USER"]

    @property
    def is_owner(self) -> bool:
        return self._owner_depth > 0 or self.owner_user == self.app_user

    @contextmanager
    def as_owner(self) -> Iterator[None]:
        """Reconnect as the owner role for the block (migrations, test DB set-up, flush)."""
        if self._owner_depth or self.owner_user == self.app_user:
            self._owner_depth += 1
            try:
                yield
            finally:
                self._owner_depth -= 1
            return
        if self.in_atomic_block:
            raise RuntimeError("Cannot switch to the owner role inside a transaction")
        self.close()
        saved = self.settings_dict["USER"], self.settings_dict.get("PASSWORD", "")
        self.settings_dict["USER"] = self.owner_user
        self.settings_dict["PASSWORD"] = self.settings_dict.get("OWNER_PASSWORD", "")
        self._owner_depth = 1
        try:
            yield
        finally:
            self.close()
            self._owner_depth = 0
            self.settings_dict["USER"], self.settings_dict["PASSWORD"] = saved

    # --- connections --------------------------------------------------------------------------

    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        params["cursor_factory"] = TenantCursor
        if not self._owner_depth and self.settings_dict["USER"] == self.app_user:
            params["options"] = " ".join(filter(None, [params.get("options"), session_options()]))
        return params

    def init_connection_state(self) -> None:
        super().init_connection_state()
        if self._owner_depth or self.settings_dict["USER"] != self.app_user:
            return  # connected as the owner on purpose (migrate, test-database set-up, flush)
        key = (self.settings_dict.get("NAME") or "", self.settings_dict["USER"])
        if key in _checked_roles:
            return
        from kam.db.checks import assert_role_cannot_bypass_rls

        try:
            assert_role_cannot_bypass_rls(self)
        except Exception:
            # Leave no half-checked connection behind for the next query to reuse.
            self.connection.close()
            self.connection = None
            raise
        with _checked_lock:
            _checked_roles.add(key)

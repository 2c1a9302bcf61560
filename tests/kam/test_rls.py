"""Tenant isolation in the database itself: row-level security, the roles, composite keys.

These tests talk SQL to PostgreSQL as the application role, bypassing the ORM's tenant filter, and
show that the database alone refuses another tenant's rows."""

from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.utils import DatabaseError, IntegrityError, ProgrammingError
from psycopg2.extensions import cursor as PlainCursor

from accounts.models import Account, Contact
from kam import context
from kam.db.checks import role_powers
from kam.tenancy import TenantOwned, tenant_context
from tests.factories import make_account

BASE_DIR = Path(settings.BASE_DIR)


@pytest.fixture
def no_system_read():
    """See the database exactly as the application does (no tests-only cross-tenant read)."""
    token = context.system_read.set(None)
    yield
    context.system_read.reset(token)


@pytest.fixture
def two_tenants(tenant_a, tenant_b):
    a = make_account(tenant_a, "Alpha A")
    b = make_account(tenant_b, "Beta B")
    with tenant_context(tenant_b):
        Contact.objects.create(account=b, name="Bo", level="business")
    return a, b


def tenant_tables() -> list[str]:
    """Every table with a tenant_id column, from the catalog (not from our own model list)."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT c.relname FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE a.attname = 'tenant_id' AND NOT a.attisdropped AND c.relkind IN ('r', 'p')
              AND n.nspname = 'public' ORDER BY c.relname""")
        return [row[0] for row in cursor.fetchall()]


def raw(sql: str, params: list | None = None, tenant_id: int | None = None) -> PlainCursor:
    """A plain psycopg2 cursor on the app's connection: no kam.db prefix, only what we send."""
    connection.ensure_connection()
    cursor = PlainCursor(connection.connection)
    cursor.execute("SELECT set_config('app.tenant_id', %s, true), "
                   "set_config('app.system_read', '', true)",
                   ["" if tenant_id is None else str(tenant_id)])
    cursor.execute(sql, params)
    return cursor


@contextmanager
def fails_with(pattern: str):
    """Expect a raw statement to fail, keeping the test's transaction usable (a savepoint)."""
    connection.ensure_connection()
    PlainCursor(connection.connection).execute("SAVEPOINT raw_sql")
    with pytest.raises(psycopg2.Error, match=pattern):
        yield
    PlainCursor(connection.connection).execute("ROLLBACK TO SAVEPOINT raw_sql")


# --- the roles ----------------------------------------------------------------------------------


def test_the_application_role_cannot_bypass_row_level_security(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper, rolbypassrls FROM pg_roles "
                       "WHERE rolname = current_user")
        user, is_super, bypass = cursor.fetchone()
    assert user == settings.DATABASES["default"]["APP_USER"]
    assert user != settings.DATABASES["default"]["OWNER_USER"]
    assert (is_super, bypass) == (False, False)
    assert role_powers(connection) == []  # owns no table, cannot SET ROLE to one that does


def test_the_owner_role_owns_every_table(db):
    owner = settings.DATABASES["default"]["OWNER_USER"]
    with connection.cursor() as cursor:
        cursor.execute("""SELECT c.relname, pg_get_userbyid(c.relowner) FROM pg_class c
                          JOIN pg_namespace n ON n.oid = c.relnamespace
                          WHERE n.nspname = 'public' AND c.relkind = 'r'""")
        owners = dict(cursor.fetchall())
    assert owners and set(owners.values()) == {owner}, owners


def test_the_application_role_cannot_truncate_or_change_the_schema(db):
    for statement in ("TRUNCATE accounts_account CASCADE",
                      "ALTER TABLE accounts_account DISABLE ROW LEVEL SECURITY",
                      "DROP POLICY tenant_isolation ON accounts_account",
                      "CREATE TABLE sneaky (id int)"):
        with pytest.raises(ProgrammingError, match=r"permission denied|must be owner"), \
                transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement)


# --- every tenant table is under RLS ------------------------------------------------------------


def test_every_tenant_table_has_forced_rls_and_fail_closed_policies(db):
    tables = tenant_tables()
    model_tables = {m._meta.db_table for m in apps.get_models() if issubclass(m, TenantOwned)}
    assert model_tables <= set(tables)
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
                       "WHERE relname = ANY(%s)", [tables])
        flags = {name: (enabled, forced) for name, enabled, forced in cursor.fetchall()}
        cursor.execute("SELECT tablename, policyname, cmd, qual, with_check FROM pg_policies "
                       "WHERE tablename = ANY(%s)", [tables])
        policies: dict[str, dict[str, tuple]] = {}
        for table, name, cmd, qual, check in cursor.fetchall():
            policies.setdefault(table, {})[name] = (cmd, qual, check)
    for table in tables:
        assert flags[table] == (True, True), f"{table}: RLS must be enabled and forced"
        isolation = policies[table]["tenant_isolation"]
        assert isolation[0] == "ALL"
        # Once per statement: the call is a subquery (an init plan), not evaluated row by row.
        once = "( SELECT kam_current_tenant() AS kam_current_tenant)"
        assert once in isolation[1] and once in isolation[2], (table, isolation)
        assert policies[table]["system_read"][:2] == (
            "SELECT", "( SELECT kam_system_read() AS kam_system_read)")
        assert set(policies[table]) == {"tenant_isolation", "system_read", "system_read_no_update"}
    # The count goes into the issue note.
    print(f"\n{len(tables)} tables under row-level security: {', '.join(tables)}")


# --- raw SQL as the application role ------------------------------------------------------------


def test_raw_select_with_tenant_a_set_sees_none_of_tenant_b(two_tenants, tenant_a, tenant_b):
    a, b = two_tenants
    for table in tenant_tables():
        cursor = raw(f'SELECT count(*) FROM "{table}" WHERE tenant_id <> %s',  # noqa: S608
                     [tenant_a.pk], tenant_id=tenant_a.pk)
        assert cursor.fetchone()[0] == 0, table
    assert raw("SELECT id FROM accounts_account", tenant_id=tenant_a.pk).fetchall() == [(a.pk,)]
    assert raw("SELECT id FROM accounts_account WHERE id = %s", [b.pk],
               tenant_id=tenant_a.pk).fetchall() == []


def test_raw_update_and_delete_of_tenant_b_touch_nothing(two_tenants, tenant_a):
    _a, b = two_tenants
    assert raw("UPDATE accounts_account SET name = 'pwned' WHERE id = %s", [b.pk],
               tenant_id=tenant_a.pk).rowcount == 0
    assert raw("UPDATE accounts_account SET name = 'pwned'", tenant_id=tenant_a.pk).rowcount == 1
    assert raw("DELETE FROM accounts_contact", tenant_id=tenant_a.pk).rowcount == 0
    assert raw("DELETE FROM accounts_account WHERE id = %s", [b.pk],
               tenant_id=tenant_a.pk).rowcount == 0
    # tenant B, seen through its own tenant: untouched
    assert raw("SELECT name FROM accounts_account WHERE id = %s", [b.pk],
               tenant_id=b.tenant_id).fetchone() == ("Beta B",)
    assert raw("SELECT count(*) FROM accounts_contact", tenant_id=b.tenant_id).fetchone() == (1,)


def test_raw_insert_with_tenant_b_id_fails(two_tenants, tenant_a, tenant_b):
    a, _b = two_tenants
    columns = [c.column for c in Account._meta.concrete_fields if c.column not in ("id", "tenant_id")]
    listed = ", ".join(f'"{c}"' for c in columns)
    copy_of_a = (f"INSERT INTO accounts_account (tenant_id, {listed}) "  # noqa: S608
                 f"SELECT %s, {listed} FROM accounts_account WHERE id = %s")
    with fails_with("row-level security"):
        raw(copy_of_a, [tenant_b.pk, a.pk], tenant_id=tenant_a.pk)
    # the same statement with tenant A's own id goes in (the test above is not vacuous)
    assert raw(copy_of_a, [tenant_a.pk, a.pk], tenant_id=tenant_a.pk).rowcount == 1


def test_raw_update_cannot_move_a_row_to_tenant_b(two_tenants, tenant_a, tenant_b):
    a, _b = two_tenants
    with fails_with("row-level security"):
        raw("UPDATE accounts_account SET tenant_id = %s WHERE id = %s", [tenant_b.pk, a.pk],
            tenant_id=tenant_a.pk)


def test_with_no_tenant_set_nothing_is_visible_or_writable(two_tenants, no_system_read):
    for table in tenant_tables():
        assert raw(f'SELECT count(*) FROM "{table}"').fetchone()[0] == 0, table  # noqa: S608
    assert raw("UPDATE accounts_account SET name = 'x'").rowcount == 0
    assert raw("DELETE FROM accounts_account").rowcount == 0


def test_the_orm_without_a_tenant_sees_nothing_even_through_the_unscoped_manager(
        two_tenants, no_system_read):
    assert Account.unscoped_all_tenants.count() == 0
    assert list(Account.unscoped_all_tenants.values_list("name", flat=True)) == []


def test_system_read_reads_every_tenant_but_cannot_write(two_tenants):
    # conftest's inspect_all_tenants is the named system path: reads yes, writes no.
    assert Account.unscoped_all_tenants.count() == 2
    with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
        Account.unscoped_all_tenants.update(name="x")
    assert Account.unscoped_all_tenants.filter(name="x").count() == 0
    assert Account.unscoped_all_tenants.all().delete()[0] == 0


def test_inside_a_tenant_the_system_path_is_ignored(two_tenants, tenant_a):
    with tenant_context(tenant_a):
        assert Account.unscoped_all_tenants.count() == 1


def test_server_side_cursors_carry_the_tenant_in_and_out_of_transactions(transactional_db,
                                                                          tenant_a, tenant_b):
    for i in range(3):
        make_account(tenant_a, f"A{i}")
    make_account(tenant_b, "B0")
    with tenant_context(tenant_a):
        # autocommit: Django declares a WITH HOLD cursor
        assert sorted(Account.objects.values_list("name", flat=True).iterator(chunk_size=2)) == [
            "A0", "A1", "A2"]
        assert Account.unscoped_all_tenants.iterator(chunk_size=2).__next__().tenant_id == tenant_a.pk
        with transaction.atomic():
            assert len(list(Account.unscoped_all_tenants.iterator(chunk_size=2))) == 3


def test_the_setting_never_outlives_its_transaction(transactional_db, tenant_a):
    make_account(tenant_a, "A")
    with tenant_context(tenant_a):
        assert Account.objects.count() == 1  # autocommit: one implicit transaction
        with transaction.atomic():
            Account.objects.count()
    # The same (pooled) connection, next transaction, nothing sent: nothing is set.
    cursor = PlainCursor(connection.connection)
    cursor.execute("SELECT coalesce(current_setting('app.tenant_id', true), '')")
    assert cursor.fetchone() == ("",)
    cursor.execute("SELECT count(*) FROM accounts_account")
    assert cursor.fetchone() == (0,)


# --- composite foreign keys ---------------------------------------------------------------------


def test_every_foreign_key_between_tenant_tables_is_composite(db):
    expected = set()
    for model in apps.get_models():
        if not issubclass(model, TenantOwned):
            continue
        for field in model._meta.fields:
            if (field.is_relation and field.name != "tenant"
                    and issubclass(field.related_model, TenantOwned)):
                expected.add((model._meta.db_table, field.column, field.related_model._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT c.conrelid::regclass::text, c.confrelid::regclass::text,
                   array(SELECT attname FROM unnest(c.conkey) k
                         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k)
            FROM pg_constraint c WHERE c.contype = 'f' AND array_length(c.conkey, 1) = 2""")
        composite = {(table, next(col for col in cols if col != "tenant_id"), target)
                     for table, target, cols in cursor.fetchall() if "tenant_id" in cols}
    assert expected and expected <= composite, expected - composite


def test_a_child_cannot_point_at_another_tenants_parent(two_tenants, tenant_a):
    _a, b = two_tenants
    # RLS lets the row in (its tenant is A); the composite key refuses B's account.
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with tenant_context(tenant_a):
            Contact.objects.create(account_id=b.pk, name="Spy", level="business")


# --- start-up refusal ---------------------------------------------------------------------------


def _check_as(user: str, **env: str) -> subprocess.CompletedProcess[str]:
    from tests.kam.test_deploy import clean_env

    db = settings.DATABASES["default"]
    from urllib.parse import quote

    url = f"postgres://{quote(user, safe='')}@{quote(str(db['HOST']), safe='')}/{db['NAME']}"
    code = ("import django; django.setup(); from kam.db.checks import check_now; check_now(); "
            "print('started')")
    return subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, capture_output=True,  # noqa: S603
                          text=True, timeout=120,
                          env=clean_env(DATABASE_URL=url, **env))


@pytest.mark.skipif(bool(__import__("os").environ.get("DATABASE_URL")),
                    reason="needs the embedded server's trust authentication to try other roles")
@pytest.mark.parametrize("user", ["postgres", "kam_owner"])
def test_the_application_refuses_a_role_that_could_bypass_rls(db, user):
    refused = _check_as(user)
    assert refused.returncode != 0
    assert "refuses to run" in refused.stderr and user in refused.stderr
    allowed = _check_as(user, KAM_ALLOW_RLS_BYPASS="1")
    assert allowed.returncode == 0, allowed.stderr
    assert "started" in allowed.stdout
    production = _check_as(user, KAM_ALLOW_RLS_BYPASS="1", KAM_ENV="production",
                           DJANGO_SECRET_KEY="s" * 64, DJANGO_ALLOWED_HOSTS="x",
                           REDIS_URL=settings.REDIS_URL, EMAIL_URL="smtp://mail.invalid:25")
    assert production.returncode != 0 and "refuses to run" in production.stderr


@pytest.mark.skipif(bool(__import__("os").environ.get("DATABASE_URL")),
                    reason="needs the embedded server's trust authentication to try other roles")
def test_the_application_role_starts(db):
    started = _check_as(settings.DATABASES["default"]["APP_USER"])
    assert started.returncode == 0, started.stderr

"""The database's keys are those a distributed PostgreSQL accepts (Citus, distributed by
tenant_id): read from the catalog, so a tenant table added later that breaks them fails here.

Rules, for every table with a ``tenant_id`` column (a tenant table; the others — tenants, users,
sessions, Django's own — are reference tables):

* its primary key includes ``tenant_id``;
* every unique constraint and unique index includes ``tenant_id``;
* every foreign key to another tenant table is composite: ``tenant_id`` → ``tenant_id``;
* no reference table has a foreign key to a tenant table (Citus refuses those too).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

CATALOG_SQL = """
WITH tenant_tables AS (
    SELECT c.oid FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
     WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
)
SELECT c.relname,
       c.oid IN (SELECT oid FROM tenant_tables) AS is_tenant,
       k.kind, k.name,
       k.columns, k.ref_table, k.ref_columns,
       k.ref_oid IN (SELECT oid FROM tenant_tables) AS ref_is_tenant
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN LATERAL (
      -- primary keys, unique and foreign-key constraints
      SELECT con.contype::text AS kind, con.conname::text AS name,
             ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY u(n, i)
                     JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = u.n
                    ORDER BY u.i) AS columns,
             con.confrelid::regclass::text AS ref_table, con.confrelid AS ref_oid,
             ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY u(n, i)
                     JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = u.n
                    ORDER BY u.i) AS ref_columns
        FROM pg_constraint con
       WHERE con.conrelid = c.oid AND con.contype IN ('p', 'u', 'f')
      UNION ALL
      -- unique indexes that are no constraint (partial ones: UniqueConstraint with a condition)
      SELECT 'i', ic.relname::text,
             ARRAY(SELECT a.attname::text FROM unnest(ix.indkey) WITH ORDINALITY u(n, i)
                     JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = u.n
                    ORDER BY u.i),
             NULL, NULL, NULL
        FROM pg_index ix JOIN pg_class ic ON ic.oid = ix.indexrelid
       WHERE ix.indrelid = c.oid AND ix.indisunique
         AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = ix.indexrelid)
  ) k ON true
 WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
 ORDER BY c.relname, k.kind, k.name
"""


@dataclass(frozen=True)
class Key:
    table: str
    is_tenant: bool
    kind: str  # p (primary key), u (unique), i (unique index), f (foreign key)
    name: str
    columns: tuple[str, ...]
    ref_table: str | None = None
    ref_columns: tuple[str, ...] = ()
    ref_is_tenant: bool = False


def catalog() -> list[Key]:
    with connection.cursor() as cursor:
        cursor.execute(CATALOG_SQL)
        return [Key(table, is_tenant, kind, name, tuple(columns), ref_table,
                    tuple(ref_columns or ()), bool(ref_is_tenant))
                for table, is_tenant, kind, name, columns, ref_table, ref_columns, ref_is_tenant
                in cursor.fetchall()]


def problems(keys: list[Key]) -> list[str]:
    found = []
    tenant_tables = {k.table for k in keys if k.is_tenant}
    with_pk = {k.table for k in keys if k.kind == "p"}
    for table in sorted(tenant_tables - with_pk):
        found.append(f"{table}: a tenant table without a primary key")
    for k in keys:
        if not k.is_tenant:
            if k.kind == "f" and k.ref_is_tenant:
                found.append(f"{k.table}.{k.name}: a reference table's foreign key to the tenant "
                             f"table {k.ref_table}")
            continue
        if k.kind in ("p", "u", "i") and "tenant_id" not in k.columns:
            what = {"p": "primary key", "u": "unique constraint", "i": "unique index"}[k.kind]
            found.append(f"{k.table}.{k.name}: {what} ({', '.join(k.columns)}) without tenant_id")
        if k.kind == "f" and k.ref_is_tenant:
            pairs = dict(zip(k.columns, k.ref_columns, strict=True))
            if pairs.get("tenant_id") != "tenant_id":
                found.append(f"{k.table}.{k.name}: foreign key ({', '.join(k.columns)}) → "
                             f"{k.ref_table} ({', '.join(k.ref_columns)}) without tenant_id")
    return found


def test_every_tenant_table_is_keyed_by_its_tenant():
    keys = catalog()
    assert not problems(keys), "\n".join(problems(keys))
    tenant_tables = {k.table for k in keys if k.is_tenant}
    # The tables of today, as a floor: a table dropped by mistake from the check would show.
    assert {"accounts_account", "accounts_contact", "accounts_transaction", "accounts_tierchange",
            "accounts_accountevent", "kam_membership", "kam_jobrun"} <= tenant_tables
    pks = {k.table: k.columns for k in keys if k.kind == "p"}
    assert pks["accounts_account"] == ("tenant_id", "id")
    assert pks["accounts_accountfigures"] == ("tenant_id", "account_id")
    assert pks["accounts_accountevent"] == ("tenant_id", "pgh_id")
    assert pks["kam_tenant"] == ("id",)  # a reference table
    composite = [k for k in keys if k.kind == "f" and k.ref_is_tenant]
    assert len(composite) >= 18


def test_the_check_finds_each_kind_of_mistake():
    t, r = "accounts_new", "kam_tenant"
    bad = [
        Key(t, True, "p", "new_pkey", ("id",)),
        Key(t, True, "u", "new_code_uniq", ("code",)),
        Key(t, True, "i", "new_partial_uniq", ("external_id",)),
        Key(t, True, "f", "new_account_fk", ("account_id",), "accounts_account", ("id",), True),
        Key(t, True, "f", "new_tenant_fk", ("tenant_id",), r, ("id",), False),  # fine
        Key("kam_other", False, "f", "other_fk", ("account_id",), "accounts_account",
            ("tenant_id", "id"), True),
        Key("accounts_nopk", True, "f", "nopk_tenant_fk", ("tenant_id",), r, ("id",), False),
    ]
    found = problems(bad)
    assert len(found) == 6, found
    assert not any("new_tenant_fk" in p for p in found)
    assert any("accounts_nopk: a tenant table without a primary key" == p for p in found)

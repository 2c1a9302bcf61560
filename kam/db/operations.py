"""Migration operations for tenant isolation in the database.

``EnableTenantRLS(table)``: row-level security, enabled and forced (the owner is bound too), with
a fail-closed policy: a row is visible and writable only when its ``tenant_id`` equals
``app.tenant_id`` of the current transaction (set by ``kam.db.base`` on every statement); with no
tenant set nothing is visible and every write is refused. A second, SELECT-only policy lets the
explicitly named ``kam.tenancy.system_read`` path read across tenants (``app.system_read``), and
only when no tenant is set; an UPDATE attempted that way fails loudly instead of changing nothing.

``TenantForeignKey(model, field)``: a composite ``(tenant_id, <fk>_id) → parent (tenant_id, id)``
foreign key next to Django's own, so a child row can never point at another tenant's parent.
"""

from __future__ import annotations

from typing import Any, cast

from django.db import migrations

FUNCTIONS_SQL = """
CREATE OR REPLACE FUNCTION kam_current_tenant() RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::bigint $$;
CREATE OR REPLACE FUNCTION kam_system_read() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT current_setting('app.system_read', true) = 'on'
                 AND NULLIF(current_setting('app.tenant_id', true), '') IS NULL $$;
"""
DROP_FUNCTIONS_SQL = """
DROP FUNCTION IF EXISTS kam_system_read();
DROP FUNCTION IF EXISTS kam_current_tenant();
"""


class InstallTenantFunctions(migrations.RunSQL):
    """``kam_current_tenant()`` and ``kam_system_read()``, used by every policy."""

    def __init__(self) -> None:
        super().__init__(FUNCTIONS_SQL, DROP_FUNCTIONS_SQL)


# The policies' conditions. Each call is a scalar subquery, so PostgreSQL evaluates it once per
# statement (an init plan) rather than once per row it checks: a scan of 100,000 rows would
# otherwise read the setting 100,000 times (bench: a selective search 33 → 26 ms). The tenant's
# comparison stays usable as an index condition.
TENANT_MATCH = "tenant_id = (SELECT kam_current_tenant())"
SYSTEM_READ = "(SELECT kam_system_read())"


def rls_sql(table: str) -> list[str]:
    return [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'CREATE POLICY tenant_isolation ON "{table}" '
        f"USING ({TENANT_MATCH}) WITH CHECK ({TENANT_MATCH})",
        f'CREATE POLICY system_read ON "{table}" FOR SELECT USING ({SYSTEM_READ})',
        # An UPDATE through system_read would otherwise change nothing, silently: make it an error.
        f'CREATE POLICY system_read_no_update ON "{table}" FOR UPDATE '
        f"USING ({SYSTEM_READ}) WITH CHECK (false)",
    ]


def alter_policies_sql(tenant: str, system: str) -> str:
    """Sets the conditions of every table's policies (those ``EnableTenantRLS`` created): ``tenant``
    for tenant_isolation, ``system`` for the system-read pair. For migrations, with the literal
    conditions of their time (constants, never input)."""
    return f"""
DO $$
DECLARE t text;
BEGIN
    FOR t IN SELECT tablename FROM pg_policies
              WHERE schemaname = current_schema() AND policyname = 'tenant_isolation'
    LOOP
        EXECUTE format('ALTER POLICY tenant_isolation ON %I USING ({tenant}) WITH CHECK ({tenant})',
                       t);
        EXECUTE format('ALTER POLICY system_read ON %I USING ({system})', t);
        EXECUTE format('ALTER POLICY system_read_no_update ON %I USING ({system})', t);
    END LOOP;
END $$;
"""  # noqa: S608


def rls_reverse_sql(table: str) -> list[str]:
    return [
        f'DROP POLICY IF EXISTS system_read_no_update ON "{table}"',
        f'DROP POLICY IF EXISTS system_read ON "{table}"',
        f'DROP POLICY IF EXISTS tenant_isolation ON "{table}"',
        f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY',
    ]


class EnableTenantRLS(migrations.RunSQL):
    def __init__(self, table: str) -> None:
        self.table = table
        # Lists of plain statements; the stubs' list (invariant) is of statements or (sql, params).
        super().__init__(cast("list[str | tuple[str, Any]]", rls_sql(table)),
                         cast("list[str | tuple[str, Any]]", rls_reverse_sql(table)))

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.table], {})

    def describe(self) -> str:
        return f"Row-level security on {self.table}"


class TenantForeignKey(migrations.operations.base.Operation):
    """Composite FK (tenant_id, field_id) → (tenant_id, id) of the field's target, deferrable
    like Django's own. NULL in the FK column skips the check (MATCH SIMPLE), as SET_NULL needs."""

    reversible = True

    def __init__(self, model_name: str, field_name: str) -> None:
        self.model_name = model_name
        self.field_name = field_name

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.model_name, self.field_name], {})

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def _parts(self, app_label: str, apps: Any) -> tuple[str, str, str, str, str]:
        model = apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.field_name)
        target = field.related_model
        table = model._meta.db_table
        name = f"{table}_{field.column}_tenant_fk"[:63]
        return table, field.column, target._meta.db_table, target._meta.pk.column, name

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any,
                          to_state: Any) -> None:
        table, column, target, target_pk, name = self._parts(app_label, to_state.apps)
        schema_editor.execute(
            f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" FOREIGN KEY ("tenant_id", "{column}") '
            f'REFERENCES "{target}" ("tenant_id", "{target_pk}") DEFERRABLE INITIALLY DEFERRED'
        )

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any,
                           to_state: Any) -> None:
        table, _column, _target, _pk, name = self._parts(app_label, from_state.apps)
        schema_editor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS "{name}"')

    def describe(self) -> str:
        return f"Composite tenant foreign key on {self.model_name}.{self.field_name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.model_name.lower()}_{self.field_name}_tenant_fk"


# --- keys a distributed PostgreSQL (Citus, by tenant_id) accepts ------------------------------------

_SWAP_KEY_SQL = """
DO $kam$
DECLARE
    t regclass := %(table)s::regclass;
    key_columns name[] := ARRAY['tenant_id', %(column)s]::name[];
    new_key name[] := %(new_key)s::name[];
    c record;
    saved text[] := '{}';
    statement text;
BEGIN
    SET CONSTRAINTS ALL IMMEDIATE;  -- no deferred check may be pending while the table changes
    -- Foreign keys that reference this table: a single-column one cannot stay (Citus refuses it;
    -- the models declare those db_constraint=False), a composite one is recreated on the new key.
    FOR c IN SELECT k.conname, k.conrelid::regclass AS owner, pg_get_constraintdef(k.oid) AS def,
                    cardinality(k.confkey) AS width
               FROM pg_constraint k WHERE k.contype = 'f' AND k.confrelid = t LOOP
        EXECUTE format('ALTER TABLE %%s DROP CONSTRAINT %%I', c.owner, c.conname);
        IF c.width > 1 THEN
            saved := saved || format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s', c.owner, c.conname,
                                     c.def);
        END IF;
    END LOOP;
    -- The old primary key, and the unique constraint on (tenant_id, column) the composite foreign
    -- keys used to reference: the new primary key is that constraint.
    FOR c IN SELECT k.conname FROM pg_constraint k
              WHERE k.conrelid = t AND (k.contype = 'p' OR (k.contype = 'u' AND (
                    SELECT array_agg(a.attname) FROM pg_attribute a
                     WHERE a.attrelid = t AND a.attnum = ANY(k.conkey)) @> key_columns
                    AND cardinality(k.conkey) = 2)) LOOP
        EXECUTE format('ALTER TABLE %%s DROP CONSTRAINT %%I', t, c.conname);
    END LOOP;
    EXECUTE format('ALTER TABLE %%s ADD CONSTRAINT %%I PRIMARY KEY (%%s)', t, %(pk_name)s,
                   (SELECT string_agg(quote_ident(x), ', ') FROM unnest(new_key) AS x));
    IF %(unique_name)s <> '' THEN  -- back to the old layout: the unique constraint again
        EXECUTE format('ALTER TABLE %%s ADD CONSTRAINT %%I UNIQUE (tenant_id, %%I)', t,
                       %(unique_name)s, %(column)s);
    END IF;
    FOREACH statement IN ARRAY saved LOOP
        EXECUTE statement;
    END LOOP;
END
$kam$;
"""


class TenantPrimaryKey(migrations.operations.base.Operation):
    """``PRIMARY KEY (tenant_id, <column>)`` in the database, the layout Citus distributes by
    ``tenant_id``: it replaces the key on ``<column>`` alone and the ``(tenant_id, <column>)``
    unique constraint (``unique_name``, restored on the way back), and recreates the composite
    foreign keys that referenced it. Single-column foreign keys to the table are dropped (the
    models declare them ``db_constraint=False``; the composite ones keep the references honest).
    The ORM keeps ``<column>`` as its primary key: ids stay unique (one sequence), and every
    query of the application carries the tenant (row-level security), so the key is used.

    A tenant table added later needs this operation in its migration: tests/kam/test_catalog.py
    fails on any tenant table whose key leaves the tenant out."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, table: str, column: str = "id", unique_name: str = "") -> None:
        self.table, self.column, self.unique_name = table, column, unique_name

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        kwargs: dict[str, Any] = {}
        if self.column != "id":
            kwargs["column"] = self.column
        if self.unique_name:
            kwargs["unique_name"] = self.unique_name
        return (self.__class__.__qualname__, [self.table], kwargs)

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def _run(self, schema_editor: Any, *, new_key: list[str], unique_name: str) -> None:
        schema_editor.execute(_SWAP_KEY_SQL, params={
            "table": f'"{self.table}"', "column": self.column, "new_key": new_key,
            "pk_name": f"{self.table}_pkey"[:63], "unique_name": unique_name})

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any,
                          to_state: Any) -> None:
        self._run(schema_editor, new_key=["tenant_id", self.column], unique_name="")

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any,
                           to_state: Any) -> None:
        self._run(schema_editor, new_key=[self.column], unique_name=self.unique_name)

    def describe(self) -> str:
        return f"Primary key (tenant_id, {self.column}) on {self.table}"

"""The bench tenants, set-based: two large ones and 1,000 small ones, in that order.

    .venv/bin/python -m kam.devstack up          # (KAM_STATE_DIR=.kam/bench; the script does it too)
    .venv/bin/python bench/generate.py           # once; a rerun skips what is there
    .venv/bin/python bench/generate.py --reset   # delete every generated tenant's rows and recreate

* ``bench``: 100,000 accounts, 300,000 contacts, 2,000,000 transactions; members bench.admin
  (admin), bench.exec (executive) and 50 account managers bench.m01 … who own the accounts.
* ``bench2``: the same shape (the same statements with the same seed, so the same values apart
  from ids, owners and what is derived from the ids), members bench2.admin, bench2.exec,
  bench2.m01 …; created after ``bench``, so every one of its row ids is larger: the same requests
  can be compared for a tenant at the start of the tables and one further on.
* ``small-0001`` … ``small-1000``: each 100 accounts, 3 contacts per account, 2,000 transactions
  (~20 per account, skewed like bench's), one admin member (small-0001.admin …) who owns the
  accounts; created after ``bench2``. The rows of the small tenants are inserted interleaved
  (account 1 of every tenant, then account 2 of every tenant, …; the same for contacts and
  transactions), as tenants writing at the same time would leave them: one small tenant's rows are
  spread over the whole id range after bench2, never next to each other.

Every table of a large tenant is filled by one INSERT … SELECT FROM generate_series (no Python loop
over rows), as that tenant (row-level security) and the owner role (for ANALYZE), each in its own
transaction, so an interrupted run leaves whole tables and a rerun fills the rest.

The small tenants are filled by one statement per table for all of them (tenants, users,
memberships, accounts, contacts, transactions), not by 1,000 statements per table. Under FORCE
ROW LEVEL SECURITY that cannot be done as a tenant: the policy compares every row with the one
``app.tenant_id`` of the statement's transaction, so an INSERT of rows of two tenants is refused
whichever tenant is set ("new row violates row-level security policy"), as it is with none. So the
owner lifts FORCE (``ALTER TABLE … NO FORCE ROW LEVEL SECURITY``: the table owner is then not bound
by the policies; kam_app, which owns nothing, still is) on the tables each statement reads or
writes, the audit event tables included (the statement-level audit triggers insert into them as
the same role), inside the fill's transaction, and restores FORCE before it commits (after
``SET CONSTRAINTS ALL IMMEDIATE``: ALTER TABLE refuses a table with pending deferred FK checks).
If the fill fails or is killed, the transaction rolls back with its ALTERs: FORCE is never left
lifted. The audit triggers stay on, so the small tenants have their event rows like bench.

The audit triggers write an event row per inserted or updated row, as for any write.
Values are deterministic (setseed); transaction dates are the last 730 days before today,
skewed so that a few accounts have thousands of transactions (the 360° page's worst case) and
most have a dozen or two. Idempotent per tenant and table: what is present is skipped, a partial
table is refused (run with --reset). ``--reset`` deletes all of them (the id order bench < bench2 <
small holds only when they are created in that order).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from contextlib import contextmanager

from common import (
    LARGE_SLUGS,
    SMALL_PREFIX,
    SMALL_TENANTS,
    in_bench_tenant,
    load_average,
    print_table,
    setup_django,
    small_slug,
    vacuum_analyze,
)

ACCOUNTS = 100_000
CONTACTS_PER_ACCOUNT = 3
TRANSACTIONS = 2_000_000
MANAGERS = 50
SMALL_ACCOUNTS = 100  # per small tenant
SMALL_TRANSACTIONS = 2_000  # per small tenant: ~20 per account
DATA_TABLES = ["accounts_account", "accounts_contact", "accounts_transaction"]
EVENT_TABLES = ["accounts_accountevent", "accounts_contactevent", "accounts_transactionevent"]

ACCOUNTS_SQL = """
INSERT INTO accounts_account
    (tenant_id, name, short_name, unified_social_credit_code, industry, province, city,
     employee_count, annual_revenue_band, business_scope, development_stage, parent_id, owner_id,
     lifecycle_status, strategic_value, credit_rating, notes, external_id, created_at, updated_at)
SELECT %(tenant)s,
       '基准客户' || lpad(g::text, 6, '0') || '有限公司',
       '基准' || lpad(g::text, 6, '0'),
       '',
       (ARRAY['manufacturing', 'automotive', 'electronics', 'machinery', 'energy', 'chemicals',
              'retail', 'logistics', 'healthcare', 'telecom'])[1 + g %% 10],
       (ARRAY['江苏省', '浙江省', '广东省', '上海市', '山东省', '北京市'])[1 + (g / 10) %% 6],
       (ARRAY['苏州', '杭州', '深圳', '浦东新区', '青岛', '海淀区'])[1 + (g / 10) %% 6],
       (ARRAY[80, 150, 320, 600, 1200, 2500, 5000, 12000])[1 + (g * 7) %% 8],
       (ARRAY['lt10m', '10m-100m', '100m-1b', '1b-10b', 'gt10b'])[1 + (g * 3) %% 5],
       '',
       (ARRAY['growth', 'mature', 'mature', 'declining'])[1 + (g * 11) %% 4],
       NULL,
       (%(owners)s::bigint[])[1 + g %% cardinality(%(owners)s::bigint[])],
       CASE WHEN g %% 20 = 0 THEN 'prospect' WHEN g %% 23 = 0 THEN 'churned'
            WHEN g %% 9 = 0 THEN 'at_risk' ELSE 'active' END,
       1 + (g * 13) %% 5,
       (ARRAY['A', 'B', 'B', 'C', 'D'])[1 + (g * 17) %% 5],
       '',
       'BENCH-A-' || lpad(g::text, 6, '0'),
       now(), now()
  FROM generate_series(1, %(n)s) g
"""

# Group hierarchies: the first 1,000 accounts are groups; every tenth other account has one.
# The groups go through an array, so no plan can turn this into a 100k x 100k join.
PARENTS_SQL = """
WITH groups AS (
    SELECT array_agg(id ORDER BY id) AS ids
      FROM (SELECT id FROM accounts_account WHERE tenant_id = %(tenant)s ORDER BY id LIMIT 1000) x
),
numbered AS (
    SELECT id, row_number() OVER (ORDER BY id) AS n FROM accounts_account
     WHERE tenant_id = %(tenant)s
)
UPDATE accounts_account a SET parent_id = groups.ids[1 + c.n %% 1000]
  FROM numbered c CROSS JOIN groups
 WHERE a.id = c.id AND a.tenant_id = %(tenant)s AND c.n > 1000 AND c.n %% 10 = 3
"""

CONTACTS_SQL = """
INSERT INTO accounts_contact
    (tenant_id, account_id, name, title, department, level, buying_role, relationship_strength,
     phone, email, wechat_id, birthday, birthday_is_lunar, is_active, left_on, notes, external_id,
     created_at, updated_at)
SELECT a.tenant_id, a.id,
       (ARRAY['张', '王', '李', '刘', '陈', '杨', '黄', '赵', '吴', '周'])[1 + (a.id + k) %% 10]
       || (ARRAY['伟', '芳', '娜', '敏', '静', '磊', '强', '军', '洋', '杰', '建华', '晓东'])
          [1 + (a.id * 7 + k) %% 12],
       (ARRAY['总经理', '技术经理', '采购经理'])[k],
       (ARRAY['总经办', '技术部', '采购部'])[k],
       (ARRAY['leadership', 'technical', 'business'])[k],
       (ARRAY['decision_maker', 'influencer', 'gatekeeper'])[k],
       1 + (a.id + k) %% 5,
       '138 ' || lpad(((a.id * 3 + k) %% 10000)::text, 4, '0') || ' '
             || lpad((a.id %% 10000)::text, 4, '0'),
       'c' || k || '@a' || a.id || '.bench.example.cn',
       '',
       CASE WHEN a.id %% 4 = 0 THEN make_date((1965 + a.id %% 30)::int, 1 + k * 3, (1 + a.id %% 28)::int) END,
       a.id %% 12 = 0,
       NOT (a.id %% 17 = 0 AND k = 1),
       CASE WHEN a.id %% 17 = 0 AND k = 1 THEN CURRENT_DATE - (a.id %% 300)::int END,
       '',
       'BENCH-C-' || a.id || '-' || k,
       now(), now()
  FROM accounts_account a CROSS JOIN generate_series(1, %(per_account)s) k
 WHERE a.tenant_id = %(tenant)s
"""

TRANSACTIONS_SQL = """
WITH acc AS (
    SELECT array_agg(id ORDER BY id) AS ids, count(*) AS n FROM accounts_account
     WHERE tenant_id = %(tenant)s
),
draw AS (
    -- random()^2 skews towards the first accounts: thousands of rows there, ~10 at the end.
    SELECT g, random() AS r_account, random() AS r_day, random() AS r_amount
      FROM generate_series(1, %(n)s) g
)
INSERT INTO accounts_transaction
    (tenant_id, account_id, date, amount, gross_margin, product_line, refund_of_id, external_id,
     created_at, updated_at)
SELECT %(tenant)s,
       acc.ids[1 + LEAST(floor(acc.n * d.r_account * d.r_account)::int, acc.n::int - 1)],
       CURRENT_DATE - floor(d.r_day * 730)::int,
       round((50 + d.r_amount * 20000)::numeric, 2),
       round((50 + d.r_amount * 20000)::numeric * (0.1 + (d.g %% 30) / 100.0), 2),
       (ARRAY['精密轴承', '伺服电机', '数控刀具', '液压元件', '传感器'])[1 + d.g %% 5],
       NULL,
       'BENCH-T-' || lpad(d.g::text, 7, '0'),
       now(), now()
  FROM draw d CROSS JOIN acc
"""


# --- the small tenants: one statement per table for all of them ---------------------------------
# The ORDER BY makes the ids (assigned in the order the rows reach the INSERT) interleave the
# tenants: row 1 of every tenant, then row 2 of every tenant, …

SMALL_TENANTS_SQL = """
INSERT INTO kam_tenant (name, slug, time_zone, currency, default_language, is_active, created_at,
                        nightly_attempts)
SELECT '小型租户 ' || lpad(g::text, 4, '0'), %(prefix)s || lpad(g::text, 4, '0'),
       'Asia/Shanghai', 'CNY', 'zh-hans', true, now(), 0
  FROM generate_series(1, %(n)s) g ORDER BY g
ON CONFLICT (slug) DO NOTHING
"""

# '!' starts an unusable password (Django's UNUSABLE_PASSWORD_PREFIX), as set_unusable_password().
SMALL_USERS_SQL = """
INSERT INTO auth_user (password, last_login, is_superuser, username, first_name, last_name, email,
                       is_staff, is_active, date_joined)
SELECT '!bench-generated', NULL, false, %(prefix)s || lpad(g::text, 4, '0') || '.admin', '', '', '',
       false, true, now()
  FROM generate_series(1, %(n)s) g ORDER BY g
ON CONFLICT (username) DO NOTHING
"""

SMALL_MEMBERS_SQL = """
INSERT INTO kam_membership (role, is_active, created_at, user_id, tenant_id)
SELECT 'admin', true, now(), u.id, t.id
  FROM kam_tenant t JOIN auth_user u ON u.username = t.slug || '.admin'
 WHERE t.id = ANY(%(tenants)s)
 ORDER BY t.id
ON CONFLICT (tenant_id, user_id) DO NOTHING
"""

# Owned by the tenant's admin; the same columns as ACCOUNTS_SQL, numbered 1..100 per tenant.
SMALL_ACCOUNTS_SQL = """
INSERT INTO accounts_account
    (tenant_id, name, short_name, unified_social_credit_code, industry, province, city,
     employee_count, annual_revenue_band, business_scope, development_stage, parent_id, owner_id,
     lifecycle_status, strategic_value, credit_rating, notes, external_id, created_at, updated_at)
SELECT m.tenant_id,
       '小型客户' || lpad(g::text, 3, '0') || '有限公司',
       '小型' || lpad(g::text, 3, '0'),
       '',
       (ARRAY['manufacturing', 'automotive', 'electronics', 'machinery', 'energy', 'chemicals',
              'retail', 'logistics', 'healthcare', 'telecom'])[1 + g %% 10],
       (ARRAY['江苏省', '浙江省', '广东省', '上海市', '山东省', '北京市'])[1 + (g / 10) %% 6],
       (ARRAY['苏州', '杭州', '深圳', '浦东新区', '青岛', '海淀区'])[1 + (g / 10) %% 6],
       (ARRAY[80, 150, 320, 600, 1200, 2500, 5000, 12000])[1 + (g * 7) %% 8],
       (ARRAY['lt10m', '10m-100m', '100m-1b', '1b-10b', 'gt10b'])[1 + (g * 3) %% 5],
       '',
       (ARRAY['growth', 'mature', 'mature', 'declining'])[1 + (g * 11) %% 4],
       NULL,
       m.id,
       CASE WHEN g %% 20 = 0 THEN 'prospect' WHEN g %% 23 = 0 THEN 'churned'
            WHEN g %% 9 = 0 THEN 'at_risk' ELSE 'active' END,
       1 + (g * 13) %% 5,
       (ARRAY['A', 'B', 'B', 'C', 'D'])[1 + (g * 17) %% 5],
       '',
       'SMALL-A-' || lpad(g::text, 3, '0'),
       now(), now()
  FROM kam_membership m CROSS JOIN generate_series(1, %(per_tenant)s) g
 WHERE m.tenant_id = ANY(%(tenants)s) AND m.role = 'admin'
 ORDER BY g, m.tenant_id
"""

SMALL_CONTACTS_SQL = """
INSERT INTO accounts_contact
    (tenant_id, account_id, name, title, department, level, buying_role, relationship_strength,
     phone, email, wechat_id, birthday, birthday_is_lunar, is_active, left_on, notes, external_id,
     created_at, updated_at)
SELECT a.tenant_id, a.id,
       (ARRAY['张', '王', '李', '刘', '陈', '杨', '黄', '赵', '吴', '周'])[1 + (a.id + k) %% 10]
       || (ARRAY['伟', '芳', '娜', '敏', '静', '磊', '强', '军', '洋', '杰', '建华', '晓东'])
          [1 + (a.id * 7 + k) %% 12],
       (ARRAY['总经理', '技术经理', '采购经理'])[k],
       (ARRAY['总经办', '技术部', '采购部'])[k],
       (ARRAY['leadership', 'technical', 'business'])[k],
       (ARRAY['decision_maker', 'influencer', 'gatekeeper'])[k],
       1 + (a.id + k) %% 5,
       '138 ' || lpad(((a.id * 3 + k) %% 10000)::text, 4, '0') || ' '
             || lpad((a.id %% 10000)::text, 4, '0'),
       'c' || k || '@a' || a.id || '.bench.example.cn',
       '',
       CASE WHEN a.id %% 4 = 0 THEN make_date((1965 + a.id %% 30)::int, 1 + k * 3, (1 + a.id %% 28)::int) END,
       a.id %% 12 = 0,
       NOT (a.id %% 17 = 0 AND k = 1),
       CASE WHEN a.id %% 17 = 0 AND k = 1 THEN CURRENT_DATE - (a.id %% 300)::int END,
       '',
       'SMALL-C-' || a.external_id || '-' || k,
       now(), now()
  FROM accounts_account a CROSS JOIN generate_series(1, %(per_account)s) k
 WHERE a.tenant_id = ANY(%(tenants)s)
 ORDER BY a.id, k
"""

# As TRANSACTIONS_SQL, per tenant: random()^2 picks the account (by id rank within its tenant).
SMALL_TRANSACTIONS_SQL = """
WITH acc AS (
    SELECT tenant_id, array_agg(id ORDER BY id) AS ids, count(*) AS n FROM accounts_account
     WHERE tenant_id = ANY(%(tenants)s) GROUP BY tenant_id
),
draw AS (
    SELECT t.tenant_id, g, random() AS r_account, random() AS r_day, random() AS r_amount
      FROM unnest(%(tenants)s::bigint[]) AS t(tenant_id)
     CROSS JOIN generate_series(1, %(per_tenant)s) g
)
INSERT INTO accounts_transaction
    (tenant_id, account_id, date, amount, gross_margin, product_line, refund_of_id, external_id,
     created_at, updated_at)
SELECT d.tenant_id,
       acc.ids[1 + LEAST(floor(acc.n * d.r_account * d.r_account)::int, acc.n::int - 1)],
       CURRENT_DATE - floor(d.r_day * 730)::int,
       round((50 + d.r_amount * 20000)::numeric, 2),
       round((50 + d.r_amount * 20000)::numeric * (0.1 + (d.g %% 30) / 100.0), 2),
       (ARRAY['精密轴承', '伺服电机', '数控刀具', '液压元件', '传感器'])[1 + d.g %% 5],
       NULL,
       'SMALL-T-' || lpad(d.g::text, 4, '0'),
       now(), now()
  FROM draw d JOIN acc USING (tenant_id)
 ORDER BY d.g, d.tenant_id
"""


def _count(cursor, table: str, tenant_id: int) -> int:
    cursor.execute(f"SELECT count(*) FROM {table} WHERE tenant_id = %s", [tenant_id])  # noqa: S608
    return cursor.fetchone()[0]


def _counts(table: str, tenant_ids: list[int]) -> dict[int, int]:
    """Rows per tenant (only tenants with rows), across tenants: kam.tenancy.system_read."""
    from django.db import connection

    from kam.tenancy import system_read

    with system_read("bench/generate: rows per tenant"), connection.cursor() as cursor:
        cursor.execute(f"SELECT tenant_id, count(*) FROM {table} WHERE tenant_id = ANY(%s) "  # noqa: S608
                       "GROUP BY 1", [tenant_ids])
        return dict(cursor.fetchall())


def _tenant_tables(cursor) -> list[str]:
    cursor.execute("""
        SELECT c.table_name FROM information_schema.columns c
          JOIN information_schema.tables t USING (table_schema, table_name)
         WHERE c.table_schema = current_schema() AND c.column_name = 'tenant_id'
           AND t.table_type = 'BASE TABLE' ORDER BY 1""")
    return [row[0] for row in cursor.fetchall()]


@contextmanager
def _owner_across_tenants(tables: list[str]) -> Iterator:
    """One transaction as the owner, with FORCE ROW LEVEL SECURITY lifted on ``tables``, for the
    statements that write rows of many tenants at once (see the module docstring).

    FORCE is restored before the commit, after the deferred FK checks (ALTER TABLE refuses a table
    with pending trigger events); on an error the rollback undoes the ALTERs too. No tenant is
    set; the audit actor is this script, as in_bench_tenant records it."""
    from django.db import connection, transaction

    from kam.audit import ACTOR_COMMAND, audit_context

    with connection.as_owner(), audit_context(actor=ACTOR_COMMAND, command="bench/generate"), \
            transaction.atomic(), connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        yield cursor
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")


def _small_tenant_ids() -> list[int]:
    from kam.models import Tenant

    return list(Tenant.objects.filter(slug__regex=rf"^{SMALL_PREFIX}[0-9]{{4}}$")
                .order_by("id").values_list("id", flat=True))


def reset_tenant(slug: str) -> None:
    """Delete every row of one large tenant, in one transaction (Django's FKs are deferred).

    As the owner role, inside the tenant (row-level security is FORCEd, so it applies to the
    owner too): the audit event tables are append-only for kam_app. The deletes of the data
    tables write delete events (audit triggers); the event tables are emptied last."""
    from django.db import connection, transaction

    from kam.audit import event_tables
    from kam.models import Tenant

    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        return
    started = time.perf_counter()
    events = set(event_tables())
    with connection.as_owner(), in_bench_tenant(tenant), transaction.atomic(), \
            connection.cursor() as cursor:
        tables = _tenant_tables(cursor)
        for table in sorted(tables, key=lambda name: name in events):  # event tables last
            cursor.execute(f"DELETE FROM {table} WHERE tenant_id = %s", [tenant.pk])  # noqa: S608
        cursor.execute("DELETE FROM kam_tenant WHERE id = %s", [tenant.pk])
    vacuum_analyze(tables)  # drop the dead rows and stale statistics
    print(f"reset: tenant {slug!r} deleted in {time.perf_counter() - started:.1f} s")


def reset_small() -> None:
    """Delete the rows of every small tenant: one DELETE per table for all of them, as the owner
    with FORCE lifted (as for their fill); event tables last. Their users stay (reused)."""
    from django.db import connection

    from kam.audit import event_tables

    ids = _small_tenant_ids()
    if not ids:
        return
    started = time.perf_counter()
    events = set(event_tables())
    with connection.as_owner(), connection.cursor() as cursor:
        tables = _tenant_tables(cursor)
    with _owner_across_tenants(tables) as cursor:
        for table in sorted(tables, key=lambda name: name in events):  # event tables last
            cursor.execute(f"DELETE FROM {table} WHERE tenant_id = ANY(%s)", [ids])  # noqa: S608
        cursor.execute("DELETE FROM kam_tenant WHERE id = ANY(%s)", [ids])
    vacuum_analyze(tables)
    print(f"reset: {len(ids):,} small tenants deleted in {time.perf_counter() - started:.1f} s")


def reset() -> None:
    """Every generated tenant: the id order (bench < bench2 < small) needs them created again in
    that order."""
    reset_small()
    for slug in reversed(LARGE_SLUGS):
        reset_tenant(slug)


def ensure_members(slug: str):
    """The large tenant ``slug`` and its members <slug>.admin, <slug>.exec, <slug>.m01 … (no
    passwords); returns the tenant and the ids of the managers' memberships."""
    from django.contrib.auth import get_user_model

    from kam.models import Membership, Tenant
    from kam.roles import Role

    tenant, _ = Tenant.objects.get_or_create(slug=slug, defaults={
        "name": f"基准测试租户 ({slug})", "default_language": "zh-hans",
        "time_zone": "Asia/Shanghai", "currency": "CNY"})
    User = get_user_model()
    wanted = [(f"{slug}.admin", Role.ADMIN), (f"{slug}.exec", Role.EXECUTIVE)] + [
        (f"{slug}.m{i:02d}", Role.MANAGER) for i in range(1, MANAGERS + 1)]
    owners = []
    with in_bench_tenant(tenant):
        for username, role in wanted:
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            member, _ = Membership.objects.get_or_create(user=user, defaults={
                "tenant": tenant, "role": role})
            if role == Role.MANAGER:
                owners.append(member.pk)
    return tenant, owners


def fill(tenant, label: str, table: str, expected: int, statements: list[tuple]) -> list:
    """Run the statements in one transaction unless the table already holds the rows.

    As the tenant (row-level security) and as the owner role: the ANALYZE between the
    statements is the owner's (kam_app would only get a warning). The audit triggers fire as they
    do for the application: every inserted row also writes its event row."""
    from django.db import connection, transaction

    with in_bench_tenant(tenant), connection.cursor() as cursor:
        have = _count(cursor, table, tenant.pk)
    if have == expected:
        return [label, f"{have:,}", "-", "skipped (present)"]
    if have:
        raise SystemExit(f"{table} holds {have:,} rows of {tenant.slug}, expected 0 or "
                         f"{expected:,}: run with --reset")
    with connection.as_owner(), in_bench_tenant(tenant):
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT setseed(0.42)")  # same session, same transaction: deterministic
            for sql, params in statements:
                cursor.execute(sql, params)
            rows = _count(cursor, table, tenant.pk)
        seconds = time.perf_counter() - started
    return [label, f"{rows:,}", f"{seconds:.1f}", f"{rows / seconds:,.0f} rows/s"]


def fill_large(slug: str) -> tuple[object, list[int], list[list]]:
    tenant, owners = ensure_members(slug)
    t = tenant.pk
    rows = [
        fill(tenant, f"{slug}: accounts", "accounts_account", ACCOUNTS, [
            (ACCOUNTS_SQL, {"tenant": t, "owners": owners, "n": ACCOUNTS}),
            ("ANALYZE accounts_account", None),  # fresh statistics for the statements after
            (PARENTS_SQL, {"tenant": t})]),
        fill(tenant, f"{slug}: contacts", "accounts_contact", ACCOUNTS * CONTACTS_PER_ACCOUNT, [
            (CONTACTS_SQL, {"tenant": t, "per_account": CONTACTS_PER_ACCOUNT})]),
        fill(tenant, f"{slug}: transactions", "accounts_transaction", TRANSACTIONS, [
            ("ANALYZE accounts_account", None),
            (TRANSACTIONS_SQL, {"tenant": t, "n": TRANSACTIONS})]),
    ]
    return tenant, owners, rows


def fill_small() -> tuple[list[int], list[list]]:
    """The small tenants, their admins and data: one statement per table for all of them, each
    table in its own transaction (see _owner_across_tenants). A table is filled for the tenants
    that have none of its rows; a tenant with a partial table is refused (--reset)."""
    from django.db import connection

    label = f"{SMALL_TENANTS:,} small"
    steps = []
    started = time.perf_counter()
    with connection.as_owner(), connection.cursor() as cursor:  # kam_tenant, auth_user: no RLS
        cursor.execute(SMALL_TENANTS_SQL, {"prefix": SMALL_PREFIX, "n": SMALL_TENANTS})
        new_tenants = cursor.rowcount
        cursor.execute(SMALL_USERS_SQL, {"prefix": SMALL_PREFIX, "n": SMALL_TENANTS})
        new_users = cursor.rowcount
    ids = _small_tenant_ids()
    with _owner_across_tenants(["kam_membership", "kam_membershipevent"]) as cursor:
        cursor.execute(SMALL_MEMBERS_SQL, {"tenants": ids})
        new_members = cursor.rowcount
    steps.append([f"{label}: tenants, admins, memberships", f"{len(ids):,}",
                  f"{time.perf_counter() - started:.1f}",
                  f"new: {new_tenants:,} tenants, {new_users:,} users, {new_members:,} members"
                  if new_tenants or new_users or new_members else "skipped (present)"])

    account_tables = ["accounts_account", "accounts_accountevent"]
    for name, table, per_tenant, sql, params, lifted in [
            ("accounts", "accounts_account", SMALL_ACCOUNTS, SMALL_ACCOUNTS_SQL,
             {"per_tenant": SMALL_ACCOUNTS}, ["kam_membership", *account_tables]),
            ("contacts", "accounts_contact", SMALL_ACCOUNTS * CONTACTS_PER_ACCOUNT,
             SMALL_CONTACTS_SQL, {"per_account": CONTACTS_PER_ACCOUNT},
             ["accounts_account", "accounts_contact", "accounts_contactevent"]),
            ("transactions", "accounts_transaction", SMALL_TRANSACTIONS, SMALL_TRANSACTIONS_SQL,
             {"per_tenant": SMALL_TRANSACTIONS},
             ["accounts_account", "accounts_transaction", "accounts_transactionevent"])]:
        have = _counts(table, ids)
        partial = {t: n for t, n in have.items() if n != per_tenant}
        if partial:
            raise SystemExit(f"{table}: small tenants with a partial fill "
                             f"{list(partial.items())[:3]} (expected {per_tenant}): run with --reset")
        missing = [t for t in ids if t not in have]
        if not missing:
            steps.append([f"{label}: {name}", f"{sum(have.values()):,}", "-",
                          "skipped (present)"])
            continue
        started = time.perf_counter()
        with _owner_across_tenants(lifted) as cursor:
            cursor.execute("SELECT setseed(0.43)")  # deterministic, as for the large tenants
            if table != "accounts_account":
                cursor.execute("ANALYZE accounts_account")  # fresh statistics: they read it
            cursor.execute(sql, {"tenants": missing, **params})
            rows = cursor.rowcount
        seconds = time.perf_counter() - started
        steps.append([f"{label}: {name}", f"{rows:,}", f"{seconds:.1f}",
                      f"{rows / seconds:,.0f} rows/s ({len(missing):,} tenants)"])
    return ids, steps


def _id_ranges(groups: dict[str, list[int]]) -> list[list]:
    """Min and max row id per table for each group of tenants: the order they were created in."""
    from django.db import connection

    from kam.tenancy import system_read

    out = []
    with system_read("bench/generate: id ranges"), connection.cursor() as cursor:
        for label, ids in groups.items():
            row = [label]
            for table in DATA_TABLES:
                cursor.execute(f"SELECT min(id), max(id) FROM {table} "  # noqa: S608
                               "WHERE tenant_id = ANY(%s)", [ids])
                low, high = cursor.fetchone()
                row.append(f"{low:,} … {high:,}" if low is not None else "-")
            out.append(row)
    return out


def _counts_total(tables: list[str], tenant_ids: list[int]) -> dict[str, int]:
    return {table: sum(_counts(table, tenant_ids).values()) for table in tables}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reset", action="store_true",
                        help="delete every generated tenant (bench, bench2, small-*) first")
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command

    call_command("migrate", "--no-input", verbosity=0)  # runs as the owner role by itself
    if args.reset:
        reset()
    overall = time.perf_counter()
    table, groups, managers = [], {}, {}
    for slug in LARGE_SLUGS:  # in this order: bench2's ids come after bench's
        tenant, owners, rows = fill_large(slug)
        table += rows
        groups[f"{slug} (id {tenant.pk})"] = [tenant.pk]
        managers[slug] = len(owners)
    small_ids, rows = fill_small()
    table += rows
    groups[f"{small_slug(1)} … {small_slug(SMALL_TENANTS)} (ids {small_ids[0]} … "
           f"{small_ids[-1]})"] = small_ids
    started = time.perf_counter()
    vacuum_analyze([*DATA_TABLES, "kam_tenant", "kam_membership", "auth_user"])
    table.append(["vacuum analyze", "-", f"{time.perf_counter() - started:.1f}", ""])
    # The audit triggers wrote one event row per inserted (and updated) row: analyze those too,
    # timed apart so the row above still compares with issue 3's.
    started = time.perf_counter()
    vacuum_analyze([*EVENT_TABLES, "kam_membershipevent"])
    table.append(["vacuum analyze (audit event tables)", "-",
                  f"{time.perf_counter() - started:.1f}", ""])
    table.append(["total", "-", f"{time.perf_counter() - overall:.1f}", ""])
    events = {label: _counts_total(EVENT_TABLES, ids) for label, ids in groups.items()}
    print(f"\ntenants: {', '.join(f'{s!r} ({managers[s]} account managers)' for s in LARGE_SLUGS)}"
          f", {len(small_ids):,} small tenants; {load_average()}\n")
    print_table(["table", "rows", "seconds", "note"], table)
    print("\nrow ids per tenant group (min … max):\n")
    print_table(["tenants", *DATA_TABLES], _id_ranges(groups))
    print("\naudit event rows:")
    for label, counts in events.items():
        print(f"  {label}: " + ", ".join(f"{name} {n:,}" for name, n in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The bench tenant: 100,000 accounts, 300,000 contacts, 2,000,000 transactions, set-based.

    .venv/bin/python -m kam.devstack up          # (KAM_STATE_DIR=.kam/bench; the script does it too)
    .venv/bin/python bench/generate.py           # once; a rerun skips what is there
    .venv/bin/python bench/generate.py --reset   # delete the bench tenant's rows and recreate

Every table is filled by one INSERT … SELECT FROM generate_series (no Python loop over rows),
as the bench tenant (row-level security) and the owner role (for ANALYZE), each in its own
transaction, so an interrupted run leaves whole tables and a rerun fills the rest. The audit
triggers write an event row per inserted or updated row, as for any write.
Values are deterministic (setseed); transaction dates are the last 730 days before today,
skewed so that a few accounts have thousands of transactions (the 360° page's worst case) and
most have a dozen or two. Members: bench.admin (admin), bench.exec (executive) and 50 account
managers who own the accounts.
"""

from __future__ import annotations

import argparse
import time

from common import (
    BENCH_ADMIN,
    BENCH_SLUG,
    in_bench_tenant,
    load_average,
    print_table,
    setup_django,
    vacuum_analyze,
)

ACCOUNTS = 100_000
CONTACTS_PER_ACCOUNT = 3
TRANSACTIONS = 2_000_000
MANAGERS = 50

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


def _count(cursor, table: str, tenant_id: int) -> int:
    cursor.execute(f"SELECT count(*) FROM {table} WHERE tenant_id = %s", [tenant_id])  # noqa: S608
    return cursor.fetchone()[0]


def _tenant_tables(cursor) -> list[str]:
    cursor.execute("""
        SELECT c.table_name FROM information_schema.columns c
          JOIN information_schema.tables t USING (table_schema, table_name)
         WHERE c.table_schema = current_schema() AND c.column_name = 'tenant_id'
           AND t.table_type = 'BASE TABLE' ORDER BY 1""")
    return [row[0] for row in cursor.fetchall()]


def reset() -> None:
    """Delete every row of the bench tenant, in one transaction (Django's FKs are deferred).

    As the owner role, inside the bench tenant (row-level security is FORCEd, so it applies to the
    owner too): the audit event tables are append-only for kam_app. The deletes of the data
    tables write delete events (audit triggers); the event tables are emptied last."""
    from django.db import connection, transaction

    from kam.audit import event_tables
    from kam.models import Tenant

    tenant = Tenant.objects.filter(slug=BENCH_SLUG).first()
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
    print(f"reset: bench tenant deleted in {time.perf_counter() - started:.1f} s")


def ensure_members():
    from django.contrib.auth import get_user_model

    from kam.models import Membership, Tenant
    from kam.roles import Role

    tenant, _ = Tenant.objects.get_or_create(slug=BENCH_SLUG, defaults={
        "name": "基准测试租户 (bench)", "default_language": "zh-hans",
        "time_zone": "Asia/Shanghai", "currency": "CNY"})
    User = get_user_model()
    wanted = [(BENCH_ADMIN, Role.ADMIN), ("bench.exec", Role.EXECUTIVE)] + [
        (f"bench.m{i:02d}", Role.MANAGER) for i in range(1, MANAGERS + 1)]
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

    As the bench tenant (row-level security) and as the owner role: the ANALYZE between the
    statements is the owner's (kam_app would only get a warning). The audit triggers fire as they
    do for the application: every inserted row also writes its event row."""
    from django.db import connection, transaction

    with in_bench_tenant(tenant), connection.cursor() as cursor:
        have = _count(cursor, table, tenant.pk)
    if have == expected:
        return [label, f"{have:,}", "-", "skipped (present)"]
    if have:
        raise SystemExit(f"{table} holds {have:,} bench rows, expected 0 or {expected:,}: "
                         "run with --reset")
    with connection.as_owner(), in_bench_tenant(tenant):
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT setseed(0.42)")  # same session, same transaction: deterministic
            for sql, params in statements:
                cursor.execute(sql, params)
            rows = _count(cursor, table, tenant.pk)
        seconds = time.perf_counter() - started
    return [label, f"{rows:,}", f"{seconds:.1f}", f"{rows / seconds:,.0f} rows/s"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reset", action="store_true", help="delete the bench tenant first")
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", "--no-input", verbosity=0)  # runs as the owner role by itself
    if args.reset:
        reset()
    tenant, owners = ensure_members()
    t = tenant.pk
    table = [
        fill(tenant, "accounts", "accounts_account", ACCOUNTS, [
            (ACCOUNTS_SQL, {"tenant": t, "owners": owners, "n": ACCOUNTS}),
            ("ANALYZE accounts_account", None),  # fresh statistics for the statements after
            (PARENTS_SQL, {"tenant": t})]),
        fill(tenant, "contacts", "accounts_contact", ACCOUNTS * CONTACTS_PER_ACCOUNT, [
            (CONTACTS_SQL, {"tenant": t, "per_account": CONTACTS_PER_ACCOUNT})]),
        fill(tenant, "transactions", "accounts_transaction", TRANSACTIONS, [
            ("ANALYZE accounts_account", None),
            (TRANSACTIONS_SQL, {"tenant": t, "n": TRANSACTIONS})]),
    ]
    started = time.perf_counter()
    vacuum_analyze(["accounts_account", "accounts_contact", "accounts_transaction"])
    table.append(["vacuum analyze", "-", f"{time.perf_counter() - started:.1f}", ""])
    # The audit triggers wrote one event row per inserted (and updated) row: analyze those too,
    # timed apart so the row above still compares with issue 3's.
    started = time.perf_counter()
    vacuum_analyze(["accounts_accountevent", "accounts_contactevent",
                    "accounts_transactionevent"])
    table.append(["vacuum analyze (audit event tables)", "-",
                  f"{time.perf_counter() - started:.1f}", ""])
    with in_bench_tenant(tenant), connection.cursor() as cursor:
        events = [(name, _count(cursor, name, t)) for name in (
            "accounts_accountevent", "accounts_contactevent", "accounts_transactionevent")]
    print(f"\nbench tenant {BENCH_SLUG!r} (id {t}), {len(owners)} account managers; "
          f"{load_average()}\n")
    print_table(["table", "rows", "seconds", "note"], table)
    print("\naudit event rows of the bench tenant: "
          + ", ".join(f"{name} {n:,}" for name, n in events))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

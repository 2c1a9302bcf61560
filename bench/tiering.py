"""The nightly tiering for 1,000 tenants x 1,000 accounts (10M transactions) vs one hand-written
statement for all tenants (the floor), and vs a naive per-account ORM loop.

    export KAM_STATE_DIR=$PWD/.kam/bench-tiering
    .venv/bin/python -m kam.devstack up
    .venv/bin/python bench/tiering.py              # generates the data once (~15 min), then measures
    .venv/bin/python bench/tiering.py --regenerate # drop every tenant of this state dir and recreate
    .venv/bin/python bench/tiering.py --explain    # also EXPLAIN ANALYZE one tenant's statement

Data (only in this state dir: ``--regenerate`` truncates every tenant table): 1,000 tenants
``tier-bench-0001`` …, each with 1,000 accounts and 10,000 transactions over the last 730 days,
all set-based (``INSERT … SELECT FROM generate_series``, 100 tenants per transaction, resumable)
as the owner role. A transaction picks the account of rank k = floor(1000·u²) (a few accounts with
hundreds of transactions, most with a handful) and its amount falls with the rank (400,000 /
sqrt(k + 1), times a tenant scale 0.5–2 and noise), so a few big accounts and many small ones.
Per account a margin rate (5–45 %) and a growth type (share of its transactions in the last 12
months 38–62 %) vary; strategic value 1–5 (3–5 for the 30 biggest) and credit A–D / not rated are
spread at random. So every tier is populated with the default policy (printed below). To fill 11M
rows across tenants in one statement, the owner lifts FORCE ROW LEVEL SECURITY and disables the
audit triggers (``DISABLE TRIGGER USER``: the owner may not set session_replication_role) inside
each fill's transaction and restores both before it commits. Then every tenant gets the built-in
policy as version 1 (``tier_policy_ensure``) and its figures (``figures_recompute`` per tenant,
timed apart, not measured), and the tables are vacuumed and analyzed as the owner.

Measured (all from the same starting state):

* **service**: ``kam.jobs.run_job("tiering", tenant)`` for every tenant — JobRun rows, advisory
  lock, row-level security, one statement per tenant — in a child process (so the data generation
  does not count in its peak memory), first run (no AccountTier row) and steady state (second run,
  nothing changes). Peak RSS (``ru_maxrss``) after 10 tenants and after all of them; the time spent
  in the tiering statement, in the other queries and in Python (``connection.execute_wrapper``).
* **floor**: one hand-written statement for all tenants, written here (not by the builder) with the
  default policy's values as literals, as the owner with row-level security not forced (one
  statement cannot be one tenant), in a transaction that is rolled back. First run: a plain
  ``INSERT … SELECT`` into accounts_accounttier and, in the same statement, the history rows (also
  timed: the upsert below on the empty table, the service's shape). Steady state: the same with
  the previous tier (hysteresis) and ``ON CONFLICT … DO UPDATE … WHERE … IS DISTINCT FROM`` (the
  service's WHERE), which writes nothing. The score is computed in a ``MATERIALIZED`` CTE (once per
  row); the same statements with a plain CTE, which PostgreSQL inlines and re-evaluates in every
  cut-off comparison, are timed too ("plain CTEs"). Django's FKs are deferred to COMMIT; a
  rolled-back floor never commits, so ``SET CONSTRAINTS ALL IMMEDIATE`` runs those checks and is
  timed with it; the statement alone is shown too. The floor leaves ``job_run`` empty (there is no
  JobRun), so it skips the service's two FK checks per history row against kam_jobrun. Overrides:
  the generated data has none; the steady-state floor honours an active override, not an expired
  one.
* **naive ORM loop** on the first 10 tenants (10,000 accounts), from the first-run state, per tenant
  in one transaction (rolled back): per account read its figures and its tier row, score in Python,
  ``AccountTier.save()`` and ``TierChange.save()``; extrapolated to all accounts.

Checks: the (account_id, tier, computed_tier, score) rows and the history rows of the floor and the
service (and of the ORM loop, for its tenants) are compared; expected 0 differences. Rolled-back
writes leave dead rows: the tier tables are vacuumed after each (owner, untimed). Target (issue 5):
service <= 1.5x the floor. When it is missed (or with --explain), EXPLAIN ANALYZE of one tenant's
statement in both states, under RLS and as the owner, is printed.

The figures are filled by ``figures_recompute`` per tenant (the nightly job's own service). It
took ~6 s per tenant here until its tenant total became a MATERIALIZED CTE: under RLS the planner
estimates one account per tenant and had put the total inside a nested loop.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from common import load_average, median, print_table, setup_django, vacuum_analyze

TENANTS = 1_000
ACCOUNTS_PER_TENANT = 1_000
TRANSACTIONS_PER_TENANT = 10_000
CHUNK = 100  # tenants per generation transaction
ORM_TENANTS = 10
SLUG_PREFIX = "tier-bench-"
TARGET = 1.5

TIER_TABLES = ["accounts_accounttier", "accounts_tierchange"]
DATA_TABLES = ["kam_tenant", "accounts_account", "accounts_transaction", "accounts_accountfigures",
               "accounts_tierpolicy", *TIER_TABLES, "kam_jobrun"]
# What the floor reads and writes: row-level security is lifted on these for its transaction.
FLOOR_TABLES = ["accounts_account", "accounts_accountfigures", "accounts_tierpolicy", *TIER_TABLES]

# --- generation ------------------------------------------------------------------------------------

TENANTS_SQL = """
INSERT INTO kam_tenant (name, slug, time_zone, currency, default_language, is_active, created_at)
SELECT '分级基准租户 ' || lpad(g::text, 4, '0'), %(prefix)s || lpad(g::text, 4, '0'),
       'Asia/Shanghai', 'CNY', 'zh-hans', true, now()
  FROM generate_series(1, %(n)s) g
ON CONFLICT (slug) DO NOTHING
"""

# k = the account's size rank in its tenant (0 = biggest), kept in external_id for the transactions.
ACCOUNTS_SQL = """
INSERT INTO accounts_account
    (tenant_id, name, short_name, unified_social_credit_code, industry, province, city,
     employee_count, annual_revenue_band, business_scope, development_stage, parent_id, owner_id,
     lifecycle_status, strategic_value, credit_rating, notes, external_id, created_at, updated_at)
SELECT x.tenant_id,
       '分级客户' || lpad(x.k::text, 4, '0') || '有限公司', '', '',
       (ARRAY['manufacturing', 'automotive', 'electronics', 'machinery', 'energy', 'chemicals',
              'retail', 'logistics', 'healthcare', 'telecom'])[1 + x.k %% 10],
       '', '', NULL, '', '', '', NULL, NULL,
       CASE WHEN x.k %% 50 = 49 THEN 'prospect' WHEN x.k %% 61 = 60 THEN 'at_risk'
            ELSE 'active' END,
       CASE WHEN x.k < 30 THEN 3 + floor(x.r1 * 3)::int
            WHEN x.r1 < 0.15 THEN 1 WHEN x.r1 < 0.40 THEN 2 WHEN x.r1 < 0.75 THEN 3
            WHEN x.r1 < 0.93 THEN 4 ELSE 5 END,
       CASE WHEN x.r2 < 0.25 THEN 'A' WHEN x.r2 < 0.60 THEN 'B' WHEN x.r2 < 0.80 THEN 'C'
            WHEN x.r2 < 0.90 THEN 'D' ELSE '' END,
       '', 'TB-' || lpad(x.k::text, 4, '0'), now(), now()
  FROM (SELECT t.id AS tenant_id, k, random() AS r1, random() AS r2
          FROM kam_tenant t CROSS JOIN generate_series(0, %(per_tenant)s - 1) k
         WHERE t.id = ANY(%(tenants)s)) x
"""

TRANSACTIONS_SQL = """
WITH acc AS (
    SELECT a.tenant_id, substr(a.external_id, 4)::int AS k, a.id,
           0.05 + ((a.id * 7919) %% 41) / 100.0 AS margin_rate,
           (ARRAY[0.38, 0.45, 0.50, 0.50, 0.55, 0.62])[1 + (a.id * 31) %% 6] AS p_recent
      FROM accounts_account a
     WHERE a.tenant_id = ANY(%(tenants)s)
),
draw AS (
    SELECT t.id AS tenant_id, 0.5 + (t.id %% 7) / 4.0 AS scale, g,
           random() AS r_account, random() AS r_recent, random() AS r_day, random() AS r_amount
      FROM kam_tenant t CROSS JOIN generate_series(1, %(per_tenant)s) g
     WHERE t.id = ANY(%(tenants)s)
),
picked AS (
    SELECT d.*, LEAST(floor(%(accounts)s * d.r_account * d.r_account)::int, %(accounts)s - 1) AS k,
           round((400000 * d.scale / sqrt(LEAST(floor(%(accounts)s * d.r_account * d.r_account),
                                               %(accounts)s - 1) + 1)
                  * (0.5 + d.r_amount))::numeric, 2) AS amount
      FROM draw d
)
INSERT INTO accounts_transaction
    (tenant_id, account_id, date, amount, gross_margin, product_line, refund_of_id, external_id,
     created_at, updated_at)
SELECT p.tenant_id, acc.id,
       CURRENT_DATE - CASE WHEN p.r_recent < acc.p_recent THEN floor(p.r_day * 365)::int
                           ELSE 365 + floor(p.r_day * 365)::int END,
       p.amount,
       round((p.amount * (acc.margin_rate + (p.r_amount - 0.5) * 0.04))::numeric, 2),
       (ARRAY['精密轴承', '伺服电机', '数控刀具', '液压元件', '传感器'])[1 + p.g %% 5],
       NULL, '', now(), now()
  FROM picked p JOIN acc ON acc.tenant_id = p.tenant_id AND acc.k = p.k
"""

# --- the floor: hand-written, default policy values as literals -----------------------------------

_POINTS = """
           30 * CASE WHEN COALESCE(f.revenue_12m, 0) >= 50000000 THEN 100
                     WHEN COALESCE(f.revenue_12m, 0) >= 10000000 THEN 80
                     WHEN COALESCE(f.revenue_12m, 0) >= 5000000 THEN 60
                     WHEN COALESCE(f.revenue_12m, 0) >= 1000000 THEN 40
                     WHEN COALESCE(f.revenue_12m, 0) >= 500000 THEN 20 ELSE 0 END
         + 15 * CASE WHEN COALESCE(f.revenue_share, 0) * 100 >= 5 THEN 100
                     WHEN COALESCE(f.revenue_share, 0) * 100 >= 3 THEN 75
                     WHEN COALESCE(f.revenue_share, 0) * 100 >= 1 THEN 50
                     WHEN COALESCE(f.revenue_share, 0) * 100 >= 0.5 THEN 25 ELSE 0 END
         + 15 * CASE WHEN COALESCE(f.order_count_12m, 0) >= 24 THEN 100
                     WHEN COALESCE(f.order_count_12m, 0) >= 12 THEN 75
                     WHEN COALESCE(f.order_count_12m, 0) >= 6 THEN 50
                     WHEN COALESCE(f.order_count_12m, 0) >= 2 THEN 25 ELSE 0 END
         + 10 * CASE WHEN f.revenue_12m > 0 THEN
                    CASE WHEN f.margin_12m * 100 / f.revenue_12m >= 40 THEN 100
                         WHEN f.margin_12m * 100 / f.revenue_12m >= 30 THEN 75
                         WHEN f.margin_12m * 100 / f.revenue_12m >= 20 THEN 50
                         WHEN f.margin_12m * 100 / f.revenue_12m >= 10 THEN 25 ELSE 0 END
                ELSE 0 END
         + 10 * CASE WHEN f.revenue_growth * 100 >= 30 THEN 100
                     WHEN f.revenue_growth * 100 >= 20 THEN 80
                     WHEN f.revenue_growth * 100 >= 10 THEN 60
                     WHEN f.revenue_growth * 100 >= 0 THEN 30 ELSE 0 END
         + 15 * CASE WHEN a.strategic_value >= 5 THEN 100 WHEN a.strategic_value >= 4 THEN 75
                     WHEN a.strategic_value >= 3 THEN 50 WHEN a.strategic_value >= 2 THEN 25
                     ELSE 0 END
         + 5 * CASE a.credit_rating WHEN 'A' THEN 100 WHEN 'B' THEN 70 WHEN 'C' THEN 30
                    WHEN 'D' THEN 0 WHEN '' THEN 50 ELSE 0 END"""

# MATERIALIZED: computed once per row. Inlined (plain WITH), PostgreSQL substitutes the score's
# whole expression into every CASE branch that compares it with a cut-off and evaluates it there
# again — twice the time for the same result (the plain variant is measured too).
FLOOR_INSERT_SQL = """
WITH pol AS (
    SELECT DISTINCT ON (tenant_id) tenant_id, id FROM accounts_tierpolicy
     ORDER BY tenant_id, version DESC
),
scored AS MATERIALIZED (
    SELECT a.id AS account_id, a.tenant_id, pol.id AS policy_id,
           ROUND((<points>) / 100.0, 2) AS score
      FROM accounts_account a
      JOIN pol ON pol.tenant_id = a.tenant_id
      LEFT JOIN accounts_accountfigures f ON f.account_id = a.id
),
tiered AS (
    SELECT scored.*, CASE WHEN score >= 80 THEN 'strategic' WHEN score >= 60 THEN 'key'
                          WHEN score >= 40 THEN 'important' ELSE 'general' END AS tier
      FROM scored
),
up AS (
    INSERT INTO accounts_accounttier
        (account_id, tenant_id, tier, computed_tier, score, policy_id, computed_at,
         override_tier, override_reason, change_seq)
    SELECT account_id, tenant_id, tier, tier, score, policy_id, %(now)s, '', '', 1 FROM tiered
    RETURNING account_id, tenant_id, tier, score, policy_id
)
INSERT INTO accounts_tierchange
    (tenant_id, account_id, seq, from_tier, to_tier, score, policy_id, source, reason, changed_at)
SELECT tenant_id, account_id, 1, '', tier, score, policy_id, 'computed', '', %(now)s FROM up
""".replace("<points>", _POINTS)

FLOOR_UPSERT_SQL = """
WITH pol AS (
    SELECT DISTINCT ON (tenant_id) tenant_id, id FROM accounts_tierpolicy
     ORDER BY tenant_id, version DESC
),
scored AS MATERIALIZED (
    SELECT a.id AS account_id, a.tenant_id, pol.id AS policy_id,
           ROUND((<points>) / 100.0, 2) AS score,
           t.tier AS prev_tier, t.computed_tier AS prev_computed, t.change_seq AS prev_seq,
           (t.override_tier <> '' AND t.override_until >= %(today)s) AS override_active,
           t.override_tier
      FROM accounts_account a
      JOIN pol ON pol.tenant_id = a.tenant_id
      LEFT JOIN accounts_accountfigures f ON f.account_id = a.id
      LEFT JOIN accounts_accounttier t ON t.account_id = a.id
),
computed AS (
    SELECT scored.*,
           CASE WHEN score >= 80 - CASE WHEN prev_computed = 'strategic' THEN 5 ELSE 0 END
                    THEN 'strategic'
                WHEN score >= 60 - CASE WHEN prev_computed IN ('strategic', 'key')
                                        THEN 5 ELSE 0 END
                    THEN 'key'
                WHEN score >= 40 - CASE WHEN prev_computed IN ('strategic', 'key', 'important')
                                        THEN 5 ELSE 0 END
                    THEN 'important'
                ELSE 'general' END AS computed
      FROM scored
),
decided AS (
    SELECT computed.*, CASE WHEN override_active THEN override_tier ELSE computed END AS tier
      FROM computed
),
up AS (
    INSERT INTO accounts_accounttier AS s
        (account_id, tenant_id, tier, computed_tier, score, policy_id, computed_at,
         override_tier, override_reason, change_seq)
    SELECT account_id, tenant_id, tier, computed, score, policy_id, %(now)s,
           COALESCE(override_tier, ''), '',
           COALESCE(prev_seq, 0) + CASE WHEN tier IS DISTINCT FROM prev_tier THEN 1 ELSE 0 END
      FROM decided
    ON CONFLICT (tenant_id, account_id) DO UPDATE SET
        tier = EXCLUDED.tier, computed_tier = EXCLUDED.computed_tier, score = EXCLUDED.score,
        policy_id = EXCLUDED.policy_id, computed_at = EXCLUDED.computed_at,
        change_seq = EXCLUDED.change_seq
    WHERE (s.tier, s.computed_tier, s.score, s.policy_id)
          IS DISTINCT FROM (EXCLUDED.tier, EXCLUDED.computed_tier, EXCLUDED.score,
                            EXCLUDED.policy_id)
    RETURNING s.account_id, s.change_seq
)
INSERT INTO accounts_tierchange
    (tenant_id, account_id, seq, from_tier, to_tier, score, policy_id, source, reason, changed_at)
SELECT d.tenant_id, d.account_id, up.change_seq, COALESCE(d.prev_tier, ''), d.tier, d.score,
       d.policy_id, 'computed', '', %(now)s
  FROM up JOIN decided d ON d.account_id = up.account_id
 WHERE d.tier IS DISTINCT FROM d.prev_tier
""".replace("<points>", _POINTS)

FLOOR_INSERT_PLAIN_SQL = FLOOR_INSERT_SQL.replace("scored AS MATERIALIZED (", "scored AS (")
FLOOR_UPSERT_PLAIN_SQL = FLOOR_UPSERT_SQL.replace("scored AS MATERIALIZED (", "scored AS (")

TIER_COLUMNS = "account_id, tier, computed_tier, score"
CHANGE_COLUMNS = "account_id, seq, from_tier, to_tier, score, source"


# --- helpers ---------------------------------------------------------------------------------------


def _bench_tenants(limit: int | None = None) -> list:
    from kam.models import Tenant

    tenants = Tenant.objects.filter(slug__startswith=SLUG_PREFIX).order_by("slug")
    return list(tenants[:limit] if limit else tenants)


def _system_counts(table: str) -> dict[int, int]:
    """Rows per tenant of a tenant table (a cross-tenant read: kam.tenancy.system_read)."""
    from django.db import connection

    from kam.tenancy import system_read

    with system_read("bench/tiering: counts per tenant"), connection.cursor() as cursor:
        cursor.execute(f"SELECT tenant_id, count(*) FROM {table} GROUP BY 1")  # noqa: S608
        return dict(cursor.fetchall())


@contextmanager
def _owner_all_tenants(rls: list[str], triggers: tuple[str, ...] = (),
                       rollback: bool = False) -> Iterator:
    """As the owner, in one transaction, with row-level security not forced on ``rls`` and the
    audit triggers off on ``triggers``; both restored before it commits (after the deferred FK
    checks: ALTER TABLE refuses tables with pending trigger events), or everything rolled back."""
    from django.db import connection, transaction

    with connection.as_owner(), transaction.atomic(), connection.cursor() as cursor:
        for table in triggers:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        for table in rls:
            cursor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        yield cursor
        if rollback:
            transaction.set_rollback(True)
            return
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in triggers:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        for table in rls:
            cursor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")


def _timed_step(label: str, rows: int, started: float) -> list[str]:
    seconds = time.perf_counter() - started
    return [label, f"{rows:,}", f"{seconds:.1f}", f"{rows / seconds:,.0f} rows/s" if rows else ""]


# --- generation ------------------------------------------------------------------------------------


def regenerate() -> None:
    """Empty every tenant table of this state dir (refuses if a tenant is not a bench tenant)."""
    from django.db import connection

    from kam.models import Tenant

    others = Tenant.objects.exclude(slug__startswith=SLUG_PREFIX).values_list("slug", flat=True)
    if others:
        raise SystemExit(f"--regenerate truncates every tenant table; this database also holds "
                         f"{', '.join(others[:5])}: use a state dir of its own (KAM_STATE_DIR).")
    started = time.perf_counter()
    with connection.as_owner(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE kam_tenant CASCADE")
    print(f"regenerate: every tenant table truncated in {time.perf_counter() - started:.1f} s")


def generate(n_tenants: int) -> None:
    """Fill what is missing (a rerun skips it); print what it did."""
    from django.db import connection

    from accounts.figures.services import figures_recompute
    from accounts.tiering.services import tier_policy_ensure
    from kam.tenancy import tenant_context

    steps: list[list[str]] = []
    started = time.perf_counter()
    with connection.as_owner(), connection.cursor() as cursor:
        cursor.execute(TENANTS_SQL, {"prefix": SLUG_PREFIX, "n": n_tenants})
        created = cursor.rowcount
    tenants = _bench_tenants(n_tenants)
    steps.append(_timed_step("tenants", created, started) if created
                 else ["tenants", f"{len(tenants):,}", "-", "present"])

    for label, table, per_tenant, sql, extra in (
            ("accounts", "accounts_account", ACCOUNTS_PER_TENANT, ACCOUNTS_SQL, {}),
            ("transactions", "accounts_transaction", TRANSACTIONS_PER_TENANT, TRANSACTIONS_SQL,
             {"accounts": ACCOUNTS_PER_TENANT})):
        have = _system_counts(table)
        odd = {t.slug: have[t.pk] for t in tenants if have.get(t.pk, per_tenant) != per_tenant}
        if odd:
            raise SystemExit(f"{table}: tenants with a partial fill {list(odd.items())[:3]}: "
                             "run with --regenerate")
        missing = [t.pk for t in tenants if t.pk not in have]
        if not missing:
            steps.append([label, f"{sum(have.get(t.pk, 0) for t in tenants):,}", "-", "present"])
            continue
        started = time.perf_counter()
        for i in range(0, len(missing), CHUNK):
            chunk = missing[i:i + CHUNK]
            # The transactions' fill reads the accounts of every tenant of the chunk too.
            with _owner_all_tenants(sorted({"accounts_account", table}), (table,)) as cursor:
                cursor.execute("SELECT setseed(%s)", [(chunk[0] % 1000) / 1000])
                cursor.execute(sql, {"tenants": chunk, "per_tenant": per_tenant, **extra})
            print(f"  {label}: {min(i + CHUNK, len(missing))}/{len(missing)} tenants "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)
        vacuum_analyze([table])
        steps.append(_timed_step(label, len(missing) * per_tenant, started))

    have = _system_counts("accounts_tierpolicy")
    missing = [t for t in tenants if t.pk not in have]
    started = time.perf_counter()
    for tenant in missing:
        with tenant_context(tenant):
            tier_policy_ensure()
    steps.append(_timed_step("tier policies (built-in default, v1)", len(missing), started)
                 if missing else ["tier policies", f"{len(tenants):,}", "-", "present"])

    # Figures: the nightly figures service per tenant (as that tenant, under RLS).
    have = _system_counts("accounts_accountfigures")
    odd = [t.slug for t in tenants if have.get(t.pk, ACCOUNTS_PER_TENANT) != ACCOUNTS_PER_TENANT]
    if odd:
        raise SystemExit(f"accounts_accountfigures: partial tenants {odd[:3]}: --regenerate")
    missing = [t for t in tenants if t.pk not in have]
    if missing:
        started = time.perf_counter()
        for i, tenant in enumerate(missing, start=1):
            figures_recompute(tenant_id=tenant.pk)
            if i % CHUNK == 0 or i == len(missing):
                print(f"  figures: {i}/{len(missing)} tenants "
                      f"({time.perf_counter() - started:.0f} s)", flush=True)
        steps.append(_timed_step("figures (figures_recompute per tenant)",
                                 len(missing) * ACCOUNTS_PER_TENANT, started))
        started = time.perf_counter()
        vacuum_analyze(DATA_TABLES)
        steps.append(["vacuum analyze", "-", f"{time.perf_counter() - started:.1f}", ""])
    else:
        steps.append(["figures", f"{sum(have.values()):,}", "-", "present"])
    print(f"\ndata: {len(tenants):,} tenants; {load_average()}\n")
    print_table(["step", "rows", "seconds", "note"], steps)


# --- the floor -------------------------------------------------------------------------------------


def _floor(sql: str, today: datetime.date, dump: Path | None = None) -> dict[str, float | int]:
    """The hand-written statement for all tenants, rolled back; the rows it wrote go to ``dump``."""
    from django.utils import timezone

    now = timezone.now()
    with _owner_all_tenants(FLOOR_TABLES, rollback=True) as cursor:
        started = time.perf_counter()
        cursor.execute(sql, {"now": now, "today": today})
        statement = time.perf_counter() - started
        history = cursor.rowcount
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the FK checks a COMMIT would run
        with_fks = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM accounts_accounttier WHERE computed_at = %s", [now])
        written = cursor.fetchone()[0]
        if dump is not None:
            with open(dump.with_suffix(".tiers"), "w") as out:
                cursor.copy_expert(
                    f"COPY (SELECT {TIER_COLUMNS} FROM accounts_accounttier) TO STDOUT",  # noqa: S608
                    out)
            with open(dump.with_suffix(".changes"), "w") as out:
                cursor.copy_expert(
                    f"COPY (SELECT {CHANGE_COLUMNS} FROM accounts_tierchange) TO STDOUT",  # noqa: S608
                    out)
    vacuum_analyze(TIER_TABLES)  # the rolled-back rows are dead rows: gone before the next step
    return {"statement": statement, "seconds": with_fks, "written": written, "history": history}


def _count_tier_rows_written(since: datetime.datetime) -> tuple[int, int]:
    """Tier rows and history rows the service wrote since ``since``."""
    from django.db import connection

    from kam.tenancy import system_read

    with system_read("bench/tiering: rows written"), connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT count(*) FROM accounts_accounttier WHERE computed_at >= %s), "
                       "(SELECT count(*) FROM accounts_tierchange WHERE changed_at >= %s)",
                       [since, since])
        return cursor.fetchone()


def _load_floor(dump: Path) -> None:
    """The floor's rows into temp tables of this connection (kam_app: temp tables have no RLS)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS floor_tiers "
                       "(account_id bigint, tier text, computed_tier text, score numeric)")
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS floor_changes (account_id bigint, "
                       "seq int, from_tier text, to_tier text, score numeric, source text)")
        cursor.execute("TRUNCATE floor_tiers, floor_changes")
        with open(dump.with_suffix(".tiers")) as src:
            cursor.copy_expert("COPY floor_tiers FROM STDIN", src)
        with open(dump.with_suffix(".changes")) as src:
            cursor.copy_expert("COPY floor_changes FROM STDIN", src)
        cursor.execute("ANALYZE floor_tiers")
        cursor.execute("ANALYZE floor_changes")


def _differences(tenant_ids: list[int] | None = None) -> tuple[int, int]:
    """Rows of the floor (temp tables) and of the stored tier tables that are not in the other:
    (tier rows, history rows), over every tenant or ``tenant_ids``."""
    from django.db import connection

    from kam.tenancy import system_read

    where = "WHERE tenant_id = ANY(%(t)s)" if tenant_ids else ""
    floor_where = ("WHERE account_id IN (SELECT id FROM accounts_account WHERE tenant_id = ANY(%(t)s))"
                   if tenant_ids else "")
    out = []
    with system_read("bench/tiering: compare with the floor"), connection.cursor() as cursor:
        for columns, table, temp in ((TIER_COLUMNS, "accounts_accounttier", "floor_tiers"),
                                     (CHANGE_COLUMNS, "accounts_tierchange", "floor_changes")):
            cursor.execute(f"""
                SELECT count(*) FROM (
                    (SELECT {columns} FROM {temp} {floor_where}
                     EXCEPT ALL SELECT {columns} FROM {table} {where})
                    UNION ALL
                    (SELECT {columns} FROM {table} {where}
                     EXCEPT ALL SELECT {columns} FROM {temp} {floor_where})) d""",  # noqa: S608
                           {"t": tenant_ids})
            out.append(cursor.fetchone()[0])
    return out[0], out[1]


# --- the service, in a child process ---------------------------------------------------------------


def _rss_kb() -> tuple[int, int]:
    import psutil

    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            psutil.Process().memory_info().rss // 1024)


def child_service(label: str) -> int:
    """run_job("tiering", tenant) for every bench tenant; prints one JSON line."""
    setup_django()
    from django.db import connection

    from kam.jobs import run_job
    from kam.models import JobOutcome

    tenants = _bench_tenants()
    rss_start = _rss_kb()
    spent = {"statement": 0.0, "other": 0.0, "queries": 0, "commit": 0.0}
    connection.ensure_connection()
    commit = connection._commit

    def timed_commit() -> None:  # the deferred FK checks run here
        started = time.perf_counter()
        try:
            commit()
        finally:
            spent["commit"] += time.perf_counter() - started

    connection._commit = timed_commit  # this process only: a stopwatch, nothing else changes

    def timer(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            key = "statement" if "INSERT INTO accounts_accounttier" in sql else "other"
            spent[key] += time.perf_counter() - started
            spent["queries"] += 1

    outcomes: dict[str, int] = {}
    examined = changed = 0
    rss_10, seconds_10 = None, 0.0
    with connection.execute_wrapper(timer):
        started = time.perf_counter()
        for n, tenant in enumerate(tenants, 1):
            run = run_job("tiering", tenant)
            outcomes[run.outcome] = outcomes.get(run.outcome, 0) + 1
            examined += run.examined
            changed += run.changed
            if n == min(ORM_TENANTS, len(tenants)):
                seconds_10 = time.perf_counter() - started
                rss_10 = _rss_kb()
        seconds = time.perf_counter() - started
    print("RESULT " + json.dumps({
        "label": label, "tenants": len(tenants), "seconds": seconds, "seconds_10": seconds_10,
        "examined": examined, "changed": changed, "outcomes": outcomes,
        "succeeded": outcomes.get(JobOutcome.SUCCEEDED, 0), "spent": spent,
        "rss_start_kb": rss_start, "rss_10_kb": rss_10, "rss_all_kb": _rss_kb()}), flush=True)
    return 0


def _service(label: str) -> dict:
    env = dict(os.environ)
    proc = subprocess.run([sys.executable, __file__, "--child", label], env=env,
                          capture_output=True, text=True, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
            if result["succeeded"] != result["tenants"]:
                raise SystemExit(f"service run {label}: outcomes {result['outcomes']}\n"
                                 f"{proc.stderr[-3000:]}")
            return result
    raise SystemExit(f"service child failed ({proc.returncode}):\n{proc.stderr[-5000:]}")


# --- the naive ORM loop ----------------------------------------------------------------------------


def _python_points(spec: dict, value) -> Decimal:
    points = Decimal(0)
    if value is None:
        return points
    for threshold, pts in spec["thresholds"]:  # ascending: the highest step reached counts
        if Decimal(value) >= Decimal(str(threshold)):
            points = Decimal(str(pts))
    return points


def _python_score(criteria: dict, account, figures) -> Decimal:
    revenue = figures.revenue_12m if figures else Decimal(0)
    raw = {
        "revenue": revenue,
        "share": (figures.revenue_share if figures else Decimal(0)) * 100,
        "frequency": figures.order_count_12m if figures else 0,
        "margin": (figures.margin_12m * 100 / revenue) if figures and revenue > 0 else None,
        "growth": (figures.revenue_growth * 100
                   if figures and figures.revenue_growth is not None else None),
        "strategic": account.strategic_value,
    }
    total = Decimal(0)
    for key, spec in criteria.items():
        if not spec["enabled"]:
            continue
        if key == "credit":
            points = Decimal(str(spec["points"].get(account.credit_rating, 0)))
        else:
            points = _python_points(spec, raw[key])
        total += points * spec["weight"]
    return (total / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _python_tier(policy, score: Decimal, previous: str | None) -> str:
    from accounts.tiering.models import TIER_RANK

    rank = TIER_RANK.get(previous or "", 0)
    margin = Decimal(policy.hysteresis)
    for tier, cutoff, level in (("strategic", policy.cutoff_strategic, 4),
                                ("key", policy.cutoff_key, 3),
                                ("important", policy.cutoff_important, 2)):
        if score >= Decimal(cutoff) - (margin if rank >= level else 0):
            return tier
    return "general"


def orm_loop(tenants: list) -> tuple[float, int]:
    """Per tenant in one transaction, per account: read figures and tier, score in Python, save."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Account, AccountFigures, AccountTier, TierChange
    from accounts.tiering.selectors import current_policy
    from kam.tenancy import tenant_context

    accounts = 0
    started = time.perf_counter()
    for tenant in tenants:
        with tenant_context(tenant), transaction.atomic():
            policy = current_policy()
            now = timezone.now()
            for account in Account.objects.order_by("pk"):
                figures = AccountFigures.objects.filter(account=account).first()
                state = AccountTier.objects.filter(account=account).first()
                score = _python_score(policy.criteria, account, figures)
                computed = _python_tier(policy, score, state.computed_tier if state else None)
                previous = state.tier if state else ""
                if state is None:
                    state = AccountTier(account=account, change_seq=0)
                tier = computed if not state.override_tier else state.override_tier
                if (state.tier, state.computed_tier, state.score) == (tier, computed, score):
                    continue
                if tier != previous:
                    state.change_seq += 1
                state.tier, state.computed_tier, state.score = tier, computed, score
                state.policy, state.computed_at = policy, now
                state.save()
                if tier != previous:
                    TierChange(account=account, seq=state.change_seq, from_tier=previous,
                               to_tier=tier, score=score, policy=policy, source="computed",
                               changed_at=now).save()
                accounts += 1
    return time.perf_counter() - started, accounts


# --- diagnostics -----------------------------------------------------------------------------------


@contextmanager
def _app_rolled_back() -> Iterator:
    """A kam_app transaction (the current tenant's RLS) that is rolled back."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        yield cursor
        transaction.set_rollback(True)


def explain(tenant) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of one tenant's service statement, rolled back, in the first-run
    state (the tenant's tier rows deleted inside the transaction) and in the current (steady)
    state: as kam_app under RLS (the plan) and as the owner with RLS not forced (the timings)."""
    from django.utils import timezone

    from accounts.tiering import selectors as tiering_selectors
    from accounts.tiering import sql as tiering_sql
    from kam.clock import today as tenant_today
    from kam.tenancy import tenant_context

    with tenant_context(tenant):
        policy = tiering_selectors.current_policy()
        sql, params = tiering_sql.scoring_sql(policy, accounts=False)
        params.update(tenant=tenant.pk, today=tenant_today(tenant), now=timezone.now(),
                      policy=policy.pk, run=None, accounts=None)
        statement = "EXPLAIN (ANALYZE, BUFFERS) " + sql + tiering_sql.RECOMPUTE_SQL
        for state, first_run in (("first run", True), ("steady state", False)):
            plans = {}
            for who, context in (("kam_app under RLS", _app_rolled_back),
                                 ("the owner, RLS not forced",
                                  lambda: _owner_all_tenants(FLOOR_TABLES, rollback=True))):
                with context() as cursor:
                    if first_run:
                        for table in ("accounts_tierchange", "accounts_accounttier"):
                            cursor.execute(f"DELETE FROM {table} WHERE tenant_id = %s",  # noqa: S608
                                           [tenant.pk])
                    cursor.execute(statement, params)
                    plans[who] = [row[0] for row in cursor.fetchall()]
            print(f"\nEXPLAIN ANALYZE of tenant {tenant.slug}'s tiering statement, {state}, as "
                  "kam_app under RLS:")
            print("\n".join(plans["kam_app under RLS"]))
            print("... as the owner, RLS not forced: "
                  + ", ".join(line.strip() for line in plans["the owner, RLS not forced"][-2:]))
    vacuum_analyze(TIER_TABLES)


# --- the run ---------------------------------------------------------------------------------------


def _reset_tiers() -> None:
    """The first-run state: no AccountTier and no TierChange row (owner: TRUNCATE has no RLS)."""
    from django.db import connection

    with connection.as_owner(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE accounts_tierchange, accounts_accounttier")
    vacuum_analyze(TIER_TABLES)


def _warm_up() -> None:
    """Read what both sides read once, so neither pays for a cold cache alone."""
    from django.db import connection

    from kam.tenancy import system_read

    with system_read("bench/tiering: warm-up"), connection.cursor() as cursor:
        cursor.execute("SELECT count(*), sum(f.revenue_12m), sum(a.strategic_value) "
                       "FROM accounts_account a JOIN accounts_accountfigures f "
                       "ON f.account_id = a.id")


def _distribution() -> list[list[str]]:
    from django.db import connection

    from kam.tenancy import system_read

    with system_read("bench/tiering: distribution"), connection.cursor() as cursor:
        cursor.execute("""
            SELECT tier, count(*), min(score), percentile_cont(0.5) WITHIN GROUP (ORDER BY score),
                   max(score), count(DISTINCT tenant_id)
              FROM accounts_accounttier GROUP BY tier
             ORDER BY CASE tier WHEN 'strategic' THEN 1 WHEN 'key' THEN 2
                                WHEN 'important' THEN 3 ELSE 4 END""")
        rows = cursor.fetchall()
    total = sum(r[1] for r in rows) or 1
    return [[tier, f"{n:,}", f"{100 * n / total:.1f} %", f"{lo}", f"{mid:.2f}", f"{hi}",
             f"{tenants:,}"] for tier, n, lo, mid, hi, tenants in rows]


FIRST_CASES = {  # label: (statement, vs which floor)
    "floor: INSERT ... SELECT + history": FLOOR_INSERT_SQL,
    "floor, plain CTEs (score inlined)": FLOOR_INSERT_PLAIN_SQL,
    "floor as upsert (the service's shape)": FLOOR_UPSERT_SQL,
}
STEADY_CASES = {
    "floor: upsert with the service's WHERE": FLOOR_UPSERT_SQL,
    "floor, plain CTEs (score inlined)": FLOOR_UPSERT_PLAIN_SQL,
}


def measure(args: argparse.Namespace) -> None:
    from django.db import transaction
    from django.utils import timezone

    from kam.clock import today as tenant_today

    tenants = _bench_tenants()
    counts = {table: _system_counts(table) for table in ("accounts_account",
                                                         "accounts_transaction")}
    n_accounts = sum(counts["accounts_account"].get(t.pk, 0) for t in tenants)
    n_transactions = sum(counts["accounts_transaction"].get(t.pk, 0) for t in tenants)
    today = tenant_today(tenants[0])
    dump = Path(tempfile.mkdtemp(prefix="kam-bench-tiering-")) / "floor"
    results: dict[tuple[str, str], list[dict]] = {}
    orm = diffs = None
    distribution: list[list[str]] = []
    _warm_up()
    for run in range(args.runs):
        print(f"run {run + 1}/{args.runs}: first run (no tier rows) ...", flush=True)
        _reset_tiers()
        for label, sql in FIRST_CASES.items():
            keep = run == 0 and sql is FLOOR_INSERT_SQL
            results.setdefault(("first", label), []).append(
                _floor(sql, today, dump if keep else None))
        if run == 0 and not args.skip_orm:
            _load_floor(dump)
            with transaction.atomic():
                seconds, written = orm_loop(tenants[:ORM_TENANTS])
                orm_diffs = _differences([t.pk for t in tenants[:ORM_TENANTS]])
                transaction.set_rollback(True)
            vacuum_analyze(TIER_TABLES)
            orm = {"seconds": seconds, "accounts": written, "diffs": orm_diffs}
        since = timezone.now()
        service = _service("first")
        service["written"], service["history"] = _count_tier_rows_written(since)
        results.setdefault(("first", "service"), []).append(service)
        if run == 0:
            _load_floor(dump)
            diffs = _differences()
            distribution = _distribution()
        vacuum_analyze([*TIER_TABLES, "kam_jobrun"])  # what autovacuum does after 1M inserts
        print(f"run {run + 1}/{args.runs}: steady state (nothing changes) ...", flush=True)
        for label, sql in STEADY_CASES.items():
            results.setdefault(("steady", label), []).append(_floor(sql, today))
        since = timezone.now()
        service = _service("steady")
        service["written"], service["history"] = _count_tier_rows_written(since)
        results.setdefault(("steady", "service"), []).append(service)
    for suffix in (".tiers", ".changes"):
        dump.with_suffix(suffix).unlink(missing_ok=True)
    dump.parent.rmdir()
    _report(args, tenants, n_accounts, n_transactions, results, orm, diffs, distribution)
    if args.explain or not all(ratio <= TARGET for ratio in _ratios(results).values()):
        explain(tenants[len(tenants) // 2])


def _median(runs: list[dict], key: str = "seconds") -> float:
    return median([r[key] if key != "statement" or "statement" in r else r["spent"]["statement"]
                   for r in runs])


def _ratios(results: dict) -> dict[str, float]:
    """service / floor (the MATERIALIZED one) and service / plain floor, per state."""
    first_floor, steady_floor = next(iter(FIRST_CASES)), next(iter(STEADY_CASES))
    return {
        "first run": _median(results[("first", "service")])
        / _median(results[("first", first_floor)]),
        "steady state": _median(results[("steady", "service")])
        / _median(results[("steady", steady_floor)]),
    }


def _report(args, tenants, n_accounts, n_transactions, results, orm, diffs,
            distribution) -> None:
    runs_cols = [f"run {i + 1} s" for i in range(args.runs)]
    print(f"\n{len(tenants):,} tenants, {n_accounts:,} accounts, {n_transactions:,} transactions; "
          f"{args.runs} run(s), medians; {load_average()}\n")
    table = []
    for state, title in (("first", "first run"), ("steady", "steady state")):
        base = _median(results[(state, next(iter(FIRST_CASES if state == "first"
                                                  else STEADY_CASES)))])
        for (st, label), runs in results.items():
            if st != state:
                continue
            secs = [r["seconds"] for r in runs]
            last = runs[-1]
            if label == "service":
                label = "service: run_job per tenant"
                statement = _median(runs, "statement")
                rest = median([r["seconds"] - r["spent"]["statement"] for r in runs])
            else:
                statement = _median(runs, "statement")
                rest = median([r["seconds"] - r["statement"] for r in runs])
            table.append([f"{title}: {label}", *(f"{s:.2f}" for s in secs),
                          f"{median(secs):.2f}", f"{statement:.2f}", f"{rest:.2f}",
                          f"{median(secs) / base:.2f}x",
                          f"{last['written']:,} + {last['history']:,}"])
    print_table(["case", *runs_cols, "median s", "statement s", "rest s", "vs floor",
                 "rows written (tiers + history)"], table)
    print("(floor: one statement for all tenants, as the owner, RLS not forced, rolled back; "
          "rest = the deferred FK checks a commit runs. service: statement = the tiering "
          "statements; rest = commits (FK checks), JobRun, lock, policy, tenant and Python)")

    print("\nwhere the service's time goes (last run):")
    parts = []
    for state in ("first", "steady"):
        r = results[(state, "service")][-1]
        sp = r["spent"]
        python = r["seconds"] - sp["statement"] - sp["other"] - sp["commit"]
        parts.append([state, f"{r['seconds']:.2f}", f"{sp['statement']:.2f}",
                      f"{sp['commit']:.2f}", f"{sp['other']:.2f}", f"{python:.2f}",
                      f"{sp['queries']:,}",
                      f"{1000 * (r['seconds'] - sp['statement']) / r['tenants']:.1f}"])
    print_table(["service", "total s", "tiering statements s", "commits s", "other queries s",
                 "python s", "queries", "not the statement, ms/tenant"], parts)

    ratios = _ratios(results)
    plain = {
        "first run": _median(results[("first", "service")])
        / _median(results[("first", "floor, plain CTEs (score inlined)")]),
        "steady state": _median(results[("steady", "service")])
        / _median(results[("steady", "floor, plain CTEs (score inlined)")]),
    }
    print(f"\ntarget: service <= {TARGET:.2f}x floor -> "
          + "; ".join(f"{state} {ratio:.2f}x {'OK' if ratio <= TARGET else 'MISSED'} "
                      f"(vs the plain-CTE floor {plain[state]:.2f}x)"
                      for state, ratio in ratios.items()))
    if diffs is not None:
        print(f"floor vs service: {diffs[0]} tier rows differ, {diffs[1]} history rows differ "
              f"{'(OK)' if diffs == (0, 0) else '(MISMATCH)'}")

    if orm is not None:
        sample = min(ORM_TENANTS, len(tenants)) * ACCOUNTS_PER_TENANT
        extrapolated = orm["seconds"] * n_accounts / sample
        svc1 = _median(results[("first", "service")])
        svc10 = median([r["seconds_10"] for r in results[("first", "service")]])
        print(f"\nnaive ORM loop, first {ORM_TENANTS} tenants ({sample:,} accounts, "
              f"{orm['accounts']:,} saved, rolled back): {orm['seconds']:.2f} s "
              f"({1000 * orm['seconds'] / sample:.2f} ms/account); extrapolated to "
              f"{n_accounts:,} accounts: {extrapolated:,.0f} s = {extrapolated / 3600:.2f} h = "
              f"{extrapolated / svc1:.1f}x the service's first run ({svc1:.2f} s); the service "
              f"took {svc10:.2f} s for the same {ORM_TENANTS} tenants "
              f"({orm['seconds'] / svc10:.1f}x)")
        print(f"ORM loop vs floor on its tenants: {orm['diffs'][0]} tier rows differ, "
              f"{orm['diffs'][1]} history rows differ")

    print("\nmemory of the service process, MB: peak (ru_maxrss) and, in brackets, current RSS")
    mem = []
    for state in ("first", "steady"):
        r = results[(state, "service")][-1]
        mem.append([state, *(f"{r[k][0] / 1024:.1f} ({r[k][1] / 1024:.1f})"
                             for k in ("rss_start_kb", "rss_10_kb", "rss_all_kb")),
                    f"{(r['rss_all_kb'][0] - r['rss_10_kb'][0]) / 1024:+.1f}"])
    print_table(["service", "after django.setup", f"after {ORM_TENANTS} tenants",
                 f"after {len(tenants):,} tenants", "peak growth 10 -> all"], mem)

    if distribution:
        print("\ntier distribution after the first run (default policy):")
        print_table(["tier", "accounts", "share", "min score", "median", "max score",
                     "tenants with it"], distribution)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--regenerate", action="store_true",
                        help="truncate every tenant table of this state dir and generate again")
    parser.add_argument("--tenants", type=int, default=TENANTS, help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=1, help="measurement rounds (medians)")
    parser.add_argument("--skip-orm", action="store_true", help="leave out the naive ORM loop")
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--explain", action="store_true",
                        help="EXPLAIN ANALYZE one tenant's statement, under RLS and as the owner")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child_service(args.child)
    setup_django()
    from django.core.management import call_command

    call_command("migrate", "--no-input", verbosity=0)
    if args.regenerate:
        regenerate()
    generate(args.tenants)
    if not args.generate_only:
        measure(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The nightly visit-cadence job (visits.cadence) against one hand-written statement for the same
rows, measured in the same run.

    export KAM_STATE_DIR=$PWD/.kam/bench-cadence      # its own database (the default)
    .venv/bin/python bench/cadence.py [--tenants 20] [--accounts 1000] [--visits 5] [--runs 3]

Generates once (idempotent by slug, ``cadence-0001`` …): ``--tenants`` companies (made like every
company: their service standards stored), each with ``--accounts`` accounts (one in 20 a
prospect, one in 23 churned, one in 15 without an owner), a tier for every account (strategic,
key, important, general in turn; every other one with a tier change 1–400 days ago), two contacts
per account at levels in turn, and ``--visits`` visits per account over the last two years at the
three levels (70 % completed, the rest planned, missed or cancelled). The issue's scale (1,000
companies × 1,000 accounts, 5 M visits) is ``--tenants 1000 --visits 5``: hours of generation on
a 2-core machine; the default is a fiftieth of it.

Measures, ``--runs`` times each (median):

* **job, first run**: the tenants' cadence rows deleted, then ``kam.jobs.run_job("cadence",
  tenant)`` for every tenant (the real path: JobRun rows, the advisory lock, RLS, one statement
  per tenant, every row inserted);
* **job, unchanged**: the same again with nothing to change (the nightly steady state);
* **floor**: one hand-written ``CREATE TEMP TABLE … AS SELECT`` computing the same rows for every
  bench tenant at once, as the owner with row-level security not forced, rolled back — the
  floor of the nightly steady state (nothing to write); and the same statement as an ``INSERT``
  into ``visits_cadencestatus`` after deleting the tenants' rows (its key, indexes, WAL and the
  deferred FK checks), rolled back — the floor of a first run.

Then checks the floor's rows equal what the job stored (rows that differ: expected 0), and
prints the ratio job ÷ floor. Target (issue 13): ≤ 1.5×.
"""

from __future__ import annotations

import argparse
import datetime
import time

from common import in_bench_tenant, load_average, median, print_table, setup_django

PREFIX = "cadence-"
TABLES = ["accounts_account", "accounts_accounttier", "accounts_tierchange", "kam_membership",
          "accounts_servicestandard", "accounts_contact", "visits_visit"]

FILL_SQL = """
INSERT INTO accounts_account
    (tenant_id, name, short_name, unified_social_credit_code, industry, province, city,
     employee_count, annual_revenue_band, business_scope, development_stage, parent_id, owner_id,
     lifecycle_status, strategic_value, credit_rating, notes, external_id, created_at, updated_at)
SELECT %(tenant)s, '节奏客户' || lpad(g::text, 6, '0') || '有限公司', '', '', '', '', '', NULL, '',
       '', '', NULL, CASE WHEN g %% 15 = 0 THEN NULL ELSE %(owner)s END,
       CASE WHEN g %% 20 = 0 THEN 'prospect' WHEN g %% 23 = 0 THEN 'churned' ELSE 'active' END,
       3, '', '', '', %(now)s - make_interval(days => (400 + g %% 700)::int), %(now)s
  FROM generate_series(1, %(n)s) g;

INSERT INTO accounts_accounttier (account_id, tenant_id, tier, computed_tier, score, policy_id,
                                  computed_at, override_tier, override_reason, change_seq)
SELECT a.id, a.tenant_id,
       (ARRAY['strategic', 'key', 'important', 'general'])[1 + a.id %% 4],
       (ARRAY['strategic', 'key', 'important', 'general'])[1 + a.id %% 4], 50, %(policy)s,
       %(now)s, '', '', 1
  FROM accounts_account a WHERE a.tenant_id = %(tenant)s;

INSERT INTO accounts_tierchange (tenant_id, account_id, seq, from_tier, to_tier, score, policy_id,
                                 source, reason, changed_at)
SELECT t.tenant_id, t.account_id, 1, '', t.tier, 50, t.policy_id, 'computed', '',
       %(now)s - make_interval(days => (1 + t.account_id %% 400)::int)
  FROM accounts_accounttier t WHERE t.tenant_id = %(tenant)s AND t.account_id %% 2 = 0;

INSERT INTO accounts_contact (tenant_id, account_id, name, title, department, level, buying_role,
                              relationship_strength, phone, email, wechat_id, birthday_is_lunar,
                              is_active, notes, external_id, created_at, updated_at)
SELECT a.tenant_id, a.id, '联系人' || k, '', '', (ARRAY['leadership', 'technical', 'business'])[
           1 + (a.id + k) %% 3], '', 3, '', '', '', false, true, '', '', %(now)s, %(now)s
  FROM accounts_account a CROSS JOIN generate_series(1, 2) k WHERE a.tenant_id = %(tenant)s;

INSERT INTO visits_visit (tenant_id, account_id, level, channel, planned_start, duration_minutes,
                          location, objective, owner_id, status, reschedule_count, cancel_reason,
                          cancelled_at, summary, discussed, customer_commitments, sentiment,
                          completed_at, external_id, created_at, updated_at)
SELECT a.tenant_id, a.id, (ARRAY['leadership', 'technical', 'business'])[1 + (a.id * 7 + k) %% 3],
       'on_site', %(now)s - make_interval(days => ((a.id * 37 + k * 101) %% 730)::int),
       60, '', '回访',
       %(owner)s, s.status, 0, CASE WHEN s.status = 'cancelled' THEN '改期' ELSE '' END,
       CASE WHEN s.status = 'cancelled' THEN %(now)s END,
       '', '', '', '', CASE WHEN s.status = 'completed' THEN %(now)s END, '', %(now)s, %(now)s
  FROM accounts_account a CROSS JOIN generate_series(1, %(visits)s) k
  CROSS JOIN LATERAL (SELECT CASE WHEN (a.id + k) %% 10 < 7 THEN 'completed'
                                  WHEN (a.id + k) %% 10 < 8 THEN 'planned'
                                  WHEN (a.id + k) %% 10 < 9 THEN 'missed'
                                  ELSE 'cancelled' END AS status) s
 WHERE a.tenant_id = %(tenant)s;
"""

# The same rows as visits.cadence.sql, written the other way round: per-tenant zone and
# due-soon days joined from the tenant, the standard unpivoted by a lateral VALUES, the last
# visit and the window's count from one grouped pass over every tenant's completed visits.
FLOOR_SQL = """
CREATE TEMP TABLE cadence_floor AS
WITH a AS (
    SELECT a.tenant_id, a.id AS account_id, COALESCE(t.tier, '') AS tier, k.time_zone AS tz,
           k.cadence_due_soon_days AS soon,
           a.lifecycle_status IN ('prospect', 'churned') AS inactive, m.id IS NULL AS no_owner,
           COALESCE((c.last_change AT TIME ZONE k.time_zone)::date,
                    (a.created_at AT TIME ZONE k.time_zone)::date) AS since
      FROM accounts_account a
      JOIN kam_tenant k ON k.id = a.tenant_id
      LEFT JOIN accounts_accounttier t ON t.tenant_id = a.tenant_id AND t.account_id = a.id
      LEFT JOIN kam_membership m ON m.tenant_id = a.tenant_id AND m.id = a.owner_id AND m.is_active
      LEFT JOIN (SELECT tenant_id, account_id, max(changed_at) AS last_change
                   FROM accounts_tierchange WHERE tenant_id = ANY(%(tenants)s)
                    AND changed_at < %(until)s GROUP BY 1, 2) c
             ON c.tenant_id = a.tenant_id AND c.account_id = a.id
     WHERE a.tenant_id = ANY(%(tenants)s)
),
v AS (
    SELECT v.tenant_id, v.account_id, v.level,
           array_agg((v.planned_start AT TIME ZONE %(tz)s)::date) AS days
      FROM visits_visit v
     WHERE v.tenant_id = ANY(%(tenants)s) AND v.status = 'completed'
       AND v.planned_start < %(until)s
     GROUP BY 1, 2, 3
),
c AS (
    SELECT tenant_id, account_id, level, count(*) AS n
      FROM accounts_contact WHERE tenant_id = ANY(%(tenants)s) AND is_active GROUP BY 1, 2, 3
),
r AS (
    SELECT a.*, l.level, COALESCE(l.n, d.n) AS n, v.days,
           (SELECT max(x) FROM unnest(v.days) x) AS last_on,
           (SELECT count(*) FROM unnest(v.days) x
             WHERE x >= GREATEST(%(year_start)s, a.since)) AS done,
           COALESCE(c.n, 0) AS contacts,
           %(as_of)s - GREATEST(%(year_start)s, a.since) + 1 AS window_days
      FROM a
      CROSS JOIN LATERAL (VALUES ('leadership'), ('technical'), ('business')) AS lv (level)
      LEFT JOIN accounts_servicestandard s ON s.tenant_id = a.tenant_id AND s.tier = a.tier
      LEFT JOIN LATERAL (VALUES
          ('leadership', s.leadership_visits_per_year), ('technical', s.technical_visits_per_year),
          ('business', s.business_visits_per_year)) AS l (level, n) ON l.level = lv.level
      LEFT JOIN (VALUES {defaults}) AS d (tier, level, n) ON d.tier = a.tier AND d.level = lv.level
      LEFT JOIN v ON v.tenant_id = a.tenant_id AND v.account_id = a.account_id
                 AND v.level = lv.level
      LEFT JOIN c ON c.tenant_id = a.tenant_id AND c.account_id = a.account_id
                 AND c.level = lv.level
),
d AS (
    SELECT r.*, COALESCE(r.n, 0) AS req,
           CASE WHEN COALESCE(r.n, 0) = 0 THEN NULL
                WHEN 12 %% r.n = 0 THEN (COALESCE(last_on, since)
                                         + make_interval(months => 12 / r.n))::date
                ELSE COALESCE(last_on, since) + 365 / r.n END AS due,
           LEAST(COALESCE(r.n, 0), GREATEST(0, COALESCE(r.n, 0) * window_days / 365)) AS req12
      FROM r
)
SELECT tenant_id, account_id, level, tier, req AS required_per_year, last_on AS last_visit_on,
       due AS next_due_on,
       CASE WHEN inactive THEN 'inactive' WHEN req = 0 THEN 'not_required'
            WHEN no_owner THEN 'no_owner' WHEN due < %(as_of)s THEN 'overdue'
            WHEN due <= %(as_of)s + soon THEN 'due_soon' ELSE 'on_track' END AS state,
       done AS completed_12m, req12 AS required_12m,
       CASE WHEN req12 > 0 THEN LEAST(100, round(100.0 * done / req12))::int END
           AS compliance_pct, contacts AS contact_count
  FROM d
"""

COLUMNS = ("tenant_id, account_id, level, tier, required_per_year, last_visit_on, next_due_on, "
           "state, completed_12m, required_12m, compliance_pct, contact_count")


def generate(count: int, accounts: int, visits: int) -> list:
    from django.db import connection, transaction

    from accounts.tiering.selectors import default_policy
    from kam import clock
    from kam.models import Membership, Role, Tenant
    from kam.services import tenant_create

    tenants = []
    for number in range(1, count + 1):
        slug = f"{PREFIX}{number:04d}"
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            tenant = tenant_create(name=f"节奏基准 {number:04d}", slug=slug,
                                   default_language="zh-hans")
        with in_bench_tenant(tenant):
            filled = Membership.objects.filter(user__username=f"{slug}.admin").exists()
        if filled:
            tenants.append(tenant)
            continue
        started = time.perf_counter()
        with in_bench_tenant(tenant), transaction.atomic():
            from django.contrib.auth import get_user_model

            user = get_user_model().objects.create_user(username=f"{slug}.admin")
            owner = Membership.objects.create(tenant=tenant, user=user, role=Role.ADMIN)
            policy = default_policy()
            policy.version = 1
            policy.save()
            with connection.cursor() as cursor:
                for statement in FILL_SQL.split(";\n"):
                    if statement.strip():
                        cursor.execute(statement, {
                            "tenant": tenant.pk, "owner": owner.pk, "policy": policy.pk,
                            "now": clock.now(), "n": accounts, "visits": visits})
        print(f"generated {slug} in {time.perf_counter() - started:.1f} s")
        tenants.append(tenant)
    return tenants


def _floor_sql() -> str:
    from accounts.standards.models import DEFAULT_STANDARDS

    rows = ", ".join(f"('{tier}', '{level}', {values[f'{level}_visits_per_year']:d})"
                     for tier, values in DEFAULT_STANDARDS.items()
                     for level in ("leadership", "technical", "business"))
    return FLOOR_SQL.replace("{defaults}", rows)


def floor(tenants: list, as_of: datetime.date) -> tuple[float, float, int, int]:
    """Seconds computing the rows, seconds inserting them into the table, rows, and rows that
    differ from what the job stored."""
    from django.db import connection, transaction

    from kam import clock
    from visits.cadence.sql import year_start

    tz = tenants[0].time_zone
    assert all(t.time_zone == tz for t in tenants), "the floor reads every visit in one zone"
    params = {"tenants": [t.pk for t in tenants], "as_of": as_of, "tz": tz,
              "year_start": year_start(as_of),
              "until": clock.day_start(as_of + datetime.timedelta(days=1), tenants[0])}
    with connection.as_owner(), transaction.atomic(), connection.cursor() as cursor:
        for table in [*TABLES, "visits_cadencestatus"]:
            cursor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        started = time.perf_counter()
        cursor.execute(_floor_sql(), params)
        seconds = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM cadence_floor")
        (rows,) = cursor.fetchone()
        cursor.execute(f"""
            SELECT count(*) FROM (
              (SELECT {COLUMNS} FROM cadence_floor
               EXCEPT SELECT {COLUMNS} FROM visits_cadencestatus WHERE tenant_id = ANY(%s))
              UNION ALL
              (SELECT {COLUMNS} FROM visits_cadencestatus WHERE tenant_id = ANY(%s)
               EXCEPT SELECT {COLUMNS} FROM cadence_floor)) diff""",  # noqa: S608
                       [params["tenants"], params["tenants"]])
        (differ,) = cursor.fetchone()
        # The first run's floor: the same statement inserting into the table itself (its key,
        # indexes and WAL), with the deferred FK checks a commit would run.
        cursor.execute("DELETE FROM visits_cadencestatus WHERE tenant_id = ANY(%s)",
                       [params["tenants"]])
        insert = _floor_sql().replace("CREATE TEMP TABLE cadence_floor AS", "")
        started = time.perf_counter()
        cursor.execute(f"INSERT INTO visits_cadencestatus ({COLUMNS}) "  # noqa: S608
                       f"SELECT {COLUMNS} FROM ({insert}) f", params)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        inserting = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds, inserting, rows, differ


def jobs(tenants: list, as_of: datetime.date, *, fresh: bool) -> tuple[float, int]:
    from django.db import connection

    from kam.jobs import run_job

    if fresh:
        for tenant in tenants:
            with in_bench_tenant(tenant), connection.cursor() as cursor:
                cursor.execute("DELETE FROM visits_cadencestatus WHERE tenant_id = %s", [tenant.pk])
    changed = 0
    started = time.perf_counter()
    for tenant in tenants:
        run = run_job("cadence", tenant, as_of=as_of)
        assert run.outcome == "succeeded", run.error
        changed += run.changed
    return time.perf_counter() - started, changed


def main() -> None:
    import os
    from pathlib import Path

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tenants", type=int, default=20)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--visits", type=int, default=5, help="visits per account")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("KAM_STATE_DIR",
                          str(Path(__file__).resolve().parent.parent / ".kam" / "bench-cadence"))
    setup_django()
    from common import vacuum_analyze
    from django.core.management import call_command

    from kam import clock

    call_command("migrate", verbosity=0)
    tenants = generate(args.tenants, args.accounts, args.visits)
    vacuum_analyze([*TABLES, "visits_cadencestatus"])
    as_of = clock.today(tenants[0])
    first, steady, floors, inserts = [], [], [], []
    rows = differ = changed_first = changed_steady = 0
    for _ in range(args.runs):
        seconds, changed_first = jobs(tenants, as_of, fresh=True)
        first.append(seconds)
        seconds, changed_steady = jobs(tenants, as_of, fresh=False)
        steady.append(seconds)
        seconds, inserting, rows, differ = floor(tenants, as_of)
        floors.append(seconds)
        inserts.append(inserting)
    base, insert_base = median(floors), median(inserts)
    print(f"{len(tenants)} companies × {args.accounts:,} accounts × 3 levels = {rows:,} rows; "
          f"{args.visits} visits per account; as of {as_of}; {load_average()}")
    print_table(["case", "median s", "rows written", "× floor"], [
        ["floor: one statement, every tenant", f"{base:.3f}", "(temp table)", "1.00"],
        ["floor inserting into the table", f"{insert_base:.3f}", f"{rows:,}",
         f"{insert_base / base:.2f}"],
        ["job, first run (every row new)", f"{median(first):.3f}", f"{changed_first:,}",
         f"{median(first) / base:.2f} ({median(first) / insert_base:.2f} × inserting floor)"],
        ["job, unchanged (nightly steady state)", f"{median(steady):.3f}", f"{changed_steady:,}",
         f"{median(steady) / base:.2f}"],
    ])
    print(f"rows where the floor and the job differ: {differ} (expected 0); target: job ≤ 1.5× floor")


if __name__ == "__main__":
    main()

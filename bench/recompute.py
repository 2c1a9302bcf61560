"""accounts.figures.figures_recompute on the bench tenant vs one hand-written SQL statement.

    .venv/bin/python bench/generate.py     # once
    .venv/bin/python bench/recompute.py [--runs 3] [--explain] [--tenant bench --tenant bench2]

``--tenant`` (repeatable; default ``bench``) names the tenants measured, one after the other, each
with its own table. It also leaves each of them with its figures of today, which latency.py's 360°
page case needs: run it for both large tenants (``--tenant bench --tenant bench2``) before
latency.py, so both 360° cases read figures.

The baseline computes the same figures for the same day with one CREATE TEMP TABLE … AS SELECT
(no upsert, no comparison with stored rows, no WAL): the least work that gives the numbers. Both run
as the bench tenant, so both pay for row-level security (issue 4); AccountFigures is not audited
(no trigger). The
service is measured three ways:

  * first run: the figures table holds no row of the tenant (every row inserted);
  * day advanced: the stored figures are a day old, so nearly every row changes (the tenant
    total moves, so every revenue_share does) — the nightly case;
  * unchanged: the same day again, nothing is written.

Each is run --runs times (median reported) and compared with the baseline's median in the same
run. Target (issue 3): the nightly case within 2x of the baseline. The baseline's result is
compared with what the service stored (rows that differ are reported, expected 0).
"""

from __future__ import annotations

import argparse
import datetime
import time

from common import (
    BENCH_SLUG,
    bench_tenant,
    in_bench_tenant,
    load_average,
    median,
    print_table,
    setup_django,
)

BASELINE_SQL = """
CREATE TEMP TABLE bench_figures AS
WITH w AS (
    SELECT %(today)s::date AS today, (%(today)s::date - interval '12 months')::date AS s12,
           (%(today)s::date - interval '24 months')::date AS s24
),
per_account AS (
    SELECT t.account_id,
           SUM(t.amount) FILTER (WHERE t.date > w.s12) AS r12,
           SUM(t.gross_margin) FILTER (WHERE t.date > w.s12) AS m12,
           SUM(t.amount) FILTER (WHERE t.date > w.s24 AND t.date <= w.s12) AS rp12,
           COUNT(*) FILTER (WHERE t.amount > 0 AND t.date > w.s12) AS oc12,
           COUNT(*) FILTER (WHERE t.amount > 0) AS oc,
           MAX(t.date) FILTER (WHERE t.amount > 0) AS last_date,
           MIN(t.date) FILTER (WHERE t.amount > 0) AS first_date
      FROM accounts_transaction t CROSS JOIN w
     WHERE t.tenant_id = %(tenant)s AND t.date <= w.today
     GROUP BY t.account_id
)
SELECT a.id AS account_id,
       COALESCE(p.r12, 0) AS revenue_12m,
       COALESCE(p.m12, 0) AS margin_12m,
       COALESCE(p.rp12, 0) AS revenue_prev_12m,
       COALESCE(p.oc12, 0) AS order_count_12m,
       COALESCE(p.oc, 0) AS order_count,
       p.last_date AS last_order_date,
       CASE WHEN p.oc >= 2 THEN ROUND((p.last_date - p.first_date)::numeric / (p.oc - 1), 1)
       END AS avg_order_interval_days,
       CASE WHEN COALESCE(p.rp12, 0) <> 0 THEN ROUND((COALESCE(p.r12, 0) - p.rp12) / p.rp12, 4)
       END AS revenue_growth,
       -- every transaction belongs to an account of the tenant: the window sum is the total
       COALESCE(ROUND(COALESCE(p.r12, 0) / NULLIF(SUM(COALESCE(p.r12, 0)) OVER (), 0), 6), 0)
           AS revenue_share
  FROM accounts_account a LEFT JOIN per_account p ON p.account_id = a.id
 WHERE a.tenant_id = %(tenant)s
"""

DIFF_SQL = """
SELECT count(*) FROM (
    (SELECT account_id, revenue_12m, margin_12m, revenue_prev_12m, order_count_12m, order_count,
            last_order_date, avg_order_interval_days, revenue_growth, revenue_share
       FROM bench_figures
     EXCEPT
     SELECT account_id, revenue_12m, margin_12m, revenue_prev_12m, order_count_12m, order_count,
            last_order_date, avg_order_interval_days, revenue_growth, revenue_share
       FROM accounts_accountfigures WHERE tenant_id = %(tenant)s)
    UNION ALL
    (SELECT account_id, revenue_12m, margin_12m, revenue_prev_12m, order_count_12m, order_count,
            last_order_date, avg_order_interval_days, revenue_growth, revenue_share
       FROM accounts_accountfigures WHERE tenant_id = %(tenant)s
     EXCEPT
     SELECT account_id, revenue_12m, margin_12m, revenue_prev_12m, order_count_12m, order_count,
            last_order_date, avg_order_interval_days, revenue_growth, revenue_share
       FROM bench_figures)
) d
"""


def _baseline(tenant_id: int, today: datetime.date) -> tuple[float, int]:
    """Run inside the bench tenant: under row-level security, like the service."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_figures")
        started = time.perf_counter()
        cursor.execute(BASELINE_SQL, {"tenant": tenant_id, "today": today})
        seconds = time.perf_counter() - started
        return seconds, cursor.rowcount


def _service(tenant_id: int, today: datetime.date) -> tuple[float, int]:
    from accounts.figures.services import figures_recompute

    started = time.perf_counter()
    rows = figures_recompute(tenant_id=tenant_id, today=today)
    return time.perf_counter() - started, rows


def _clear(tenant_id: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_accountfigures WHERE tenant_id = %s", [tenant_id])


def _explain(tenant_id: int, today: datetime.date) -> None:
    from django.db import connection, transaction

    from accounts.figures import sql as figures

    sql = figures.FIGURES_SQL.format(agg_filter="", account_filter="")
    params = {"tenant": tenant_id, "today": today, "now": datetime.datetime.now(datetime.UTC)}
    with transaction.atomic(), connection.cursor() as cursor:  # inside the bench tenant
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        print("\nEXPLAIN ANALYZE figures_recompute (rolled back):")
        print("\n".join(row[0] for row in cursor.fetchall()))
        transaction.set_rollback(True)


def _measure(args: argparse.Namespace, slug: str, t: int, today: datetime.date) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM accounts_transaction WHERE tenant_id = %s", [t])
        tx_count = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM accounts_account WHERE tenant_id = %s", [t])
        account_count = cursor.fetchone()[0]

    results: dict[str, list[tuple[float, int]]] = {}
    results["baseline: one CREATE TEMP TABLE AS SELECT"] = [
        _baseline(t, today) for _ in range(args.runs)]
    first = []
    for _ in range(args.runs):
        _clear(t)
        first.append(_service(t, today))
    results["figures_recompute, first run (all inserted)"] = first
    nightly = []
    for k in range(args.runs, 0, -1):
        _service(t, today - datetime.timedelta(days=k))  # untimed: the state of the day before
        nightly.append(_service(t, today - datetime.timedelta(days=k - 1)))
    results["figures_recompute, day advanced (nightly)"] = nightly
    results["figures_recompute, unchanged (same day)"] = [
        _service(t, today) for _ in range(args.runs)]

    _baseline(t, today)
    with connection.cursor() as cursor:
        cursor.execute(DIFF_SQL, {"tenant": t})
        differing = cursor.fetchone()[0]
        cursor.execute("DROP TABLE IF EXISTS bench_figures")

    base = median([s for s, _ in next(iter(results.values()))])
    rows = []
    for label, runs in results.items():
        seconds = [s for s, _ in runs]
        rows.append([label, *(f"{s:.2f}" for s in seconds), f"{median(seconds):.2f}",
                     f"{median(seconds) / base:.2f}x", f"{runs[-1][1]:,}"])
    print(f"\ntenant {slug!r} (id {t}): {account_count:,} accounts, {tx_count:,} transactions; "
          f"today = {today}; {args.runs} runs each; {load_average()}\n")
    print_table(["statement", *(f"run {i + 1} s" for i in range(args.runs)), "median s",
                 "vs baseline", "rows written"], rows)
    nightly_ratio = median([s for s, _ in nightly]) / base
    print(f"\ntarget: nightly <= 2.00x baseline -> {nightly_ratio:.2f}x "
          f"{'OK' if nightly_ratio <= 2 else 'MISSED'}")
    print(f"figures stored by the service vs the baseline's: {differing} rows differ "
          f"{'(OK)' if differing == 0 else '(MISMATCH)'}")
    if args.explain:
        _explain(t, today)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE too")
    parser.add_argument("--tenant", action="append", metavar="SLUG",
                        help=f"a tenant to measure (repeatable; default {BENCH_SLUG})")
    args = parser.parse_args()
    setup_django()
    from kam.clock import today as tenant_today

    for slug in args.tenant or [BENCH_SLUG]:
        tenant = bench_tenant(slug)
        today = tenant_today(tenant)
        # Raw SQL on tenant tables runs as the tenant (row-level security, issue 4); the
        # service enters the tenant itself (as_tenant) and accepts being called inside it.
        with in_bench_tenant(tenant):
            _measure(args, slug, tenant.pk, today)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

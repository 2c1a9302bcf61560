"""The statement that keeps accounts_accountfigures: one INSERT … SELECT … ON CONFLICT DO UPDATE
… WHERE … IS DISTINCT FROM per tenant. Every account of the tenant gets a row, only rows whose
values change are written, and running it twice changes nothing the second time. ``today`` and
``now`` are parameters (the tenant's clock, not the database's).
"""

from __future__ import annotations

_FIGURES_TEMPLATE = """
WITH bounds AS (
    SELECT %(today)s::date AS today,
           (%(today)s::date - interval '12 months')::date AS start12,
           (%(today)s::date - interval '24 months')::date AS start24
),
agg AS (
    SELECT t.account_id,
           SUM(t.amount) FILTER (WHERE t.date > b.start12) AS revenue_12m,
           SUM(t.gross_margin) FILTER (WHERE t.date > b.start12) AS margin_12m,
           SUM(t.amount) FILTER (WHERE t.date > b.start24 AND t.date <= b.start12)
               AS revenue_prev_12m,
           COUNT(*) FILTER (WHERE t.amount > 0 AND t.date > b.start12) AS order_count_12m,
           COUNT(*) FILTER (WHERE t.amount > 0) AS order_count,
           MAX(t.date) FILTER (WHERE t.amount > 0) AS last_order_date,
           MIN(t.date) FILTER (WHERE t.amount > 0) AS first_order_date
      FROM accounts_transaction t CROSS JOIN bounds b
     WHERE t.tenant_id = %(tenant)s AND t.date <= b.today {agg_filter}
     GROUP BY t.account_id
),
-- MATERIALIZED: under RLS the planner expects about one account per tenant and would put this
-- sum inside a nested loop, recomputing the tenant's total for every account (seconds per tenant).
{total},
fresh AS (
    SELECT a.id AS account_id, a.tenant_id,
           COALESCE(g.revenue_12m, 0) AS revenue_12m,
           COALESCE(g.margin_12m, 0) AS margin_12m,
           COALESCE(g.revenue_prev_12m, 0) AS revenue_prev_12m,
           COALESCE(g.order_count_12m, 0) AS order_count_12m,
           COALESCE(g.order_count, 0) AS order_count,
           g.last_order_date,
           CASE WHEN g.order_count >= 2 THEN
               ROUND((g.last_order_date - g.first_order_date)::numeric / (g.order_count - 1), 1)
           END AS avg_order_interval_days,
           CASE WHEN COALESCE(g.revenue_prev_12m, 0) <> 0 THEN
               LEAST(GREATEST(ROUND((COALESCE(g.revenue_12m, 0) - g.revenue_prev_12m)
                                    / g.revenue_prev_12m, 4), -999999.9999), 999999.9999)
           END AS revenue_growth,
           CASE WHEN total.revenue_12m <> 0 THEN
               LEAST(GREATEST(ROUND(COALESCE(g.revenue_12m, 0) / total.revenue_12m, 6),
                              -9.999999), 9.999999)
           ELSE 0 END AS revenue_share
      FROM accounts_account a
      LEFT JOIN agg g ON g.account_id = a.id
     CROSS JOIN total
     WHERE a.tenant_id = %(tenant)s {account_filter}
)
INSERT INTO accounts_accountfigures AS f
    (account_id, tenant_id, revenue_12m, margin_12m, revenue_prev_12m, order_count_12m,
     order_count, last_order_date, avg_order_interval_days, revenue_growth, revenue_share,
     computed_at)
SELECT account_id, tenant_id, revenue_12m, margin_12m, revenue_prev_12m, order_count_12m,
       order_count, last_order_date, avg_order_interval_days, revenue_growth, revenue_share,
       %(now)s
  FROM fresh
ON CONFLICT (tenant_id, account_id) DO UPDATE SET
    revenue_12m = EXCLUDED.revenue_12m, margin_12m = EXCLUDED.margin_12m,
    revenue_prev_12m = EXCLUDED.revenue_prev_12m, order_count_12m = EXCLUDED.order_count_12m,
    order_count = EXCLUDED.order_count, last_order_date = EXCLUDED.last_order_date,
    avg_order_interval_days = EXCLUDED.avg_order_interval_days,
    revenue_growth = EXCLUDED.revenue_growth, revenue_share = EXCLUDED.revenue_share,
    computed_at = EXCLUDED.computed_at
WHERE (f.revenue_12m, f.margin_12m, f.revenue_prev_12m, f.order_count_12m, f.order_count,
       f.last_order_date, f.avg_order_interval_days, f.revenue_growth, f.revenue_share)
      IS DISTINCT FROM
      (EXCLUDED.revenue_12m, EXCLUDED.margin_12m, EXCLUDED.revenue_prev_12m,
       EXCLUDED.order_count_12m, EXCLUDED.order_count, EXCLUDED.last_order_date,
       EXCLUDED.avg_order_interval_days, EXCLUDED.revenue_growth, EXCLUDED.revenue_share)
"""

# The whole tenant (the nightly job): the total behind revenue_share from every transaction of the
# last 12 months.
_TENANT_TOTAL = """total AS MATERIALIZED (
    SELECT COALESCE(SUM(t.amount), 0) AS revenue_12m
      FROM accounts_transaction t CROSS JOIN bounds b
     WHERE t.tenant_id = %(tenant)s AND t.date > b.start12 AND t.date <= b.today
)"""

# A few accounts after a transaction write: the same total, but the other accounts' part from their
# stored figures (one row each) instead of all their transactions — summing a tenant's 12 months of
# transactions was ~0.5 s for 2 million of them on every write (bench/load.py); the figures of
# 100,000 accounts are a few milliseconds. The other accounts' revenue is as of their last
# recompute (the nightly, or their own last write), as their stored shares already are; the
# nightly run makes every share exact again.
_ACCOUNTS_TOTAL = """total AS MATERIALIZED (
    SELECT COALESCE((SELECT SUM(o.revenue_12m) FROM accounts_accountfigures o
                      WHERE o.tenant_id = %(tenant)s), 0)
           - COALESCE((SELECT SUM(o.revenue_12m) FROM accounts_accountfigures o
                        WHERE o.tenant_id = %(tenant)s AND o.account_id = ANY(%(accounts)s)), 0)
           + COALESCE((SELECT SUM(g.revenue_12m) FROM agg g), 0) AS revenue_12m
)"""

# ``.format(agg_filter=…, account_filter=…)``: "" for the whole tenant.
FIGURES_SQL = _FIGURES_TEMPLATE.replace("{total}", _TENANT_TOTAL)
# ``.format(agg_filter="AND t.account_id = ANY(%(accounts)s)", account_filter="AND a.id = ANY(…)")``.
FIGURES_ACCOUNTS_SQL = _FIGURES_TEMPLATE.replace("{total}", _ACCOUNTS_TOTAL)

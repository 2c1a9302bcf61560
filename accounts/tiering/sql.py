"""The set-based SQL of tiering. One builder (``scoring_sql``) computes, for every account of the
tenant (or a few), the raw value and points of each criterion, the score, the computed tier (with
hysteresis against the account's previous computed tier) and the effective tier (an unexpired
override wins). ``RECOMPUTE_SQL`` wraps it into the nightly upsert (changed rows only, with their
``TierChange`` rows); ``MATRIX_SQL`` and ``MOVERS_SQL`` only read it (the what-if preview).

Points: a numeric criterion's raw value at or above a threshold's ``min`` earns its points (the
highest step reached counts; no value, or below the first step, earns 0). Score = Σ weight × points
/ 100 over the enabled criteria (weights sum to 100), so 0–100.
Tier: strategic if score ≥ its cut-off, else key …, else general. Moving *down* from the previous
computed tier P, every tier at or below P gets its cut-off lowered by the hysteresis margin, so an
account leaves P only when it falls more than the margin below P's cut-off.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from accounts.tiering.models import (
    Criterion,
    TierPolicy,
)
from accounts.tiering.policy import CREDIT_KEYS

RAW_SQL: dict[str, str] = {
    Criterion.REVENUE: "COALESCE(f.revenue_12m, 0)",
    Criterion.SHARE: "COALESCE(f.revenue_share, 0) * 100",
    Criterion.FREQUENCY: "COALESCE(f.order_count_12m, 0)",
    Criterion.MARGIN: "CASE WHEN f.revenue_12m > 0 THEN f.margin_12m * 100 / f.revenue_12m END",
    Criterion.GROWTH: "f.revenue_growth * 100",
    Criterion.STRATEGIC: "a.strategic_value",
    Criterion.CREDIT: "a.credit_rating",
}


SCORING_SQL = """
WITH raw AS (
    SELECT a.id AS account_id, a.tenant_id,
           {raws},
           t.tier AS prev_tier, t.computed_tier AS prev_computed, t.score AS prev_score,
           t.policy_id AS prev_policy, t.change_seq AS prev_seq,
           t.override_tier, t.override_until, t.override_reason, t.override_by_id, t.override_at
      FROM accounts_account a
      -- tenant_id too: the (tenant_id, account_id) keys serve the joins (account_id alone made
      -- a breakdown of one account scan the figures key of every tenant: ~4 ms per 360° page).
      LEFT JOIN accounts_accountfigures f ON f.tenant_id = a.tenant_id AND f.account_id = a.id
      LEFT JOIN accounts_accounttier t ON t.tenant_id = a.tenant_id AND t.account_id = a.id
     WHERE a.tenant_id = %(tenant)s {account_filter}
),
pts AS MATERIALIZED (
    SELECT raw.*,
           {pts}
      FROM raw
),
scored AS MATERIALIZED (
    SELECT pts.*, ROUND(({total}) / 100, 2) AS score,
           CASE prev_computed WHEN 'strategic' THEN 4 WHEN 'key' THEN 3
                WHEN 'important' THEN 2 WHEN 'general' THEN 1 ELSE 0 END AS prev_rank,
           (override_tier <> '' AND override_until >= %(today)s) AS override_active
      FROM pts
),
computed AS (
    SELECT scored.*,
           CASE WHEN score >= %(cs)s - CASE WHEN prev_rank >= 4 THEN %(margin)s ELSE 0 END
                    THEN 'strategic'
                WHEN score >= %(ck)s - CASE WHEN prev_rank >= 3 THEN %(margin)s ELSE 0 END
                    THEN 'key'
                WHEN score >= %(ci)s - CASE WHEN prev_rank >= 2 THEN %(margin)s ELSE 0 END
                    THEN 'important'
                ELSE 'general' END AS new_computed
      FROM scored
),
decided AS (
    SELECT computed.*,
           CASE WHEN override_active THEN override_tier ELSE new_computed END AS new_tier,
           (override_tier <> '' AND NOT override_active) AS override_expired
      FROM computed
)"""


def policy_params(policy: TierPolicy) -> tuple[dict[str, str], dict[str, Any]]:
    """Per criterion the SQL of its points (a CASE over parameters), and the parameters."""
    params: dict[str, Any] = {}
    points_sql: dict[str, str] = {}
    for key in Criterion.values:
        spec = policy.criteria[key]
        raw = f"raw_{key}"
        if key == Criterion.CREDIT:
            whens = []
            for i, grade in enumerate(CREDIT_KEYS):
                params[f"g_{i}"], params[f"gp_{i}"] = grade, Decimal(str(spec["points"][grade]))
                whens.append(f"WHEN {raw} = %(g_{i})s THEN %(gp_{i})s::numeric")
            points_sql[key] = f"CASE {' '.join(whens)} ELSE 0 END"
        else:
            whens = []
            for i, (value, pts) in reversed(list(enumerate(spec["thresholds"]))):
                params[f"t_{key}_{i}"] = Decimal(str(value))
                params[f"p_{key}_{i}"] = Decimal(str(pts))
                whens.append(f"WHEN {raw} >= %(t_{key}_{i})s THEN %(p_{key}_{i})s::numeric")
            points_sql[key] = f"CASE {' '.join(whens)} ELSE 0 END"
        params[f"w_{key}"] = Decimal(spec["weight"]) if spec["enabled"] else Decimal(0)
    params.update(cs=policy.cutoff_strategic, ck=policy.cutoff_key, ci=policy.cutoff_important,
                  margin=policy.hysteresis)
    return points_sql, params


def scoring_sql(policy: TierPolicy, *, accounts: bool) -> tuple[str, dict[str, Any]]:
    """``WITH raw …, pts …, scored …, decided …`` for the current tenant (``%(tenant)s``), optionally
    restricted to ``%(accounts)s``. ``decided`` has, per account: raw_*/pts_* per criterion,
    score, prev_* (the stored row), new_computed, new_tier, and the override after expiry."""
    points_sql, params = policy_params(policy)
    raws = ",\n           ".join(f"{RAW_SQL[key]} AS raw_{key}" for key in Criterion.values)
    pts = ",\n           ".join(f"{points_sql[key]} AS pts_{key}" for key in Criterion.values)
    total = " + ".join(f"pts_{key} * %(w_{key})s" for key in Criterion.values)
    account_filter = "AND a.id = ANY(%(accounts)s)" if accounts else ""
    # Only our own constants are interpolated (column names, CASE skeletons); every value is a
    # query parameter.
    sql = SCORING_SQL.format(raws=raws, pts=pts, total=total, account_filter=account_filter)
    params["tenant"] = None  # filled in by the caller
    return sql, params


RECOMPUTE_SQL = """
, up AS (
    INSERT INTO accounts_accounttier AS s
        (account_id, tenant_id, tier, computed_tier, score, policy_id, computed_at,
         override_tier, override_reason, override_until, override_by_id, override_at, change_seq)
    SELECT account_id, tenant_id, new_tier, new_computed, score, %(policy)s, %(now)s,
           CASE WHEN override_expired THEN '' ELSE COALESCE(override_tier, '') END,
           CASE WHEN override_expired THEN '' ELSE COALESCE(override_reason, '') END,
           CASE WHEN override_expired THEN NULL ELSE override_until END,
           CASE WHEN override_expired THEN NULL ELSE override_by_id END,
           CASE WHEN override_expired THEN NULL ELSE override_at END,
           COALESCE(prev_seq, 0) + CASE WHEN new_tier IS DISTINCT FROM prev_tier THEN 1 ELSE 0 END
      FROM decided
     WHERE prev_tier IS NULL  -- only rows that change reach the upsert (no conflict probe else)
        OR (new_tier, new_computed, score, %(policy)s::bigint,
            CASE WHEN override_expired THEN '' ELSE override_tier END)
           IS DISTINCT FROM (prev_tier, prev_computed, prev_score, prev_policy, override_tier)
    ON CONFLICT (tenant_id, account_id) DO UPDATE SET
        tier = EXCLUDED.tier, computed_tier = EXCLUDED.computed_tier, score = EXCLUDED.score,
        policy_id = EXCLUDED.policy_id, computed_at = EXCLUDED.computed_at,
        override_tier = EXCLUDED.override_tier, override_reason = EXCLUDED.override_reason,
        override_until = EXCLUDED.override_until, override_by_id = EXCLUDED.override_by_id,
        override_at = EXCLUDED.override_at, change_seq = EXCLUDED.change_seq
    WHERE (s.tier, s.computed_tier, s.score, s.policy_id, s.override_tier)
          IS DISTINCT FROM
          (EXCLUDED.tier, EXCLUDED.computed_tier, EXCLUDED.score, EXCLUDED.policy_id,
           EXCLUDED.override_tier)
    RETURNING s.account_id, s.change_seq
),
history AS (
    INSERT INTO accounts_tierchange
        (tenant_id, account_id, seq, from_tier, to_tier, score, policy_id, source, reason,
         changed_at, job_run_id)
    -- From `decided` alone: a row whose tier changes is always written by `up` (its WHERE
    -- compares the tier), and joining `up` made PostgreSQL pick a nested loop under RLS (it
    -- underestimates the rows of one tenant). If another writer got there first, the
    -- (tenant, account, seq) key refuses the duplicate number and the whole run rolls back.
    SELECT d.tenant_id, d.account_id, COALESCE(d.prev_seq, 0) + 1, COALESCE(d.prev_tier, ''),
           d.new_tier, d.score, %(policy)s,
           CASE WHEN d.override_expired THEN 'override_ended' ELSE 'computed' END, '',
           %(now)s, %(run)s
      FROM decided d
     WHERE d.new_tier IS DISTINCT FROM d.prev_tier
    RETURNING 1
)
SELECT (SELECT COUNT(*) FROM decided), (SELECT COUNT(*) FROM up), (SELECT COUNT(*) FROM history)
"""



MATRIX_SQL = " SELECT prev_tier, new_tier, COUNT(*) FROM decided GROUP BY 1, 2"
MOVERS_SQL = """
SELECT d.account_id, a.name, d.prev_tier, d.new_tier, d.prev_score, d.score
  FROM decided d JOIN accounts_account a ON a.id = d.account_id
 WHERE d.new_tier IS DISTINCT FROM d.prev_tier
 ORDER BY d.score DESC, a.name, d.account_id
 LIMIT %(limit)s"""



# An account's tier changes, newest first, with the policy version and the name parts of the
# member who made a change (overrides). Written out for the 360° page's timeline: the ORM's
# four-model select_related cost ~2 ms of Python to build per view, the statement 0.4 ms.
ACCOUNT_CHANGES_SQL = """
SELECT c.id, c.from_tier, c.to_tier, c.score, c.source, c.reason, c.changed_at, p.version,
       c.changed_by_id, u.first_name, u.last_name, u.username
  FROM accounts_tierchange c
  JOIN accounts_tierpolicy p ON p.tenant_id = c.tenant_id AND p.id = c.policy_id
  LEFT JOIN kam_membership m ON m.tenant_id = c.tenant_id AND m.id = c.changed_by_id
  LEFT JOIN auth_user u ON u.id = m.user_id
 WHERE c.tenant_id = %(tenant)s AND c.account_id = %(account)s
   AND c.changed_at >= coalesce(%(start)s::timestamptz, '-infinity')
   AND c.changed_at < coalesce(%(end)s::timestamptz, 'infinity')
 ORDER BY c.changed_at DESC, c.id DESC
 LIMIT %(limit)s
"""

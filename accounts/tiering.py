"""Tiering (分级): policy defaults and validation, the set-based scoring SQL, and the services that
use it — the nightly job (``tier_recompute``), the what-if preview (``tier_preview``), the
per-account breakdown (``tier_breakdowns``) and manual overrides.

One SQL builder (``_scoring_sql``) computes, for every account of the tenant (or a few), the raw
value and points of each criterion, the score, the computed tier (with hysteresis against the
account's previous computed tier) and the effective tier (an unexpired override wins). The nightly
job wraps it in one ``INSERT … ON CONFLICT DO UPDATE … WHERE … IS DISTINCT FROM`` that writes only
rows whose tier or score changed and, in the same statement, the ``TierChange`` rows; the preview
and the breakdown only SELECT from it. So the preview shows exactly what the job will do.

Points: a numeric criterion's raw value at or above a threshold's ``min`` earns its points (the
highest step reached counts; no value, or below the first step, earns 0). Score = Σ weight × points
/ 100 over the enabled criteria (weights sum to 100), so 0–100.
Tier: strategic if score ≥ its cut-off, else key …, else general. Moving *down* from the previous
computed tier P, every tier at or below P gets its cut-off lowered by the hysteresis margin, so an
account leaves P only when it falls more than the margin below P's cut-off.
"""

from __future__ import annotations

import copy
import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from accounts.figures import tenant_today
from accounts.models import (
    Account,
    AccountTier,
    Criterion,
    Tier,
    TierChange,
    TierChangeSource,
    TierPolicy,
)
from accounts.tier_models import TIER_RANK, TIERS_DESC
from kam import clock
from kam.models import JobRun, Membership, Tenant
from kam.tenancy import as_tenant

NUMERIC_CRITERIA: tuple[str, ...] = (Criterion.REVENUE, Criterion.SHARE, Criterion.FREQUENCY,
                                     Criterion.MARGIN, Criterion.GROWTH, Criterion.STRATEGIC)
CREDIT_KEYS: tuple[str, ...] = ("A", "B", "C", "D", "")
MAX_THRESHOLDS = 10
MAX_THRESHOLD_VALUE = Decimal(10) ** 12  # fits the figures' numeric(18, 2) columns

# Defaults from common KAM practice (CNY amounts; a tenant edits them to its own scale).
DEFAULT_CRITERIA: dict[str, dict[str, Any]] = {
    Criterion.REVENUE: {"enabled": True, "weight": 30, "thresholds": [
        [500_000, 20], [1_000_000, 40], [5_000_000, 60], [10_000_000, 80], [50_000_000, 100]]},
    Criterion.SHARE: {"enabled": True, "weight": 15, "thresholds": [
        [0.5, 25], [1, 50], [3, 75], [5, 100]]},
    Criterion.FREQUENCY: {"enabled": True, "weight": 15, "thresholds": [
        [2, 25], [6, 50], [12, 75], [24, 100]]},
    Criterion.MARGIN: {"enabled": True, "weight": 10, "thresholds": [
        [10, 25], [20, 50], [30, 75], [40, 100]]},
    Criterion.GROWTH: {"enabled": True, "weight": 10, "thresholds": [
        [0, 30], [10, 60], [20, 80], [30, 100]]},
    Criterion.STRATEGIC: {"enabled": True, "weight": 15, "thresholds": [
        [1, 0], [2, 25], [3, 50], [4, 75], [5, 100]]},
    Criterion.CREDIT: {"enabled": True, "weight": 5, "points": {
        "A": 100, "B": 70, "C": 30, "D": 0, "": 50}},
}
DEFAULT_CUTOFFS = {"cutoff_strategic": Decimal(80), "cutoff_key": Decimal(60),
                   "cutoff_important": Decimal(40), "hysteresis": Decimal(5)}


# --- policy: defaults, validation, versions ------------------------------------------------------


def default_criteria() -> dict[str, dict[str, Any]]:
    return copy.deepcopy({str(k): v for k, v in DEFAULT_CRITERIA.items()})


def _number(value: Any, label: str, errors: list[str]) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        errors.append(_("%(what)s must be a number.") % {"what": label})
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        errors.append(_("%(what)s must be a number.") % {"what": label})
        return None
    if not number.is_finite():
        errors.append(_("%(what)s must be a number.") % {"what": label})
        return None
    return number


def policy_validate(*, criteria: Any, cutoff_strategic: Any, cutoff_key: Any,
                    cutoff_important: Any, hysteresis: Any) -> dict[str, Any]:
    """Check a policy and return it normalised (Decimals, sorted thresholds).

    Raises ``ValidationError`` with every problem, each a whole sentence in the user's language.
    """
    errors: list[str] = []
    labels = dict(Criterion.choices)
    if not isinstance(criteria, dict) or set(criteria) != set(labels):
        raise ValidationError(_("The policy must list every criterion exactly once: %(keys)s.")
                              % {"keys": ", ".join(labels)})
    clean: dict[str, dict[str, Any]] = {}
    weight_sum = Decimal(0)
    for key, label in labels.items():
        spec = criteria[key]
        if not isinstance(spec, dict):
            errors.append(_("%(criterion)s: the settings are missing.") % {"criterion": label})
            continue
        enabled = spec.get("enabled")
        if not isinstance(enabled, bool):
            errors.append(_("%(criterion)s: say whether it is used.") % {"criterion": label})
            continue
        weight = _number(spec.get("weight"), _("%(criterion)s: the weight") % {
            "criterion": label}, errors)
        if weight is None:
            continue
        if weight != weight.to_integral_value() or not 0 <= weight <= 100:
            errors.append(_("%(criterion)s: the weight must be a whole number from 0 to 100.")
                          % {"criterion": label})
            continue
        item: dict[str, Any] = {"enabled": enabled, "weight": int(weight)}
        if enabled:
            weight_sum += weight
        if key == Criterion.CREDIT:
            points = spec.get("points")
            if not isinstance(points, dict) or set(points) != set(CREDIT_KEYS):
                errors.append(_("%(criterion)s: give points for A, B, C, D and not rated.")
                              % {"criterion": label})
                continue
            item["points"] = {}
            for grade in CREDIT_KEYS:
                value = _number(points[grade], _("%(criterion)s: the points") % {
                    "criterion": label}, errors)
                if value is not None and not 0 <= value <= 100:
                    errors.append(_("%(criterion)s: points must be from 0 to 100.")
                                  % {"criterion": label})
                elif value is not None:
                    item["points"][grade] = value
        else:
            steps = spec.get("thresholds")
            if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_THRESHOLDS:
                errors.append(_("%(criterion)s: give 1 to %(max)d thresholds.")
                              % {"criterion": label, "max": MAX_THRESHOLDS})
                continue
            parsed: list[list[Decimal]] = []
            for step in steps:
                if not isinstance(step, (list, tuple)) or len(step) != 2:
                    errors.append(_("%(criterion)s: each threshold is a value and its points.")
                                  % {"criterion": label})
                    break
                value = _number(step[0], _("%(criterion)s: a threshold") % {
                    "criterion": label}, errors)
                points_ = _number(step[1], _("%(criterion)s: the points") % {
                    "criterion": label}, errors)
                if value is None or points_ is None:
                    break
                if value < 0:
                    errors.append(_("%(criterion)s: thresholds cannot be negative.")
                                  % {"criterion": label})
                    break
                if value > MAX_THRESHOLD_VALUE:
                    errors.append(_("%(criterion)s: a threshold can be at most 1,000,000,000,000.")
                                  % {"criterion": label})
                    break
                if not 0 <= points_ <= 100:
                    errors.append(_("%(criterion)s: points must be from 0 to 100.")
                                  % {"criterion": label})
                    break
                parsed.append([value, points_])
            else:
                values = [v for v, _p in parsed]
                if values != sorted(values) or len(set(values)) != len(values):
                    errors.append(_("%(criterion)s: thresholds must be in increasing order, "
                                    "each value once.") % {"criterion": label})
                item["thresholds"] = parsed
        clean[key] = item
    if not errors and weight_sum != 100:
        errors.append(_("The weights of the criteria in use add up to %(sum)s; they must add up "
                        "to 100.") % {"sum": f"{weight_sum.normalize():f}"})  # 110, not 1.1E+2
    if not errors and not any(item["enabled"] for item in clean.values()):
        errors.append(_("Use at least one criterion."))
    cuts = {}
    for name, value, label in (("cutoff_strategic", cutoff_strategic, _("Strategic cut-off")),
                               ("cutoff_key", cutoff_key, _("Key cut-off")),
                               ("cutoff_important", cutoff_important, _("Important cut-off")),
                               ("hysteresis", hysteresis, _("Move-down margin"))):
        number = _number(value, label, errors)
        if number is not None and not 0 <= number <= 100:
            errors.append(_("%(what)s must be from 0 to 100.") % {"what": label})
        cuts[name] = number
    if None not in cuts.values() and not (
            0 < cuts["cutoff_important"] < cuts["cutoff_key"] < cuts["cutoff_strategic"] <= 100):
        errors.append(_("Cut-offs must rise from important to key to strategic, all above 0 and "
                        "at most 100."))
    if cuts.get("hysteresis") is not None and cuts["hysteresis"] > 50:
        errors.append(_("The move-down margin can be at most 50 points."))
    if errors:
        raise ValidationError(errors)
    return {"criteria": clean, **cuts}


def _jsonable(criteria: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Decimals → plain numbers for the JSON column (ints stay ints)."""
    def num(value: Decimal) -> int | float:
        return int(value) if value == value.to_integral_value() else float(value)

    out: dict[str, dict[str, Any]] = {}
    for key, item in criteria.items():
        new = {"enabled": item["enabled"], "weight": item["weight"]}
        if "thresholds" in item:
            new["thresholds"] = [[num(Decimal(v)), num(Decimal(p))] for v, p in item["thresholds"]]
        if "points" in item:
            new["points"] = {g: num(Decimal(p)) for g, p in item["points"].items()}
        out[key] = new
    return out


def default_policy() -> TierPolicy:
    """The built-in policy (unsaved, version 0) a tenant starts from."""
    return TierPolicy(version=0, criteria=default_criteria(), **DEFAULT_CUTOFFS)


def current_policy() -> TierPolicy:
    """The current tenant's newest policy version, or the unsaved built-in default."""
    return TierPolicy.objects.order_by("-version").first() or default_policy()


class PolicyVersionConflict(Exception):
    """Someone saved another version after the one the change was based on."""

    def __init__(self, current: int) -> None:
        super().__init__(f"the current version is {current}")
        self.current = current


@transaction.atomic
def tier_policy_save(*, criteria: Any, cutoff_strategic: Any, cutoff_key: Any,
                     cutoff_important: Any, hysteresis: Any, note: str = "",
                     created_by: Membership | None = None,
                     expected_version: int | None = None) -> TierPolicy:
    """Validate and save a new policy version (the current tenant's next number).

    ``expected_version``: the version the change was based on (0: none saved); if another was
    saved meanwhile, ``PolicyVersionConflict`` — checked under the numbering lock, so two saves
    at once cannot both pass."""
    clean = policy_validate(criteria=criteria, cutoff_strategic=cutoff_strategic,
                            cutoff_key=cutoff_key, cutoff_important=cutoff_important,
                            hysteresis=hysteresis)
    with connection.cursor() as cursor:  # versions are numbered one at a time per tenant
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('accounts.tier_policy'), "
                       "kam_current_tenant()::int)")
    last = TierPolicy.objects.order_by("-version").values_list("version", flat=True).first()
    if expected_version is not None and (last or 0) != expected_version:
        raise PolicyVersionConflict(last or 0)
    return TierPolicy.objects.create(
        version=(last or 0) + 1, criteria=_jsonable(clean["criteria"]),
        cutoff_strategic=clean["cutoff_strategic"], cutoff_key=clean["cutoff_key"],
        cutoff_important=clean["cutoff_important"], hysteresis=clean["hysteresis"],
        note=note[:300], created_by=created_by)


def tier_policy_ensure() -> TierPolicy:
    """The current policy, saving the built-in default as version 1 when the tenant has none."""
    policy = current_policy()
    if policy.pk is None:
        policy = tier_policy_save(criteria=policy.criteria,
                                  cutoff_strategic=policy.cutoff_strategic,
                                  cutoff_key=policy.cutoff_key,
                                  cutoff_important=policy.cutoff_important,
                                  hysteresis=policy.hysteresis,
                                  note=_("Built-in default policy"))
    return policy


# --- the scoring SQL -------------------------------------------------------------------------------

_RAW_SQL: dict[str, str] = {
    Criterion.REVENUE: "COALESCE(f.revenue_12m, 0)",
    Criterion.SHARE: "COALESCE(f.revenue_share, 0) * 100",
    Criterion.FREQUENCY: "COALESCE(f.order_count_12m, 0)",
    Criterion.MARGIN: "CASE WHEN f.revenue_12m > 0 THEN f.margin_12m * 100 / f.revenue_12m END",
    Criterion.GROWTH: "f.revenue_growth * 100",
    Criterion.STRATEGIC: "a.strategic_value",
    Criterion.CREDIT: "a.credit_rating",
}


_SCORING_SQL = """
WITH raw AS (
    SELECT a.id AS account_id, a.tenant_id,
           {raws},
           t.tier AS prev_tier, t.computed_tier AS prev_computed, t.score AS prev_score,
           t.policy_id AS prev_policy, t.change_seq AS prev_seq,
           t.override_tier, t.override_until, t.override_reason, t.override_by_id, t.override_at
      FROM accounts_account a
      LEFT JOIN accounts_accountfigures f ON f.account_id = a.id
      LEFT JOIN accounts_accounttier t ON t.account_id = a.id
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


def _policy_params(policy: TierPolicy) -> tuple[dict[str, str], dict[str, Any]]:
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


def _scoring_sql(policy: TierPolicy, *, accounts: bool) -> tuple[str, dict[str, Any]]:
    """``WITH raw …, pts …, scored …, decided …`` for the current tenant (``%(tenant)s``), optionally
    restricted to ``%(accounts)s``. ``decided`` has, per account: raw_*/pts_* per criterion,
    score, prev_* (the stored row), new_computed, new_tier, and the override after expiry."""
    points_sql, params = _policy_params(policy)
    raws = ",\n           ".join(f"{_RAW_SQL[key]} AS raw_{key}" for key in Criterion.values)
    pts = ",\n           ".join(f"{points_sql[key]} AS pts_{key}" for key in Criterion.values)
    total = " + ".join(f"pts_{key} * %(w_{key})s" for key in Criterion.values)
    account_filter = "AND a.id = ANY(%(accounts)s)" if accounts else ""
    # Only our own constants are interpolated (column names, CASE skeletons); every value is a
    # query parameter.
    sql = _SCORING_SQL.format(raws=raws, pts=pts, total=total, account_filter=account_filter)
    params["tenant"] = None  # filled in by the caller
    return sql, params


_RECOMPUTE_SQL = """
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
    ON CONFLICT (account_id) DO UPDATE SET
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


@dataclass(frozen=True)
class RecomputeResult:
    examined: int
    changed: int  # account tier rows inserted or updated
    tier_changes: int  # TierChange rows recorded


_ROWS_LOCK = "accounts.tier_rows"


def _lock_tier_rows(tenant_id: int) -> None:
    """Writers of a tenant's tier rows take turns: the nightly statement and the override
    services wait for each other (transaction-scoped). Without it the statement, whose values come
    from its start-of-run snapshot, would write over an override committed while it waited for the
    row — losing the override and reusing its change number. Overrides are quick; a run takes
    seconds, during which an override waits (and so is stamped after the run's changes)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s), %s)", [_ROWS_LOCK, tenant_id])


def _recompute(*, tenant: Tenant, today: datetime.date | None, run: JobRun | None,
               account_ids: list[int] | None) -> RecomputeResult:
    _lock_tier_rows(tenant.pk)  # before the statement takes its snapshot
    policy = tier_policy_ensure()
    if today is None:
        today = tenant_today(tenant)
    sql, params = _scoring_sql(policy, accounts=account_ids is not None)
    params.update(tenant=tenant.pk, today=today, now=clock.now(), policy=policy.pk,
                  run=run.pk if run is not None else None, accounts=account_ids)
    with connection.cursor() as cursor:
        cursor.execute(sql + _RECOMPUTE_SQL, params)
        examined, changed, history = cursor.fetchone()
    return RecomputeResult(examined=examined, changed=changed, tier_changes=history)


def tier_recompute(*, tenant_id: int, today: datetime.date | None = None,
                   run: JobRun | None = None) -> RecomputeResult:
    """Score and tier every account of one tenant with its current policy: one statement that
    writes only changed rows and their history. Idempotent: a second run changes nothing."""
    with as_tenant(tenant_id), transaction.atomic():
        return _recompute(tenant=Tenant.objects.get(pk=tenant_id), today=today, run=run,
                          account_ids=None)


def tier_recompute_accounts(*, account_ids: list[int],
                            today: datetime.date | None = None) -> RecomputeResult:
    """The nightly statement for a few accounts of the current tenant (e.g. before an override
    on an account not tiered yet). Same SQL, same rules."""
    from kam.tenancy import get_current_tenant

    with transaction.atomic():
        return _recompute(tenant=get_current_tenant(), today=today, run=None,
                          account_ids=list(account_ids))


def account_tier_state(account: Account) -> AccountTier | None:
    """The account's stored tier (joined by the caller's query), or None when not tiered yet."""
    try:
        return account.tier_state
    except AccountTier.DoesNotExist:
        return None


# --- preview and breakdown (same SQL, no writes) ---------------------------------------------------


@dataclass
class Mover:
    account_id: int
    name: str
    from_tier: str | None
    to_tier: str
    prev_score: Decimal | None
    score: Decimal


@dataclass
class Preview:
    policy: TierPolicy
    matrix: dict[str | None, dict[str, int]]  # from tier (None = not tiered yet) → to tier → n
    movers: list[Mover]
    mover_count: int
    account_count: int

    @property
    def from_tiers(self) -> list[str | None]:
        return [*TIERS_DESC, None]


PREVIEW_MOVER_LIMIT = 200


_MATRIX_SQL = " SELECT prev_tier, new_tier, COUNT(*) FROM decided GROUP BY 1, 2"
_MOVERS_SQL = """
SELECT d.account_id, a.name, d.prev_tier, d.new_tier, d.prev_score, d.score
  FROM decided d JOIN accounts_account a ON a.id = d.account_id
 WHERE d.new_tier IS DISTINCT FROM d.prev_tier
 ORDER BY d.score DESC, a.name, d.account_id
 LIMIT %(limit)s"""


def tier_preview(*, policy: TierPolicy, today: datetime.date | None = None,
                 limit: int = PREVIEW_MOVER_LIMIT) -> Preview:
    """What the nightly job would do with ``policy`` (saved or not) now: the transition matrix of
    effective tiers and the movers, from the same SQL, without writing anything. Two queries."""
    from kam.tenancy import get_current_tenant

    tenant = get_current_tenant()
    if today is None:
        today = tenant_today(tenant)
    sql, params = _scoring_sql(policy, accounts=False)
    params.update(tenant=tenant.pk, today=today)
    matrix: dict[str | None, dict[str, int]] = {
        t: {to: 0 for to in TIERS_DESC} for t in (*TIERS_DESC, None)}
    total = 0
    with connection.cursor() as cursor:
        cursor.execute(sql + _MATRIX_SQL, params)
        for prev, new, count in cursor.fetchall():
            matrix[prev][new] += count
            total += count
        params["limit"] = limit
        cursor.execute(sql + _MOVERS_SQL, params)
        movers = [Mover(*row) for row in cursor.fetchall()]
    mover_count = sum(n for prev, row in matrix.items() for to, n in row.items() if prev != to)
    return Preview(policy=policy, matrix=matrix, movers=movers, mover_count=mover_count,
                   account_count=total)


@dataclass
class CriterionLine:
    key: str
    label: str
    enabled: bool
    raw: Any
    points: Decimal
    weight: int
    contribution: Decimal


@dataclass
class Breakdown:
    account_id: int
    policy_version: int
    score: Decimal
    computed_tier: str
    tier: str
    criteria: list[CriterionLine] = field(default_factory=list)
    next_up_tier: str | None = None
    points_to_next_up: Decimal | None = None
    next_down_tier: str | None = None
    points_to_next_down: Decimal | None = None


_CENT = Decimal("0.01")


def _distances(policy: TierPolicy, computed: str, score: Decimal
               ) -> tuple[str | None, Decimal | None, str | None, Decimal | None]:
    """Points needed to reach the next tier up, and points the account can lose before it moves
    down (with the hysteresis margin) — from the computed tier."""
    rank = TIER_RANK[computed]
    up_tier = TIERS_DESC[TIERS_DESC.index(computed) - 1] if rank < 4 else None
    down_tier = TIERS_DESC[TIERS_DESC.index(computed) + 1] if rank > 1 else None
    up = (Decimal(policy.cutoff(up_tier)) - score).quantize(_CENT) if up_tier else None
    down = None
    if down_tier:
        floor = Decimal(policy.cutoff(computed)) - Decimal(policy.hysteresis)
        # Losing up to this keeps the tier (the score is still at the floor); any more moves down.
        down = (score - floor).quantize(_CENT, rounding=ROUND_HALF_UP)
    return up_tier, up, down_tier, down


def tier_breakdowns(*, account_ids: list[int], policy: TierPolicy | None = None,
                    today: datetime.date | None = None) -> dict[int, Breakdown]:
    """Per account: each criterion's raw value, points, weight and contribution, the score and
    tier the next run would give with the current policy, and the distances to the cut-offs.
    One query for any number of accounts (the nightly job's SQL, restricted to them)."""
    from kam.tenancy import get_current_tenant

    if not account_ids:
        return {}
    tenant = get_current_tenant()
    policy = policy or current_policy()
    if today is None:
        today = tenant_today(tenant)
    sql, params = _scoring_sql(policy, accounts=True)
    params.update(tenant=tenant.pk, today=today, accounts=list(account_ids))
    columns = [f"raw_{k}, pts_{k}" for k in Criterion.values]
    labels = dict(Criterion.choices)
    result: dict[int, Breakdown] = {}
    with connection.cursor() as cursor:
        select = f" SELECT account_id, score, new_computed, new_tier, {', '.join(columns)} "
        cursor.execute(sql + select + "FROM decided", params)
        for row in cursor.fetchall():
            account_id, score, computed, tier, *values = row
            lines = []
            for i, key in enumerate(Criterion.values):
                spec = policy.criteria[key]
                raw, points = values[2 * i], values[2 * i + 1]
                if isinstance(raw, Decimal):
                    raw = raw.quantize(_CENT)
                weight = int(spec["weight"]) if spec["enabled"] else 0
                lines.append(CriterionLine(
                    key=key, label=str(labels[key]), enabled=bool(spec["enabled"]), raw=raw,
                    points=Decimal(points).quantize(_CENT, rounding=ROUND_HALF_UP),
                    weight=weight,
                    contribution=(Decimal(points) * weight / 100).quantize(
                        _CENT, rounding=ROUND_HALF_UP)))
            up_tier, up, down_tier, down = _distances(policy, computed, score)
            result[account_id] = Breakdown(
                account_id=account_id, policy_version=policy.version, score=score,
                computed_tier=computed, tier=tier, criteria=lines, next_up_tier=up_tier,
                points_to_next_up=up, next_down_tier=down_tier, points_to_next_down=down)
    return result


# --- manual override ------------------------------------------------------------------------------


@transaction.atomic
def tier_override_set(*, account: Account, tier: str, reason: str, until: datetime.date,
                      by: Membership | None) -> AccountTier:
    """Set (or replace) an account's manual tier until ``until`` (inclusive); recorded as a change
    when the effective tier moves. The computed tier and score stay as they are."""
    from kam.tenancy import get_current_tenant

    tenant = get_current_tenant()
    errors: dict[str, list[str]] = {}
    if tier not in Tier.values:
        errors["tier"] = [_("Choose a tier.")]
    if not reason or not reason.strip():
        errors["reason"] = [_("Give a reason for the override.")]
    elif len(reason) > 500:
        errors["reason"] = [_("Keep the reason under 500 characters.")]
    today = tenant_today(tenant)
    if until < today:
        errors["until"] = [_("The expiry date cannot be in the past.")]
    elif until > today + datetime.timedelta(days=3 * 366):
        errors["until"] = [_("An override can last at most three years.")]
    if errors:
        raise ValidationError(errors)
    _lock_tier_rows(tenant.pk)  # waits for a running nightly statement (see _lock_tier_rows)
    state = AccountTier.objects.select_for_update().filter(account=account).first()
    if state is None:  # not tiered yet: score it now (same SQL) so the computed tier is shown
        tier_recompute_accounts(account_ids=[account.pk])
        state = AccountTier.objects.select_for_update().get(account=account)
    now = clock.now()
    previous = state.tier
    state.override_tier, state.override_reason = tier, reason.strip()
    state.override_until, state.override_by, state.override_at = until, by, now
    state.tier = tier
    if previous != tier:
        state.change_seq += 1
        TierChange.objects.create(
            account=account, seq=state.change_seq, from_tier=previous, to_tier=tier,
            score=state.score, policy_id=state.policy_id, source=TierChangeSource.OVERRIDE,
            reason=state.override_reason, changed_at=now, changed_by=by)
    state.save()
    return state


@transaction.atomic
def tier_override_clear(*, account: Account, by: Membership | None) -> AccountTier | None:
    """End an override now: the account returns to its computed tier (recorded if it moves)."""
    _lock_tier_rows(account.tenant_id)  # waits for a running nightly statement
    state = AccountTier.objects.select_for_update().filter(account=account).first()
    if state is None or not state.override_tier:
        return state
    previous = state.tier
    state.override_tier, state.override_reason = "", ""
    state.override_until = state.override_by = state.override_at = None
    state.tier = state.computed_tier
    if previous != state.tier:
        state.change_seq += 1
        TierChange.objects.create(
            account=account, seq=state.change_seq, from_tier=previous, to_tier=state.tier,
            score=state.score, policy_id=state.policy_id,
            source=TierChangeSource.OVERRIDE_ENDED,
            reason="", changed_at=clock.now(), changed_by=by)
    state.save()
    return state

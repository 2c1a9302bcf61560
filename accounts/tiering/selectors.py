"""Reads of tiering: the current policy and its versions, an account's stored tier, the what-if
preview and the per-account breakdown (the nightly job's SQL, no writes), the distribution of
tiers and the tier changes an actor may see."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from accounts.account.models import Account
from accounts.account.selectors import visible_via_account
from accounts.tiering.models import (
    TIER_RANK,
    TIERS_DESC,
    AccountTier,
    Criterion,
    Tier,
    TierChange,
    TierPolicy,
)
from accounts.tiering.policy import DEFAULT_CUTOFFS, default_criteria
from accounts.tiering.sql import MATRIX_SQL, MOVERS_SQL, scoring_sql
from kam import clock
from kam.roles import Actor
from kam.tenancy import get_current_tenant


def default_policy() -> TierPolicy:
    """The built-in policy (unsaved, version 0) a tenant starts from."""
    return TierPolicy(version=0, criteria=default_criteria(), **DEFAULT_CUTOFFS)


def draft_policy(clean: dict[str, Any], *, version: int) -> TierPolicy:
    """An unsaved policy of validated values (``policy_validate``'s result), e.g. to preview."""
    return TierPolicy(version=version, criteria=clean["criteria"],
                      cutoff_strategic=clean["cutoff_strategic"], cutoff_key=clean["cutoff_key"],
                      cutoff_important=clean["cutoff_important"], hysteresis=clean["hysteresis"])


def current_policy() -> TierPolicy:
    """The current tenant's newest policy version, or the unsaved built-in default."""
    return TierPolicy.objects.order_by("-version").first() or default_policy()


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




def tier_preview(*, policy: TierPolicy, today: datetime.date | None = None,
                 limit: int = PREVIEW_MOVER_LIMIT) -> Preview:
    """What the nightly job would do with ``policy`` (saved or not) now: the transition matrix of
    effective tiers and the movers, from the same SQL, without writing anything. Two queries."""

    tenant = get_current_tenant()
    if today is None:
        today = clock.today(tenant)
    sql, params = scoring_sql(policy, accounts=False)
    params.update(tenant=tenant.pk, today=today)
    matrix: dict[str | None, dict[str, int]] = {
        t: {to: 0 for to in TIERS_DESC} for t in (*TIERS_DESC, None)}
    total = 0
    with connection.cursor() as cursor:
        cursor.execute(sql + MATRIX_SQL, params)
        for prev, new, count in cursor.fetchall():
            matrix[prev][new] += count
            total += count
        params["limit"] = limit
        cursor.execute(sql + MOVERS_SQL, params)
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

    if not account_ids:
        return {}
    tenant = get_current_tenant()
    policy = policy or current_policy()
    if today is None:
        today = clock.today(tenant)
    sql, params = scoring_sql(policy, accounts=True)
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


def account_tier_breakdowns(accounts: list[Account]) -> dict[int, Breakdown]:
    """The breakdowns of the tiered accounts among ``accounts``: one query for the policy and one
    for all of them (none when no account is tiered)."""
    return tier_breakdowns(account_ids=[a.pk for a in accounts if account_tier_state(a) is not None])


def policy_versions() -> QuerySet[TierPolicy]:
    """The current tenant's saved policy versions, with who saved them."""
    return TierPolicy.objects.select_related("created_by__user")


def tier_distribution() -> list[tuple[str | None, str, int]]:
    """(tier or None, label, accounts) for the current tenant's accounts by effective tier, with
    "not tiered yet" for accounts the job has not reached. One GROUP BY query."""
    counts = {row["tier_state__tier"]: row["n"] for row in
              Account.objects.order_by().values("tier_state__tier").annotate(n=Count("pk"))}
    labels = dict(Tier.choices)
    rows: list[tuple[str | None, str, int]] = [
        (tier, str(labels[tier]), counts.get(tier, 0)) for tier in TIERS_DESC]
    rows.append((None, _("Not tiered yet"), counts.get(None, 0)))
    return rows


def tier_change_visible_queryset(*, actor: Actor) -> QuerySet[TierChange]:
    """The tier changes of the accounts the actor may see, with what an API row shows joined:
    one query."""
    qs = TierChange.objects.select_related("account", "policy", "changed_by__user")
    return visible_via_account(qs, actor=actor)

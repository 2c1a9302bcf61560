"""The hand-computed tiering fixture shared by the tiering tests: a policy whose scores are easy
to work out by hand, and a way to set an account's figures directly (the engine reads them)."""

from __future__ import annotations

from decimal import Decimal

from accounts.models import Account, AccountFigures, TierPolicy
from accounts.tiering.policy import default_criteria
from accounts.tiering.services import tier_policy_save


def policy_criteria() -> dict:
    """Five criteria in use (40 + 20 + 10 + 20 + 10 = 100); share is switched off although it
    carries a weight, margin is off with weight 0."""
    c = default_criteria()
    c["revenue"] = {"enabled": True, "weight": 40, "thresholds": [[100, 50], [1000, 100]]}
    c["share"] = {"enabled": False, "weight": 30, "thresholds": [[0, 100]]}
    c["frequency"] = {"enabled": True, "weight": 20, "thresholds": [[5, 50], [10, 100]]}
    c["margin"] = {"enabled": False, "weight": 0, "thresholds": [[0, 100]]}
    c["growth"] = {"enabled": True, "weight": 10, "thresholds": [[0, 50], [20, 100]]}
    c["strategic"] = {"enabled": True, "weight": 20, "thresholds": [[3, 50], [5, 100]]}
    c["credit"] = {"enabled": True, "weight": 10,
                   "points": {"A": 100, "B": 50, "C": 20, "D": 0, "": 40}}
    return c


def save_policy(**overrides) -> TierPolicy:
    values = {"criteria": policy_criteria(), "cutoff_strategic": 80, "cutoff_key": 60,
              "cutoff_important": 40, "hysteresis": 5}
    values.update(overrides)
    return tier_policy_save(**values)


def figures(account: Account, *, revenue="0", orders=0, growth=None, share="0", margin="0"):
    AccountFigures.objects.update_or_create(account=account, defaults={
        "revenue_12m": Decimal(revenue), "order_count_12m": orders,
        "revenue_growth": None if growth is None else Decimal(growth),
        "revenue_share": Decimal(share), "margin_12m": Decimal(margin)})

"""The 360° page's tier panel: the stored tier (``AccountTier``: what the last nightly run or an
override set) beside the live breakdown of ``tier_breakdowns`` (what the next run will give), so a
person sees both the tier and why, with every raw value formatted for people."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.account.models import Account
from accounts.tiering.models import AccountTier, Criterion, tier_label
from accounts.tiering.selectors import (
    Breakdown,
    account_tier_state,
    current_policy,
    tier_breakdowns,
)
from kam import l10n
from kam.jobs import data_as_of_each
from kam.roles import Actor, Perm

PERCENT_CRITERIA = (Criterion.SHARE, Criterion.MARGIN, Criterion.GROWTH)


# --- the 360° page's panel -----------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionRow:
    key: str
    label: str
    enabled: bool
    value: str  # the raw value, formatted for people
    points: Decimal
    weight: int
    contribution: Decimal


@dataclass
class TierPanel:
    state: AccountTier | None  # None: not tiered yet
    breakdown: Breakdown | None  # the live scoring (what the next run gives)
    rows: list[CriterionRow] = field(default_factory=list)
    weight_total: int = 0
    policy_version: int = 0
    tiers_as_of: datetime.datetime | None = None
    figures_as_of: datetime.datetime | None = None
    can_override: bool = False
    override_expired: bool = False  # an override past its date, until the next run ends it
    changed_since_run: bool = False  # the live score or tier differs from the stored one

    @property
    def tier_label(self) -> str:
        return tier_label(self.state.tier) if self.state else ""

    @property
    def computed_label(self) -> str:
        return tier_label(self.state.computed_tier) if self.state else ""

    @property
    def next_computed_label(self) -> str:
        return tier_label(self.breakdown.computed_tier) if self.breakdown else ""

    @property
    def up_label(self) -> str:
        return tier_label(self.breakdown.next_up_tier) if self.breakdown else ""

    @property
    def down_label(self) -> str:
        return tier_label(self.breakdown.next_down_tier) if self.breakdown else ""


def criterion_value(key: str, raw: Any, *, currency: str) -> str:
    """A criterion's raw value as people read it (``kam.l10n``): the 12 months' revenue as the key
    figures above the panel show it (whole, with the tenant's currency), percentages, an order
    count, 1–5, a credit letter."""
    if key == Criterion.REVENUE:
        return l10n.money_rounded(raw or Decimal(0), currency)
    if key in PERCENT_CRITERIA:
        return l10n.percent(raw, 2)
    if key == Criterion.FREQUENCY:
        count = int(raw or 0)
        return ngettext("%(count)s order", "%(count)s orders", count) % {"count": l10n.count(count)}
    if key == Criterion.STRATEGIC:
        return "—" if raw is None else f"{raw} / 5"
    if key == Criterion.CREDIT:
        return raw if raw else _("not rated")
    return str(raw)


def tier_panel(*, actor: Actor, account: Account, today: datetime.date) -> TierPanel:
    """Everything the tier panel shows. Three queries: the current policy, the live breakdown, and
    the "data as of" times of the tiering and figures jobs. The stored tier and the override's
    author come joined with the account (``accounts.profile.selectors.account_profile_queryset``)."""
    state = account_tier_state(account)
    policy = current_policy()
    breakdown = tier_breakdowns(account_ids=[account.pk], policy=policy,
                                today=today).get(account.pk)
    as_of = data_as_of_each("tiering", "figures")
    panel = TierPanel(state=state, breakdown=breakdown, policy_version=policy.version,
                      tiers_as_of=as_of["tiering"], figures_as_of=as_of["figures"],
                      can_override=actor.can(Perm.TIER_OVERRIDE))
    if breakdown is not None:
        panel.rows = [
            CriterionRow(key=line.key, label=line.label, enabled=line.enabled,
                         value=criterion_value(line.key, line.raw, currency=actor.tenant.currency),
                         points=line.points, weight=line.weight, contribution=line.contribution)
            for line in breakdown.criteria]
        panel.weight_total = sum(row.weight for row in panel.rows if row.enabled)
    if state is not None:
        panel.override_expired = bool(state.override_tier and state.override_until
                                      and state.override_until < today)
        if breakdown is not None:
            panel.changed_since_run = (state.score != breakdown.score
                                       or state.computed_tier != breakdown.computed_tier)
    return panel



"""A hand-computed set of accounts for visit cadence, on the frozen clock's Monday 15 June 2026
(Shanghai; tests/conftest.py FROZEN_AT). The rolling 12 months run 16 Jun 2025 – 15 Jun 2026.
Standards: the defaults (strategic B12 T4 L2, key B6 T4 L1, important B4 T2 L1, general B2 T1 L0).
Due soon: within 7 days (on or before 22 Jun).

Acme (strategic since 2025-01-01, owner active; contacts: leadership 1, technical 0, business 2
of which 1 has left)
  level       n  interval  completed visits (others)                 last        next due    state
  leadership  2  6 months  2026-01-05                                2026-01-05  2026-07-05  on track
  technical   4  3 months  2026-02-14, 2025-09-01                    2026-02-14  2026-05-14  overdue
  business   12  1 month   2026-05-20, 2026-03-10, 2025-12-01,       2026-05-20  2026-06-20  due soon
                           2025-06-10 (outside the 12 months);
                           missed 2026-06-01, cancelled 2026-06-05, planned 2026-06-20 (not counted)
  compliance: leadership 1/2 = 50 %, technical 2/4 = 50 %, business 3/12 = 25 %

Beta (key since 2026-03-01 — important before, from 2024-01-01; the window starts 2026-03-01:
107 days; contacts: business 1)
  leadership  1  12 months none: from 2026-03-01                     —           2027-03-01  on track
  technical   4  3 months  none: from 2026-03-01                     —           2026-06-01  overdue
  business    6  2 months  2026-02-20 (before the tier change)       2026-02-20  2026-04-20  overdue
  required in the window: L ⌊1×107/365⌋ = 0 (no compliance), T ⌊4×107/365⌋ = 1 (0 %),
  B ⌊6×107/365⌋ = 1 (0 %: the February visit is before the window)

Gamma (general, created 2025-01-10, no tier change recorded: from its creation)
  leadership  0  —         —                                         —           —           not required
  technical   1  12 months none: from 2025-01-10                     —           2026-01-10  overdue
  business    2  6 months  2026-04-01                                2026-04-01  2026-10-01  on track
  compliance: technical 0/1 = 0 %, business 1/2 = 50 %

Delta (strategic since 2025-01-01, its owner deactivated): every level "no owner".
Epsilon (strategic since 2025-01-01, churned, owned): every level "inactive".
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from accounts.account.models import Account
from accounts.contacts.models import Contact
from accounts.tiering.models import AccountTier, TierChange, TierPolicy
from accounts.tiering.selectors import default_policy
from kam.models import Membership
from kam.tenancy import tenant_context
from tests.factories import make_account
from tests.visits.fixtures import at, make_visit


@dataclass
class CadenceWorld:
    accounts: dict[str, Any]
    owner: Membership


def _policy() -> TierPolicy:
    policy = TierPolicy.objects.order_by("-version").first()
    if policy is None:
        policy = default_policy()
        policy.version = 1
        policy.save()
    return policy


def set_tier(account: Any, tier: str, since: datetime.datetime, from_tier: str = "") -> None:
    """The account's tier as the tiering job leaves it: the tier row and a change at ``since``."""
    with tenant_context(account.tenant):
        policy = _policy()
        seq = TierChange.objects.filter(account=account).count() + 1
        AccountTier.objects.update_or_create(account=account, defaults={
            "tenant": account.tenant, "tier": tier, "computed_tier": tier, "score": 50,
            "policy": policy, "computed_at": since})
        TierChange.objects.create(account=account, seq=seq, from_tier=from_tier, to_tier=tier,
                                  score=50, policy=policy, source="computed", changed_at=since)


def _created(account: Any, when: datetime.datetime) -> None:
    with tenant_context(account.tenant):
        Account.objects.filter(pk=account.pk).update(created_at=when)


def _completed(account: Any, owner: Membership, start: datetime.datetime, level: str) -> None:
    make_visit(account, owner, start, level=level, status="completed", summary="好",
               sentiment="positive", completed_at=start + datetime.timedelta(hours=3))


def cadence_world(owner: Membership, gone: Membership) -> CadenceWorld:
    """``owner`` an active manager; ``gone`` a member who will be deactivated (Delta's owner)."""
    tenant = owner.tenant
    acme = make_account(tenant, "Acme", owner=owner)
    beta = make_account(tenant, "Beta", owner=owner)
    gamma = make_account(tenant, "Gamma", owner=owner)
    delta = make_account(tenant, "Delta", owner=gone)
    epsilon = make_account(tenant, "Epsilon", owner=owner, lifecycle_status="churned")
    for account in (acme, beta, delta, epsilon):
        _created(account, at(2023, 5, 5))
    _created(gamma, at(2025, 1, 10))
    for account in (acme, delta, epsilon):
        set_tier(account, "strategic", at(2025, 1, 1))
    set_tier(beta, "important", at(2024, 1, 1))
    set_tier(beta, "key", at(2026, 3, 1), from_tier="important")
    with tenant_context(tenant):
        AccountTier.objects.create(tenant=tenant, account=gamma, tier="general",
                                   computed_tier="general", score=10, computed_at=at(2025, 2, 1),
                                   policy=_policy())
        Contact.objects.create(account=acme, name="王总", level="leadership")
        Contact.objects.create(account=acme, name="陈采购", level="business")
        Contact.objects.create(account=acme, name="刘经理", level="business", is_active=False,
                               left_on=datetime.date(2026, 1, 1))
        Contact.objects.create(account=beta, name="赵采购", level="business")
        Membership.objects.filter(pk=gone.pk).update(is_active=False)

    _completed(acme, owner, at(2026, 1, 5), "leadership")
    for day in (at(2026, 2, 14), at(2025, 9, 1)):
        _completed(acme, owner, day, "technical")
    for day in (at(2026, 5, 20), at(2026, 3, 10), at(2025, 12, 1), at(2025, 6, 10)):
        _completed(acme, owner, day, "business")
    make_visit(acme, owner, at(2026, 6, 1), status="missed", missed_at=at(2026, 6, 4))
    make_visit(acme, owner, at(2026, 6, 5), status="cancelled", cancel_reason="客户审计周",
               cancelled_at=at(2026, 6, 3))
    make_visit(acme, owner, at(2026, 6, 20))
    _completed(beta, owner, at(2026, 2, 20), "business")
    _completed(gamma, owner, at(2026, 4, 1), "business")
    return CadenceWorld(accounts={"acme": acme, "beta": beta, "gamma": gamma, "delta": delta,
                                  "epsilon": epsilon}, owner=owner)


D = datetime.date

# What the job computes for the world above: (level) → (last, next due, state, completed,
# required, compliance %, contacts).
EXPECTED: dict[str, dict[str, tuple[Any, ...]]] = {
    "acme": {
        "leadership": (D(2026, 1, 5), D(2026, 7, 5), "on_track", 1, 2, 50, 1),
        "technical": (D(2026, 2, 14), D(2026, 5, 14), "overdue", 2, 4, 50, 0),
        "business": (D(2026, 5, 20), D(2026, 6, 20), "due_soon", 3, 12, 25, 1),
    },
    "beta": {
        "leadership": (None, D(2027, 3, 1), "on_track", 0, 0, None, 0),
        "technical": (None, D(2026, 6, 1), "overdue", 0, 1, 0, 0),
        "business": (D(2026, 2, 20), D(2026, 4, 20), "overdue", 0, 1, 0, 1),
    },
    "gamma": {
        "leadership": (None, None, "not_required", 0, 0, None, 0),
        "technical": (None, D(2026, 1, 10), "overdue", 0, 1, 0, 0),
        "business": (D(2026, 4, 1), D(2026, 10, 1), "on_track", 1, 2, 50, 0),
    },
}

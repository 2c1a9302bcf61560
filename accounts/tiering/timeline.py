"""The 360° page's timeline source for tier changes (accounts.tiering.models.TierChange).

Registered from ``accounts.apps.AccountsConfig.ready()`` like the other sources (see
accounts.profile.timeline). One query: the account's changes with the policy version and the
member who made the change joined (``accounts.tiering.sql.ACCOUNT_CHANGES_SQL``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import connection
from django.utils import formats
from django.utils.translation import gettext as _

from accounts.profile.timeline import TimelineEntry
from accounts.tiering.models import TierChangeSource, tier_label
from accounts.tiering.sql import ACCOUNT_CHANGES_SQL
from kam import clock
from kam.models import name_of

if TYPE_CHECKING:
    from accounts.account.models import Account
    from kam.roles import Actor

# A safety bound on one account's tier history (the timeline keeps the newest entries anyway;
# with hysteresis an account changes tier a few times a year at most).
TIER_TIMELINE_MAX = 500


@dataclass(frozen=True)
class ChangeRow:
    """A TierChange as ``ACCOUNT_CHANGES_SQL`` reads it."""

    id: int
    from_tier: str
    to_tier: str
    score: Decimal
    source: str
    reason: str
    changed_at: datetime.datetime
    policy_version: int
    changed_by_id: int | None
    first_name: str | None
    last_name: str | None
    username: str | None

    @property
    def who(self) -> str:
        if self.changed_by_id is None or self.username is None:
            return ""
        return name_of(self.first_name or "", self.last_name or "", self.username)


def tier_change_entry(change: ChangeRow) -> TimelineEntry:
    """One tier change as a timeline line (translated in the active language)."""
    names = {
        "from": tier_label(change.from_tier),
        "to": tier_label(change.to_tier),
        "score": formats.number_format(change.score, 2),
        "version": change.policy_version,
        "who": change.who,
    }
    detail = ""
    if change.source == TierChangeSource.OVERRIDE:
        kind = "tier-override"
        title = (_("Override: %(from)s → %(to)s, set by %(who)s") if names["who"]
                 else _("Override: %(from)s → %(to)s")) % names
        detail = _("Reason: %(reason)s") % {"reason": change.reason} if change.reason else ""
    elif change.source == TierChangeSource.OVERRIDE_ENDED:
        kind = "tier-override-ended"
        title = (_("Override ended (removed by %(who)s): %(from)s → %(to)s") if names["who"]
                 else _("Override ended (expired): %(from)s → %(to)s")) % names
        detail = _("Back to the computed tier (score %(score)s, policy v%(version)s)") % names
    elif not change.from_tier:
        kind = "tier-computed"
        title = _("Tiered as %(to)s") % names
        detail = _("Score %(score)s, policy v%(version)s") % names
    else:
        kind = "tier-computed"
        title = _("Tier: %(from)s → %(to)s (score %(score)s, policy v%(version)s, computed)") % names
    return TimelineEntry(
        when=change.changed_at, kind=kind, title=title, detail=detail, icon="tier",
        data={"tier_change_id": change.id, "from_tier": change.from_tier,
              "to_tier": change.to_tier, "score": change.score, "source": change.source})


def tier_changes_source(*, actor: Actor, account: Account, since: datetime.date | None,
                        until: datetime.date | None) -> list[TimelineEntry]:
    """Every recorded change of the account's tier: computed, override, override ended.
    One query (``ACCOUNT_CHANGES_SQL``: the policy's version and the changing member's name
    joined)."""
    start, end = clock.day_range(since, until, actor.tenant)
    with connection.cursor() as cursor:
        cursor.execute(ACCOUNT_CHANGES_SQL, {"tenant": account.tenant_id, "account": account.pk,
                                             "start": start, "end": end,
                                             "limit": TIER_TIMELINE_MAX})
        return [tier_change_entry(ChangeRow(*row)) for row in cursor.fetchall()]

"""The 360° page's timeline source for tier changes (accounts.tiering.models.TierChange).

Registered from ``accounts.apps.AccountsConfig.ready()`` like the other sources (see
accounts.profile.timeline). One query: the account's changes with the policy version and the
member who made the change joined.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.utils import formats
from django.utils.translation import gettext as _

from accounts.profile.timeline import TimelineEntry
from accounts.tiering.models import TierChange, TierChangeSource, tier_label
from kam import clock

if TYPE_CHECKING:
    from accounts.account.models import Account
    from kam.roles import Actor

# A safety bound on one account's tier history (the timeline keeps the newest entries anyway;
# with hysteresis an account changes tier a few times a year at most).
TIER_TIMELINE_MAX = 500


def tier_change_entry(change: TierChange) -> TimelineEntry:
    """One TierChange as a timeline line (translated in the active language)."""
    names = {
        "from": tier_label(change.from_tier),
        "to": tier_label(change.to_tier),
        "score": formats.number_format(change.score, 2),
        "version": change.policy.version if change.policy_id else "?",
        "who": change.changed_by.display_name if change.changed_by_id else "",
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
        data={"tier_change_id": change.pk, "from_tier": change.from_tier,
              "to_tier": change.to_tier, "score": change.score, "source": change.source})


def tier_changes_source(*, actor: Actor, account: Account, since: datetime.date | None,
                        until: datetime.date | None) -> list[TimelineEntry]:
    """Every recorded change of the account's tier: computed, override, override ended.
    One query (policy and the changing member's user joined)."""
    qs = TierChange.objects.filter(account_id=account.pk)
    start, end = clock.day_range(since, until, actor.tenant)
    if start is not None:
        qs = qs.filter(changed_at__gte=start)
    if end is not None:
        qs = qs.filter(changed_at__lt=end)
    # The policy's criteria (a JSON document) are not needed here, only its version.
    qs = (qs.select_related("policy", "changed_by__user").defer("policy__criteria")
          .order_by("-changed_at", "-id")[:TIER_TIMELINE_MAX])
    return [tier_change_entry(change) for change in qs]

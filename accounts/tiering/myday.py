"""My day's tier changes (kam.myday): the accounts that changed tier since the viewer's previous
login — a member's own accounts (they own), or the portfolio's — newest first. One query
(tierchange_since_idx). Without a previous login (the first one) the last seven days."""

from __future__ import annotations

import datetime
from typing import Any

from accounts.tiering.selectors import tier_change_visible_queryset
from kam.myday import ROWS_SHOWN, MyDayScope

FIRST_LOGIN_DAYS = 7


def my_day_tier_changes(scope: MyDayScope) -> dict[str, Any]:
    since = scope.since or scope.now - datetime.timedelta(days=FIRST_LOGIN_DAYS)
    qs = scope.owned(tier_change_visible_queryset(actor=scope.actor)
                     .filter(changed_at__gt=since), owner_field="account__owner")
    rows = list(qs.select_related("account").order_by("-changed_at", "-id")[:ROWS_SHOWN + 1])
    return {"changes": rows[:ROWS_SHOWN], "more": len(rows) > ROWS_SHOWN,
            "since": since, "since_login": scope.since is not None}

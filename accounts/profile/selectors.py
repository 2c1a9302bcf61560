"""Reads behind the account 360° page (客户档案): the account with everything its header shows
joined, and the revenue chart's data. The page's sections read their concept's selectors
(figures, contacts' relationship map, team, contracts, tiering's panel, the timeline).

Every function costs a fixed number of queries (one, or none for the pure ones), so the page's
cost does not grow with the account's contacts, team, contracts or transactions.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.account.models import Account
from accounts.account.selectors import account_list_queryset
from kam.roles import Actor


def account_profile_queryset(*, actor: Actor) -> QuerySet[Account]:
    """The visible accounts with owner, parent, figures and tier state (with the override's
    author) joined: one query for the page's header (``.get(pk=…)``; another tenant's account,
    or one the actor may not see, is not found)."""
    return account_list_queryset(actor=actor).select_related("figures",
                                                             "tier_state__override_by__user")



def revenue_chart_data(series: list[tuple[datetime.date, Decimal]], *, currency: str) -> dict:
    """What static/kam/charts.js draws (passed with json_script)."""
    return {
        "labels": [month.strftime("%Y-%m") for month, _total in series],
        "values": [str(total) for _month, total in series],
        "label": _("Revenue (%(currency)s)") % {"currency": currency},
        "currency": currency,
    }

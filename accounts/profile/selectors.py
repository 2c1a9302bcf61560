"""Reads behind the account 360° page (客户档案): the account with everything its header shows
joined, and the revenue chart's data. The page's sections read their concept's selectors
(figures, contacts' relationship map, team, contracts, tiering's panel, the timeline).

Every function costs a fixed number of queries (one, or none for the pure ones), so the page's
cost does not grow with the account's contacts, team, contracts or transactions.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.utils.translation import gettext as _

from accounts.account.models import Account
from accounts.account.selectors import account_list_queryset
from accounts.contacts.selectors import contacts_by_name
from accounts.contracts.selectors import contracts_by_end
from kam.models import Membership
from kam.roles import Actor


def account_profile_queryset(*, actor: Actor) -> QuerySet[Account]:
    """The visible accounts with owner, parent, figures and tier state joined: one query for the
    page's header (``.get(pk=…)``; another tenant's account, or one the actor may not see, is not
    found). The override's author is prefetched: no query when there is no override (most
    accounts), and two more tables in the join would double the time PostgreSQL spends planning
    it (0.9 -> 1.8 ms; under row-level security every table adds its policy)."""
    return (account_list_queryset(actor=actor).select_related("figures", "tier_state")
            .prefetch_related(Prefetch("tier_state__override_by",
                                       queryset=Membership.objects.select_related("user"))))



def profile_prefetch(account: Account, *, today: datetime.date) -> None:
    """Fetch the account's contacts and contracts once, into ``account.contacts.all()`` and
    ``account.contracts.all()``: the page's sections and the timeline's sources read the same
    lists (two queries, where each reading its own cost four). The account is one the actor sees
    (from ``account_profile_queryset``), and so are its contacts and contracts."""
    prefetch_related_objects([account], Prefetch("contacts", queryset=contacts_by_name()),
                             Prefetch("contracts", queryset=contracts_by_end(today=today)))


def revenue_chart_data(series: list[tuple[datetime.date, Decimal]], *, currency: str) -> dict:
    """What static/kam/charts.js draws (passed with json_script)."""
    return {
        "labels": [month.strftime("%Y-%m") for month, _total in series],
        "values": [str(total) for _month, total in series],
        "label": _("Revenue (%(currency)s)") % {"currency": currency},
        "currency": currency,
    }

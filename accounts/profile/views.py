"""The account 360° page (客户档案): the account and every section of its profile."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.account.models import Account
from accounts.account.selectors import account_children
from accounts.contacts.selectors import relationship_map
from accounts.figures.selectors import key_figures
from accounts.profile.selectors import (
    account_profile_queryset,
    profile_prefetch,
    revenue_chart_data,
)
from accounts.profile.timeline import account_timeline
from accounts.team.selectors import account_team
from accounts.tiering.panel import tier_panel
from accounts.transactions.selectors import account_revenue_by_month
from kam import clock
from kam.decorators import tenant_page
from kam.lists import get_or_404
from kam.roles import Perm

TIMELINE_LIMIT = 50


def get_profile_account(request: HttpRequest, account_id: int) -> Account:
    """A visible account with what the page's header shows joined; 404 for anything else."""
    return get_or_404(account_profile_queryset(actor=request.actor), pk=account_id)


def profile_page(request: HttpRequest, account: Account) -> HttpResponse:
    """The 360° page of ``account``."""
    actor = request.actor
    today = clock.today(actor.tenant)
    can_manage_team = actor.can(Perm.ACCOUNT_ASSIGN_OWNER)
    profile_prefetch(account, today=today)
    series = account_revenue_by_month(account=account, months=24, today=today)
    context: dict[str, Any] = {
        "account": account,
        "figures": key_figures(account),
        "children": account_children(actor=actor, account=account)[:50],
        "relationships": relationship_map(account.contacts.all()),
        "team": list(account_team(actor=actor, account=account)),
        "contracts": list(account.contracts.all()),
        "timeline": account_timeline(actor=actor, account=account, limit=TIMELINE_LIMIT),
        "revenue_chart": revenue_chart_data(series, currency=actor.tenant.currency),
        "has_revenue": any(total for _month, total in series),
        "currency": actor.tenant.currency,
        "today": today,
        "can_change": actor.can(Perm.ACCOUNT_CHANGE),
        "can_delete": actor.can(Perm.ACCOUNT_DELETE),
        "can_manage_team": can_manage_team,
        "can_read_history": actor.can(Perm.AUDIT_READ),
        # The tier panel (templates/accounts/_tier_panel.html): stored tier, live breakdown.
        "tier": tier_panel(actor=actor, account=account, today=today),
        "tenant_time_zone": actor.tenant.time_zone,
    }
    return render(request, "accounts/account_detail.html", context)


@tenant_page()
def account_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    return profile_page(request, get_profile_account(request, account_id))

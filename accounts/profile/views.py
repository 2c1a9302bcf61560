"""The account 360° page (客户档案): the account and every section of its profile."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.account.models import Account
from accounts.account.selectors import account_children, account_visible_queryset
from accounts.contacts.selectors import relationship_map
from accounts.figures.selectors import key_figures
from accounts.history.selectors import can_read_history
from accounts.profile.sections import profile_sections
from accounts.profile.selectors import (
    account_profile_queryset,
    profile_prefetch,
    revenue_chart_data,
)
from accounts.profile.timeline import timeline_page
from accounts.team.selectors import account_team, can_manage_team
from accounts.tiering.panel import tier_panel
from accounts.transactions.selectors import account_revenue_by_month
from kam import clock
from kam.decorators import tenant_page
from kam.lists import get_or_404
from kam.roles import Perm

# The 360° page's timeline section shows the newest entries, loaded after the page (htmx) from
# account_timeline_recent: the sources grow with every app (visits, requests, surveys, risk), the
# page's own cost does not. The whole timeline, a page at a time, is account_timeline_view's.
TIMELINE_RECENT = 20
TIMELINE_PAGE = 50


def get_profile_account(request: HttpRequest, account_id: int) -> Account:
    """A visible account with what the page's header shows joined; 404 for anything else."""
    return get_or_404(account_profile_queryset(actor=request.actor), pk=account_id)


def profile_page(request: HttpRequest, account: Account) -> HttpResponse:
    """The 360° page of ``account``."""
    actor = request.actor
    today = clock.today(actor.tenant)
    can_manage = can_manage_team(actor=actor, account=account)
    profile_prefetch(account, today=today)
    series = account_revenue_by_month(account=account, months=24, today=today)
    context: dict[str, Any] = {
        "account": account,
        "figures": key_figures(account),
        "children": account_children(actor=actor, account=account)[:50],
        "relationships": relationship_map(account.contacts.all()),
        "team": list(account_team(actor=actor, account=account)),
        "contracts": list(account.contracts.all()),
        "revenue_chart": revenue_chart_data(series, currency=actor.tenant.currency),
        "has_revenue": any(total for _month, total in series),
        "currency": actor.tenant.currency,
        "today": today,
        "can_change": actor.can(Perm.ACCOUNT_CHANGE),
        "can_delete": actor.can(Perm.ACCOUNT_DELETE),
        "can_manage_team": can_manage,
        "can_read_history": can_read_history(actor=actor, account=account),
        # The tier panel (templates/accounts/_tier_panel.html): stored tier, live breakdown.
        "tier": tier_panel(actor=actor, account=account, today=today),
        "tenant_time_zone": actor.tenant.time_zone,
        # What other apps add (visits …), each loaded after the page (accounts.profile.sections).
        "sections": profile_sections(),
    }
    return render(request, "accounts/account_detail.html", context)


@tenant_page()
def account_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    return profile_page(request, get_profile_account(request, account_id))


@tenant_page()
def account_timeline_recent(request: HttpRequest, account_id: int) -> HttpResponse:
    """The 360° page's timeline section (an htmx partial): the newest entries."""
    account = get_or_404(account_visible_queryset(actor=request.actor), pk=account_id)
    page = timeline_page(actor=request.actor, account=account, size=TIMELINE_RECENT)
    return render(request, "accounts/_timeline.html",
                  {"account": account, "page": page, "recent": True})


@tenant_page()
def account_timeline_view(request: HttpRequest, account_id: int) -> HttpResponse:
    """The whole timeline of an account, newest first, a page at a time (``?until=`` a date)."""
    account = get_or_404(account_visible_queryset(actor=request.actor), pk=account_id)
    until = None
    if "until" in request.GET:
        try:
            until = datetime.date.fromisoformat(request.GET["until"])
        except ValueError:
            raise BadRequest("until must be a date (YYYY-MM-DD)") from None
    page = timeline_page(actor=request.actor, account=account, size=TIMELINE_PAGE, until=until)
    return render(request, "accounts/account_timeline.html",
                  {"account": account, "page": page, "until": until})

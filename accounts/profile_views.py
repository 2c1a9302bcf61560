"""The account 360° page (客户档案) and the account team's editing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.figures import tenant_today
from accounts.forms import TeamMemberForm
from accounts.models import Account, AccountTeamMember
from accounts.profile import (
    account_contacts,
    account_contracts,
    account_profile_get,
    account_revenue_by_month,
    account_team,
    key_figures,
    relationship_map,
    revenue_chart_data,
    team_candidates,
)
from accounts.selectors import account_children
from accounts.team import team_member_add, team_member_remove, team_queryset
from accounts.tier_views import tier_panel
from accounts.timeline import account_timeline
from kam.decorators import tenant_page
from kam.roles import Perm

TIMELINE_LIMIT = 50


def _get_account(request: HttpRequest, account_id: int) -> Account:
    try:
        return account_profile_get(actor=request.actor, account_id=account_id)
    except Account.DoesNotExist as exc:
        raise Http404 from exc


def _profile_context(request: HttpRequest, account: Account,
                     team_form: TeamMemberForm | None = None) -> dict[str, Any]:
    actor = request.actor
    today = tenant_today(actor.tenant)
    can_manage_team = actor.can(Perm.ACCOUNT_ASSIGN_OWNER)
    if can_manage_team and team_form is None:
        team_form = TeamMemberForm(candidates=team_candidates(account=account))
    series = account_revenue_by_month(account=account, months=24, today=today)
    return {
        "account": account,
        "figures": key_figures(account),
        "children": account_children(actor=actor, account=account)[:50],
        "relationships": relationship_map(account_contacts(actor=actor, account=account)),
        "team": list(account_team(actor=actor, account=account)),
        "team_form": team_form if can_manage_team else None,
        "contracts": list(account_contracts(actor=actor, account=account, today=today)),
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


@tenant_page()
def account_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _get_account(request, account_id)
    return render(request, "accounts/account_detail.html", _profile_context(request, account))


@tenant_page(Perm.ACCOUNT_ASSIGN_OWNER)
def team_add_view(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _get_account(request, account_id)
    if request.method != "POST":
        return redirect("account-detail", account_id=account.pk)
    form = TeamMemberForm(request.POST, candidates=team_candidates(account=account))
    if form.is_valid():
        try:
            member = team_member_add(actor=request.actor, account=account,
                                     membership=form.cleaned_data["membership"],
                                     team_role=form.cleaned_data["team_role"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("%(member)s joined the account team.") % {
                "member": member.membership.display_name})
            return redirect(reverse("account-detail", args=[account.pk]) + "#team")
    return render(request, "accounts/account_detail.html",
                  _profile_context(request, account, team_form=form), status=400)


@tenant_page(Perm.ACCOUNT_ASSIGN_OWNER)
def team_remove_view(request: HttpRequest, account_id: int, member_id: int) -> HttpResponse:
    account = _get_account(request, account_id)
    try:
        member = team_queryset(actor=request.actor).get(pk=member_id, account_id=account.pk)
    except AccountTeamMember.DoesNotExist as exc:
        raise Http404 from exc
    if request.method == "POST":
        team_member_remove(actor=request.actor, member=member)
        messages.success(request, _("%(member)s left the account team.") % {
            "member": member.membership.display_name})
        return redirect(reverse("account-detail", args=[account.pk]) + "#team")
    return render(request, "accounts/account_team_remove.html",
                  {"account": account, "member": member})

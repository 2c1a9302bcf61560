"""Editing the account team, from links on the 360° page: add a member in a role, remove one."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.account.models import Account
from accounts.profile.views import get_profile_account
from accounts.team.forms import TeamMemberForm
from accounts.team.selectors import (
    account_team,
    can_manage_team,
    team_candidates,
    team_queryset,
)
from accounts.team.services import team_member_add, team_member_remove
from kam.decorators import tenant_page
from kam.lists import get_or_404
from kam.roles import Perm


def _team_url(account_id: int) -> str:
    return reverse("accounts:account-detail", args=[account_id]) + "#team"


def _team_account(request: HttpRequest, account_id: int) -> Account:
    """An account the actor sees (404 otherwise) and may staff (403 otherwise: a manager staffs
    the accounts they own, not those they are on the team of)."""
    account = get_profile_account(request, account_id)
    if not can_manage_team(actor=request.actor, account=account):
        raise PermissionDenied
    return account


@tenant_page(Perm.TEAM_MANAGE_OWN)
def team_add_view(request: HttpRequest, account_id: int) -> HttpResponse:
    """A page of its own (like removing): the 360° page only links here, so it does not read
    and render every member of the company on each view."""
    account = _team_account(request, account_id)
    candidates = team_candidates(account=account)
    if request.method != "POST":
        return _add_page(request, account, TeamMemberForm(candidates=candidates))
    form = TeamMemberForm(request.POST, candidates=candidates)
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
            return redirect(_team_url(account.pk))
    return _add_page(request, account, form, status=400)


def _add_page(request: HttpRequest, account: Account, form: TeamMemberForm, *,
              status: int = 200) -> HttpResponse:
    return render(request, "accounts/account_team_add.html",
                  {"account": account, "form": form,
                   "team": list(account_team(actor=request.actor, account=account))},
                  status=status)


@tenant_page(Perm.TEAM_MANAGE_OWN)
def team_remove_view(request: HttpRequest, account_id: int, member_id: int) -> HttpResponse:
    account = _team_account(request, account_id)
    member = get_or_404(team_queryset(actor=request.actor), pk=member_id, account_id=account.pk)
    if request.method == "POST":
        team_member_remove(actor=request.actor, member=member)
        messages.success(request, _("%(member)s left the account team.") % {
            "member": member.membership.display_name})
        return redirect(_team_url(account.pk))
    return render(request, "accounts/account_team_remove.html",
                  {"account": account, "member": member})

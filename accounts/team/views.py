"""Editing the account team from the 360° page: add a member in a role, remove one."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.profile.views import get_profile_account, profile_page
from accounts.team.forms import TeamMemberForm
from accounts.team.selectors import team_candidates, team_queryset
from accounts.team.services import team_member_add, team_member_remove
from kam.decorators import tenant_page
from kam.lists import get_or_404
from kam.roles import Perm


def _team_url(account_id: int) -> str:
    return reverse("accounts:account-detail", args=[account_id]) + "#team"


@tenant_page(Perm.ACCOUNT_ASSIGN_OWNER)
def team_add_view(request: HttpRequest, account_id: int) -> HttpResponse:
    account = get_profile_account(request, account_id)
    if request.method != "POST":
        return redirect("accounts:account-detail", account_id=account.pk)
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
            return redirect(_team_url(account.pk))
    return profile_page(request, account, team_form=form, status=400)


@tenant_page(Perm.ACCOUNT_ASSIGN_OWNER)
def team_remove_view(request: HttpRequest, account_id: int, member_id: int) -> HttpResponse:
    account = get_profile_account(request, account_id)
    member = get_or_404(team_queryset(actor=request.actor), pk=member_id, account_id=account.pk)
    if request.method == "POST":
        team_member_remove(actor=request.actor, member=member)
        messages.success(request, _("%(member)s left the account team.") % {
            "member": member.membership.display_name})
        return redirect(_team_url(account.pk))
    return render(request, "accounts/account_team_remove.html",
                  {"account": account, "member": member})

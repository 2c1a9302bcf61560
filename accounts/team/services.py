"""Writes of the account team (交叉工作组): add a member in a team role, remove one."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.account.models import Account
from accounts.account.selectors import account_visible_queryset
from accounts.team.models import AccountTeamMember
from accounts.team.selectors import can_manage_team, team_queryset
from kam.models import Membership
from kam.roles import Actor, Perm
from kam.tenancy import get_current_tenant
from kam.validation import clean_and_raise


@transaction.atomic
def team_member_add(*, actor: Actor, account: Account, membership: Membership,
                    team_role: str) -> AccountTeamMember:
    _require_team_role(actor)
    tenant = get_current_tenant()
    errors: dict[str, list[str]] = {}
    if account.tenant_id != tenant.pk or not account_visible_queryset(actor=actor).filter(
            pk=account.pk).exists():
        errors["account"] = [_("The account does not exist.")]
    elif not can_manage_team(actor=actor, account=account):
        raise PermissionDenied(_("Only the account's owner or an administrator may change its team."))
    if membership.tenant_id != tenant.pk or not membership.is_active:
        errors["membership"] = [_("The member must be one of your company's active members.")]
    elif "account" not in errors and AccountTeamMember.objects.filter(
            account_id=account.pk, membership_id=membership.pk).exists():
        errors["membership"] = [_("This member is already on the account's team.")]
    member = AccountTeamMember(tenant=tenant, account=account, membership=membership,
                               team_role=team_role)
    # The uniqueness of (account, member) is checked above with a clearer message.
    clean_and_raise(member, errors, skip=["account", "membership"], validate_constraints=False)
    member.save()
    return member


@transaction.atomic
def team_member_remove(*, actor: Actor, member: AccountTeamMember) -> None:
    _require_team_role(actor)
    # Re-read inside the visible set: a row the actor cannot see (or gone) is left alone.
    visible = team_queryset(actor=actor).filter(pk=member.pk).first()
    if visible is None:
        return
    if not can_manage_team(actor=actor, account=visible.account):
        raise PermissionDenied(_("Only the account's owner or an administrator may change its team."))
    AccountTeamMember.objects.filter(pk=visible.pk).delete()


def _require_team_role(actor: Actor) -> None:
    if not actor.can(Perm.ACCOUNT_ASSIGN_OWNER) and not actor.can(Perm.TEAM_MANAGE_OWN):
        raise PermissionDenied(_("You may not manage account teams."))

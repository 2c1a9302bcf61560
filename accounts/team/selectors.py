"""Reads of the account team."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from accounts.account.models import Account
from accounts.account.selectors import member_choices, visible_via_account
from accounts.team.models import AccountTeamMember
from kam.models import Membership, person_name_order
from kam.roles import Actor, Perm


def can_manage_team(*, actor: Actor, account: Account) -> bool:
    """Whether the actor may add to and remove from the team of ``account`` (one it can see):
    administrators and write keys on every account, managers on the accounts they own
    (kam.roles: ACCOUNT_ASSIGN_OWNER, TEAM_MANAGE_OWN)."""
    return actor.can_on_account(Perm.ACCOUNT_ASSIGN_OWNER, own=Perm.TEAM_MANAGE_OWN,
                                owner_id=account.owner_id)


def team_queryset(*, actor: Actor) -> QuerySet[AccountTeamMember]:
    """Team rows of the accounts the actor can see, with account and member's user, in one query."""
    return visible_via_account(AccountTeamMember.objects.select_related("account", "membership__user"),
                               actor=actor)


def account_team(*, actor: Actor, account: Account) -> QuerySet[AccountTeamMember]:
    """The team of an account the actor sees (the caller has it through a visible queryset),
    with each member's user, by role then name (as shown). One query; no visibility test or join of the
    account again (its columns cost more to build and read than the team's rows)."""
    return (AccountTeamMember.objects.filter(account_id=account.pk)
            .select_related("membership__user")
            .order_by("team_role", person_name_order("membership__user__"), "id"))


def team_candidates(*, account: Account) -> QuerySet[Membership]:
    """Active members of the tenant not yet on the account's team (the add form's choices)."""
    on_team = AccountTeamMember.objects.filter(account_id=account.pk, membership_id=OuterRef("pk"))
    return member_choices().exclude(Exists(on_team))

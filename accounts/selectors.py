"""Reads of accounts. Visibility lives here, once."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import Account, AccountTeamMember, TierChange
from kam.models import Membership
from kam.roles import Actor, Perm


def account_visible_queryset(*, actor: Actor) -> QuerySet[Account]:
    """Accounts the actor may see: all of the tenant's, or those a manager owns or is on the team of.

    The team check is a correlated EXISTS, so the list stays one query and no row is duplicated
    (a JOIN on the team would repeat an account per team row).
    """
    qs = Account.objects.all()
    if not actor.can(Perm.ACCOUNT_VIEW_ALL):
        if actor.membership is None:
            return qs.none()
        on_team = AccountTeamMember.objects.filter(account_id=OuterRef("pk"),
                                                   membership_id=actor.membership.pk)
        qs = qs.filter(Q(owner_id=actor.membership.pk) | Exists(on_team))
    return qs


def account_list_queryset(*, actor: Actor) -> QuerySet[Account]:
    """The visible accounts with what a list row shows, in one query."""
    return account_visible_queryset(actor=actor).select_related("owner__user", "parent")


def account_get(*, actor: Actor, account_id: int) -> Account:
    """One visible account; Account.DoesNotExist for anything else (another tenant's included)."""
    return account_list_queryset(actor=actor).get(pk=account_id)


def account_children(*, actor: Actor, account: Account) -> QuerySet[Account]:
    return account_visible_queryset(actor=actor).filter(parent_id=account.pk).order_by("name")


def member_choices(*, active_only: bool = True) -> QuerySet[Membership]:
    qs = Membership.objects.select_related("user").order_by("user__username")
    return qs.filter(is_active=True) if active_only else qs


def tier_change_visible_queryset(*, actor: Actor) -> QuerySet[TierChange]:
    """The tier changes of the accounts the actor may see (account visibility above), with what an
    API row shows joined: one query."""
    qs = TierChange.objects.select_related("account", "policy", "changed_by__user")
    if not actor.can(Perm.ACCOUNT_VIEW_ALL):
        qs = qs.filter(account__in=account_visible_queryset(actor=actor).values("pk"))
    return qs

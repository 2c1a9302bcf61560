"""Reads of accounts. Visibility lives here, once: ``visible_via_account`` is what an actor may
see of any model through its account — the account itself, its contacts, team, transactions,
contracts, tier changes … — and every page and endpoint of such a model goes through it
(``kam.visibility`` refuses a queryset that did not)."""

from __future__ import annotations

from typing import TypeVar

from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.account.models import Account
from accounts.team.models import AccountTeamMember
from kam import visibility
from kam.models import Membership, person_name_order
from kam.roles import Actor, Perm

M = TypeVar("M", bound=models.Model)


def has_account(model: type[models.Model]) -> bool:
    """Account itself, or a model with a foreign key to it: its rows are visible per actor."""
    if issubclass(model, Account):
        return True
    return any(field.is_relation and field.related_model is Account
               for field in model._meta.concrete_fields)


def visible_via_account(qs: QuerySet[M], *, actor: Actor, path: str = "account") -> QuerySet[M]:
    """The rows of ``qs`` whose account (the foreign key ``path``; "" for accounts themselves)
    the actor may see: all of the tenant's for administrators, executives and API keys; for an
    account manager those they own or are on the team of; nothing for an actor without a role.

    One query whatever the list: the team check is a correlated EXISTS (a JOIN on the team would
    repeat a row per team member), and for rows below an account the account check is an EXISTS
    on the account too."""
    if actor.can(Perm.ACCOUNT_VIEW_ALL):
        return visibility.mark(qs.all(), "account:all")
    if actor.membership is None:
        return visibility.mark(qs.none(), "account:none")
    member = actor.membership.pk
    if not path:
        on_team = AccountTeamMember.objects.filter(account_id=OuterRef("pk"), membership_id=member)
        return visibility.mark(qs.filter(Q(owner_id=member) | Exists(on_team)), "account:own")
    visible = visible_via_account(Account.objects.all(), actor=actor, path="")
    return visibility.mark(qs.filter(Exists(visible.filter(pk=OuterRef(f"{path}_id")))),
                           "account:own")


def account_visible_queryset(*, actor: Actor) -> QuerySet[Account]:
    """Accounts the actor may see (``visible_via_account`` of the accounts themselves)."""
    return visible_via_account(Account.objects.all(), actor=actor, path="")


def account_list_queryset(*, actor: Actor) -> QuerySet[Account]:
    """The visible accounts with what a list row shows, in one query."""
    return account_visible_queryset(actor=actor).select_related("owner__user", "parent")


def account_get(*, actor: Actor, account_id: int) -> Account:
    """One visible account; Account.DoesNotExist for anything else (another tenant's included)."""
    return account_list_queryset(actor=actor).get(pk=account_id)


def account_children(*, actor: Actor, account: Account) -> QuerySet[Account]:
    """The subsidiaries of ``account`` the actor may see, by name (their names and ids)."""
    return (account_visible_queryset(actor=actor).filter(parent_id=account.pk)
            .only("id", "name").order_by("name"))


def member_choices(*, active_only: bool = True) -> QuerySet[Membership]:
    """Members to choose from (an account's owner, a new team member), by name as shown."""
    qs = Membership.objects.select_related("user").order_by(person_name_order(), "id")
    return qs.filter(is_active=True) if active_only else qs

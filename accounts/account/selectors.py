"""Reads of accounts. Visibility lives here, once: ``visible_via_account`` is what an actor may
see of any model through its account — the account itself, its contacts, team, transactions,
contracts, tier changes … — and every page and endpoint of such a model goes through it
(``kam.visibility`` refuses a queryset that did not)."""

from __future__ import annotations

from typing import TypeVar

from django.db import models
from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

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


# --- search: the list's search box, and the account picker of forms and filters -------------------

_CONTAINS = ("(UPPER(accounts_account.name::text) LIKE UPPER(%s)"
             " OR UPPER(accounts_account.short_name::text) LIKE UPPER(%s))")
# A term most accounts contain: the same ILIKE, wrapped (COALESCE) so that the planner does not
# estimate its rows from the column statistics, by which it would take the term for rare, read every
# account and sort them all (bench, 有限公司: 287 ms, against 0.2 ms for the ordered scan that stops as
# soon as the page is full). Any other term: the bigram index's candidates, then the ILIKE.
_SEARCH = (f"CASE WHEN kam_account_search_is_broad(%s) THEN COALESCE({_CONTAINS}, false)"
           f" ELSE accounts_account.id = ANY(kam_account_search_ids(%s)) AND {_CONTAINS} END")


def account_search(queryset: QuerySet[Account], value: str) -> QuerySet[Account]:
    """Name or short name contains ``value`` (ILIKE decides). From two characters on, in one
    statement, the plan that suits the term: for most terms the bigram index (migrations 0004,
    0007) narrows the rows first, through ``kam_account_search_ids``, which keeps the index usable
    under row-level security and returns the current tenant's ids only; for a term most of the
    tenant's accounts contain, the page's ordered scan. PostgreSQL decides which while it plans
    (the functions are IMMUTABLE for that, migration 0011), so the page is one query either way."""
    pattern = "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if len(value) < 2:  # no bigram to look up: one character is a broad term
        broad = RawSQL(f"COALESCE({_CONTAINS}, false)", [pattern, pattern],  # noqa: S611 - constant SQL
                       output_field=BooleanField())
        return queryset.filter(broad)
    search = RawSQL(_SEARCH, [value, pattern, pattern, value, pattern, pattern],  # noqa: S611 - constant
                    output_field=BooleanField())
    return queryset.filter(search)


def account_choices(accounts: QuerySet[Account], *, limit: int) -> list[Account] | None:
    """``accounts`` (those a form or a filter offers: visible ones) by name, when there are at
    most ``limit`` of them; None when there are more (the picker then searches instead of listing
    them all). One query, which reads at most ``limit + 1`` rows whatever the tenant's size: the
    inner query stops at the first ``limit + 1`` visible rows, in no order, and only those are
    sorted."""
    first = accounts.order_by().values("pk")[: limit + 1]
    rows = list(Account.objects.filter(pk__in=first).only("id", "name").order_by("name", "id"))
    return rows if len(rows) <= limit else None


def account_lookup(accounts: QuerySet[Account], *, term: str, limit: int) -> list[Account]:
    """The first ``limit`` of ``accounts`` whose name or short name contains ``term``, by name:
    the list's search (``account_search``, one query, fast under row-level security on 100,000
    accounts), with what tells two namesakes apart (short name, city)."""
    term = term.strip()
    if not term or "\x00" in term:  # no name holds a NUL (nor may a statement's literal)
        return []
    return list(account_search(accounts, term).only("id", "name", "short_name", "city")
                .order_by("name", "id")[:limit])


def account_names(account: Account, text: str) -> bool:
    """Whether ``text`` (as typed in a picker) still names ``account``: its name or short name
    contains it, case aside, as the search matches."""
    text = text.strip().casefold()
    return bool(text) and (text in account.name.casefold()
                           or text in (account.short_name or "").casefold())


def account_named(accounts: QuerySet[Account], *, text: str, limit: int) -> list[Account]:
    """The accounts of ``accounts`` that ``text`` (a name typed without picking from a list, as
    without JavaScript) means: those whose name is exactly ``text`` if any (the name's index, so an
    account whose name other names contain, 华东精密 beside 华东精密苏州分公司, can be chosen); else
    the search's matches, narrowed to those whose name or short name equals ``text`` case aside
    when some do. At most ``limit``; two queries at most. One result is the account meant."""
    text = text.strip()
    if not text or "\x00" in text:  # no name holds a NUL (nor may a statement's literal)
        return []
    exact = list(accounts.filter(name=text).only("id", "name", "short_name", "city")
                 .order_by("id")[:limit])
    if exact:
        return exact
    found = account_lookup(accounts, term=text, limit=limit)
    folded = text.casefold()
    same = [a for a in found if folded in (a.name.casefold(), (a.short_name or "").casefold())]
    return same or found

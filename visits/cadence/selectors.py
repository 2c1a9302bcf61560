"""Reads of visit cadence: an account's three levels for its 360° page, the rows of the accounts
the actor may see (the coverage list and the API), the coverage matrix (tier × level) and the
account list's "next visit due". The rows are what the last run of ``visits.cadence.sql`` wrote
(nightly, and for one account after its visits change)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Min, OuterRef, Q, QuerySet, Subquery

from accounts.account.models import Account
from accounts.account.selectors import visible_via_account
from accounts.contacts.models import Contact
from accounts.tiering.models import TIERS_DESC
from kam.roles import Actor
from visits.cadence.models import LEVELS, CadenceState, CadenceStatus

# A gap: visits are owed at the level and there is no active contact there, or no completed
# visit there in the rolling 12 months.
GAP = Q(required_per_year__gt=0) & (Q(contact_count=0) | Q(completed_12m=0))
# The states counted in the matrix, in its column order.
MATRIX_STATES: tuple[str, ...] = (CadenceState.ON_TRACK, CadenceState.DUE_SOON,
                                  CadenceState.OVERDUE, CadenceState.NO_OWNER,
                                  CadenceState.INACTIVE)
# States whose next due date means something to act on (the "next visit due" column).
ACTIVE_STATES: tuple[str, ...] = (CadenceState.ON_TRACK, CadenceState.DUE_SOON,
                                  CadenceState.OVERDUE, CadenceState.NO_OWNER)


def cadence_visible_queryset(*, actor: Actor) -> QuerySet[CadenceStatus]:
    """Cadence rows of the accounts the actor may see, with the account and its owner joined."""
    return visible_via_account(
        CadenceStatus.objects.select_related("account", "account__owner__user"), actor=actor)


def coverage_queryset(*, actor: Actor) -> QuerySet[CadenceStatus]:
    """The coverage list's rows: every visible account × level that is owed visits (a next due
    date), in any order (the list sorts them; most overdue first by default)."""
    return cadence_visible_queryset(actor=actor).filter(next_due_on__isnull=False)


def behind_cadence(*, actor: Actor, limit: int = 20) -> list[CadenceStatus]:
    """The visible account × level rows that are overdue or due soon, most overdue first (for
    "my day" and dashboards), with account and owner joined. One query."""
    return list(coverage_queryset(actor=actor)
                .filter(state__in=(CadenceState.OVERDUE, CadenceState.DUE_SOON))
                .order_by("next_due_on", "id")[:limit])


def account_cadence(*, account: Account) -> list[dict[str, Any]]:
    """The account's three levels, leadership first: its stored row (None before the first run
    that saw the account) and its active contacts at the level, counted now. Two queries."""
    stored = {row.level: row for row in CadenceStatus.objects.filter(account_id=account.pk)}
    contacts = dict(Contact.objects.filter(account_id=account.pk, is_active=True)
                    .values("level").annotate(n=Count("id")).values_list("level", "n"))
    labels = dict(CadenceStatus._meta.get_field("level").choices or [])
    return [{"level": level, "label": labels[level], "row": stored.get(level),
             "contacts": contacts.get(level, 0)} for level in LEVELS]


def coverage_matrix(*, actor: Actor) -> list[dict[str, Any]]:
    """Tier × level over the visible accounts: per cell the number of accounts in each state of
    ``MATRIX_STATES`` and the gaps. Tiers highest first, levels leadership first; untiered
    accounts form no row. One query."""
    counts = {f"n_{state}": Count("id", filter=Q(state=state)) for state in MATRIX_STATES}
    cells = {(row["tier"], row["level"]): row for row in
             cadence_visible_queryset(actor=actor).exclude(tier="").order_by()
             .values("tier", "level").annotate(**counts, gaps=Count("id", filter=GAP),
                                               total=Count("id"))}
    empty = {**dict.fromkeys(counts, 0), "gaps": 0, "total": 0}
    return [{"tier": tier, "levels": [{"level": level, **cells.get((tier, level), empty)}
                                      for level in LEVELS]}
            for tier in TIERS_DESC]


def next_visit_due_annotation() -> dict[str, Any]:
    """For the account list's one query: the account's earliest next due date over its levels
    that owe visits (a correlated subquery: no extra query)."""
    earliest = (CadenceStatus.objects.filter(account_id=OuterRef("pk"), state__in=ACTIVE_STATES)
                .order_by().values("account_id").annotate(due=Min("next_due_on")).values("due"))
    return {"next_visit_due": Subquery(earliest)}

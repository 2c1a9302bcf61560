"""Reads behind the account 360° page (客户档案): key figures, relationship map, team, contracts,
revenue by month.

Every function costs a fixed number of queries (one, or none for the pure ones), so the page's
cost does not grow with the account's contacts, team, contracts or transactions.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Exists, OuterRef, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from accounts.contacts import contact_visible_queryset
from accounts.contracts import contract_visible_queryset, contracts_filter_renewal_due
from accounts.figures import tenant_today
from accounts.models import (
    Account,
    AccountFigures,
    AccountTeamMember,
    BuyingRole,
    Contact,
    ContactLevel,
    Contract,
    Transaction,
)
from accounts.selectors import account_list_queryset, member_choices
from accounts.team import team_queryset
from kam import clock
from kam.models import Membership
from kam.roles import Actor
from kam.tenancy import get_current_tenant

# --- the account and its figures -----------------------------------------------------------------


def account_profile_get(*, actor: Actor, account_id: int) -> Account:
    """One visible account with owner, parent, figures and tier state (with the override's
    author) joined (one query).

    Account.DoesNotExist for anything the actor may not see, another tenant's included.
    """
    return (account_list_queryset(actor=actor)
            .select_related("figures", "tier_state__override_by__user").get(pk=account_id))


@dataclass(frozen=True)
class KeyFigures:
    """AccountFigures ready to show: fractions turned into percentages."""

    revenue_12m: Decimal
    revenue_prev_12m: Decimal
    growth_pct: Decimal | None  # None: no revenue in the 12 months before
    margin_12m: Decimal
    margin_pct: Decimal | None  # None: no revenue to compare the margin with
    order_count_12m: int
    order_count: int
    last_order_date: datetime.date | None
    avg_order_interval_days: Decimal | None
    share_pct: Decimal
    computed_at: datetime.datetime


def _pct(fraction: Decimal) -> Decimal:
    return (fraction * 100).quantize(Decimal("0.1"))


def key_figures(account: Account) -> KeyFigures | None:
    """The account's figures, or None when the nightly job has not computed them yet. No query
    when the account came from ``account_profile_get``."""
    try:
        figures: AccountFigures | None = account.figures
    except ObjectDoesNotExist:
        figures = None
    if figures is None or figures.computed_at is None:
        return None
    margin_pct = (_pct(figures.margin_12m / figures.revenue_12m)
                  if figures.revenue_12m and figures.margin_12m is not None else None)
    return KeyFigures(
        revenue_12m=figures.revenue_12m,
        revenue_prev_12m=figures.revenue_prev_12m,
        growth_pct=_pct(figures.revenue_growth) if figures.revenue_growth is not None else None,
        margin_12m=figures.margin_12m,
        margin_pct=margin_pct,
        order_count_12m=figures.order_count_12m,
        order_count=figures.order_count,
        last_order_date=figures.last_order_date,
        avg_order_interval_days=figures.avg_order_interval_days,
        share_pct=_pct(figures.revenue_share),
        computed_at=figures.computed_at,
    )


# --- revenue by month --------------------------------------------------------------------------


def account_revenue_by_month(*, account: Account, months: int = 24,
                             today: datetime.date | None = None
                             ) -> list[tuple[datetime.date, Decimal]]:
    """Net revenue (orders minus refunds) per calendar month, oldest first, ending with the
    current month of the tenant's time zone; months without transactions are 0. One query.

    Transactions dated after ``today`` are left out, as in the account's figures.
    """
    if months < 1:
        return []
    if today is None:
        today = tenant_today(get_current_tenant())
    first = clock.add_months(today.replace(day=1), -(months - 1))
    rows = (Transaction.objects.filter(account_id=account.pk, date__gte=first, date__lte=today)
            .annotate(month=TruncMonth("date")).values("month")
            .annotate(total=Sum("amount")).order_by("month"))
    totals: dict[datetime.date, Decimal] = {}
    for row in rows:
        month = row["month"]
        if isinstance(month, datetime.datetime):
            month = month.date()
        totals[month] = row["total"] or Decimal("0")
    series = []
    for i in range(months):
        month = clock.add_months(first, i)
        series.append((month, totals.get(month, Decimal("0.00"))))
    return series


def revenue_chart_data(series: list[tuple[datetime.date, Decimal]], *, currency: str) -> dict:
    """What static/kam/charts.js draws (passed with json_script)."""
    return {
        "labels": [month.strftime("%Y-%m") for month, _total in series],
        "values": [str(total) for _month, total in series],
        "label": _("Revenue (%(currency)s)") % {"currency": currency},
        "currency": currency,
    }


# --- contacts: the relationship map ---------------------------------------------------------------


def account_contacts(*, actor: Actor, account: Account) -> QuerySet[Contact]:
    """All contacts of the account (active and former), by name. One query."""
    return contact_visible_queryset(actor=actor).filter(account_id=account.pk).order_by("name", "id")


@dataclass
class LevelGroup:
    level: str
    label: str
    contacts: list[Contact] = field(default_factory=list)

    @property
    def is_gap(self) -> bool:
        return not self.contacts

    def _with_role(self, role: str) -> list[Contact]:
        return [c for c in self.contacts if c.buying_role == role]

    @property
    def decision_makers(self) -> list[Contact]:
        return self._with_role(BuyingRole.DECISION_MAKER)

    @property
    def influencers(self) -> list[Contact]:
        return self._with_role(BuyingRole.INFLUENCER)

    @property
    def champions(self) -> list[Contact]:
        return self._with_role(BuyingRole.CHAMPION)


@dataclass(frozen=True)
class Gap:
    code: str  # "level:<level>" or "no_decision_maker"
    message: str


@dataclass
class RelationshipMap:
    levels: list[LevelGroup]
    former: list[Contact]

    def _active_with_role(self, role: str) -> list[Contact]:
        return [c for group in self.levels for c in group.contacts if c.buying_role == role]

    @property
    def decision_makers(self) -> list[Contact]:
        return self._active_with_role(BuyingRole.DECISION_MAKER)

    @property
    def influencers(self) -> list[Contact]:
        return self._active_with_role(BuyingRole.INFLUENCER)

    @property
    def champions(self) -> list[Contact]:
        return self._active_with_role(BuyingRole.CHAMPION)

    @property
    def active_count(self) -> int:
        return sum(len(group.contacts) for group in self.levels)

    @property
    def gaps(self) -> list[Gap]:
        """Where the relationship is thin: a level nobody active covers, no decision maker known."""
        gaps = [Gap(f"level:{group.level}",
                    _("No active contact at the %(level)s level.") % {"level": group.label.lower()})
                for group in self.levels if group.is_gap]
        if not self.decision_makers:
            gaps.append(Gap("no_decision_maker", _("No decision maker is known.")))
        return gaps


def relationship_map(contacts: Iterable[Contact]) -> RelationshipMap:
    """Group contacts by level (leadership, technical, business); former contacts apart. No query.

    Within a level, decision makers come first, then by relationship strength (closest first).
    """
    groups = {level: LevelGroup(level=level, label=str(label))
              for level, label in ContactLevel.choices}
    former: list[Contact] = []
    for contact in contacts:
        if not contact.is_active:
            former.append(contact)
        elif contact.level in groups:
            groups[contact.level].contacts.append(contact)
    role_rank = {BuyingRole.DECISION_MAKER: 0, BuyingRole.CHAMPION: 1, BuyingRole.INFLUENCER: 2}
    for group in groups.values():
        group.contacts.sort(key=lambda c: (role_rank.get(c.buying_role, 9),
                                           -c.relationship_strength, c.name))
    former.sort(key=lambda c: (c.left_on or datetime.date.min, c.name), reverse=True)
    return RelationshipMap(levels=list(groups.values()), former=former)


# --- team and contracts -----------------------------------------------------------------------


def account_team(*, actor: Actor, account: Account) -> QuerySet[AccountTeamMember]:
    """The account's team with each member's user, by role then name. One query."""
    return (team_queryset(actor=actor).filter(account_id=account.pk)
            .order_by("team_role", "membership__user__username", "id"))


def team_candidates(*, account: Account) -> QuerySet[Membership]:
    """Active members of the tenant not yet on the account's team (the add form's choices)."""
    on_team = AccountTeamMember.objects.filter(account_id=account.pk, membership_id=OuterRef("pk"))
    return member_choices().exclude(Exists(on_team))


def with_renewal_due(qs: QuerySet[Contract], *, today: datetime.date) -> QuerySet[Contract]:
    """Annotate ``renewal_due`` with accounts.contracts' own rule, in the same query."""
    due = contracts_filter_renewal_due(Contract.objects.filter(pk=OuterRef("pk")), today=today)
    return qs.annotate(renewal_due=Exists(due))


def account_contracts(*, actor: Actor, account: Account, today: datetime.date | None = None
                      ) -> QuerySet[Contract]:
    """The account's contracts, latest end first, each flagged ``renewal_due``. One query."""
    if today is None:
        today = tenant_today(actor.tenant)
    qs = contract_visible_queryset(actor=actor).filter(account_id=account.pk)
    return with_renewal_due(qs, today=today).order_by("-end_date", "-id")

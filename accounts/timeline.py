"""The account timeline of the 360° page: what happened (and is scheduled) at an account, newest first.

The timeline is *extensible*: it knows nothing of the apps that feed it. A **source** is a function

    def my_source(*, actor, account, since, until) -> Iterable[TimelineEntry]: ...

registered once with ``register_timeline_source(my_source)``. ``since`` and ``until`` are dates
(inclusive) or ``None`` for "unbounded"; a source filters by them in SQL where it can.
``account_timeline()`` calls every registered source and merges their entries, newest first.

Later apps (visits, satisfaction requests, surveys, risk alerts …) register their own sources from
their ``AppConfig.ready()`` without changing this module::

    class VisitsConfig(AppConfig):
        def ready(self) -> None:
            from accounts.timeline import register_timeline_source
            from visits.timeline import visit_source
            register_timeline_source(visit_source)

Rules for a source, so the 360° page keeps a constant number of queries:

* it costs a **fixed number of queries** (one, ideally), whatever the account holds — aggregate in
  SQL (GROUP BY) rather than returning one entry per row when rows can be many;
  the account it receives is already visible to the actor, so it may filter by ``account_id``;
* it returns plain ``TimelineEntry`` values with translated strings (it runs inside the request,
  so the request's language is active);
* it must not write.

The built-in sources (transactions per month, contacts, contracts) are at the end of this module
and are registered by ``accounts.apps.AccountsConfig.ready()``.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlencode

from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kam import clock
from kam.roles import Perm

if TYPE_CHECKING:
    from accounts.models import Account
    from kam.roles import Actor

DEFAULT_LIMIT = 100


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the timeline. ``when`` is a date, or an aware datetime for exact moments."""

    when: datetime.datetime | datetime.date
    kind: str  # machine name, e.g. "transactions", "contact-added"; also used as a CSS hook
    title: str
    detail: str = ""
    url: str = ""
    icon: str = ""  # an extra CSS class (kam-tl-<icon>); empty means "use the kind"
    data: dict[str, Any] = field(default_factory=dict, compare=False)  # machine-readable values

    @property
    def is_datetime(self) -> bool:
        return isinstance(self.when, datetime.datetime)

    @property
    def css_class(self) -> str:
        return f"kam-tl-{self.icon or self.kind}"


class TimelineSource(Protocol):
    def __call__(self, *, actor: Actor, account: Account, since: datetime.date | None,
                 until: datetime.date | None) -> Iterable[TimelineEntry]: ...


_SOURCES: list[TimelineSource] = []


def register_timeline_source(fn: TimelineSource) -> TimelineSource:
    """Add a source (idempotent, so a twice-run ``ready()`` does not double entries).

    Returns ``fn``, so it can be used as a decorator.
    """
    if fn not in _SOURCES:
        _SOURCES.append(fn)
    return fn


def unregister_timeline_source(fn: TimelineSource) -> None:
    """Remove a source (tests, or an app that is switched off)."""
    if fn in _SOURCES:
        _SOURCES.remove(fn)


def timeline_sources() -> tuple[TimelineSource, ...]:
    return tuple(_SOURCES)


def _sort_key(entry: TimelineEntry, tz: datetime.tzinfo) -> datetime.datetime:
    # Dates and datetimes compare on the tenant's wall clock; a date sorts at the start of its day.
    when = entry.when
    if isinstance(when, datetime.datetime):
        if timezone.is_aware(when):
            when = when.astimezone(tz).replace(tzinfo=None)
        return when
    return datetime.datetime.combine(when, datetime.time.min)


def _local_date(entry: TimelineEntry, tz: datetime.tzinfo) -> datetime.date:
    return _sort_key(entry, tz).date()


def account_timeline(*, actor: Actor, account: Account, limit: int = DEFAULT_LIMIT,
                     since: datetime.date | None = None, until: datetime.date | None = None
                     ) -> list[TimelineEntry]:
    """Entries of every registered source for one (visible) account, newest first.

    Costs the sum of the sources' fixed query counts (one each for the built-in sources).
    """
    tz = clock.tenant_zone(actor.tenant)
    entries: list[TimelineEntry] = []
    for source in _SOURCES:
        for entry in source(actor=actor, account=account, since=since, until=until):
            day = _local_date(entry, tz)
            if (since is None or day >= since) and (until is None or day <= until):
                entries.append(entry)
    entries.sort(key=lambda e: _sort_key(e, tz), reverse=True)
    return entries[:limit]


# --- built-in sources ----------------------------------------------------------------------------


def _money(actor: Actor, amount: Decimal | None) -> str:
    value = formats.number_format(amount or Decimal("0"), 2, use_l10n=True, force_grouping=True)
    return f"{actor.tenant.currency} {value}"


def transactions_by_month_source(*, actor: Actor, account: Account, since: datetime.date | None,
                                 until: datetime.date | None) -> list[TimelineEntry]:
    """One entry per month with transactions: orders and their total, refunds counted apart.

    One GROUP BY query. The entry is dated on the month's last transaction, so it sits where the
    month's activity ended.
    """
    from accounts.models import Transaction

    qs = Transaction.objects.filter(account_id=account.pk)
    if since is not None:
        qs = qs.filter(date__gte=since)
    if until is not None:
        qs = qs.filter(date__lte=until)
    is_refund = Q(refund_of__isnull=False)
    rows = (qs.annotate(month=TruncMonth("date")).values("month")
            .annotate(last_date=Max("date"),
                      orders=Count("id", filter=~is_refund), order_total=Sum("amount", filter=~is_refund),
                      refunds=Count("id", filter=is_refund), refund_total=Sum("amount", filter=is_refund))
            .order_by("-month"))
    list_url = reverse("transaction-list")
    entries = []
    for row in rows:
        month: datetime.date = row["month"]
        if isinstance(month, datetime.datetime):  # defensive: TruncMonth of a date is a date
            month = month.date()
        month_end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
        order_total = row["order_total"] or Decimal("0")
        refund_total = row["refund_total"] or Decimal("0")
        title = ngettext(
            "%(month)s: %(count)d order, %(total)s",
            "%(month)s: %(count)d orders, %(total)s", row["orders"],
        ) % {"month": formats.date_format(month, "YEAR_MONTH_FORMAT"), "count": row["orders"],
             "total": _money(actor, order_total)}
        detail = ""
        if row["refunds"]:
            detail = ngettext(
                "%(count)d refund, %(total)s", "%(count)d refunds, %(total)s", row["refunds"],
            ) % {"count": row["refunds"], "total": _money(actor, refund_total)}
        query = urlencode({"account": account.pk, "date_after": month.isoformat(),
                           "date_before": month_end.isoformat()})
        entries.append(TimelineEntry(
            when=row["last_date"], kind="transactions", title=title, detail=detail,
            url=f"{list_url}?{query}",
            data={"month": month, "orders": row["orders"], "order_total": order_total,
                  "refunds": row["refunds"], "refund_total": refund_total,
                  "net_total": order_total + refund_total},
        ))
    return entries


def contacts_source(*, actor: Actor, account: Account, since: datetime.date | None,
                    until: datetime.date | None) -> list[TimelineEntry]:
    """Contacts added (their record's creation) and contacts who left the account. One query."""
    from accounts.models import Contact

    qs = Contact.objects.filter(account_id=account.pk)
    added, left = Q(), Q(left_on__isnull=False)
    start, end = clock.day_range(since, until, actor.tenant)
    if start is not None:
        added &= Q(created_at__gte=start)
        left &= Q(left_on__gte=since)
    if end is not None:
        added &= Q(created_at__lt=end)
        left &= Q(left_on__lte=until)
    qs = qs.filter(added | left).only("id", "name", "title", "level", "buying_role",
                                      "created_at", "is_active", "left_on")
    can_change = actor.can(Perm.ACCOUNT_CHANGE)
    entries = []
    for contact in qs:
        url = reverse("contact-edit", args=[contact.pk]) if can_change else ""
        role = contact.get_buying_role_display() if contact.buying_role else ""
        detail = " · ".join(p for p in (contact.title, contact.get_level_display(), role) if p)
        entries.append(TimelineEntry(
            when=contact.created_at, kind="contact-added",
            title=_("Contact added: %(name)s") % {"name": contact.name},
            detail=detail, url=url, data={"contact_id": contact.pk},
        ))
        if contact.left_on is not None:
            entries.append(TimelineEntry(
                when=contact.left_on, kind="contact-left",
                title=_("%(name)s left the account") % {"name": contact.name},
                detail=detail, url=url, data={"contact_id": contact.pk},
            ))
    return entries


def contracts_source(*, actor: Actor, account: Account, since: datetime.date | None,
                     until: datetime.date | None) -> list[TimelineEntry]:
    """Contract start, end and — for active contracts — the start of the renewal notice window.

    One query; the notice start is ``end_date - renewal_notice_days`` as in accounts.contracts.
    Future dates are included: a contract that ends next quarter belongs on the timeline.
    """
    from accounts.models import Contract, ContractStatus

    qs = Contract.objects.filter(account_id=account.pk).only(
        "id", "number", "title", "start_date", "end_date", "status", "renewal_notice_days")
    if since is not None:
        # end_date is the latest of the three dates, so this bound loses nothing.
        qs = qs.filter(end_date__gte=since)
    if until is not None:
        qs = qs.filter(start_date__lte=until)
    today = clock.today(actor.tenant)
    url = (reverse("contract-list") + "?" + urlencode({"account": account.pk}))
    entries = []
    for contract in qs:
        data = {"contract_id": contract.pk}
        names = {"number": contract.number}
        detail = f"{contract.title} · {contract.get_status_display()}"
        started = contract.start_date <= today
        entries.append(TimelineEntry(
            when=contract.start_date, kind="contract-start",
            title=(_("Contract %(number)s started") if started
                   else _("Contract %(number)s starts")) % names,
            detail=detail, url=url, data=data,
        ))
        ended = contract.end_date < today
        entries.append(TimelineEntry(
            when=contract.end_date, kind="contract-end",
            title=(_("Contract %(number)s ended") if ended else _("Contract %(number)s ends")) % names,
            detail=detail, url=url, data=data,
        ))
        if contract.status == ContractStatus.ACTIVE:
            notice = contract.end_date - datetime.timedelta(days=contract.renewal_notice_days)
            entries.append(TimelineEntry(
                when=notice, kind="contract-renewal",
                title=(_("Renewal notice period of contract %(number)s began") if notice <= today
                       else _("Renewal notice period of contract %(number)s begins")) % names,
                detail=detail, url=url, data=data,
            ))
    return entries


BUILTIN_SOURCES: tuple[Callable[..., Iterable[TimelineEntry]], ...] = (
    transactions_by_month_source, contacts_source, contracts_source,
)


def register_builtin_sources() -> None:
    for source in BUILTIN_SOURCES:
        register_timeline_source(source)

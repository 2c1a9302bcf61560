"""The tenant's clock: its ``now()`` and ``today()``, and the only place that builds its time zone.

A tenant works in its own zone (``Tenant.time_zone``): "today", "overdue", a month's revenue and a
contract's last day are judged at the tenant's midnight, not UTC's and not the server's
(``settings.TIME_ZONE`` is only the fallback for requests without a tenant). Everything that needs
the date or the time asks here, so one frozen clock in the tests (the ``frozen_clock`` fixture,
time-machine) moves all of it.

PostgreSQL's ``now()`` and ``CURRENT_DATE`` do not move with a Python clock, so SQL never reads
them for business dates: services take ``today``/``now`` from here and pass them as parameters.
(The audit trail's own timestamps are the database's: they record when a row really changed.)

``tests/kam/test_clock.py`` fails when a module outside this one builds a ``ZoneInfo`` or asks
Python or Django for the local date or time directly.
"""

from __future__ import annotations

import datetime
import functools
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.utils import timezone

if TYPE_CHECKING:
    from kam.models import Tenant


@functools.lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The time zone called ``name`` (cached: ZoneInfo reads the tz database)."""
    return ZoneInfo(name)


def _tenant(tenant: Tenant | None) -> Tenant:
    if tenant is not None:
        return tenant
    from kam.tenancy import get_current_tenant

    return get_current_tenant()


def tenant_zone(tenant: Tenant | None = None) -> ZoneInfo:
    """The tenant's time zone (``tenant``, or the current tenant)."""
    return zone(_tenant(tenant).time_zone)


def now() -> datetime.datetime:
    """This moment, aware, in UTC. The one source of "now" for services and jobs."""
    return timezone.now()


def local_now(tenant: Tenant | None = None) -> datetime.datetime:
    """This moment on the tenant's wall clock (aware, in its zone)."""
    return now().astimezone(tenant_zone(tenant))


def today(tenant: Tenant | None = None) -> datetime.date:
    """Today's date where the tenant works."""
    return local_now(tenant).date()


def local_date(moment: datetime.datetime, tenant: Tenant | None = None) -> datetime.date:
    """The tenant's date at ``moment`` (an aware datetime)."""
    return moment.astimezone(tenant_zone(tenant)).date()


def day_start(day: datetime.date, tenant: Tenant | None = None) -> datetime.datetime:
    """The first instant of ``day`` on the tenant's wall clock (aware)."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=tenant_zone(tenant))


def day_range(since: datetime.date | None, until: datetime.date | None,
              tenant: Tenant | None = None
              ) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    """``[start, end)`` instants covering the tenant's days ``since`` … ``until`` (inclusive);
    None where a bound is open."""
    start = day_start(since, tenant) if since is not None else None
    end = day_start(until + datetime.timedelta(days=1), tenant) if until is not None else None
    return start, end


def make_local(value: datetime.datetime, tenant: Tenant | None = None) -> datetime.datetime:
    """A naive datetime read on the tenant's wall clock, made aware."""
    return value.replace(tzinfo=tenant_zone(tenant))


def activate(tenant: Tenant) -> None:
    """Render dates and times of this request or task in the tenant's zone (templates, forms,
    the API's datetimes)."""
    timezone.activate(tenant_zone(tenant))


def deactivate() -> None:
    timezone.deactivate()


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The first day of the month ``months`` after (or before, if negative) ``day``'s month."""
    index = day.year * 12 + (day.month - 1) + months
    return datetime.date(index // 12, index % 12 + 1, 1)

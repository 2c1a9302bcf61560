"""kam.clock: the tenant's today and now, and the rule that nothing else builds the tenant's zone or
reads the wall clock."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from kam import clock
from kam.models import Tenant
from kam.tenancy import NoTenantError, tenant_context
from tests.conftest import LATE_UTC

BASE_DIR = Path(__file__).resolve().parents[2]
SCANNED = ("kam", "accounts", "visits", "satisfaction", "risk", "tests")
# The wall clock or a zone of one's own: ZoneInfo, Django's and Python's local date and time.
FORBIDDEN = re.compile(
    r"ZoneInfo\s*\(|zoneinfo\.ZoneInfo|timezone\.(now|localdate|localtime)\s*\("
    r"|\bdate\.today\s*\(|datetime\.(now|utcnow|today)\s*\(|time\.(localtime|gmtime)\s*\(")


def _offenders() -> list[str]:
    found = []
    for top in SCANNED:
        for path in sorted((BASE_DIR / top).rglob("*.py")):
            rel = path.relative_to(BASE_DIR).as_posix()
            if rel == "kam/clock.py" or "/migrations/" in rel or rel == "tests/kam/test_clock.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                code = line.split("#", 1)[0]
                if FORBIDDEN.search(code) and not code.lstrip().startswith(("\"", "'")):
                    found.append(f"{rel}:{number}: {line.strip()}")
    return found


def test_only_kam_clock_builds_zones_or_reads_the_wall_clock():
    assert _offenders() == [], ("use kam.clock (today, now, tenant_zone, day_start …) and, in "
                                "tests, the frozen_clock fixture:\n" + "\n".join(_offenders()))


def test_the_rule_can_fail(tmp_path):
    for line in ("tz = ZoneInfo(tenant.time_zone)", "day = timezone.localdate()",
                 "d = datetime.date.today()", "n = datetime.datetime.now()",
                 "now = timezone.now()"):
        assert FORBIDDEN.search(line), line
    assert not FORBIDDEN.search("today = clock.today(tenant)")


@pytest.mark.django_db
@pytest.mark.clock(LATE_UTC)  # 23:30 UTC on 15 June 2026
@pytest.mark.parametrize("zone,day,local", [
    ("Asia/Shanghai", datetime.date(2026, 6, 16), (7, 30)),
    ("Asia/Kolkata", datetime.date(2026, 6, 16), (5, 0)),
    ("America/Los_Angeles", datetime.date(2026, 6, 15), (16, 30)),
    ("UTC", datetime.date(2026, 6, 15), (23, 30)),
])
def test_today_and_now_are_the_tenants(frozen_clock, zone, day, local):
    tenant = Tenant.objects.create(name="T", slug="t", time_zone=zone)
    assert clock.today(tenant) == day
    assert (clock.local_now(tenant).hour, clock.local_now(tenant).minute) == local
    assert clock.now() == datetime.datetime(2026, 6, 15, 23, 30, tzinfo=datetime.UTC)
    with tenant_context(tenant):  # the current tenant when none is passed
        assert clock.today() == day
    start = clock.day_start(day, tenant)
    assert start.tzinfo is not None and clock.local_date(start, tenant) == day
    assert start <= clock.now() < start + datetime.timedelta(days=1)


@pytest.mark.django_db
@pytest.mark.clock("2026-03-08T09:59:00+00:00")  # a minute before Los Angeles springs forward
def test_a_day_range_spans_a_daylight_saving_change(frozen_clock):
    tenant = Tenant.objects.create(name="T", slug="t", time_zone="America/Los_Angeles")
    start, end = clock.day_range(datetime.date(2026, 3, 8), datetime.date(2026, 3, 8), tenant)
    # The day that lost an hour (subtracted in UTC: Python subtracts same-zone wall clocks).
    assert end.astimezone(datetime.UTC) - start.astimezone(datetime.UTC) == datetime.timedelta(
        hours=23)
    assert start <= clock.now() < end
    assert clock.day_range(None, None, tenant) == (None, None)


def test_without_a_tenant_the_clock_refuses_to_guess():
    with pytest.raises(NoTenantError):
        clock.today()


@pytest.mark.parametrize("day,months,expected", [
    (datetime.date(2026, 1, 31), -1, datetime.date(2025, 12, 1)),
    (datetime.date(2028, 2, 29), 12, datetime.date(2029, 2, 1)),
    (datetime.date(2026, 12, 2), -23, datetime.date(2025, 1, 1)),
    (datetime.date(2026, 12, 2), 1, datetime.date(2027, 1, 1)),
])
def test_add_months(day, months, expected):
    assert clock.add_months(day, months) == expected


def test_the_frozen_clock_stands_still_and_moves_on_request(frozen_clock):
    first = clock.now()
    assert clock.now() == first
    frozen_clock.shift(datetime.timedelta(days=1))
    assert clock.now() - first == datetime.timedelta(days=1)

"""Fixtures: two tenants, an owner/member/outsider cast (healthchecks' hc/test.py style), keys,
and the frozen clock every date-dependent test uses."""

from __future__ import annotations

import datetime
import threading
import time

import pytest
import time_machine
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from kam import devstack
from kam.models import Membership, Tenant
from kam.roles import Role
from kam.services import api_key_create, tenant_create
from kam.tenancy import system_read, tenant_context

PASSWORD = "correct-horse-battery-staple-42"


def pytest_configure(config) -> None:
    # `make test` has started the servers already; a bare `pytest` starts them here.
    devstack.up()
    _survive_a_faked_clock()


def _survive_a_faked_clock() -> None:
    """Under libfaketime with the monotonic clock left alone (FAKETIME_DONT_FAKE_MONOTONIC=1, how
    the suite is run on other dates: see the README), Python's time.sleep fails with EINVAL,
    because it sleeps until an absolute monotonic deadline that libfaketime rewrites. A timed
    wait on an Event still works there, so the test process sleeps with that instead."""
    try:
        time.sleep(0)
        time.sleep(0.001)
    except OSError:
        time.sleep = lambda seconds: threading.Event().wait(seconds)  # type: ignore[assignment]


# --- the clock ------------------------------------------------------------------------------------

# The instant the frozen clock shows unless a test asks for another with @pytest.mark.clock(...):
# 10:00 in Shanghai on an ordinary Monday.
FROZEN_AT = datetime.datetime(2026, 6, 15, 2, 0, tzinfo=datetime.UTC)


def frozen_moment(request) -> datetime.datetime:
    marker = request.node.get_closest_marker("clock")
    if marker is None:
        return FROZEN_AT
    moment = marker.args[0]
    if isinstance(moment, str):
        moment = datetime.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        raise ValueError("@pytest.mark.clock needs an aware moment (say which zone)")
    return moment


@pytest.fixture
def frozen_clock(request):
    """Stops the clock at one instant for the test (``FROZEN_AT``, or ``@pytest.mark.clock(...)``):
    kam.clock, Django's clock and Python's date and time all read it, whatever day the
    machine's clock says. Returns time-machine's traveller: ``frozen_clock.move_to(...)`` moves it,
    ``frozen_clock.shift(seconds)`` advances it. PostgreSQL's own now() does not move (services
    pass ``today``/``now`` as parameters), nor does a worker process started by the test.

    ``@pytest.mark.clock(..., tick=True)`` starts the clock at that instant and lets it run: for
    tests whose threads wait on asyncio timers (the browser test's Playwright), which a stopped
    monotonic clock would never fire."""
    marker = request.node.get_closest_marker("clock")
    tick = bool(marker and marker.kwargs.get("tick", False))
    with time_machine.travel(frozen_moment(request), tick=tick) as traveller:
        yield traveller


# Zones where "today" is another day than in Shanghai for part of the day: Los Angeles is 15 or 16
# hours behind, Kolkata 2.5 hours behind (and on a half hour).
ZONES = ("Asia/Shanghai", "America/Los_Angeles", "Asia/Kolkata")
# 23:30 UTC: already tomorrow in Shanghai and Kolkata, still today in Los Angeles.
LATE_UTC = "2026-06-15T23:30:00+00:00"


@pytest.fixture(params=ZONES)
def tenant_zone(request, tenant_a) -> str:
    """Runs the test three times, tenant A working in Shanghai, Los Angeles and Kolkata."""
    tenant_a.time_zone = request.param
    tenant_a.save(update_fields=["time_zone"])
    return request.param


@pytest.fixture
def today(frozen_clock, tenant_a) -> datetime.date:
    """The frozen day where tenant A works."""
    from kam import clock

    return clock.today(tenant_a)


@pytest.fixture(autouse=True)
def inspect_all_tenants():
    """Test bodies and fixtures may read every tenant's rows (to prove what another tenant's request
    did not change) through the named cross-tenant path. Requests reset it (kam.middleware), and
    inside tenant_context the tenant wins, so the code under test still runs under row-level
    security. Tests that must see the database exactly as the application does use
    ``no_system_read``."""
    with system_read("tests inspect every tenant"):
        yield


@pytest.fixture
def tenant_a(db) -> Tenant:
    # Made like every tenant (kam.services.tenant_create): with what a tenant starts with.
    return tenant_create(name="华东精密", slug="huadong", default_language="zh-hans")


@pytest.fixture
def tenant_b(db) -> Tenant:
    return tenant_create(name="Pacific Components", slug="pacific", default_language="en")


def make_member(tenant: Tenant, username: str, role: str) -> Membership:
    user = get_user_model().objects.create_user(username=username, password=PASSWORD,
                                                email=f"{username}@example.com")
    with tenant_context(tenant):
        return Membership.objects.create(tenant=tenant, user=user, role=role)


@pytest.fixture
def admin_a(tenant_a) -> Membership:
    return make_member(tenant_a, "admin_a", Role.ADMIN)


@pytest.fixture
def exec_a(tenant_a) -> Membership:
    return make_member(tenant_a, "exec_a", Role.EXECUTIVE)


@pytest.fixture
def manager_a(tenant_a) -> Membership:
    return make_member(tenant_a, "manager_a", Role.MANAGER)


@pytest.fixture
def manager2_a(tenant_a) -> Membership:
    return make_member(tenant_a, "manager2_a", Role.MANAGER)


@pytest.fixture
def admin_b(tenant_b) -> Membership:
    return make_member(tenant_b, "admin_b", Role.ADMIN)


def login(client, membership: Membership):
    client.force_login(membership.user)
    return client


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def key_for(tenant: Tenant, scopes: list[str], name: str = "erp") -> str:
    with tenant_context(tenant):
        _key, raw = api_key_create(name=name, scopes=scopes)
    return raw


def bearer(client: APIClient, raw: str) -> APIClient:
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # PBKDF2's deliberate slowness is for production; tests only need a working hash.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_cache():
    # API rate-limit counters live in the Redis cache: no test inherits another's requests.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def other_session():
    """A second database session (autocommit), as another worker or request would have."""
    from django.db import connections

    other = connections.create_connection("default")
    other.ensure_connection()
    other.set_autocommit(True)
    yield other
    other.close()

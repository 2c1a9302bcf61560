"""Fixtures: two tenants, an owner/member/outsider cast (healthchecks' hc/test.py style), keys."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from kam import devstack
from kam.models import Membership, Tenant
from kam.roles import Role
from kam.services import api_key_create
from kam.tenancy import system_read, tenant_context

PASSWORD = "correct-horse-battery-staple-42"


def pytest_configure(config) -> None:
    # `make test` has started the servers already; a bare `pytest` starts them here.
    devstack.up()


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
    return Tenant.objects.create(name="华东精密", slug="huadong", default_language="zh-hans")


@pytest.fixture
def tenant_b(db) -> Tenant:
    return Tenant.objects.create(name="Pacific Components", slug="pacific",
                                 default_language="en")


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

"""API clients shared by the account tests: who writes for tenant A, and tenant B at its most
powerful (the outsider)."""

from __future__ import annotations

import pytest

from tests.conftest import bearer, key_for, login


@pytest.fixture(params=["write-key", "admin-session"])
def writer_a(request, api, admin_a):
    """Someone of tenant A allowed to write: a write key or the administrator's session."""
    if request.param == "write-key":
        return bearer(api, key_for(admin_a.tenant, ["write"], name="erp-write"))
    return login(api, admin_a)


@pytest.fixture(params=["admin_b-session", "tenant_b-write-key"])
def outsider(request, api, admin_b):
    """Tenant B at its most powerful: its administrator's session or a write key."""
    if request.param == "admin_b-session":
        return login(api, admin_b)
    return bearer(api, key_for(admin_b.tenant, ["read", "write"], name="erp-b"))


@pytest.fixture
def key_a(api, tenant_a):
    return bearer(api, key_for(tenant_a, ["read", "write"], name="erp-a"))

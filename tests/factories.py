"""Factories build rows inside the tenant they belong to."""

from __future__ import annotations

from accounts.models import Account
from kam.models import Membership, Tenant
from kam.tenancy import tenant_context


def make_account(tenant: Tenant, name: str, owner: Membership | None = None, **fields) -> Account:
    with tenant_context(tenant):
        return Account.objects.create(tenant=tenant, name=name, owner=owner, **fields)

"""factory-boy factories. Rows are built inside the tenant they belong to (tenant_context), so the
scoped managers and TenantOwned.save() see the right tenant."""

from __future__ import annotations

import factory

from accounts.models import Account
from kam.models import Membership, Tenant
from kam.tenancy import tenant_context


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Tenant {n}")
    slug = factory.Sequence(lambda n: f"tenant-{n}")


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"客户 {n:04d} 有限公司")
    lifecycle_status = "active"
    strategic_value = 3

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with tenant_context(kwargs["tenant"]):
            return super()._create(model_class, *args, **kwargs)


def make_account(tenant: Tenant, name: str, owner: Membership | None = None, **fields) -> Account:
    return AccountFactory(tenant=tenant, name=name, owner=owner, **fields)

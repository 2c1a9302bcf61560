from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts.models import Account
from kam.models import ApiKey, Membership
from kam.tenancy import (
    NoTenantError,
    TenantOwned,
    current_tenant_or_none,
    get_current_tenant,
    tenant_context,
    with_tenant,
)

pytestmark = pytest.mark.django_db


def test_scoped_manager_raises_without_a_tenant(tenant_a):
    assert current_tenant_or_none() is None
    with pytest.raises(NoTenantError):
        Account.objects.all()
    with pytest.raises(NoTenantError):
        Membership.objects.filter(role="admin")
    with pytest.raises(NoTenantError):
        get_current_tenant()


def test_context_manager_scopes_and_restores(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        Account.objects.create(name="A1")
        with tenant_context(tenant_b):
            Account.objects.create(name="B1")
            assert list(Account.objects.values_list("name", flat=True)) == ["B1"]
        assert get_current_tenant() == tenant_a
        assert list(Account.objects.values_list("name", flat=True)) == ["A1"]
    assert current_tenant_or_none() is None
    assert Account.unscoped_all_tenants.count() == 2


def test_context_manager_restores_after_an_exception(tenant_a):
    with pytest.raises(ZeroDivisionError), tenant_context(tenant_a):
        1 / 0  # noqa: B018
    assert current_tenant_or_none() is None


def test_context_manager_refuses_none():
    with pytest.raises(NoTenantError), tenant_context(None):
        pass


def test_save_sets_the_current_tenant_and_refuses_another(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        account = Account.objects.create(name="Auto")
    assert account.tenant_id == tenant_a.pk
    with tenant_context(tenant_b):
        account.name = "hijack"
        with pytest.raises(NoTenantError):
            account.save()
    assert Account.unscoped_all_tenants.get(pk=account.pk).name == "Auto"


def test_saving_without_a_tenant_raises(tenant_a):
    with pytest.raises(NoTenantError):
        Account(name="orphan").save()
    assert Account.unscoped_all_tenants.count() == 0


def test_with_tenant_decorator_for_tasks_and_commands(tenant_a, tenant_b):
    @with_tenant
    def count_accounts(*, tenant_id: int) -> tuple[int, int]:
        return get_current_tenant().pk, Account.objects.count()

    with tenant_context(tenant_a):
        Account.objects.create(name="A1")
        Account.objects.create(name="A2")
    assert count_accounts(tenant_id=tenant_a.pk) == (tenant_a.pk, 2)
    assert count_accounts(tenant_id=tenant_b.pk) == (tenant_b.pk, 0)
    assert current_tenant_or_none() is None
    with pytest.raises(NoTenantError):
        count_accounts()


def test_context_is_per_thread(tenant_a):
    seen: list[object] = []

    def worker() -> None:
        seen.append(current_tenant_or_none())

    with tenant_context(tenant_a):
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
    assert seen == [None]


def test_every_tenant_model_has_a_tenant_leading_unique_constraints():
    """Every unique constraint of a tenant-owned model starts with the tenant."""
    from django.apps import apps

    checked = 0
    for model in apps.get_models():
        if not issubclass(model, TenantOwned):
            continue
        for constraint in model._meta.constraints:
            fields = getattr(constraint, "fields", ())
            if fields and constraint.__class__.__name__ == "UniqueConstraint":
                assert fields[0] == "tenant", f"{model.__name__}.{constraint.name}"
                checked += 1
        for field in model._meta.fields:
            assert not (field.unique and not field.primary_key), f"{model.__name__}.{field.name}"
        tenant_field = model._meta.get_field("tenant")
        assert not tenant_field.null
    assert checked >= 5


def test_tenant_column_is_not_null_in_the_database(tenant_a):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.columns WHERE column_name = 'tenant_id' "
            "AND is_nullable = 'YES' AND table_schema = 'public'"
        )
        assert cursor.fetchall() == []
    assert ApiKey._meta.get_field("tenant").null is False


def test_unscoped_manager_is_explicit(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        Account.objects.create(name="A")
    with tenant_context(tenant_b):
        Account.objects.create(name="B")
        assert Account.objects.count() == 1
        # The database agrees: inside a tenant even the unscoped manager sees one tenant's rows.
        assert Account.unscoped_all_tenants.count() == 1
    # Outside any tenant, the tests' system_read (conftest) reads both.
    assert Account.unscoped_all_tenants.count() == 2

"""Service standards are stored rows from the tenant's creation (so set-based SQL can join them):
tenant_create seeds them, the seed is idempotent, and migration accounts/0009 gives tenants made
before the same rows."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection

from accounts.standards.models import DEFAULT_STANDARDS, STANDARD_FIELDS, ServiceStandard
from accounts.standards.selectors import is_default, service_standards
from accounts.standards.services import standards_seed
from kam.models import Tenant
from kam.services import tenant_create, tenant_setup
from kam.tenancy import tenant_context

pytestmark = pytest.mark.django_db


def stored(tenant: Tenant) -> dict[str, dict]:
    with tenant_context(tenant):
        return {row.tier: {name: getattr(row, name) for name in STANDARD_FIELDS}
                for row in ServiceStandard.objects.all()}


def test_a_new_tenant_has_its_four_standards_stored():
    tenant = tenant_create(name="新客户", slug="new-co")
    assert stored(tenant) == DEFAULT_STANDARDS
    with tenant_context(tenant):
        assert standards_seed() == 0  # idempotent: nothing to add
        assert all(is_default(s) and s.pk for s in service_standards())


def test_a_tenant_made_another_way_gets_them_from_its_setup():
    tenant = Tenant.objects.create(name="Raw", slug="raw")  # not through tenant_create
    assert stored(tenant) == {}
    with tenant_context(tenant):  # until then the pages read the defaults, unsaved
        assert [s.pk for s in service_standards()] == [None] * 4
    tenant_setup(tenant=tenant)
    assert stored(tenant) == DEFAULT_STANDARDS


def test_the_migration_seeds_tenants_made_before_and_keeps_changed_rows():
    old, changed = (Tenant.objects.create(name=n, slug=n) for n in ("old", "changed"))
    with tenant_context(changed):
        ServiceStandard.objects.create(tier="key", **{**DEFAULT_STANDARDS["key"],
                                                      "business_visits_per_year": 9})
    migration = importlib.import_module("accounts.migrations.0009_seed_service_standards")
    with connection.schema_editor() as editor:
        migration.seed(apps, editor)
        migration.seed(apps, editor)  # twice: nothing more
    assert stored(old) == DEFAULT_STANDARDS
    assert stored(changed)["key"]["business_visits_per_year"] == 9
    assert set(stored(changed)) == set(DEFAULT_STANDARDS)

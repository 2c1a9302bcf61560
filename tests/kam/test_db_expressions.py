"""kam.db.expressions.value_set: the lookup of many values through a unique partial index."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db.models import Q

from accounts.transactions.models import Transaction
from kam.db.expressions import value_set
from kam.tenancy import tenant_context
from tests.factories import make_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def transactions(tenant_a, tenant_b):
    for tenant in (tenant_a, tenant_b):
        account = make_account(tenant, "Northwind")
        with tenant_context(tenant):
            Transaction.objects.bulk_create(
                Transaction(tenant=tenant, account=account, date=datetime.date(2026, 1, 1),
                            amount=Decimal(1), external_id=f"T-{i:04d}" if i % 4 else "")
                for i in range(400))


def _lookup(values):
    return (Transaction.objects.filter(Q(external_id__in=value_set(values)) & ~Q(external_id=""))
            .order_by())


def test_value_set_finds_exactly_the_named_rows_of_the_tenant(tenant_a, transactions):
    wanted = ["T-0001", "T-0001", "T-0399", "T-0004", "nope", ""]  # T-0004 has no id: i % 4 == 0
    with tenant_context(tenant_a):
        found = sorted(_lookup(wanted).values_list("external_id", flat=True))
        assert found == ["T-0001", "T-0399"]
        assert not _lookup([]).exists()


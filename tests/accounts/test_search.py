from __future__ import annotations

import pytest
from django.db import connection, transaction

from accounts.filters import account_search
from accounts.models import Account
from kam.tenancy import tenant_context
from tests.factories import make_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def names(tenant_a, tenant_b):
    for name, short in (("苏州恒通机械有限公司", "恒通"), ("Northwind Industrial Supply", "NWS"),
                        ("上海精工科技", ""), ("Bluewater Logistics", "Blue")):
        make_account(tenant_a, name, short_name=short)
    make_account(tenant_b, "苏州恒通 other tenant")


@pytest.mark.parametrize("query,expected", [
    ("恒通", ["苏州恒通机械有限公司"]),
    ("苏", ["苏州恒通机械有限公司"]),               # one character: no bigram, plain ILIKE
    ("northWIND", ["Northwind Industrial Supply"]),
    ("nws", ["Northwind Industrial Supply"]),       # short name
    ("ue", ["Bluewater Logistics"]),
    ("精工科技", ["上海精工科技"]),
    ("有限公司x", []),
    ("通机", ["苏州恒通机械有限公司"]),
])
def test_search_finds_substrings_in_name_and_short_name(tenant_a, names, query, expected):
    with tenant_context(tenant_a):
        found = sorted(account_search(Account.objects.all(), query).values_list("name", flat=True))
    assert found == expected


def test_search_uses_the_bigram_index(tenant_a, names):
    # The generated predicate must be the indexed expression. Tiny tables make the planner prefer
    # the tenant index, so look at the search predicate alone with plain scans switched off.
    qs = account_search(Account.unscoped_all_tenants.order_by(), "恒通机械").values("id")
    sql, params = qs.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "account_search_bigrams_idx" in plan

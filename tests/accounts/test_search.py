from __future__ import annotations

import os
import re

import psycopg2
import pytest
from django.db import connection

from accounts.account.filters import account_search
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
    # Under row-level security PostgreSQL cannot use the GIN index for `@>` (not LEAKPROOF) in the
    # application's own query, so the search asks kam_account_search_ids(), a SECURITY DEFINER
    # function owned by a BYPASSRLS role. Its query must be the indexed expression: look at the
    # plan as that role (a superuser connection of the embedded server can SET ROLE), with plain
    # scans switched off because tiny tables would make the planner prefer them.
    if os.environ.get("DATABASE_URL"):
        pytest.skip("needs the embedded server's superuser")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_userbyid(p.proowner), r.rolbypassrls, p.prosecdef, "
                       "pg_get_functiondef(p.oid) FROM pg_proc p "
                       "JOIN pg_roles r ON r.oid = p.proowner WHERE p.proname = %s",
                       ["kam_account_search_ids"])
        owner, bypass, definer, body = cursor.fetchone()
    assert (owner, bypass, definer) == ("kam_search", True, True)
    query = re.search(r"\$function\$(.*)\$function\$", body, re.S).group(1)
    query = query.strip().rstrip(";").replace("terms", "%s")
    superuser = psycopg2.connect(dbname=connection.settings_dict["NAME"], user="postgres",
                                 host=connection.settings_dict["HOST"])
    try:
        with superuser.cursor() as cursor:
            cursor.execute("SELECT pg_get_expr(i.indexprs, i.indrelid) FROM pg_index i "
                           "JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
                           ["account_search_bigrams_idx"])
            indexed = cursor.fetchone()[0]
            cursor.execute("SET ROLE kam_search")
            cursor.execute("EXPLAIN " + query, ["恒通机械"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
            # Without the tenant condition (tiny tables make the planner prefer the tenant index)
            # the bigram index is the way in: the predicate is the indexed expression, usable here.
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("EXPLAIN SELECT id FROM accounts_account WHERE " + indexed +  # noqa: S608
                           " @> kam_bigrams(%s)", ["恒通机械"])
            alone = "\n".join(row[0] for row in cursor.fetchall())
    finally:
        superuser.close()
    assert indexed.startswith("kam_bigrams(") and f"{indexed} @> " in plan, (indexed, plan)
    assert "account_search_bigrams_idx" in alone, alone


def test_the_search_function_returns_the_current_tenants_rows_only(tenant_a, tenant_b, names):
    def ids(tenant) -> set[int]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT kam_account_search_ids(%s)", ["恒通"])
            found = {row[0] for row in cursor.fetchall()}
        return found

    with tenant_context(tenant_a):
        mine = ids(tenant_a)
        assert mine == set(Account.objects.filter(name__contains="恒通").values_list("id", flat=True))
    with tenant_context(tenant_b):
        theirs = ids(tenant_b)
        assert len(theirs) == 1 and not (theirs & mine)
    assert ids(None) == set()  # no tenant set (the tests' system_read does not open it)

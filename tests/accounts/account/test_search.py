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
    # application's own query, so the search asks kam_account_search_ids() (and, to choose its
    # plan, kam_account_search_is_broad()): SECURITY DEFINER functions owned by a BYPASSRLS role.
    # The ids function's query must be the indexed expression: look at the plan as that role (a
    # superuser connection of the embedded server can SET ROLE), with plain scans switched off
    # because tiny tables would make the planner prefer them.
    if os.environ.get("DATABASE_URL"):
        pytest.skip("needs the embedded server's superuser")
    with connection.cursor() as cursor:
        cursor.execute("SELECT p.proname, pg_get_userbyid(p.proowner), r.rolbypassrls, p.prosecdef,"
                       " pg_get_functiondef(p.oid) FROM pg_proc p "
                       "JOIN pg_roles r ON r.oid = p.proowner WHERE p.proname = ANY(%s)",
                       [["kam_account_search_ids", "kam_account_search_is_broad"]])
        functions = {name: rest for name, *rest in cursor.fetchall()}
    assert {name: tuple(f[:3]) for name, f in functions.items()} == {
        "kam_account_search_ids": ("kam_search", True, True),
        "kam_account_search_is_broad": ("kam_search", True, True)}
    body = functions["kam_account_search_ids"][3]
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
            found = cursor.fetchone()[0]
        return set(found)

    with tenant_context(tenant_a):
        mine = ids(tenant_a)
        assert mine == set(Account.objects.filter(name__contains="恒通").values_list("id", flat=True))
    with tenant_context(tenant_b):
        theirs = ids(tenant_b)
        assert len(theirs) == 1 and not (theirs & mine)
    assert ids(None) == set()  # no tenant set (the tests' system_read does not open it)


def test_a_broad_term_skips_the_list_and_still_finds_exactly_its_rows(tenant_a, tenant_b):
    # 150 accounts, 120 of them "有限公司": a term a sample shows in most rows is broad — the page's
    # ordered scan finds them sooner than a list of all — and the recheck still decides the rows.
    # A rare term in the same tenant is not broad and gets its list.
    for i in range(150):
        make_account(tenant_a, f"苏州{i}号机械有限公司" if i < 120 else f"Northwind {i}")
    make_account(tenant_b, "别家有限公司")
    with tenant_context(tenant_a):
        with connection.cursor() as cursor:
            cursor.execute("SELECT kam_account_search_is_broad(%s), kam_account_search_is_broad(%s),"
                           " kam_account_search_ids(%s)",
                           ["有限公司", "Northwind 149", "Northwind 149"])
            broad, rare_is_broad, rare = cursor.fetchone()
        found = set(account_search(Account.objects.all(), "有限公司").values_list("name", flat=True))
        rare_found = set(account_search(Account.objects.all(), "northwind 149")
                         .values_list("name", flat=True))
    assert broad is True and rare_is_broad is False
    assert len(rare) == 1
    assert found == {f"苏州{i}号机械有限公司" for i in range(120)}
    assert rare_found == {"Northwind 149"}


def test_search_escapes_like_wildcards(tenant_a):
    for name in ("100% 纯棉", "1000 纯棉", "a_b 公司", "axb 公司"):
        make_account(tenant_a, name)
    with tenant_context(tenant_a):
        def found(term: str) -> list[str]:
            return sorted(account_search(Account.objects.all(), term).values_list("name", flat=True))
        assert found("0%") == ["100% 纯棉"]   # through the candidate list
        assert found("a_b") == ["a_b 公司"]
        assert found("%") == ["100% 纯棉"]    # one character: the plain recheck
        assert found("_") == ["a_b 公司"]
        assert found("\\") == []


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_plan_is_chosen_while_planning_and_sees_new_accounts(tenant_a, django_assert_num_queries):
    # The functions are IMMUTABLE so that PostgreSQL calls them while it plans: the plan holds the
    # candidates as a constant (a rare term) or no candidate list at all (a broad one), and the page
    # stays one query. Nothing keeps their answer: an account added after a search is found by the
    # next one.
    for i in range(150):
        make_account(tenant_a, f"苏州{i}号机械有限公司")
    make_account(tenant_a, "Northwind 7")
    with tenant_context(tenant_a):
        rare, broad = (account_search(Account.objects.order_by("-id"), term)[:20]
                       for term in ("northwind", "有限公司"))
        rare_plan, broad_plan = _plan(rare), _plan(broad)
        with django_assert_num_queries(1):
            assert [a.name for a in rare] == ["Northwind 7"]
        with django_assert_num_queries(1):
            assert len(list(broad)) == 20
        make_account(tenant_a, "Northwind 8")
        again = account_search(Account.objects.order_by("-id"), "northwind")
        assert [a.name for a in again] == ["Northwind 8", "Northwind 7"]
    assert re.search(r"id = ANY \('\{\d+\}'::bigint\[\]\)", rare_plan), rare_plan
    assert "kam_account_search" not in rare_plan + broad_plan  # evaluated, not left to run per row
    assert "ANY" not in broad_plan, broad_plan

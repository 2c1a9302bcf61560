"""Cadence pages: the 360° page's cadence section, the coverage page and the account list's
"next visit due" column — what they show of the hand-computed world (tests/visits/
cadence_fixture.py), who sees what, outsiders, and fixed query counts."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kam.jobs import run_job
from kam.tenancy import tenant_context
from tests.conftest import login, make_member
from tests.factories import make_account
from tests.visits.cadence_fixture import cadence_world, set_tier
from tests.visits.fixtures import at
from visits.cadence.models import CadenceStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]
D = datetime.date


@pytest.fixture
def world(manager_a, tenant_a):
    world = cadence_world(manager_a, make_member(tenant_a, "gone", "manager"))
    run_job("cadence", tenant_a)
    return world


def count_queries(client, url, **query) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, query)
    return len(ctx.captured_queries), response


def test_the_360_page_lists_the_cadence_section(client, world, manager_a):
    login(client, manager_a)
    page = client.get(reverse("accounts:account-detail", args=[world.accounts["acme"].pk]))
    assert reverse("visits:account-cadence", args=[world.accounts["acme"].pk]) in page.content.decode()


def test_the_cadence_section_per_level(client, world, manager_a):
    login(client, manager_a)
    response = client.get(reverse("visits:account-cadence", args=[world.accounts["acme"].pk]),
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    levels = response.context["levels"]
    assert [(lv["level"], lv["row"].state, lv["contacts"]) for lv in levels] == [
        ("leadership", "on_track", 1), ("technical", "overdue", 0), ("business", "due_soon", 1)]
    text = response.content.decode()
    assert "gap: no contact" in text  # technical: no contact at the level
    assert "25 %" in text and "3 of 12" in text  # business compliance


def test_the_cadence_section_costs_a_constant_number_of_queries(client, world, admin_a):
    login(client, admin_a)
    client.get(reverse("visits:coverage"))
    # 1 session, 2 user, 3 memberships, 4 the account (visible), 5 its cadence rows,
    # 6 its active contacts per level.
    for account in world.accounts.values():
        queries, response = count_queries(
            client, reverse("visits:account-cadence", args=[account.pk]))
        assert response.status_code == 200
        assert queries == 6


def test_the_coverage_page(client, world, admin_a):
    login(client, admin_a)
    response = client.get(reverse("visits:coverage"))
    assert response.status_code == 200
    matrix = {row["tier"]: {cell["level"]: cell for cell in row["levels"]}
              for row in response.context["matrix"]}
    strategic = matrix["strategic"]
    # Acme, Delta (no owner) and Epsilon (inactive) are strategic.
    assert [strategic["technical"][k] for k in ("n_on_track", "n_due_soon", "n_overdue",
                                                "n_no_owner", "n_inactive", "gaps")] == [
        0, 0, 1, 1, 1, 3]
    assert strategic["business"]["n_due_soon"] == 1
    assert matrix["key"]["technical"]["n_overdue"] == 1
    assert matrix["general"]["leadership"]["total"] == 1  # Gamma: not required, no gap
    assert matrix["general"]["leadership"]["gaps"] == 0
    # The list: every account × level owing visits, most overdue first (Epsilon's and Delta's
    # from 2025-07-01 are listed as such, not skipped).
    items = response.context["page"].items
    dues = [row.next_due_on for row in items]
    assert dues == sorted(dues)
    assert len(items) == 14  # 15 rows less Gamma's leadership (not required)
    assert {row.state for row in items} >= {"overdue", "due_soon", "on_track", "no_owner",
                                            "inactive"}


def test_the_coverage_filters(client, world, admin_a):
    login(client, admin_a)
    url = reverse("visits:coverage")
    overdue = client.get(url, {"state": "overdue"}).context["page"].items
    assert {(row.account.name, row.level) for row in overdue} == {
        ("Acme", "technical"), ("Beta", "technical"), ("Beta", "business"),
        ("Gamma", "technical")}
    gaps = client.get(url, {"gap": "true", "tier": "key"}).context["page"].items
    assert {(row.account.name, row.level) for row in gaps} == {
        ("Beta", "leadership"), ("Beta", "technical"), ("Beta", "business")}
    by_account = client.get(url, {"sort": "account"}).context["page"].items
    assert [row.account.name for row in by_account][:3] == ["Acme"] * 3
    bad = client.get(url, {"state": "sleepy"})
    assert bad.status_code == 400 and not bad.context["page"].items


def test_a_manager_sees_only_their_accounts(client, world, tenant_a, manager2_a):
    mine = make_account(tenant_a, "Mine", owner=manager2_a)
    run_job("cadence", tenant_a, as_of=D(2026, 6, 15))
    login(client, manager2_a)
    response = client.get(reverse("visits:coverage"))
    assert {row.account_id for row in response.context["page"].items} <= {mine.pk}
    assert sum(cell["total"] for row in response.context["matrix"] for cell in row["levels"]) == 0
    assert client.get(reverse("visits:account-cadence",
                              args=[world.accounts["acme"].pk])).status_code == 404


def test_outsiders_see_none_of_it(client, world, admin_b):
    login(client, admin_b)
    with tenant_context(world.owner.tenant):
        before = sorted(CadenceStatus.objects.values_list())
    assert client.get(reverse("visits:account-cadence",
                              args=[world.accounts["acme"].pk])).status_code == 404
    response = client.get(reverse("visits:coverage"))
    assert response.status_code == 200 and not response.context["page"].items
    assert sum(cell["total"] for row in response.context["matrix"] for cell in row["levels"]) == 0
    with tenant_context(world.owner.tenant):
        assert sorted(CadenceStatus.objects.values_list()) == before


def test_the_coverage_page_costs_a_constant_number_of_queries(client, world, tenant_a, admin_a):
    login(client, admin_a)
    url = reverse("visits:coverage")
    client.get(url)
    small, _ = count_queries(client, url)
    for i in range(30):
        set_tier(make_account(tenant_a, f"More {i:02d}", owner=admin_a), "key", at(2026, 1, 1))
    run_job("cadence", tenant_a, as_of=D(2026, 6, 15))
    queries, response = count_queries(client, url)
    # 1 session, 2 user, 3 memberships, 4 the matrix, 5 the list's total, 6 its page (account
    # and owner joined), 7 "data as of".
    assert queries == small == 7
    page = response.context["page"]
    assert count_queries(client, url, cursor=page.next_cursor)[0] == small + 1


def test_the_account_list_shows_the_next_visit_due(client, world, manager_a):
    login(client, manager_a)
    response = client.get(reverse("accounts:account-list"), HTTP_ACCEPT_LANGUAGE="en")
    due = {account.name: account.next_visit_due for account in response.context["page"].items}
    # The earliest next due date over the levels owing visits; Epsilon (inactive): none.
    assert due["Acme"] == D(2026, 5, 14)
    assert due["Gamma"] == D(2026, 1, 10)
    assert due["Epsilon"] is None
    assert "Next visit due" in response.content.decode()

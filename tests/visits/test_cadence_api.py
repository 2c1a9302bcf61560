"""The cadence API: GET /api/v1/accounts/{id}/cadence/ and GET /api/v1/coverage/ on the
hand-computed world (tests/visits/cadence_fixture.py): values, filters, cursor pages, who sees
what, outsiders (404 / none of tenant A's rows) and query budgets."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kam.jobs import run_job
from tests.conftest import bearer, key_for, login, make_member
from tests.factories import make_account
from tests.visits.cadence_fixture import cadence_world, set_tier
from tests.visits.fixtures import at

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]
COVERAGE_URL = "/api/v1/coverage/"


def cadence_url(account_id: int) -> str:
    return f"/api/v1/accounts/{account_id}/cadence/"


@pytest.fixture
def world(manager_a, tenant_a):
    world = cadence_world(manager_a, make_member(tenant_a, "gone", "manager"))
    run_job("cadence", tenant_a)
    return world


def test_an_accounts_cadence_per_level(key_a, world):
    response = key_a.get(cadence_url(world.accounts["beta"].pk))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["account"] == world.accounts["beta"].pk
    assert body["levels"] == [
        {"level": "leadership", "computed": True, "tier": "key", "required_per_year": 1,
         "last_visit_on": None, "next_due_on": "2027-03-01", "state": "on_track",
         "completed_12m": 0, "required_12m": 0, "compliance_pct": None, "contacts": 0,
         "gap": True},
        {"level": "technical", "computed": True, "tier": "key", "required_per_year": 4,
         "last_visit_on": None, "next_due_on": "2026-06-01", "state": "overdue",
         "completed_12m": 0, "required_12m": 1, "compliance_pct": 0, "contacts": 0,
         "gap": True},
        {"level": "business", "computed": True, "tier": "key", "required_per_year": 6,
         "last_visit_on": "2026-02-20", "next_due_on": "2026-04-20", "state": "overdue",
         "completed_12m": 0, "required_12m": 1, "compliance_pct": 0, "contacts": 1,
         "gap": True},
    ]


def test_an_account_the_night_has_not_seen_yet(key_a, tenant_a, world):
    new = make_account(tenant_a, "New")
    levels = key_a.get(cadence_url(new.pk)).json()["levels"]
    assert [(lv["computed"], lv["state"]) for lv in levels] == [(False, None)] * 3


def test_coverage_rows_and_filters(key_a, world):
    response = key_a.get(COVERAGE_URL, {"page_size": 100})
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == 15
    overdue = key_a.get(COVERAGE_URL, {"state": "overdue", "level": "technical"}).json()
    assert {(r["account_name"], r["next_due_on"]) for r in overdue["results"]} == {
        ("Acme", "2026-05-14"), ("Beta", "2026-06-01"), ("Gamma", "2026-01-10")}
    strategic = key_a.get(COVERAGE_URL, {"tier": "strategic", "state": "no_owner"}).json()
    assert {r["account_name"] for r in strategic["results"]} == {"Delta"}
    assert {r["owner"] for r in strategic["results"]} == {world.accounts["delta"].owner_id}
    gaps = key_a.get(COVERAGE_URL, {"gap": "false"}).json()["results"]
    assert {(r["account_name"], r["level"]) for r in gaps} == {
        ("Acme", "leadership"), ("Acme", "business"), ("Gamma", "leadership")}
    for bad in ({"state": "sleepy"}, {"tier": "gold"}, {"level": "board"}, {"sort": "x"}):
        assert key_a.get(COVERAGE_URL, bad).status_code == 400, bad


def test_coverage_pages_by_cursor(key_a, world):
    first = key_a.get(COVERAGE_URL, {"page_size": 10}).json()
    second = key_a.get(first["next"]).json()
    ids = [(r["account"], r["level"]) for r in first["results"] + second["results"]]
    assert len(ids) == len(set(ids)) == 15 and second["next"] is None


def test_a_manager_sees_the_accounts_they_own(api, world, manager_a, manager2_a):
    login(api, manager2_a)
    assert api.get(cadence_url(world.accounts["acme"].pk)).status_code == 404
    assert api.get(COVERAGE_URL).json()["results"] == []
    login(api, manager_a)  # Delta is another member's: not listed
    names = {r["account_name"] for r in api.get(COVERAGE_URL, {"page_size": 100}).json()[
        "results"]}
    assert names == {"Acme", "Beta", "Gamma", "Epsilon"}


def test_executives_and_read_keys_read(api, world, exec_a, tenant_a):
    login(api, exec_a)
    assert api.get(cadence_url(world.accounts["delta"].pk)).status_code == 200
    bearer(api, key_for(tenant_a, ["read"], name="bi"))
    assert len(api.get(COVERAGE_URL, {"page_size": 100}).json()["results"]) == 15


def test_writes_are_not_allowed(key_a, world):
    for method in ("post", "put", "patch", "delete"):
        assert getattr(key_a, method)(COVERAGE_URL, {}, format="json").status_code == 405
        assert getattr(key_a, method)(cadence_url(world.accounts["acme"].pk), {},
                                      format="json").status_code == 405


def test_outsiders_get_404_and_none_of_the_rows(outsider, world, admin_b):
    theirs = make_account(admin_b.tenant, "B Co", owner=admin_b)
    set_tier(theirs, "strategic", at(2026, 1, 1))
    run_job("cadence", admin_b.tenant)
    response = outsider.get(cadence_url(world.accounts["acme"].pk))
    assert response.status_code == 404
    assert "Acme" not in response.content.decode()
    rows = outsider.get(COVERAGE_URL, {"page_size": 100}).json()["results"]
    assert {r["account"] for r in rows} == {theirs.pk}
    overdue = outsider.get(COVERAGE_URL, {"tier": "strategic", "state": "overdue"}).json()
    assert {r["account"] for r in overdue["results"]} == {theirs.pk}  # none of Acme's


def test_query_budgets(api, world, tenant_a, admin_a):
    bearer(api, key_for(tenant_a, ["read"]))
    assert api.get(COVERAGE_URL).status_code == 200  # the key's first use records last_used_at

    def queries(url: str, **params) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(url, params).status_code == 200
        return len(ctx.captured_queries)

    small = queries(COVERAGE_URL, page_size=5)
    account = queries(cadence_url(world.accounts["acme"].pk))
    for i in range(30):
        set_tier(make_account(tenant_a, f"More {i:02d}", owner=admin_a), "key", at(2026, 1, 1))
    run_job("cadence", tenant_a, as_of=datetime.date(2026, 6, 15))
    # 1 the API key (with its tenant), 2 the page's rows (account joined); a cursor page reads
    # no count.
    assert queries(COVERAGE_URL, page_size=50) == small == 2
    # 1 the API key, 2 the account (visible), 3 its cadence rows, 4 its contacts per level.
    assert account == queries(cadence_url(world.accounts["beta"].pk)) == 4

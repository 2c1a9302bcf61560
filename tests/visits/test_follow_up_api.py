"""Follow-ups (/api/v1/follow-ups/): CRUD, done (with a recurring one's next), cancel, reopen, the
bulk upsert by external id; tenancy, roles, strict input, filters and the cost of a list."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kam.tenancy import tenant_context
from tests.api_helpers import assert_validation_error, ids_of
from tests.conftest import bearer, key_for, login
from tests.factories import make_account
from tests.visits.fixtures import make_follow_up, visits_world
from visits.followups.models import FollowUp

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock", "in_english")]

LIST_URL = "/api/v1/follow-ups/"
BULK_URL = "/api/v1/follow-ups/bulk/"
D = datetime.date


def detail_url(pk: int, action: str = "") -> str:
    return f"/api/v1/follow-ups/{pk}/" + (f"{action}/" if action else "")


def row(pk: int) -> dict | None:
    return FollowUp.unscoped_all_tenants.filter(pk=pk).values().first()


def test_router_names_the_endpoints():
    assert reverse("api:follow-up-list") == LIST_URL
    assert reverse("api:follow-up-done", args=[3]) == detail_url(3, "done")
    assert reverse("api:follow-up-bulk") == BULK_URL


def test_create_change_done_reopen_cancel_delete(writer_a, manager_a):
    account = make_account(manager_a.tenant, "苏州精工", owner=manager_a)
    response = writer_a.post(LIST_URL, {"account": account.pk, "owner": manager_a.pk,
                                        "title": "月度对账", "due_on": "2026-06-30",
                                        "recurrence": "from_due", "recurrence_interval": 1,
                                        "recurrence_unit": "months", "external_id": "T-1"},
                             format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["source"], body["owner_name"], body["account_name"]) == (
        "open", "manual", "manager_a", "苏州精工")
    pk = body["id"]
    assert writer_a.patch(detail_url(pk), {"due_on": "2026-07-31"},
                          format="json").status_code == 200
    response = writer_a.post(detail_url(pk, "done"))
    assert response.status_code == 200, response.content
    done = response.json()
    assert done["follow_up"]["status"] == "done"
    assert (done["next"]["due_on"], done["next"]["status"], done["next"]["previous"]) == (
        "2026-08-31", "open", pk)  # a month after 31 July: the month's last day
    assert_validation_error(writer_a.post(detail_url(pk, "done")), "non_field_errors")
    assert writer_a.post(detail_url(pk, "reopen")).json()["status"] == "open"
    assert_validation_error(writer_a.post(detail_url(pk, "cancel"), {}, format="json"), "reason")
    response = writer_a.post(detail_url(pk, "cancel"), {"reason": "不再需要"}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "cancelled")
    assert writer_a.delete(detail_url(pk)).status_code == 204
    assert row(pk) is None


@pytest.mark.parametrize(("body", "field"), [
    ({"due_on": "30/06/2026"}, "due_on"),
    ({"title": ""}, "title"),
    ({"recurrence": "from_due"}, "recurrence_interval"),  # how often: the rules
    ({"recurrence": "weekly"}, "recurrence"),
    ({"recurrence_interval": 0, "recurrence": "from_due", "recurrence_unit": "days"},
     "recurrence_interval"),
    ({"status": "done"}, "status"),
    ({"source": "visit"}, "source"),
    ({"owner": "1"}, "owner"),
])
def test_bad_input_is_400_and_saves_nothing(key_a, manager_a, body, field):
    account = make_account(manager_a.tenant, "Co", owner=manager_a)
    data = {"account": account.pk, "title": "x", "due_on": "2026-06-30", **body}
    assert_validation_error(key_a.post(LIST_URL, data, format="json"), field)
    assert not FollowUp.unscoped_all_tenants.exists()


@pytest.mark.parametrize("method", ["get", "patch", "put", "delete"])
def test_outsider_gets_404_and_changes_nothing(outsider, manager_a, admin_b, method):
    follow_up = visits_world(manager_a).follow_ups["overdue"]
    before = row(follow_up.pk)
    b_account = make_account(admin_b.tenant, "B Co", owner=admin_b)
    body = ({"account": b_account.pk, "title": "stolen", "due_on": "2026-06-30"}
            if method in ("patch", "put") else None)
    response = getattr(outsider, method)(detail_url(follow_up.pk), body, format="json")
    assert response.status_code == 404
    assert "样品" not in response.content.decode()
    assert row(follow_up.pk) == before


@pytest.mark.parametrize("action", ["done", "cancel", "reopen"])
def test_outsider_cannot_change_its_state(outsider, manager_a, action):
    world = visits_world(manager_a)
    follow_up = world.follow_ups["closed" if action == "reopen" else "overdue"]
    before = row(follow_up.pk)
    assert outsider.post(detail_url(follow_up.pk, action), {"reason": "x"},
                         format="json").status_code == 404
    assert row(follow_up.pk) == before


@pytest.mark.parametrize("query", ["", "?status=open", "?overdue=true", "?due_after=2026-01-01",
                                   "?external_id=F-1", "?source=manual", "?search=报价"])
def test_outsider_list_shows_none_of_tenant_as_rows(outsider, manager_a, admin_b, query):
    visits_world(manager_a)
    make_follow_up(make_account(manager_a.tenant, "A2", owner=manager_a), manager_a,
                   D(2026, 6, 1), external_id="F-1", title="报价")
    mine = make_follow_up(make_account(admin_b.tenant, "B", owner=admin_b), admin_b,
                          D(2026, 6, 1), external_id="F-1", title="报价")
    assert ids_of(outsider.get(LIST_URL + query)) == [mine.pk]


def test_filters(key_a, manager_a):
    world = visits_world(manager_a)
    f = world.follow_ups
    assert ids_of(key_a.get(LIST_URL, {"overdue": "true"})) == [f["overdue"].pk]
    assert set(ids_of(key_a.get(LIST_URL, {"overdue": "false"}))) == {
        f["this_week"].pk, f["later"].pk, f["closed"].pk}
    assert ids_of(key_a.get(LIST_URL, {"visit": world.visits["done"].pk,
                                       "ordering": "due_on"})) == [f["overdue"].pk,
                                                                   f["this_week"].pk]
    assert ids_of(key_a.get(LIST_URL, {"due_after": "2026-06-11", "due_before": "2026-06-30",
                                       "status": "open"})) == [f["this_week"].pk]
    assert_validation_error(key_a.get(LIST_URL, {"overdue": "yes"}), "overdue")


def test_a_manager_off_the_account_sees_and_changes_none(api, manager_a, manager2_a):
    world = visits_world(manager_a)
    login(api, manager2_a)
    assert ids_of(api.get(LIST_URL)) == []
    assert api.post(detail_url(world.follow_ups["overdue"].pk, "done")).status_code == 404
    bearer(api, key_for(manager_a.tenant, ["read"], name="ro"))
    assert len(ids_of(api.get(LIST_URL))) == 4
    assert api.post(detail_url(world.follow_ups["overdue"].pk, "done")).status_code == 403
    assert row(world.follow_ups["overdue"].pk)["status"] == "open"


def test_bulk_upsert(key_a, manager_a, manager2_a):
    world = visits_world(manager_a, manager2_a)
    rows = [{"account": world.account.pk, "title": "季度对账", "due_on": "2026-06-30",
             "external_id": "H-1", "recurrence": "from_done", "recurrence_interval": 3,
             "recurrence_unit": "months"},
            {"account": world.account.pk, "owner": manager2_a.pk, "title": "回访",
             "due_on": "2026-07-01", "external_id": "H-2"}]
    assert key_a.post(BULK_URL, rows, format="json").json() == {
        "created": 2, "updated": 0, "unchanged": 0}
    first = FollowUp.unscoped_all_tenants.get(external_id="H-1")
    assert (first.owner_id, first.status, first.source, first.recurrence_interval) == (
        manager_a.pk, "open", "manual", 3)
    assert key_a.post(BULK_URL, rows, format="json").json() == {
        "created": 0, "updated": 0, "unchanged": 2}
    rows[0] = {"account": world.account.pk, "title": "季度对账（新）", "due_on": "2026-06-30",
               "external_id": "H-1"}  # the recurrence left out: kept
    assert key_a.post(BULK_URL, rows, format="json").json() == {
        "created": 0, "updated": 1, "unchanged": 1}
    first = FollowUp.unscoped_all_tenants.get(external_id="H-1")
    assert (first.title, first.recurrence, first.recurrence_interval) == ("季度对账（新）",
                                                                          "from_done", 3)
    bad = [{"account": world.account.pk, "title": "x", "due_on": "2026-06-30",
            "external_id": "H-3", "recurrence": "from_due"}, {"title": 5}]
    response = key_a.post(BULK_URL, bad, format="json")
    assert response.status_code == 400
    errors = {e["index"]: e["errors"] for e in response.json()["errors"]}
    assert "recurrence_interval" in errors[0] and {"title", "account"} <= set(errors[1])
    assert not FollowUp.unscoped_all_tenants.filter(external_id="H-3").exists()


def test_list_costs_the_same_queries_at_any_page_size(api, manager_a):
    bearer(api, key_for(manager_a.tenant, ["read"]))
    assert api.get(LIST_URL).status_code == 200  # the key's first use records last_used_at
    world = visits_world(manager_a)

    def queries(size: int) -> list[str]:
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(LIST_URL, {"page_size": size})
        assert len(response.json()["results"]) == size
        return [q["sql"] for q in ctx.captured_queries]

    small = queries(4)
    with tenant_context(manager_a.tenant):
        for i in range(46):
            make_follow_up(world.account, manager_a, D(2026, 7, 1 + i % 28),
                           visit=world.visits["done"], source="visit")
    big = queries(50)
    assert len(small) == len(big) == 2, (small, big)
    assert "kam_apikey" in small[0]  # 1. the key by prefix, with its tenant joined
    assert "visits_followup" in small[1]  # 2. the page: account, owner (user) and visit joined

"""The care reminders API (/api/v1/care-reminders/): list with filters and cursor pages, one,
dismiss; outsiders, roles, cost."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from care.models import CareReminder
from kam.tenancy import tenant_context
from tests.api_helpers import ids_of
from tests.care.book import D, contact, contract
from tests.conftest import bearer, key_for
from tests.factories import make_account

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

LIST_URL = "/api/v1/care-reminders/"


def dismiss_url(pk: int) -> str:
    return f"/api/v1/care-reminders/{pk}/dismiss/"


@pytest.fixture
def world(tenant_a, manager_a):
    account = make_account(tenant_a, "华东精密", owner=manager_a)
    wang = contact(account, "王建国", D(1980, 6, 17), title="总经理")
    deal = contract(account, "HT-2024-01", D(2024, 6, 16))
    with tenant_context(tenant_a):
        birthday = CareReminder.objects.create(account=account, contact=wang, occasion="birthday",
                                               owner=manager_a, occurs_on=D(2026, 6, 17),
                                               year=2026)
        anniversary = CareReminder.objects.create(account=account, contract=deal,
                                                  occasion="anniversary", owner=manager_a,
                                                  occurs_on=D(2026, 6, 16), year=2026)
        festival = CareReminder.objects.create(account=account, contact=wang,
                                               occasion="dragon_boat", owner=manager_a,
                                               occurs_on=D(2026, 6, 19), year=2026,
                                               status="dismissed",
                                               closed_at=datetime.datetime(2026, 6, 15,
                                                                           tzinfo=datetime.UTC))
    return {"account": account, "birthday": birthday, "anniversary": anniversary,
            "festival": festival}


def test_list_filters_and_one(key_a, world):
    response = key_a.get(LIST_URL)
    assert response.status_code == 200
    assert ids_of(response) == [world["anniversary"].pk, world["birthday"].pk,
                                world["festival"].pk]  # by date
    row = next(r for r in response.json()["results"] if r["id"] == world["birthday"].pk)
    assert (row["occasion"], row["contact_name"], row["occurs_on"], row["year"],
            row["status"]) == ("birthday", "王建国", "2026-06-17", 2026, "open")
    assert ids_of(key_a.get(LIST_URL, {"status": "open", "occasion": "anniversary"})) == [
        world["anniversary"].pk]
    assert ids_of(key_a.get(LIST_URL, {"occurs_after": "2026-06-17",
                                       "occurs_before": "2026-06-18"})) == [world["birthday"].pk]
    one = key_a.get(f"{LIST_URL}{world['anniversary'].pk}/").json()
    assert (one["contract_number"], one["contact_name"]) == ("HT-2024-01", None)


def test_bad_filters_are_400(key_a, world):
    for params in ({"occasion": "easter"}, {"occurs_after": "soon"}, {"status": "closed"}):
        assert key_a.get(LIST_URL, params).status_code == 400, params


def test_dismiss_an_open_one_once(key_a, world):
    pk = world["birthday"].pk
    response = key_a.post(dismiss_url(pk), format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "dismissed"
    again = key_a.post(dismiss_url(pk), format="json")
    assert again.status_code == 400
    assert again.json()["errors"] == {"non_field_errors": ["此提醒已被忽略或已转为跟进事项。"]}
    assert CareReminder.unscoped_all_tenants.get(pk=pk).status == "dismissed"


def test_an_outsider_gets_404_and_changes_nothing(outsider, world):
    pk = world["birthday"].pk
    assert outsider.get(f"{LIST_URL}{pk}/").status_code == 404
    assert outsider.post(dismiss_url(pk), format="json").status_code == 404
    assert ids_of(outsider.get(LIST_URL)) == []
    assert CareReminder.unscoped_all_tenants.get(pk=pk).status == "open"


def test_a_read_key_reads_and_does_not_dismiss(api, tenant_a, world):
    reader = bearer(api, key_for(tenant_a, ["read"], name="reader"))
    assert reader.get(LIST_URL).status_code == 200
    assert reader.post(dismiss_url(world["birthday"].pk), format="json").status_code == 403
    assert CareReminder.unscoped_all_tenants.get(pk=world["birthday"].pk).status == "open"


def test_a_page_costs_two_queries_whatever_its_size(key_a, world, tenant_a, manager_a):
    def queries(size: int) -> list[str]:
        with CaptureQueriesContext(connection) as ctx:
            response = key_a.get(LIST_URL, {"page_size": size})
        assert len(response.json()["results"]) == size
        return [q["sql"] for q in ctx.captured_queries]

    assert key_a.get(LIST_URL).status_code == 200  # the key's first use records last_used_at
    small = queries(3)
    for i in range(40):
        person = contact(world["account"], f"联系人{i}", None)
        with tenant_context(tenant_a):
            CareReminder.objects.create(account=world["account"], contact=person,
                                        occasion="mid_autumn", owner=manager_a,
                                        occurs_on=D(2026, 9, 25), year=2026)
    big = queries(40)
    assert len(small) == len(big) == 2, (small, big)
    assert "kam_apikey" in small[0]  # 1. the key by prefix, with its tenant joined
    # 2. the page: account, contact, contract, festival, owner (user) joined
    assert "care_carereminder" in small[1]

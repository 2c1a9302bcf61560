"""Visits (/api/v1/visits/): CRUD, the report, cancelling, the bulk upsert by external id;
tenancy (another tenant's visit is a 404 and stays unchanged), roles and keys, strict input, and
the cost of a list."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.api_helpers import assert_validation_error, ids_of
from tests.conftest import bearer, key_for, login
from tests.factories import make_account
from tests.visits.fixtures import at, make_visit, visits_world
from visits.followups.models import FollowUp
from visits.visit.models import Visit, VisitAttendee, VisitContact

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock", "in_english")]

LIST_URL = "/api/v1/visits/"
BULK_URL = "/api/v1/visits/bulk/"


def detail_url(pk: int, action: str = "") -> str:
    return f"/api/v1/visits/{pk}/" + (f"{action}/" if action else "")


def row(pk: int) -> dict | None:
    return Visit.unscoped_all_tenants.filter(pk=pk).values().first()


def payload(account, **overrides) -> dict:
    return {"account": account.pk, "level": "leadership", "channel": "on_site",
            "planned_start": "2026-06-24T10:00:00+08:00", "duration_minutes": 90,
            "location": "上海", "objective": "高层拜访", **overrides}


def test_router_names_the_endpoints():
    assert reverse("api:visit-list") == LIST_URL
    assert reverse("api:visit-report", args=[7]) == detail_url(7, "report")
    assert reverse("api:visit-bulk") == BULK_URL


def test_plan_read_change_delete(writer_a, admin_a, manager_a):
    world = visits_world(manager_a)
    leader = world.contacts["leader"]
    response = writer_a.post(LIST_URL, payload(world.account, owner=manager_a.pk,
                                               attendees=[admin_a.pk], contacts=[leader.pk],
                                               external_id="CRM-1"), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["account_name"], body["owner_name"], body["status"], body["attendees"],
            body["contacts"]) == ("华为供应链", "manager_a", "planned", [admin_a.pk], [leader.pk])
    assert body["customer_attendees"] == [{"contact": leader.pk, "contact_name": "王总",
                                           "level": "leadership"}]
    assert body["planned_start"] == "2026-06-24T10:00:00+08:00"  # the company's zone
    pk = body["id"]
    assert row(pk)["planned_start"] == at(2026, 6, 24)

    # Moving the start of a planned visit is a reschedule; a moment without an offset is read
    # in the company's time zone.
    response = writer_a.patch(detail_url(pk), {"planned_start": "2026-06-25T15:30:00"},
                              format="json")
    assert response.status_code == 200, response.content
    assert (row(pk)["planned_start"], row(pk)["reschedule_count"]) == (at(2026, 6, 25, 15, 30), 1)
    assert response.json()["reschedule_count"] == 1

    response = writer_a.patch(detail_url(pk), {"attendees": []}, format="json")
    assert response.status_code == 200 and response.json()["attendees"] == []
    assert response.json()["contacts"] == [leader.pk]  # not given: kept
    assert writer_a.get(detail_url(pk)).json()["objective"] == "高层拜访"
    assert writer_a.delete(detail_url(pk)).status_code == 204
    assert row(pk) is None and not VisitAttendee.unscoped_all_tenants.filter(visit_id=pk).exists()


def test_report_completes_the_visit_with_its_commitments(key_a, manager_a):
    world = visits_world(manager_a)
    visit = world.visits["due_report"]
    response = key_a.post(detail_url(visit.pk, "report"), {
        "summary": "方案获认可", "sentiment": "positive", "next_visit_on": "2026-07-01",
        "follow_ups": [{"title": "提交报价", "owner": manager_a.pk, "due_on": "2026-06-20"}],
    }, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["sentiment"]) == ("completed", "positive")
    assert list(FollowUp.unscoped_all_tenants.filter(visit=visit).values_list(
        "title", "owner_id", "due_on", "source")) == [
        ("提交报价", manager_a.pk, datetime.date(2026, 6, 20), "visit")]
    # Not twice.
    response = key_a.post(detail_url(visit.pk, "report"), {"summary": "again",
                                                           "sentiment": "neutral"}, format="json",
                          HTTP_ACCEPT_LANGUAGE="en")  # the messages in English (below)
    body = assert_validation_error(response, "non_field_errors")
    assert body["errors"]["non_field_errors"] == ["This visit has been reported already."]


def test_report_errors_are_flat_and_nothing_is_written(key_a, manager_a, manager2_a):
    world = visits_world(manager_a)
    visit = world.visits["due_report"]
    response = key_a.post(detail_url(visit.pk, "report"), {
        "summary": "", "sentiment": "positive",
        "follow_ups": [{"title": "ok", "owner": manager_a.pk, "due_on": "2026-06-20"},
                       {"title": "x", "owner": "7", "due_on": "soon", "colour": "red"}],
    }, format="json")
    body = assert_validation_error(response, "summary", "follow_ups.1.owner",
                                   "follow_ups.1.due_on", "follow_ups.1.colour")
    assert all(isinstance(v, list) and all(isinstance(m, str) for m in v)
               for v in body["errors"].values())
    # Shapes right, a rule wrong (manager2_a does not see the account): the service's error.
    response = key_a.post(detail_url(visit.pk, "report"), {
        "summary": "ok", "sentiment": "positive",
        "follow_ups": [{"title": "x", "owner": manager2_a.pk, "due_on": "2026-06-20"}],
    }, format="json")
    assert_validation_error(response, "follow_ups.0.owner")
    assert row(visit.pk)["status"] == "planned"
    assert not FollowUp.unscoped_all_tenants.filter(visit=visit).exists()


def test_cancel(key_a, manager_a):
    world = visits_world(manager_a)
    visit = world.visits["upcoming"]
    assert_validation_error(key_a.post(detail_url(visit.pk, "cancel"), {"reason": "  "},
                                       format="json"), "reason")
    response = key_a.post(detail_url(visit.pk, "cancel"), {"reason": "客户出差"}, format="json")
    assert response.status_code == 200, response.content
    assert (row(visit.pk)["status"], row(visit.pk)["cancel_reason"]) == ("cancelled", "客户出差")


@pytest.mark.parametrize(("overrides", "field"), [
    ({"level": "board"}, "level"),
    ({"planned_start": "tomorrow"}, "planned_start"),
    ({"planned_start": 20260624}, "planned_start"),
    ({"planned_start": "2040-01-01T10:00:00+08:00"}, "planned_start"),  # ten years at most
    ({"duration_minutes": 0}, "duration_minutes"),
    ({"duration_minutes": "60"}, "duration_minutes"),
    ({"attendees": ["1"]}, "attendees.0"),  # flat: the list's item
    ({"attendees": [1, 2**63]}, "attendees.1"),
    ({"contacts": "1"}, "contacts"),
    ({"status": "completed"}, "status"),  # read-only: its own endpoints
    ({"summary": "x"}, "summary"),
    ({"objective": ""}, "objective"),
    ({"colour": "red"}, "colour"),
])
def test_bad_input_is_400_and_saves_nothing(key_a, manager_a, overrides, field):
    account = make_account(manager_a.tenant, "Co", owner=manager_a)
    response = key_a.post(LIST_URL, payload(account, **overrides), format="json")
    assert_validation_error(response, field)
    assert not Visit.unscoped_all_tenants.exists()


def test_rules_are_the_services(key_a, manager_a, manager2_a, admin_b):
    world = visits_world(manager_a)
    other = visits_world(manager2_a, name="Other").contacts["leader"]
    response = key_a.post(LIST_URL, payload(world.account, owner=manager2_a.pk,
                                            attendees=[admin_b.pk], contacts=[other.pk]),
                          format="json", HTTP_ACCEPT_LANGUAGE="en")
    body = assert_validation_error(response, "owner", "attendees", "contacts")
    assert "can see this account" in body["errors"]["owner"][0]


@pytest.mark.parametrize("method", ["get", "patch", "put", "delete"])
def test_outsider_gets_404_and_changes_nothing(outsider, manager_a, admin_b, method):
    world = visits_world(manager_a)
    visit = world.visits["upcoming"]
    before = row(visit.pk)
    b_account = make_account(admin_b.tenant, "B Co", owner=admin_b)
    body = payload(b_account, objective="stolen") if method in ("patch", "put") else None
    response = getattr(outsider, method)(detail_url(visit.pk), body, format="json")
    assert response.status_code == 404, response.content
    assert "年度" not in response.content.decode()
    assert row(visit.pk) == before


@pytest.mark.parametrize("action", ["report", "cancel"])
def test_outsider_cannot_report_or_cancel(outsider, manager_a, action):
    world = visits_world(manager_a)
    visit = world.visits["due_report"]
    response = outsider.post(detail_url(visit.pk, action),
                             {"summary": "x", "sentiment": "neutral"} if action == "report"
                             else {"reason": "x"}, format="json")
    assert response.status_code == 404
    assert row(visit.pk)["status"] == "planned"


@pytest.mark.parametrize("query", ["", "?status=planned", "?level=leadership",
                                   "?external_id=X-1", "?start_after=2026-01-01",
                                   "?ordering=planned_start", "?search=回顾"])
def test_outsider_list_shows_none_of_tenant_as_rows(outsider, manager_a, admin_b, query):
    theirs = visits_world(manager_a)
    make_visit(theirs.account, manager_a, at(2026, 6, 20), external_id="X-1", level="leadership",
               objective="季度业务回顾")
    mine = make_visit(make_account(admin_b.tenant, "B Co", owner=admin_b), admin_b,
                      at(2026, 6, 20), external_id="X-1", level="leadership",
                      objective="季度业务回顾")
    assert ids_of(outsider.get(LIST_URL + query)) == [mine.pk]


def test_filters_by_the_companys_days(key_a, manager_a):
    world = visits_world(manager_a)
    response = key_a.get(LIST_URL, {"start_after": "2026-06-12", "start_before": "2026-06-18",
                                    "ordering": "planned_start"})
    assert ids_of(response) == [world.visits["due_report"].pk, world.visits["upcoming"].pk]
    assert ids_of(key_a.get(LIST_URL, {"status": "missed"})) == [world.visits["missed"].pk]
    assert_validation_error(key_a.get(LIST_URL, {"start_after": "12.6.2026"}), "start_after")
    assert_validation_error(key_a.get(LIST_URL, {"level": "board"}), "level")


def test_roles_executives_and_read_keys_read(api, exec_a, manager_a, manager2_a):
    world = visits_world(manager_a)
    login(api, exec_a)
    assert len(ids_of(api.get(LIST_URL))) == 5
    assert api.post(LIST_URL, payload(world.account), format="json").status_code == 403
    bearer(api, key_for(exec_a.tenant, ["read"], name="ro"))
    assert api.post(detail_url(world.visits["upcoming"].pk, "cancel"), {"reason": "x"},
                    format="json").status_code == 403
    # A manager not on the account sees none of its visits.
    login(api.__class__(), manager2_a)
    other = api.__class__()
    login(other, manager2_a)
    assert ids_of(other.get(LIST_URL)) == []
    assert other.get(detail_url(world.visits["upcoming"].pk)).status_code == 404


# --- bulk upsert ------------------------------------------------------------------------------


def bulk_row(account, external_id: str, **overrides) -> dict:
    return {"account": account.pk, "level": "business",
            "planned_start": "2026-06-22T10:00:00+08:00", "objective": "例行拜访",
            "external_id": external_id, **overrides}


def test_bulk_creates_updates_and_leaves_unchanged(key_a, manager_a, admin_a):
    world = visits_world(manager_a)
    leader = world.contacts["leader"]
    rows = [bulk_row(world.account, "B-1", contacts=[leader.pk], attendees=[admin_a.pk]),
            bulk_row(world.account, "B-2", channel="phone", duration_minutes=30)]
    response = key_a.post(BULK_URL, rows, format="json")
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0}, response.content
    first = Visit.unscoped_all_tenants.get(external_id="B-1")
    assert (first.owner_id, first.status, first.channel, first.duration_minutes) == (
        manager_a.pk, "planned", "on_site", 60)  # the account's owner; defaults
    assert list(VisitContact.unscoped_all_tenants.filter(visit=first).values_list(
        "contact_id", "level")) == [(leader.pk, "leadership")]
    assert list(VisitAttendee.unscoped_all_tenants.filter(visit=first).values_list(
        "membership_id", flat=True)) == [admin_a.pk]

    # Again, the same: unchanged. Then a new start (a reschedule) and fewer contacts.
    assert key_a.post(BULK_URL, rows, format="json").json() == {
        "created": 0, "updated": 0, "unchanged": 2}
    rows[0] = bulk_row(world.account, "B-1", planned_start="2026-06-23T10:00:00+08:00",
                       contacts=[])
    assert key_a.post(BULK_URL, rows, format="json").json() == {
        "created": 0, "updated": 1, "unchanged": 1}
    first = Visit.unscoped_all_tenants.get(external_id="B-1")
    assert (first.planned_start, first.reschedule_count) == (at(2026, 6, 23), 1)
    assert not VisitContact.unscoped_all_tenants.filter(visit=first).exists()
    assert VisitAttendee.unscoped_all_tenants.filter(visit=first).count() == 1  # not given: kept
    second = Visit.unscoped_all_tenants.get(external_id="B-2")
    assert (second.channel, second.duration_minutes) == ("phone", 30)  # left out: kept


def test_bulk_is_all_or_nothing_with_errors_per_row(key_a, manager_a, manager2_a):
    world = visits_world(manager_a)
    theirs = visits_world(manager2_a, name="Theirs")
    make_visit(theirs.account, manager2_a, at(2026, 6, 20), external_id="TAKEN")
    rows = [bulk_row(world.account, "OK-1"),
            bulk_row(world.account, "OK-1"),  # twice in one request
            bulk_row(world.account, "X", level="board", contacts=[theirs.contacts["leader"].pk]),
            "not an object",
            bulk_row(world.account, "Y", planned_start="2099-01-01T10:00:00+08:00")]
    response = key_a.post(BULK_URL, rows, format="json")
    assert response.status_code == 400
    errors = {e["index"]: e["errors"] for e in response.json()["errors"]}
    assert set(errors) == {1, 2, 3, 4}
    assert "external_id" in errors[1] and "level" in errors[2]
    assert "planned_start" in errors[4]
    assert not Visit.unscoped_all_tenants.filter(external_id__in=["OK-1", "X", "Y"]).exists()
    # A manager's key cannot take over a visit of an account it does not see: the write key sees
    # every account, a manager's session does not.
    other = key_a.__class__()
    login(other, manager_a)
    response = other.post(BULK_URL, [bulk_row(world.account, "TAKEN")], format="json")
    assert response.status_code == 400
    assert "external_id" in response.json()["errors"][0]["errors"]
    assert assert_validation_error is not None
    assert key_a.post(BULK_URL, {"a": 1}, format="json").status_code == 400


# --- cost ----------------------------------------------------------------------------------------


def test_list_costs_the_same_queries_at_any_page_size(api, manager_a, admin_a):
    bearer(api, key_for(manager_a.tenant, ["read"]))
    assert api.get(LIST_URL).status_code == 200  # the key's first use records last_used_at
    world = visits_world(manager_a)

    def queries(size: int) -> list[str]:
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(LIST_URL, {"page_size": size})
        assert len(response.json()["results"]) == size
        return [q["sql"] for q in ctx.captured_queries]

    small = queries(5)
    for i in range(45):
        visit = make_visit(world.account, manager_a, at(2026, 7, 1 + i % 28))
        with __import__("kam.tenancy", fromlist=["tenant_context"]).tenant_context(manager_a.tenant):
            VisitAttendee.objects.create(visit=visit, membership=admin_a)
            VisitContact.objects.create(visit=visit, contact=world.contacts["buyer"],
                                        level="business")
    big = queries(50)
    assert len(small) == len(big) == 4, (small, big)
    assert "kam_apikey" in small[0]  # 1. the key by prefix, with its tenant joined
    assert "visits_visit" in small[1]  # 2. the page: account and owner (with user) joined
    assert "visits_visitattendee" in small[2]  # 3. our attendees of the page's visits
    assert "visits_visitcontact" in small[3]  # 4. the customer's, each contact joined

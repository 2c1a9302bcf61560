"""Contracts (/api/v1/contracts/): tenancy, roles, keys, validation, renewals, cost."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.contracts.selectors import renewals_due
from accounts.models import Account, Contract
from kam import clock
from kam.models import Tenant
from kam.roles import Actor
from kam.tenancy import tenant_context
from tests.api_helpers import assert_validation_error, ids_of
from tests.conftest import LATE_UTC, bearer, key_for, login
from tests.factories import make_account

# Renewals are judged on the tenant's today: every test here runs on the frozen clock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

LIST_URL = "/api/v1/contracts/"
RENEWALS_URL = "/api/v1/contracts/renewals-due/"
D = datetime.date


def detail_url(pk: int) -> str:
    return f"/api/v1/contracts/{pk}/"


def make_contract(account: Account, number: str, **fields) -> Contract:
    values = {"title": f"Contract {number}", "start_date": D(2024, 1, 1),
              "end_date": D(2025, 1, 1), "value": Decimal("1000.00"), **fields}
    tenant = Tenant.objects.get(pk=account.tenant_id)
    with tenant_context(tenant):
        return Contract.objects.create(tenant=tenant, account=account, number=number, **values)


def row(pk: int) -> dict | None:
    """The contract as the database has it, read across tenants."""
    return Contract.unscoped_all_tenants.filter(pk=pk).values().first()


def total() -> int:
    return Contract.unscoped_all_tenants.count()


def payload(account: Account, /, **overrides) -> dict:
    return {"account": account.pk, "number": "HT-2025-001", "title": "框架协议",
            "start_date": "2025-01-01", "end_date": "2025-12-31", "value": "120000.00",
            "payment_terms_days": 45, "status": "active", "renewal_notice_days": 90,
            "notes": "年度框架", "external_id": "ERP-C-1", **overrides}


def test_router_names_the_endpoints():
    assert reverse("api:contract-list") == LIST_URL
    assert reverse("api:contract-detail", args=[7]) == detail_url(7)
    assert reverse("api:contract-renewals-due") == RENEWALS_URL


# --- happy path ---------------------------------------------------------------------------------


def test_create_list_retrieve_patch_put_delete(writer_a, admin_a):
    tenant = admin_a.tenant
    account = make_account(tenant, "苏州精工")
    data = payload(account)
    response = writer_a.post(LIST_URL, data, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    pk = body["id"]
    saved = row(pk)
    assert saved["tenant_id"] == tenant.pk
    assert saved["account_id"] == account.pk
    assert saved["start_date"] == D(2025, 1, 1) and saved["end_date"] == D(2025, 12, 31)
    assert saved["value"] == Decimal("120000.00")
    for field in ("number", "title", "payment_terms_days", "status", "renewal_notice_days",
                  "notes", "external_id"):
        assert saved[field] == data[field], field
        assert body[field] == data[field], field
    assert body["account_name"] == "苏州精工"

    assert ids_of(writer_a.get(LIST_URL)) == [pk]
    assert writer_a.get(detail_url(pk)).json()["number"] == "HT-2025-001"

    response = writer_a.patch(detail_url(pk), {"value": "99.50", "status": "expired"},
                              format="json")
    assert response.status_code == 200, response.content
    after = row(pk)
    assert (after["value"], after["status"]) == (Decimal("99.50"), "expired")
    assert after["title"] == "框架协议"

    response = writer_a.put(detail_url(pk), payload(account, number="HT-2", title="续签"),
                            format="json")
    assert response.status_code == 200, response.content
    assert (row(pk)["number"], row(pk)["title"]) == ("HT-2", "续签")

    assert writer_a.delete(detail_url(pk)).status_code == 204
    assert row(pk) is None
    assert writer_a.get(detail_url(pk)).status_code == 404


# --- outsiders ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "patch", "put", "delete"])
def test_outsider_gets_404_and_changes_nothing(outsider, admin_a, admin_b, method):
    account = make_account(admin_a.tenant, "Tenant A Secret Co")
    contract = make_contract(account, "A-SECRET-1", title="Tenant A Secret deal")
    b_account = make_account(admin_b.tenant, "B Co")
    before = row(contract.pk)
    if method in ("get", "delete"):
        response = getattr(outsider, method)(detail_url(contract.pk))
    else:
        response = getattr(outsider, method)(
            detail_url(contract.pk), payload(b_account, number="stolen", value="0"), format="json")
    assert response.status_code == 404, response.content
    assert set(response.json()) == {"message"}
    assert "Secret" not in response.content.decode()
    assert row(contract.pk) == before


@pytest.mark.parametrize("query", ["", "?number=N-1", "?external_id=X-1", "?search=Secret",
                                   "?status=active", "?renewal_due=true", "?ordering=end_date",
                                   "?page_size=500"])
def test_outsider_list_shows_none_of_tenant_as_rows(outsider, admin_a, admin_b, query):
    today = clock.today(admin_a.tenant)
    due = {"status": "active", "start_date": today - datetime.timedelta(days=300),
           "end_date": today + datetime.timedelta(days=10), "external_id": "X-1",
           "title": "Secret renewal"}
    theirs = [make_contract(make_account(admin_a.tenant, "A Co"), "N-1", **due)]
    mine = make_contract(make_account(admin_b.tenant, "B Co"), "N-1", **due)
    ids = ids_of(outsider.get(LIST_URL + query))
    assert ids == [mine.pk]  # the same filter finds tenant B's own row, and only it
    assert not set(ids) & {c.pk for c in theirs}


def test_outsider_sees_no_renewals_of_another_tenant(outsider, admin_a, admin_b):
    today = clock.today(admin_a.tenant)
    due = {"status": "active", "start_date": today - datetime.timedelta(days=300),
           "end_date": today + datetime.timedelta(days=5)}
    theirs = make_contract(make_account(admin_a.tenant, "A Co"), "R-1", **due)
    mine = make_contract(make_account(admin_b.tenant, "B Co"), "R-1", **due)
    response = outsider.get(RENEWALS_URL)
    assert ids_of(response) == [mine.pk]
    assert theirs.pk not in ids_of(response)


def test_another_tenants_account_is_rejected(writer_a, admin_a, admin_b):
    foreign = make_account(admin_b.tenant, "Pacific Holdings")
    count = total()
    response = writer_a.post(LIST_URL, payload(foreign), format="json")
    assert_validation_error(response, "account")
    assert total() == count

    contract = make_contract(make_account(admin_a.tenant, "A Co"), "A-1")
    before = row(contract.pk)
    response = writer_a.patch(detail_url(contract.pk), {"account": foreign.pk, "title": "moved"},
                              format="json")
    assert_validation_error(response, "account")
    assert row(contract.pk) == before


# --- roles --------------------------------------------------------------------------------------


def test_executive_reads_but_writes_nothing(api, exec_a, manager_a):
    account = make_account(exec_a.tenant, "A Co", owner=manager_a)
    contract = make_contract(account, "E-1")
    login(api, exec_a)
    assert ids_of(api.get(LIST_URL)) == [contract.pk]
    count = total()
    before = row(contract.pk)
    for response in (
        api.post(LIST_URL, payload(account), format="json"),
        api.patch(detail_url(contract.pk), {"title": "X"}, format="json"),
        api.put(detail_url(contract.pk), payload(account), format="json"),
        api.delete(detail_url(contract.pk)),
    ):
        assert response.status_code == 403, response.content
        assert set(response.json()) == {"message"}
    assert total() == count
    assert row(contract.pk) == before


def test_manager_sees_only_contracts_of_own_accounts(api, manager_a, manager2_a):
    tenant = manager_a.tenant
    own = make_account(tenant, "Mine", owner=manager_a)
    colleagues = make_account(tenant, "Colleague's", owner=manager2_a)
    mine = make_contract(own, "M-1", status="active", end_date=D(2099, 1, 1))
    theirs = make_contract(colleagues, "M-2", status="active", end_date=D(2099, 1, 1))
    login(api, manager_a)
    assert ids_of(api.get(LIST_URL)) == [mine.pk]
    assert api.get(detail_url(mine.pk)).status_code == 200
    before = row(theirs.pk)
    assert api.get(detail_url(theirs.pk)).status_code == 404
    assert api.patch(detail_url(theirs.pk), {"title": "X"}, format="json").status_code == 404
    assert api.delete(detail_url(theirs.pk)).status_code == 404
    assert row(theirs.pk) == before
    with tenant_context(tenant):
        due = list(renewals_due(actor=Actor(tenant=tenant, membership=manager_a),
                                today=D(2098, 12, 1)))
    assert [c.pk for c in due] == [mine.pk]

    # A manager can write contracts of their own account, not of a colleague's.
    count = total()
    response = api.post(LIST_URL, payload(colleagues), format="json")
    assert_validation_error(response, "account")
    assert total() == count
    response = api.patch(detail_url(mine.pk), {"account": colleagues.pk}, format="json")
    assert_validation_error(response, "account")
    assert row(mine.pk)["account_id"] == own.pk
    response = api.post(LIST_URL, payload(own), format="json")
    assert response.status_code == 201, response.content


def test_read_only_key_reads_but_cannot_write(api, tenant_a):
    account = make_account(tenant_a, "Readable Co")
    contract = make_contract(account, "K-1")
    bearer(api, key_for(tenant_a, ["read"]))
    assert ids_of(api.get(LIST_URL)) == [contract.pk]
    count = total()
    before = row(contract.pk)
    for response in (
        api.post(LIST_URL, payload(account), format="json"),
        api.patch(detail_url(contract.pk), {"title": "X"}, format="json"),
        api.put(detail_url(contract.pk), payload(account), format="json"),
        api.delete(detail_url(contract.pk)),
    ):
        assert response.status_code == 403, response.content
    assert total() == count
    assert row(contract.pk) == before


# --- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("overrides,field", [
    pytest.param({"start_date": "2025-06-01", "end_date": "2025-05-31"}, "end_date",
                 id="end-before-start"),
    pytest.param({"start_date": "2025-06-01", "end_date": "2025-06-01"}, "end_date",
                 id="equal-dates"),
    pytest.param({"value": "-0.01"}, "value", id="negative-value"),
    pytest.param({"status": "zombie"}, "status", id="unknown-status"),
    pytest.param({"start_date": "2025-13-01"}, "start_date", id="month-13"),
    pytest.param({"end_date": "31/12/2025"}, "end_date", id="dmy-date"),
    pytest.param({"start_date": "2025-02-30"}, "start_date", id="feb-30"),
    pytest.param({"end_date": "not a date"}, "end_date", id="text-date"),
    pytest.param({"account": 999999999}, "account", id="unknown-account"),
    pytest.param({"number": ""}, "number", id="blank-number"),
])
def test_invalid_create_is_400_and_saves_nothing(key_a, tenant_a, overrides, field):
    account = make_account(tenant_a, "Co")
    response = key_a.post(LIST_URL, payload(account, **overrides), format="json")
    assert_validation_error(response, field)
    assert total() == 0


@pytest.mark.parametrize("overrides,field", [
    pytest.param({"end_date": "2024-01-01"}, "end_date", id="end-equals-start"),
    pytest.param({"start_date": "2026-01-01"}, "end_date", id="start-after-end"),
    pytest.param({"value": "-5"}, "value", id="negative-value"),
    pytest.param({"status": "zombie"}, "status", id="unknown-status"),
])
def test_invalid_patch_is_400_and_changes_nothing(key_a, tenant_a, overrides, field):
    contract = make_contract(make_account(tenant_a, "Co"), "P-1")  # 2024-01-01 .. 2025-01-01
    before = row(contract.pk)
    response = key_a.patch(detail_url(contract.pk), overrides, format="json")
    assert_validation_error(response, field)
    assert row(contract.pk) == before


def test_number_is_unique_per_tenant_only(key_a, tenant_a, tenant_b):
    account = make_account(tenant_a, "Co")
    existing = make_contract(account, "HT-1", external_id="EXT-1")
    make_contract(make_account(tenant_b, "B Co"), "HT-2", external_id="EXT-2")

    response = key_a.post(LIST_URL, payload(account, number="HT-1", external_id=""),
                          format="json")
    assert_validation_error(response, "number")
    response = key_a.post(LIST_URL, payload(account, number=" HT-1 ", external_id=""),
                          format="json")
    assert_validation_error(response, "number")
    response = key_a.post(LIST_URL, payload(account, number="HT-9", external_id="EXT-1"),
                          format="json")
    assert_validation_error(response, "external_id")
    assert total() == 2

    other = make_contract(account, "HT-3")
    before = row(other.pk)
    assert_validation_error(key_a.patch(detail_url(other.pk), {"number": "HT-1"}, format="json"),
                            "number")
    assert row(other.pk) == before
    # Saving a contract under its own number is not a duplicate.
    assert key_a.patch(detail_url(existing.pk), {"number": "HT-1", "title": "t"},
                       format="json").status_code == 200

    # Tenant B's number and external id are free in tenant A.
    response = key_a.post(LIST_URL, payload(account, number="HT-2", external_id="EXT-2"),
                          format="json")
    assert response.status_code == 201, response.content
    assert row(response.json()["id"])["tenant_id"] == tenant_a.pk


def test_unknown_filter_values_are_400(key_a, tenant_a, tenant_b):
    make_contract(make_account(tenant_a, "Co"), "F-1")
    b_account = make_account(tenant_b, "B Co")
    assert_validation_error(key_a.get(LIST_URL, {"status": "zombie"}), "status")
    assert_validation_error(key_a.get(LIST_URL, {"account": "abc"}), "account")
    assert_validation_error(key_a.get(LIST_URL, {"account": b_account.pk}), "account")


def test_filters_narrow_the_list(key_a, tenant_a):
    today = clock.today(tenant_a)
    a1, a2 = make_account(tenant_a, "A1"), make_account(tenant_a, "A2")
    due = make_contract(a1, "F-1", title="维保合同", status="active", external_id="E-1",
                        start_date=today - datetime.timedelta(days=300),
                        end_date=today + datetime.timedelta(days=30))
    later = make_contract(a2, "F-2", title="Supply", status="active", external_id="E-2",
                          start_date=today, end_date=today + datetime.timedelta(days=400))
    for query in ({"account": a1.pk}, {"external_id": "E-1"}, {"number": "F-1"},
                  {"search": "维保"}, {"renewal_due": "true"}):
        assert ids_of(key_a.get(LIST_URL, query)) == [due.pk], query
    assert ids_of(key_a.get(LIST_URL, {"renewal_due": "false"})) == [later.pk]
    assert ids_of(key_a.get(LIST_URL, {"status": "draft"})) == []
    assert ids_of(key_a.get(RENEWALS_URL)) == [due.pk]


# --- renewals -----------------------------------------------------------------------------------


def test_renewals_due_with_a_fixed_today(admin_a):
    tenant = admin_a.tenant
    account = make_account(tenant, "Co")
    today = D(2025, 6, 15)
    start = D(2024, 1, 1)

    def c(number: str, end: D, status: str = "active", notice: int = 30) -> Contract:
        return make_contract(account, number, start_date=start, end_date=end, status=status,
                             renewal_notice_days=notice)

    boundary = c("boundary", today + datetime.timedelta(days=30))  # notice starts exactly today
    inside = c("inside", D(2025, 6, 20))
    ends_today = c("ends-today", today)  # last day, not yet past
    long_notice = c("long-notice", D(2025, 9, 1), notice=90)  # window opened 2025-06-03
    c("outside", today + datetime.timedelta(days=31))  # window opens tomorrow
    c("ended", today - datetime.timedelta(days=1))
    c("draft", D(2025, 6, 20), status="draft")
    c("expired", D(2025, 6, 20), status="expired")
    c("terminated", D(2025, 6, 20), status="terminated")
    c("short-notice", D(2025, 7, 1), notice=10)  # window opens 2025-06-21

    with tenant_context(tenant):
        actor = Actor(tenant=tenant, membership=admin_a)
        with CaptureQueriesContext(connection) as ctx:
            due = list(renewals_due(actor=actor, today=today))
        assert len(ctx.captured_queries) == 1  # one query, account joined
        assert [x.account.name for x in due] == ["Co"] * 4
        assert [x.pk for x in due] == [ends_today.pk, inside.pk, boundary.pk, long_notice.pk]
        # A day later the boundary contract is still due, the ended-today one is not.
        later = [x.number for x in renewals_due(actor=actor, today=today + datetime.timedelta(1))]
        assert later == ["inside", "boundary", "outside", "long-notice"]


@pytest.mark.clock(LATE_UTC)
def test_renewals_due_uses_the_tenants_today(api, admin_a, tenant_zone, frozen_clock):
    """A contract whose last day is 15 June, at 23:30 UTC that day: in Los Angeles it is still
    the 15th (due: its last day), in Shanghai and Kolkata already the 16th (ended, not due) —
    in the service, the API's list and its filter alike."""
    tenant = admin_a.tenant
    contract = make_contract(make_account(tenant, "Co"), "TZ-1", status="active",
                             start_date=D(2025, 6, 16), end_date=D(2026, 6, 15),
                             renewal_notice_days=30)
    due = [contract.pk] if tenant_zone == "America/Los_Angeles" else []
    with tenant_context(tenant):
        assert [c.pk for c in renewals_due(actor=Actor(tenant=tenant, membership=admin_a))] == due
    bearer(api, key_for(tenant, ["read"]))
    assert ids_of(api.get(RENEWALS_URL)) == due
    assert ids_of(api.get(LIST_URL, {"renewal_due": "true"})) == due
    assert ids_of(api.get(LIST_URL, {"renewal_due": "false"})) == [
        pk for pk in [contract.pk] if pk not in due]


# --- cost ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [LIST_URL, RENEWALS_URL])
def test_list_costs_the_same_queries_at_any_page_size(api, tenant_a, url):
    bearer(api, key_for(tenant_a, ["read"]))
    # Warm up: the key's first use records last_used_at (then not again for a minute).
    assert api.get(url).status_code == 200
    today = clock.today(tenant_a)
    accounts = [make_account(tenant_a, f"Account {i}") for i in range(3)]

    def add(n: int, offset: int) -> None:
        for i in range(offset, offset + n):
            make_contract(accounts[i % 3], f"Q-{i}", status="active",
                          start_date=today - datetime.timedelta(days=100),
                          end_date=today + datetime.timedelta(days=1 + i % 20))

    def queries(size: int) -> list[str]:
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(url, {"page_size": size})
        results = response.json()["results"]
        assert len(results) == size
        assert {r["account_name"] for r in results} == {a.name for a in accounts}
        return [q["sql"] for q in ctx.captured_queries]

    add(5, 0)
    small = queries(5)
    add(45, 5)
    big = queries(50)
    assert len(small) == len(big) == 2, (small, big)
    assert "kam_apikey" in small[0]  # 1. the key by prefix, with its tenant joined
    assert "accounts_contract" in small[1]  # 2. the page, its account joined for account_name
    assert 'INNER JOIN "accounts_account"' in small[1]
    assert not any(sql.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE")) for sql in big)


def test_manager_list_is_one_query_after_the_session(api, manager_a, manager2_a):
    tenant = manager_a.tenant
    own, other = make_account(tenant, "Own", owner=manager_a), make_account(tenant, "Other",
                                                                             owner=manager2_a)
    for i in range(5):
        make_contract(own, f"O-{i}")
        make_contract(other, f"X-{i}")
    login(api, manager_a)
    # Warm up: the first request stores the chosen tenant in the session (a write, once).
    assert api.get(LIST_URL).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(LIST_URL)
    assert len(ids_of(response)) == 5
    sqls = [q["sql"] for q in ctx.captured_queries]
    assert len(sqls) == 4, "\n".join(s[:150] for s in sqls)
    assert "django_session" in sqls[0]  # 1. the session
    assert "auth_user" in sqls[1]  # 2. the user
    assert "kam_membership" in sqls[2]  # 3. the user's active memberships (tenant joined)
    assert "accounts_contract" in sqls[3]  # 4. the page, visibility as a subquery

"""The contacts API (/api/v1/contacts/): tenancy, roles, keys, validation, cost."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account, Contact
from kam import clock
from kam.models import Tenant
from kam.tenancy import tenant_context
from tests.api_helpers import assert_validation_error, ids_of
from tests.conftest import LATE_UTC, bearer, key_for, login
from tests.factories import make_account

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/contacts/"


def detail_url(pk: int) -> str:
    return f"/api/v1/contacts/{pk}/"


def make_contact(account: Account, name: str, **fields) -> Contact:
    with tenant_context(account.tenant):
        return Contact.objects.create(tenant=account.tenant, account=account, name=name, **fields)


def row(pk: int) -> dict | None:
    return Contact.unscoped_all_tenants.filter(pk=pk).values().first()


def total() -> int:
    return Contact.unscoped_all_tenants.count()


def test_router_names_the_endpoint():
    assert reverse("api:contact-list") == LIST_URL
    assert reverse("api:contact-detail", args=[3]) == detail_url(3)


# --- happy path ---------------------------------------------------------------------------------


def test_create_list_retrieve_patch_delete(writer_a, admin_a):
    account = make_account(admin_a.tenant, "苏州精工")
    payload = {
        "account": account.pk, "name": "王建国", "title": "采购总监", "department": "采购部",
        "level": "leadership", "buying_role": "decision_maker", "relationship_strength": 4,
        "phone": "+86 138 0013 8000", "email": "wang@jinggong.cn", "wechat_id": "wjg88",
        "birthday": "1975-08-15", "birthday_is_lunar": True, "notes": "喜欢喝茶",
        "external_id": "C-1",
    }
    response = writer_a.post(LIST_URL, payload, format="json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    saved = row(pk)
    assert saved["tenant_id"] == admin_a.tenant_id
    assert saved["account_id"] == account.pk
    assert saved["birthday"] == datetime.date(1975, 8, 15)
    for field in ("name", "title", "level", "buying_role", "relationship_strength", "phone",
                  "email", "wechat_id", "birthday_is_lunar", "external_id"):
        assert saved[field] == payload[field], field
    assert response.json()["account_name"] == "苏州精工"

    assert ids_of(writer_a.get(LIST_URL)) == [pk]
    assert writer_a.get(detail_url(pk)).json()["name"] == "王建国"

    response = writer_a.patch(detail_url(pk), {"title": "副总经理"}, format="json")
    assert response.status_code == 200, response.content
    assert row(pk)["title"] == "副总经理"
    assert row(pk)["email"] == "wang@jinggong.cn"

    assert writer_a.delete(detail_url(pk)).status_code == 204
    assert row(pk) is None
    assert Account.unscoped_all_tenants.filter(pk=account.pk).exists()


def test_filters_and_search_narrow_the_list(key_a, tenant_a):
    one = make_account(tenant_a, "One")
    two = make_account(tenant_a, "Two")
    target = make_contact(one, "Li Wei", level="technical", buying_role="influencer",
                          is_active=False, left_on=datetime.date(2024, 1, 1), external_id="X-1")
    make_contact(one, "Zhang San", level="leadership", buying_role="champion")
    make_contact(two, "Chen Jing", level="technical", buying_role="influencer")
    for query in ({"account": one.pk, "level": "technical"}, {"buying_role": "influencer",
                  "account": one.pk}, {"is_active": "false"}, {"external_id": "X-1"},
                  {"search": "li w"}):
        assert ids_of(key_a.get(LIST_URL, query)) == [target.pk], query
    assert len(ids_of(key_a.get(LIST_URL, {"account": two.pk}))) == 1


# --- outsiders ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "patch", "put", "delete"])
def test_outsider_gets_404_and_changes_nothing(outsider, admin_a, admin_b, method):
    account = make_account(admin_a.tenant, "Tenant A Secret Co")
    contact = make_contact(account, "Secret Person", email="secret@a.cn", external_id="A-1")
    b_account = make_account(admin_b.tenant, "B Co")
    before = row(contact.pk)
    if method in ("get", "delete"):
        response = getattr(outsider, method)(detail_url(contact.pk))
    else:
        response = getattr(outsider, method)(
            detail_url(contact.pk), {"account": b_account.pk, "name": "stolen"}, format="json")
    assert response.status_code == 404, response.content
    assert "Secret" not in response.content.decode()
    assert row(contact.pk) == before


@pytest.mark.parametrize("query", ["", "?external_id=A-1", "?search=Secret", "?is_active=true"])
def test_outsider_list_shows_none_of_tenant_as_rows(outsider, admin_a, admin_b, query):
    a_account = make_account(admin_a.tenant, "A Co")
    theirs = [make_contact(a_account, f"Secret {i}", external_id=f"A-{i}") for i in range(1, 3)]
    mine = make_contact(make_account(admin_b.tenant, "B Co"), "Secret B", external_id="A-1")
    ids = ids_of(outsider.get(LIST_URL + query))
    assert not set(ids) & {c.pk for c in theirs}
    assert ids == [mine.pk]


def test_account_of_another_tenant_is_rejected(writer_a, admin_a, admin_b):
    foreign = make_account(admin_b.tenant, "Pacific Holdings")
    count = total()
    response = writer_a.post(LIST_URL, {"account": foreign.pk, "name": "Leak"}, format="json")
    assert_validation_error(response, "account")
    assert total() == count

    contact = make_contact(make_account(admin_a.tenant, "Mine"), "Stays")
    before = row(contact.pk)
    response = writer_a.patch(detail_url(contact.pk), {"account": foreign.pk}, format="json")
    assert_validation_error(response, "account")
    assert row(contact.pk) == before


def test_filter_by_another_tenants_account_is_400(key_a, admin_b):
    foreign = make_account(admin_b.tenant, "B Co")
    assert_validation_error(key_a.get(LIST_URL, {"account": foreign.pk}), "account")


# --- roles --------------------------------------------------------------------------------------


def test_executive_reads_but_cannot_write(api, exec_a, manager_a):
    account = make_account(exec_a.tenant, "Seen Co", owner=manager_a)
    contact = make_contact(account, "Seen Person")
    before = row(contact.pk)
    login(api, exec_a)
    assert ids_of(api.get(LIST_URL)) == [contact.pk]
    count = total()
    assert api.post(LIST_URL, {"account": account.pk, "name": "New"}, format="json").status_code == 403
    assert api.patch(detail_url(contact.pk), {"name": "x"}, format="json").status_code == 403
    assert api.delete(detail_url(contact.pk)).status_code == 403
    assert total() == count
    assert row(contact.pk) == before


def test_read_only_key_cannot_write(api, tenant_a):
    account = make_account(tenant_a, "Co")
    contact = make_contact(account, "Person")
    before = row(contact.pk)
    bearer(api, key_for(tenant_a, ["read"]))
    assert ids_of(api.get(LIST_URL)) == [contact.pk]
    assert api.post(LIST_URL, {"account": account.pk, "name": "New"}, format="json").status_code == 403
    assert api.patch(detail_url(contact.pk), {"name": "x"}, format="json").status_code == 403
    assert api.delete(detail_url(contact.pk)).status_code == 403
    assert total() == 1
    assert row(contact.pk) == before


def test_manager_sees_and_edits_only_their_accounts_contacts(api, manager_a, manager2_a):
    tenant = manager_a.tenant
    mine = make_account(tenant, "Mine", owner=manager_a)
    theirs = make_account(tenant, "Theirs", owner=manager2_a)
    own_contact = make_contact(mine, "Own")
    other_contact = make_contact(theirs, "Other")
    before = row(other_contact.pk)
    login(api, manager_a)
    assert ids_of(api.get(LIST_URL)) == [own_contact.pk]
    for method in ("get", "patch", "delete"):
        data = None if method == "get" else {"name": "x"}  # a GET's data is its query string
        response = getattr(api, method)(detail_url(other_contact.pk), data, format="json")
        assert response.status_code == 404, method
    assert row(other_contact.pk) == before
    # Not on a colleague's account, and not moving one's own contact there.
    count = total()
    response = api.post(LIST_URL, {"account": theirs.pk, "name": "Sneaky"}, format="json")
    assert_validation_error(response, "account")
    assert total() == count
    response = api.patch(detail_url(own_contact.pk), {"account": theirs.pk}, format="json")
    assert_validation_error(response, "account")
    assert row(own_contact.pk)["account_id"] == mine.pk
    # Their own account is fine.
    response = api.post(LIST_URL, {"account": mine.pk, "name": "Fine"}, format="json")
    assert response.status_code == 201, response.content


# --- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("changes,field", [
    pytest.param({"phone": "call me maybe"}, "phone", id="phone-words"),
    pytest.param({"phone": "12"}, "phone", id="phone-short"),
    pytest.param({"email": "not-an-email"}, "email", id="email-bad"),
    pytest.param({"relationship_strength": 0}, "relationship_strength", id="strength-0"),
    pytest.param({"relationship_strength": 6}, "relationship_strength", id="strength-6"),
    pytest.param({"level": "janitor"}, "level", id="level-unknown"),
    pytest.param({"buying_role": "boss"}, "buying_role", id="buying-role-unknown"),
    pytest.param({"name": ""}, "name", id="name-empty"),
    pytest.param({"account": 10**12}, "account", id="account-missing"),
])
def test_invalid_create_is_400_and_writes_nothing(key_a, tenant_a, changes, field):
    account = make_account(tenant_a, "Co")
    response = key_a.post(LIST_URL, {"account": account.pk, "name": "Valid", **changes},
                          format="json")
    assert_validation_error(response, field)
    assert total() == 0


def test_valid_phone_numbers_are_accepted(key_a, tenant_a):
    account = make_account(tenant_a, "Co")
    for i, phone in enumerate(("138 0013 8000", "+86 21 5888 0000", "021-5888-0000")):
        response = key_a.post(LIST_URL, {"account": account.pk, "name": f"P{i}", "phone": phone},
                              format="json")
        assert response.status_code == 201, response.content


def test_duplicate_email_rejected_in_the_same_account_but_allowed_in_another(key_a, tenant_a):
    one = make_account(tenant_a, "One")
    two = make_account(tenant_a, "Two")
    make_contact(one, "First", email="li@example.com")
    other = make_contact(one, "Other", email="other@example.com")
    for email in ("li@example.com", " LI@example.com "):
        response = key_a.post(LIST_URL, {"account": one.pk, "name": "Second", "email": email},
                              format="json")
        assert_validation_error(response, "email")
    assert total() == 2
    before = row(other.pk)
    assert_validation_error(key_a.patch(detail_url(other.pk), {"email": "li@example.com"},
                                        format="json"), "email")
    assert row(other.pk) == before
    response = key_a.post(LIST_URL, {"account": two.pk, "name": "Second", "email": "li@example.com"},
                          format="json")
    assert response.status_code == 201, response.content
    # Blank emails never collide.
    for name in ("Blank 1", "Blank 2"):
        assert key_a.post(LIST_URL, {"account": one.pk, "name": name},
                          format="json").status_code == 201


def test_duplicate_external_id_rejected_per_tenant(api, tenant_a, tenant_b):
    one = make_account(tenant_a, "One")
    two = make_account(tenant_a, "Two")
    make_contact(one, "First", external_id="C-1")
    bearer(api, key_for(tenant_a, ["write"]))
    response = api.post(LIST_URL, {"account": two.pk, "name": "Second", "external_id": " C-1 "},
                        format="json")
    assert_validation_error(response, "external_id")
    assert total() == 1
    bearer(api, key_for(tenant_b, ["write"]))
    b_account = make_account(tenant_b, "B")
    response = api.post(LIST_URL, {"account": b_account.pk, "name": "B", "external_id": "C-1"},
                        format="json")
    assert response.status_code == 201, response.content


def _today_in(tenant: Tenant) -> datetime.date:
    return clock.today(tenant)


@pytest.mark.clock(LATE_UTC)
def test_inactive_contact_without_left_on_gets_today(key_a, tenant_a, tenant_zone, frozen_clock):
    # 23:30 UTC on 15 June: "left today" is the 16th in Shanghai and Kolkata, the 15th in LA.
    assert _today_in(tenant_a) == (datetime.date(2026, 6, 15) if tenant_zone == "America/Los_Angeles"
                                   else datetime.date(2026, 6, 16))
    account = make_account(tenant_a, "Co")
    response = key_a.post(LIST_URL, {"account": account.pk, "name": "Gone", "is_active": False},
                          format="json")
    assert response.status_code == 201, response.content
    assert row(response.json()["id"])["left_on"] == _today_in(tenant_a)

    contact = make_contact(account, "Leaving")
    response = key_a.patch(detail_url(contact.pk), {"is_active": False}, format="json")
    assert response.status_code == 200, response.content
    assert row(contact.pk)["left_on"] == _today_in(tenant_a)
    assert response.json()["left_on"] == _today_in(tenant_a).isoformat()

    # A given date is kept.
    response = key_a.post(LIST_URL, {"account": account.pk, "name": "Left", "is_active": False,
                                     "left_on": "2023-03-01"}, format="json")
    assert response.status_code == 201, response.content
    assert row(response.json()["id"])["left_on"] == datetime.date(2023, 3, 1)


# --- cost ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("auth", ["key", "manager-session"])
def test_list_costs_the_same_queries_at_any_page_size(api, manager_a, auth):
    tenant = manager_a.tenant
    if auth == "key":
        bearer(api, key_for(tenant, ["read"]))
    else:
        login(api, manager_a)
    assert api.get(LIST_URL).status_code == 200  # warm-up: the key records its first use

    accounts = [make_account(tenant, f"Account {i}", owner=manager_a) for i in range(5)]

    def list_queries(size: int) -> list[str]:
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(LIST_URL, {"page_size": size})
        assert response.status_code == 200
        results = response.json()["results"]
        assert len(results) == size
        assert all(r["account_name"].startswith("Account ") for r in results)
        return [q["sql"] for q in ctx.captured_queries]

    for i in range(5):
        make_contact(accounts[i % 5], f"Small {i}")
    small = list_queries(5)
    for i in range(45):
        make_contact(accounts[i % 5], f"Big {i}")
    big = list_queries(50)

    assert len(small) == len(big), (small, big)
    if auth == "key":
        assert len(small) == 2, small
        assert "kam_apikey" in small[0]  # 1. the key by prefix, with its tenant joined
        assert "accounts_contact" in small[1]  # 2. the page, account joined
    else:
        assert len(small) == 4, small
        assert "django_session" in small[0]  # 1. the session
        assert "auth_user" in small[1]  # 2. the user
        assert "kam_membership" in small[2]  # 3. the user's active memberships (tenant joined)
        assert "accounts_contact" in small[3]  # 4. the page: visibility is an EXISTS, account joined
        assert "EXISTS" in small[3].upper()
    assert not any(sql.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE")) for sql in small)

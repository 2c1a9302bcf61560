"""The accounts REST API (/api/v1/accounts/): tenancy, roles, keys, validation, paging, cost, docs."""

from __future__ import annotations

import json
import math
import re

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account
from kam.models import ApiKey, Membership, Tenant
from kam.services import api_key_revoke
from kam.tenancy import tenant_context
from tests.api_helpers import assert_validation_error, ids_of
from tests.conftest import bearer, key_for, login

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/accounts/"
VALID_USCC = "91350100M000100Y43"
OTHER_VALID_USCC = "91310000MA1FL0000N"


def detail_url(pk: int) -> str:
    return f"/api/v1/accounts/{pk}/"


def make(tenant: Tenant, name: str, **fields) -> Account:
    with tenant_context(tenant):
        return Account.objects.create(tenant=tenant, name=name, **fields)


def row(pk: int) -> dict | None:
    """The account as the database has it, read across tenants."""
    return Account.unscoped_all_tenants.filter(pk=pk).values().first()


def total() -> int:
    return Account.unscoped_all_tenants.count()


# --- clients ------------------------------------------------------------------------------------


def test_router_names_the_endpoint():
    assert reverse("api:account-list") == LIST_URL
    assert reverse("api:account-detail", args=[7]) == detail_url(7)


# --- happy paths --------------------------------------------------------------------------------


def test_create_list_retrieve_patch_put_delete(writer_a, admin_a, manager_a, admin_b):
    tenant = admin_a.tenant
    group = make(tenant, "华东集团")
    make(admin_b.tenant, "Someone else's account")
    payload = {
        "name": "苏州精工机械有限公司", "short_name": "苏州精工",
        "unified_social_credit_code": VALID_USCC.lower(), "industry": "machinery",
        "province": "江苏", "city": "苏州", "employee_count": 1200,
        "annual_revenue_band": "100m-1b", "business_scope": "数控机床", "development_stage": "growth",
        "parent": group.pk, "owner": manager_a.pk, "lifecycle_status": "prospect",
        "strategic_value": 5, "credit_rating": "B", "notes": "首次拜访", "external_id": "ERP-001",
    }
    response = writer_a.post(LIST_URL, payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    pk = body["id"]
    saved = row(pk)
    assert saved["tenant_id"] == tenant.pk
    assert saved["unified_social_credit_code"] == VALID_USCC  # stored upper-case
    for field in ("name", "short_name", "industry", "province", "city", "employee_count",
                  "annual_revenue_band", "business_scope", "development_stage", "lifecycle_status",
                  "strategic_value", "credit_rating", "notes", "external_id"):
        assert saved[field] == payload[field], field
        assert body[field] == payload[field], field
    assert saved["owner_id"] == manager_a.pk
    assert saved["parent_id"] == group.pk
    assert body["owner_name"] == "manager_a"
    assert body["parent_name"] == "华东集团"

    assert sorted(ids_of(writer_a.get(LIST_URL))) == sorted([pk, group.pk])

    response = writer_a.get(detail_url(pk))
    assert response.status_code == 200
    assert response.json()["name"] == payload["name"]
    assert response.json()["unified_social_credit_code"] == VALID_USCC

    response = writer_a.patch(detail_url(pk), {"city": "无锡", "strategic_value": 2}, format="json")
    assert response.status_code == 200, response.content
    after_patch = row(pk)
    assert (after_patch["city"], after_patch["strategic_value"]) == ("无锡", 2)
    assert after_patch["name"] == payload["name"]  # untouched fields stay
    assert after_patch["owner_id"] == manager_a.pk

    response = writer_a.put(detail_url(pk), {"name": "苏州精工集团", "lifecycle_status": "active",
                                              "owner": None, "parent": None}, format="json")
    assert response.status_code == 200, response.content
    after_put = row(pk)
    assert after_put["name"] == "苏州精工集团"
    assert after_put["lifecycle_status"] == "active"
    assert after_put["owner_id"] is None
    assert after_put["parent_id"] is None

    response = writer_a.delete(detail_url(pk))
    assert response.status_code == 204
    assert row(pk) is None
    assert row(group.pk) is not None
    assert writer_a.get(detail_url(pk)).status_code == 404


# --- outsiders ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "patch", "put", "delete"])
def test_outsider_gets_404_and_changes_nothing(outsider, admin_a, manager_a, method):
    account = make(admin_a.tenant, "Tenant A Secret Co", owner=manager_a, external_id="A-1",
                   unified_social_credit_code=VALID_USCC)
    before = row(account.pk)
    if method in ("get", "delete"):
        response = getattr(outsider, method)(detail_url(account.pk))
    else:
        response = getattr(outsider, method)(
            detail_url(account.pk),
            {"name": "stolen", "strategic_value": 1, "lifecycle_status": "churned", "owner": None},
            format="json",
        )
    assert response.status_code == 404, response.content
    assert set(response.json()) == {"message"}
    assert "Tenant A Secret" not in response.content.decode()
    assert row(account.pk) == before  # still there, every field unchanged


@pytest.mark.parametrize("query", ["", "?external_id=A-1", "?q=Secret", "?search=Secret",
                                   "?ordering=name", "?page_size=500"])
def test_outsider_list_shows_none_of_tenant_as_rows(outsider, admin_a, admin_b, query):
    mine = make(admin_b.tenant, "Tenant B Secret Co", external_id="A-1")
    theirs = [make(admin_a.tenant, f"Tenant A Secret {i}", external_id=f"A-{i}") for i in range(1, 4)]
    response = outsider.get(LIST_URL + query)
    ids = ids_of(response)
    assert not set(ids) & {a.pk for a in theirs}
    assert ids == [mine.pk]  # the same filter does find tenant B's own row
    assert "Tenant A" not in response.content.decode()


# --- foreign keys of another tenant ---------------------------------------------------------------


def _foreign_id(field: str, admin_b: Membership) -> int:
    if field == "owner":
        return admin_b.pk
    return make(admin_b.tenant, "Pacific Holdings").pk


@pytest.mark.parametrize("field", ["owner", "parent"])
def test_foreign_key_of_another_tenant_is_rejected_on_create(writer_a, admin_b, field):
    foreign = _foreign_id(field, admin_b)
    count = total()
    response = writer_a.post(LIST_URL, {"name": "Leaky Ltd", field: foreign}, format="json")
    assert_validation_error(response, field)
    assert total() == count
    assert not Account.unscoped_all_tenants.filter(name="Leaky Ltd").exists()


@pytest.mark.parametrize("field", ["owner", "parent"])
def test_foreign_key_of_another_tenant_is_rejected_on_patch(writer_a, admin_a, admin_b, field):
    account = make(admin_a.tenant, "Steady Co", owner=admin_a)
    foreign = _foreign_id(field, admin_b)
    before = row(account.pk)
    response = writer_a.patch(detail_url(account.pk), {field: foreign, "city": "Shenzhen"},
                              format="json")
    assert_validation_error(response, field)
    assert row(account.pk) == before


# --- roles --------------------------------------------------------------------------------------


def test_manager_lists_only_own_accounts(api, manager_a, manager2_a, admin_a):
    tenant = manager_a.tenant
    own = [make(tenant, f"Mine {i}", owner=manager_a) for i in range(3)]
    make(tenant, "Colleague's", owner=manager2_a)
    make(tenant, "Admin's", owner=admin_a)
    make(tenant, "Nobody's")
    login(api, manager_a)
    assert sorted(ids_of(api.get(LIST_URL))) == sorted(a.pk for a in own)
    assert ids_of(api.get(LIST_URL, {"owner": manager2_a.pk})) == []
    assert api.get(detail_url(own[0].pk)).status_code == 200


@pytest.mark.parametrize("method", ["get", "patch", "put", "delete"])
def test_manager_gets_404_on_another_managers_account(api, manager_a, manager2_a, method):
    account = make(manager_a.tenant, "Colleague's", owner=manager2_a)
    before = row(account.pk)
    login(api, manager_a)
    if method in ("get", "delete"):
        response = getattr(api, method)(detail_url(account.pk))
    else:
        response = getattr(api, method)(detail_url(account.pk),
                                         {"name": "taken over", "owner": manager_a.pk}, format="json")
    assert response.status_code == 404
    assert row(account.pk) == before


def test_manager_create_makes_them_the_owner(api, manager_a):
    login(api, manager_a)
    response = api.post(LIST_URL, {"name": "New Lead Ltd"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["owner"] == manager_a.pk
    assert row(response.json()["id"])["owner_id"] == manager_a.pk


def test_manager_cannot_give_an_account_to_someone_else(api, manager_a, manager2_a):
    login(api, manager_a)
    count = total()
    response = api.post(LIST_URL, {"name": "Gift Ltd", "owner": manager2_a.pk}, format="json")
    assert_validation_error(response, "owner")
    assert total() == count

    account = make(manager_a.tenant, "Mine", owner=manager_a)
    before = row(account.pk)
    response = api.patch(detail_url(account.pk), {"owner": manager2_a.pk}, format="json")
    assert_validation_error(response, "owner")
    assert row(account.pk) == before
    response = api.patch(detail_url(account.pk), {"owner": None}, format="json")
    assert_validation_error(response, "owner")
    assert row(account.pk) == before
    # Naming oneself is fine.
    response = api.patch(detail_url(account.pk), {"owner": manager_a.pk, "city": "杭州"},
                         format="json")
    assert response.status_code == 200, response.content
    assert row(account.pk)["city"] == "杭州"


def test_executive_reads_everything_but_writes_nothing(api, exec_a, manager_a, manager2_a):
    tenant = exec_a.tenant
    accounts = [make(tenant, "A", owner=manager_a), make(tenant, "B", owner=manager2_a),
                make(tenant, "C")]
    login(api, exec_a)
    assert sorted(ids_of(api.get(LIST_URL))) == sorted(a.pk for a in accounts)
    assert api.get(detail_url(accounts[1].pk)).json()["name"] == "B"

    count = total()
    before = row(accounts[0].pk)
    assert api.post(LIST_URL, {"name": "Exec Ltd"}, format="json").status_code == 403
    assert api.patch(detail_url(accounts[0].pk), {"name": "X"}, format="json").status_code == 403
    assert api.put(detail_url(accounts[0].pk), {"name": "X"}, format="json").status_code == 403
    response = api.delete(detail_url(accounts[0].pk))
    assert response.status_code == 403
    assert set(response.json()) == {"message"}
    assert total() == count
    assert row(accounts[0].pk) == before


def test_only_admins_and_write_keys_delete(api, admin_a, manager_a):
    tenant = admin_a.tenant
    own = make(tenant, "Manager's own", owner=manager_a)
    login(api, manager_a)
    response = api.delete(detail_url(own.pk))
    assert response.status_code == 403
    assert row(own.pk) is not None

    login(api, admin_a)
    assert api.delete(detail_url(own.pk)).status_code == 204
    assert row(own.pk) is None

    other = make(tenant, "Deleted by key")
    api.logout()
    bearer(api, key_for(tenant, ["write"]))
    assert api.delete(detail_url(other.pk)).status_code == 204
    assert row(other.pk) is None


# --- keys and credentials -----------------------------------------------------------------------


def test_read_only_key_reads_but_cannot_write(api, tenant_a):
    account = make(tenant_a, "Readable Co", city="苏州")
    bearer(api, key_for(tenant_a, ["read"]))
    assert ids_of(api.get(LIST_URL)) == [account.pk]
    assert api.get(detail_url(account.pk)).json()["city"] == "苏州"

    count = total()
    before = row(account.pk)
    for response in (
        api.post(LIST_URL, {"name": "Written Co"}, format="json"),
        api.patch(detail_url(account.pk), {"city": "无锡"}, format="json"),
        api.put(detail_url(account.pk), {"name": "Replaced"}, format="json"),
        api.delete(detail_url(account.pk)),
    ):
        assert response.status_code == 403, response.content
        assert set(response.json()) == {"message"}
    assert total() == count
    assert row(account.pk) == before


def test_revoked_key_is_401(api, tenant_a):
    make(tenant_a, "Co")
    raw = key_for(tenant_a, ["read", "write"])
    bearer(api, raw)
    assert api.get(LIST_URL).status_code == 200
    with tenant_context(tenant_a):
        api_key_revoke(key_id=ApiKey.objects.get(name="erp").pk)
    response = api.get(LIST_URL)
    assert response.status_code == 401
    assert set(response.json()) == {"message"}
    count = total()
    assert api.post(LIST_URL, {"name": "After revoke"}, format="json").status_code == 401
    assert total() == count


def test_key_of_a_deactivated_tenant_is_401(api, tenant_a):
    bearer(api, key_for(tenant_a, ["read"]))
    assert api.get(LIST_URL).status_code == 200
    Tenant.objects.filter(pk=tenant_a.pk).update(is_active=False)
    assert api.get(LIST_URL).status_code == 401


@pytest.mark.parametrize("header", [
    "Bearer", "Bearer ", "Bearer a b", "Bearer kam_x_y", "Bearer kam_", "Bearer kam__",
    "Bearer kam_abcdef12_", "Bearer kam_abcdef12_wrongsecret", "Bearer KAM_abcdef12_secret",
    "Bearer kam_abc\x00ef12_secret", "Bearer kam_abcdéf12_secret", "Bearer kam_abcdef12_sec\x00ret",
    " ", "\t", "bearer kam_abcdef12_secret", "Token abc", "Basic Zm9vOmJhcg==",
])
def test_malformed_authorization_is_401_never_500(api, tenant_a, header):
    make(tenant_a, "Secret Co")
    count = total()
    response = api.get(LIST_URL, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401, (header, response.status_code, response.content[:300])
    assert "Secret Co" not in response.content.decode()
    response = api.post(LIST_URL, {"name": "Sneaky"}, format="json", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert total() == count


def test_a_valid_key_with_trailing_garbage_is_401(api, tenant_a):
    raw = key_for(tenant_a, ["read"])
    assert api.get(LIST_URL, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    assert api.get(LIST_URL, HTTP_AUTHORIZATION=f"Bearer {raw} extra").status_code == 401
    assert api.get(LIST_URL, HTTP_AUTHORIZATION=f"Bearer {raw}x").status_code == 401
    assert api.get(LIST_URL, HTTP_AUTHORIZATION=f"Bearer {raw[:-1]}").status_code == 401


def test_no_credentials_is_401_with_www_authenticate(api, tenant_a):
    make(tenant_a, "Secret Co")
    for response in (api.get(LIST_URL), api.post(LIST_URL, {"name": "x"}, format="json")):
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert set(response.json()) == {"message"}
    assert total() == 1


# --- validation ---------------------------------------------------------------------------------


INVALID_CREATES = [
    pytest.param({"lifecycle_status": "zombie"}, "lifecycle_status", id="lifecycle-zombie"),
    pytest.param({"credit_rating": "E"}, "credit_rating", id="credit-E"),
    pytest.param({"industry": "x"}, "industry", id="industry-x"),
    pytest.param({"annual_revenue_band": "huge"}, "annual_revenue_band", id="revenue-band"),
    pytest.param({"development_stage": "infant"}, "development_stage", id="stage"),
    pytest.param({"unified_social_credit_code": "911100001000013437"},
                 "unified_social_credit_code", id="uscc-wrong-check"),
    pytest.param({"unified_social_credit_code": VALID_USCC[:-1]},
                 "unified_social_credit_code", id="uscc-17-chars"),
    pytest.param({"unified_social_credit_code": VALID_USCC[:6]},
                 "unified_social_credit_code", id="uscc-6-chars"),
    *[pytest.param({"unified_social_credit_code": VALID_USCC[:8] + letter + VALID_USCC[9:]},
                   "unified_social_credit_code", id=f"uscc-letter-{letter}")
      for letter in ("I", "O", "S", "V", "Z", "i", "-")],
    pytest.param({"unified_social_credit_code": "91ABCDEFM000100Y43"},
                 "unified_social_credit_code", id="uscc-region-letters"),
    pytest.param({"employee_count": -1}, "employee_count", id="employees-negative"),
    pytest.param({"employee_count": 1e20}, "employee_count", id="employees-1e20"),
    pytest.param({"employee_count": 10**20}, "employee_count", id="employees-10**20"),
    pytest.param({"employee_count": 3.5}, "employee_count", id="employees-fraction"),
    pytest.param({"strategic_value": 0}, "strategic_value", id="strategic-0"),
    pytest.param({"strategic_value": 6}, "strategic_value", id="strategic-6"),
    pytest.param({"strategic_value": "abc"}, "strategic_value", id="strategic-abc"),
    pytest.param({"strategic_value": None}, "strategic_value", id="strategic-null"),
    pytest.param({"name": ["Acme"]}, "name", id="name-list"),
    pytest.param({"name": {"zh": "Acme"}}, "name", id="name-object"),
    pytest.param({"name": "Acme\x00Corp"}, "name", id="name-nul"),
    pytest.param({"name": ""}, "name", id="name-empty"),
    pytest.param({"name": "x" * 201}, "name", id="name-too-long"),
    pytest.param({"owner": "abc"}, "owner", id="owner-abc"),
    pytest.param({"owner": 10**12}, "owner", id="owner-missing"),
    pytest.param({"parent": 10**12}, "parent", id="parent-missing"),
    pytest.param({"notes": "bad\x00note"}, "notes", id="notes-nul"),
]


@pytest.mark.parametrize("changes,field", INVALID_CREATES)
def test_invalid_create_is_400_and_writes_nothing(key_a, changes, field):
    payload = {"name": "Valid Name Ltd", **changes}
    count = total()
    response = key_a.post(LIST_URL, payload, format="json")
    assert_validation_error(response, field)
    assert total() == count


def test_missing_name_is_400(key_a):
    response = key_a.post(LIST_URL, {"city": "苏州"}, format="json")
    assert_validation_error(response, "name")
    assert total() == 0


@pytest.mark.parametrize("changes,field", INVALID_CREATES)
def test_invalid_patch_is_400_and_changes_nothing(key_a, tenant_a, changes, field):
    account = make(tenant_a, "Stable Co", unified_social_credit_code=OTHER_VALID_USCC)
    before = row(account.pk)
    response = key_a.patch(detail_url(account.pk), {"city": "苏州", **changes}, format="json")
    assert_validation_error(response, field)
    assert row(account.pk) == before


@pytest.mark.parametrize("code", [VALID_USCC, VALID_USCC.lower(), f"  {VALID_USCC.lower()} ",
                                  OTHER_VALID_USCC, "91440300MA5D000015"])
def test_valid_uscc_is_accepted_and_stored_upper_case(key_a, code):
    response = key_a.post(LIST_URL, {"name": "Coded Ltd", "unified_social_credit_code": code},
                          format="json")
    assert response.status_code == 201, response.content
    assert row(response.json()["id"])["unified_social_credit_code"] == code.strip().upper()
    assert response.json()["unified_social_credit_code"] == code.strip().upper()


def test_duplicate_uscc_rejected_within_a_tenant_but_allowed_in_another(api, tenant_a, tenant_b):
    make(tenant_a, "First", unified_social_credit_code=VALID_USCC)
    other = make(tenant_a, "Other", unified_social_credit_code=OTHER_VALID_USCC)
    bearer(api, key_for(tenant_a, ["write"]))
    count = total()
    response = api.post(LIST_URL, {"name": "Second", "unified_social_credit_code": VALID_USCC.lower()},
                        format="json")
    assert_validation_error(response, "unified_social_credit_code")
    assert total() == count
    before = row(other.pk)
    response = api.patch(detail_url(other.pk), {"unified_social_credit_code": VALID_USCC},
                         format="json")
    assert_validation_error(response, "unified_social_credit_code")
    assert row(other.pk) == before

    bearer(api, key_for(tenant_b, ["write"]))
    response = api.post(LIST_URL, {"name": "Second", "unified_social_credit_code": VALID_USCC},
                        format="json")
    assert response.status_code == 201, response.content
    assert row(response.json()["id"])["tenant_id"] == tenant_b.pk


def test_duplicate_external_id_rejected_within_a_tenant_but_allowed_in_another(api, tenant_a,
                                                                                tenant_b):
    make(tenant_a, "First", external_id="ERP-1")
    other = make(tenant_a, "Other", external_id="ERP-2")
    bearer(api, key_for(tenant_a, ["write"]))
    count = total()
    for value in ("ERP-1", " ERP-1 "):
        response = api.post(LIST_URL, {"name": "Second", "external_id": value}, format="json")
        assert_validation_error(response, "external_id")
    assert total() == count
    before = row(other.pk)
    response = api.patch(detail_url(other.pk), {"external_id": "ERP-1"}, format="json")
    assert_validation_error(response, "external_id")
    assert row(other.pk) == before
    # Blank external ids do not collide.
    assert api.post(LIST_URL, {"name": "Blank 1"}, format="json").status_code == 201
    assert api.post(LIST_URL, {"name": "Blank 2"}, format="json").status_code == 201

    bearer(api, key_for(tenant_b, ["write"]))
    response = api.post(LIST_URL, {"name": "Second", "external_id": "ERP-1"}, format="json")
    assert response.status_code == 201, response.content


def test_parent_cycles_are_rejected(key_a, tenant_a):
    a = make(tenant_a, "A")
    b = make(tenant_a, "B", parent=a)
    c = make(tenant_a, "C", parent=b)
    for account, parent in ((a, b), (a, c), (b, c), (a, a)):
        before = row(account.pk)
        response = key_a.patch(detail_url(account.pk), {"parent": parent.pk}, format="json")
        assert_validation_error(response, "parent")
        assert row(account.pk) == before
    response = key_a.put(detail_url(a.pk), {"name": "A", "parent": a.pk}, format="json")
    assert_validation_error(response, "parent")
    assert row(a.pk)["parent_id"] is None
    # A legitimate move is fine: C directly under A.
    response = key_a.patch(detail_url(c.pk), {"parent": a.pk}, format="json")
    assert response.status_code == 200
    assert row(c.pk)["parent_id"] == a.pk


@pytest.mark.parametrize("body", [b'{"name": ', b"not json", b'{"name": "x",}', b"\xff\xfe",
                                  b"[1, 2]", b'"just a string"', b"null"])
def test_malformed_json_is_400_not_500(key_a, body):
    response = key_a.post(LIST_URL, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert isinstance(response.json()["message"], str)
    assert total() == 0


@pytest.mark.parametrize("query,field", [
    ("lifecycle_status=zombie", "lifecycle_status"),
    ("credit_rating=E", "credit_rating"),
    ("industry=x", "industry"),
    ("owner=abc", "owner"),
    ("owner=999999999", "owner"),
    ("parent=abc", "parent"),
])
def test_unknown_filter_values_are_400(key_a, tenant_a, query, field):
    make(tenant_a, "Co")
    assert_validation_error(key_a.get(f"{LIST_URL}?{query}"), field)


def test_filter_by_another_tenants_member_or_account_is_400(api, admin_a, manager_a, admin_b):
    make(admin_a.tenant, "Co", owner=manager_a)
    b_account = make(admin_b.tenant, "B Co", owner=admin_b)
    for client in (login(api, admin_a), bearer(api, key_for(admin_a.tenant, ["read"]))):
        assert_validation_error(client.get(LIST_URL, {"owner": admin_b.pk}), "owner")
        assert_validation_error(client.get(LIST_URL, {"parent": b_account.pk}), "parent")
        # The same filters with tenant A's own ids work.
        assert len(ids_of(client.get(LIST_URL, {"owner": manager_a.pk}))) == 1


def test_filters_narrow_the_list(key_a, tenant_a, manager_a):
    group = make(tenant_a, "Group")
    a = make(tenant_a, "华东电气", short_name="华电", owner=manager_a, parent=group,
             lifecycle_status="at_risk", credit_rating="C", industry="energy", province="江苏",
             external_id="E-1")
    make(tenant_a, "Other Co", lifecycle_status="active", credit_rating="A", industry="retail",
         province="广东", external_id="E-2")
    for query in ({"owner": manager_a.pk}, {"parent": group.pk}, {"lifecycle_status": "at_risk"},
                  {"credit_rating": "C"}, {"industry": "energy"}, {"province": "江苏"},
                  {"external_id": "E-1"}, {"q": "华电"}, {"q": "电气"}, {"search": "华东"}):
        assert ids_of(key_a.get(LIST_URL, query)) == [a.pk], query


# --- pagination ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["key", "manager"])
def test_cursor_pagination_walks_every_visible_account_once(api, manager_a, manager2_a, admin_b,
                                                            who):
    tenant = manager_a.tenant
    mine = [make(tenant, f"Mine {i}", owner=manager_a) for i in range(5)]
    theirs = [make(tenant, f"Theirs {i}", owner=manager2_a) for i in range(2)]
    make(admin_b.tenant, "Tenant B Co")
    if who == "key":
        bearer(api, key_for(tenant, ["read"]))
        expected = [a.pk for a in mine + theirs]
    else:
        login(api, manager_a)
        expected = [a.pk for a in mine]

    url: str | None = f"{LIST_URL}?page_size=2"
    seen: list[int] = []
    pages = 0
    while url:
        response = api.get(url)
        page = ids_of(response)
        assert 1 <= len(page) <= 2
        seen += page
        url = response.json()["next"]
        pages += 1
        assert pages <= len(expected), "pagination does not end"
    assert seen == sorted(expected, reverse=True)  # newest first, each exactly once
    assert pages == math.ceil(len(expected) / 2)


def test_a_tampered_cursor_is_a_client_error(key_a, tenant_a):
    make(tenant_a, "Co")
    response = key_a.get(LIST_URL, {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert "cursor" in response.json()["errors"]


# --- cost ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("auth", ["key", "session"])
def test_list_costs_the_same_queries_at_any_page_size(api, admin_a, manager_a, auth):
    tenant = admin_a.tenant
    if auth == "key":
        bearer(api, key_for(tenant, ["read"]))
    else:
        login(api, admin_a)
    # Warm up: the key's first use records last_used_at (then not again for a minute).
    assert api.get(LIST_URL).status_code == 200

    group = make(tenant, "Group", owner=admin_a)

    def list_queries(size: int) -> list[str]:
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(LIST_URL, {"page_size": size})
        results = response.json()["results"]
        assert response.status_code == 200
        assert len(results) == size
        children = [r for r in results if r["id"] != group.pk]
        assert all(r["parent_name"] == "Group" for r in children)
        assert {r["owner_name"] for r in results} == {"admin_a", "manager_a"}
        return [q["sql"] for q in ctx.captured_queries]

    for i in range(4):
        make(tenant, f"Small {i}", owner=manager_a if i % 2 else admin_a, parent=group)
    small = list_queries(5)
    for i in range(45):
        make(tenant, f"Big {i}", owner=manager_a if i % 2 else admin_a, parent=group)
    big = list_queries(50)

    assert len(small) == len(big), (small, big)
    if auth == "key":
        assert len(small) == 2, small
        assert "kam_apikey" in small[0]  # 1. the key by prefix, with its tenant joined
        assert "accounts_account" in small[1]  # 2. the page (owner, owner's user, parent joined)
    else:
        assert len(small) == 4, small
        assert "django_session" in small[0]  # 1. the session
        assert "auth_user" in small[1]  # 2. the user
        assert "kam_membership" in small[2]  # 3. the user's active memberships (tenant joined)
        assert "accounts_account" in small[3]  # 4. the page (owner, owner's user, parent joined)
    page_sql = small[-1]
    assert "kam_membership" in page_sql and "auth_user" in page_sql  # owner_name needs no query
    assert not any(sql.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE")) for sql in small)


# --- OpenAPI ------------------------------------------------------------------------------------


@pytest.mark.parametrize("url,headers", [
    ("/api/v1/schema/?format=json", {}),
    ("/api/v1/schema/", {"HTTP_ACCEPT": "application/vnd.oai.openapi+json"}),
])
def test_openapi_schema(api, url, headers):
    response = api.get(url, **headers)
    assert response.status_code == 200, response.content[:500]
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/accounts/"])
    assert {"get", "put", "patch", "delete"} <= set(schema["paths"]["/api/v1/accounts/{id}/"])
    bearer_auth = schema["components"]["securitySchemes"]["bearerAuth"]
    assert bearer_auth["type"] == "http"
    assert bearer_auth["scheme"] == "bearer"
    assert {"bearerAuth": []} in schema["paths"]["/api/v1/accounts/"]["get"]["security"]


def test_openapi_docs_use_only_local_static_files(api):
    response = api.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    tags = re.findall(r"<(?:script|link)\b[^>]*>", html, flags=re.IGNORECASE)
    urls = [m.group(2) for tag in tags for m in re.finditer(r"\b(src|href)\s*=\s*[\"']([^\"']+)", tag)]
    assert urls, html[:500]
    assert any("swagger-ui" in u for u in urls)
    for u in urls:
        assert not re.match(r"^(https?:)?//", u, flags=re.IGNORECASE), u
        if u.startswith("/api/v1/docs/?"):  # the init script, served by the page's view (CSP)
            continue
        assert u.startswith("/static/"), u
        assert finders.find(u.removeprefix("/static/")) is not None, u  # shipped, not fetched
    assert not re.search(r"https?://[^\"'\s]*(cdn|unpkg|jsdelivr)", html, flags=re.IGNORECASE)


# --- health -------------------------------------------------------------------------------------


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"] == "ok"


def test_healthz_503_when_the_broker_is_unreachable(client):
    with override_settings(REDIS_URL="unix:///nonexistent/redis.sock"):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"] != "ok"
    assert body["broker"].startswith("error")

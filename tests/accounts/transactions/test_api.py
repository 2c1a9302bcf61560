"""The transactions REST API (/api/v1/transactions/): tenancy, roles, refunds, bulk upsert, cost."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account, AccountFigures, Transaction
from kam.models import Tenant
from kam.tenancy import tenant_context
from tests.api_helpers import ids_of
from tests.conftest import bearer, key_for, login

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/transactions/"
BULK_URL = "/api/v1/transactions/bulk/"


def detail_url(pk: int) -> str:
    return f"/api/v1/transactions/{pk}/"


def make_account(tenant: Tenant, name: str, **fields) -> Account:
    with tenant_context(tenant):
        return Account.objects.create(tenant=tenant, name=name, **fields)


def make_tx(account: Account, amount: str = "100.00", date: str = "2026-01-10",
            **fields) -> Transaction:
    with tenant_context(account.tenant):
        return Transaction.objects.create(tenant=account.tenant, account=account, date=date,
                                          amount=Decimal(amount), **fields)


def row(pk: int) -> dict | None:
    """The transaction as the database has it, read across tenants."""
    return Transaction.unscoped_all_tenants.filter(pk=pk).values().first()


def snapshot() -> list[dict]:
    return list(Transaction.unscoped_all_tenants.order_by("pk").values())


def bulk_rows(account: Account, n: int, *, prefix: str = "ERP", amount: str = "10.00") -> list:
    return [{"account": account.pk, "date": "2026-03-01", "amount": amount,
             "gross_margin": "1.50", "product_line": "轴承", "external_id": f"{prefix}-{i}"}
            for i in range(n)]


# --- clients ------------------------------------------------------------------------------------


def test_router_names_the_endpoints():
    assert reverse("api:transaction-list") == LIST_URL
    assert reverse("api:transaction-detail", args=[7]) == detail_url(7)
    assert reverse("api:transaction-bulk") == BULK_URL


# --- happy path ---------------------------------------------------------------------------------


def test_create_list_retrieve_update_delete_and_fresh_figures(writer_a, admin_a, today):
    account = make_account(admin_a.tenant, "苏州精工")
    recent = (today - datetime.timedelta(days=10)).isoformat()
    payload = {"account": account.pk, "date": recent, "amount": "1200.50",
               "gross_margin": "300.00", "product_line": "数控机床", "external_id": "SO-1"}
    response = writer_a.post(LIST_URL, payload, format="json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    saved = row(pk)
    assert saved["tenant_id"] == admin_a.tenant_id
    assert saved["amount"] == Decimal("1200.50")
    assert saved["refund_of_id"] is None

    assert ids_of(writer_a.get(LIST_URL)) == [pk]
    assert writer_a.get(detail_url(pk)).json()["product_line"] == "数控机床"

    # The account's figures are recomputed on write, so the account retrieve is fresh.
    figures = writer_a.get(f"/api/v1/accounts/{account.pk}/").json()["figures"]
    assert figures["order_count"] == 1
    assert figures["revenue_12m"] == "1200.50"
    assert figures["revenue_share"] == "1.000000"

    response = writer_a.patch(detail_url(pk), {"amount": "900.00"}, format="json")
    assert response.status_code == 200, response.content
    assert row(pk)["amount"] == Decimal("900.00")
    figures = writer_a.get(f"/api/v1/accounts/{account.pk}/").json()["figures"]
    assert figures["revenue_12m"] == "900.00"

    refund = writer_a.post(LIST_URL, {"account": account.pk, "date": recent,
                                      "amount": "-100.00", "refund_of": pk}, format="json")
    assert refund.status_code == 201, refund.content
    # An original with refunds cannot be deleted before them (400, not a 500).
    response = writer_a.delete(detail_url(pk))
    assert response.status_code == 400, response.content
    assert row(pk) is not None
    assert writer_a.delete(detail_url(refund.json()["id"])).status_code == 204
    assert writer_a.delete(detail_url(pk)).status_code == 204
    assert row(pk) is None
    with tenant_context(admin_a.tenant):
        assert AccountFigures.objects.get(account=account).order_count == 0


def test_account_retrieve_figures_are_null_before_any_recompute(writer_a, admin_a):
    account = make_account(admin_a.tenant, "No figures yet")
    assert writer_a.get(f"/api/v1/accounts/{account.pk}/").json()["figures"] is None
    assert "figures" not in writer_a.get("/api/v1/accounts/").json()["results"][0]


def test_filters(writer_a, admin_a):
    tenant = admin_a.tenant
    a1, a2 = make_account(tenant, "One"), make_account(tenant, "Two")
    t1 = make_tx(a1, date="2026-01-05", product_line="轴承", external_id="X-1")
    t2 = make_tx(a1, date="2026-02-05", product_line="电机")
    t3 = make_tx(a2, date="2026-03-05", product_line="轴承")
    assert sorted(ids_of(writer_a.get(LIST_URL, {"account": a1.pk}))) == sorted([t1.pk, t2.pk])
    assert sorted(ids_of(writer_a.get(LIST_URL, {"date_after": "2026-02-01"}))) == sorted(
        [t2.pk, t3.pk])
    assert ids_of(writer_a.get(LIST_URL, {"date_after": "2026-02-01",
                                          "date_before": "2026-02-28"})) == [t2.pk]
    assert sorted(ids_of(writer_a.get(LIST_URL, {"product_line": "轴承"}))) == sorted(
        [t1.pk, t3.pk])
    assert ids_of(writer_a.get(LIST_URL, {"external_id": "X-1"})) == [t1.pk]
    assert writer_a.get(LIST_URL, {"date_after": "not-a-date"}).status_code == 400


# --- outsiders ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "patch", "put", "delete"])
def test_outsider_gets_404_and_changes_nothing(outsider, admin_a, method):
    account = make_account(admin_a.tenant, "Tenant A Secret Co")
    tx = make_tx(account, product_line="Secret line", external_id="A-1")
    before = snapshot()
    if method in ("get", "delete"):
        response = getattr(outsider, method)(detail_url(tx.pk))
    else:
        response = getattr(outsider, method)(
            detail_url(tx.pk), {"account": account.pk, "date": "2026-01-01", "amount": "1.00"},
            format="json")
    assert response.status_code == 404, response.content
    assert set(response.json()) == {"message"}
    assert "Secret" not in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("query", ["", "?external_id=A-1", "?product_line=Secret",
                                   "?date_after=2000-01-01", "?page_size=500"])
def test_outsider_list_shows_none_of_tenant_as_rows(outsider, admin_a, admin_b, query):
    theirs = make_account(admin_a.tenant, "A")
    for i in range(3):
        make_tx(theirs, product_line="Secret", external_id=f"A-{i + 1}")
    mine = make_tx(make_account(admin_b.tenant, "B"), product_line="Secret", external_id="A-1")
    assert ids_of(outsider.get(LIST_URL + query)) == [mine.pk]


def test_outsider_cannot_use_another_tenants_account_or_refund_target(outsider, admin_a, admin_b):
    account_a = make_account(admin_a.tenant, "A")
    tx_a = make_tx(account_a)
    account_b = make_account(admin_b.tenant, "B")
    before = snapshot()
    response = outsider.post(LIST_URL, {"account": account_a.pk, "date": "2026-01-01",
                                        "amount": "5.00"}, format="json")
    assert response.status_code == 400, response.content
    assert "account" in response.json()["errors"]
    response = outsider.post(LIST_URL, {"account": account_b.pk, "date": "2026-01-01",
                                        "amount": "-5.00", "refund_of": tx_a.pk}, format="json")
    assert response.status_code == 400, response.content
    assert "refund_of" in response.json()["errors"]
    assert snapshot() == before


def test_outsider_bulk_with_another_tenants_account_writes_nothing(outsider, admin_a, admin_b):
    account_a = make_account(admin_a.tenant, "A")
    account_b = make_account(admin_b.tenant, "B")
    rows = bulk_rows(account_b, 3) + bulk_rows(account_a, 1, prefix="STEAL")
    response = outsider.post(BULK_URL, rows, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["errors"] == [{"index": 3, "errors": {"account": [body["errors"][0]["errors"][
        "account"][0]]}}]
    assert Transaction.unscoped_all_tenants.count() == 0


def test_outsider_bulk_cannot_overwrite_by_another_tenants_external_id(outsider, admin_a,
                                                                         admin_b):
    tx_a = make_tx(make_account(admin_a.tenant, "A"), external_id="ERP-0")
    before = row(tx_a.pk)
    account_b = make_account(admin_b.tenant, "B")
    response = outsider.post(BULK_URL, bulk_rows(account_b, 1), format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert row(tx_a.pk) == before  # the same external id in tenant B is another row


# --- roles --------------------------------------------------------------------------------------


def test_executive_and_read_only_key_cannot_write(api, exec_a, admin_a):
    account = make_account(admin_a.tenant, "A")
    tx = make_tx(account, external_id="ERP-0")
    before = snapshot()
    read_key = key_for(admin_a.tenant, ["read"])
    for as_reader in (lambda: login(api, exec_a), lambda: bearer(api, read_key)):
        client = as_reader()
        assert ids_of(client.get(LIST_URL)) == [tx.pk]
        for response in (
            client.post(LIST_URL, {"account": account.pk, "date": "2026-01-01",
                                   "amount": "1.00"}, format="json"),
            client.patch(detail_url(tx.pk), {"amount": "2.00"}, format="json"),
            client.put(detail_url(tx.pk), {"account": account.pk, "date": "2026-01-01",
                                           "amount": "2.00"}, format="json"),
            client.delete(detail_url(tx.pk)),
            client.post(BULK_URL, bulk_rows(account, 2), format="json"),
        ):
            assert response.status_code == 403, response.content
            assert set(response.json()) == {"message"}
        api.logout()
        api.credentials()
    assert snapshot() == before


def test_manager_sees_and_writes_only_own_accounts_transactions(api, manager_a, manager2_a):
    tenant = manager_a.tenant
    own = make_account(tenant, "Mine", owner=manager_a)
    theirs = make_account(tenant, "Colleague's", owner=manager2_a)
    mine_tx = make_tx(own)
    their_tx = make_tx(theirs, external_id="ERP-0")
    login(api, manager_a)
    assert ids_of(api.get(LIST_URL)) == [mine_tx.pk]
    assert api.get(detail_url(their_tx.pk)).status_code == 404
    before = snapshot()
    assert api.patch(detail_url(their_tx.pk), {"amount": "1.00"},
                     format="json").status_code == 404
    assert api.delete(detail_url(their_tx.pk)).status_code == 404
    response = api.post(LIST_URL, {"account": theirs.pk, "date": "2026-01-01", "amount": "1.00"},
                        format="json")
    assert response.status_code == 400 and "account" in response.json()["errors"]
    response = api.patch(detail_url(mine_tx.pk), {"account": theirs.pk}, format="json")
    assert response.status_code == 400 and "account" in response.json()["errors"]
    # Bulk: the colleague's account, or the colleague's external id, is rejected.
    assert api.post(BULK_URL, bulk_rows(theirs, 1, prefix="NEW"), format="json").status_code == 400
    assert api.post(BULK_URL, bulk_rows(own, 1), format="json").status_code == 400
    assert snapshot() == before


# --- refund rules -------------------------------------------------------------------------------


def test_refund_rules(writer_a, admin_a):
    tenant = admin_a.tenant
    account, other = make_account(tenant, "A"), make_account(tenant, "B")
    original = make_tx(account, amount="500.00")
    foreign = make_tx(other, amount="500.00")
    before = snapshot()

    def post(**fields):
        return writer_a.post(LIST_URL, {"account": account.pk, "date": "2026-02-01", **fields},
                             format="json")

    cases = [
        ({"amount": "-10.00"}, "amount"),  # negative without refund_of
        ({"amount": "10.00", "refund_of": original.pk}, "amount"),  # refund must be negative
        ({"amount": "0.00", "refund_of": original.pk}, "amount"),
        ({"amount": "-10.00", "refund_of": foreign.pk}, "refund_of"),  # another account's
        ({"amount": "-10.00", "refund_of": 999999}, "refund_of"),  # does not exist
    ]
    for fields, field in cases:
        response = post(**fields)
        assert response.status_code == 400, (fields, response.content)
        assert field in response.json()["errors"], (fields, response.json())
    assert snapshot() == before

    refund = post(amount="-10.00", refund_of=original.pk)
    assert refund.status_code == 201, refund.content
    refund_pk = refund.json()["id"]
    # A refund of a refund, and turning a refund positive, are rejected.
    assert post(amount="-1.00", refund_of=refund_pk).status_code == 400
    response = writer_a.patch(detail_url(refund_pk), {"amount": "5.00"}, format="json")
    assert response.status_code == 400 and "amount" in response.json()["errors"]
    # The original cannot move to another account while it has refunds.
    response = writer_a.patch(detail_url(original.pk), {"account": other.pk}, format="json")
    assert response.status_code == 400 and "account" in response.json()["errors"]
    assert row(original.pk)["account_id"] == account.pk


@pytest.mark.parametrize("payload,field", [
    ({"date": "2026-13-01"}, "date"),
    ({"amount": "abc"}, "amount"),
    ({"amount": "1.234"}, "amount"),
    ({"amount": "1" * 20}, "amount"),
    ({"product_line": "x" * 101}, "product_line"),
    ({"account": None}, "account"),
])
def test_invalid_create_is_400(writer_a, admin_a, payload, field):
    account = make_account(admin_a.tenant, "A")
    body = {"account": account.pk, "date": "2026-01-01", "amount": "1.00", **payload}
    response = writer_a.post(LIST_URL, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert Transaction.unscoped_all_tenants.count() == 0


def test_duplicate_external_id_is_a_field_error(writer_a, admin_a):
    account = make_account(admin_a.tenant, "A")
    make_tx(account, external_id="SO-1")
    response = writer_a.post(LIST_URL, {"account": account.pk, "date": "2026-01-01",
                                        "amount": "1.00", "external_id": "SO-1"}, format="json")
    assert response.status_code == 400
    assert "external_id" in response.json()["errors"]


# --- bulk upsert --------------------------------------------------------------------------------


def test_bulk_creates_then_is_idempotent_then_updates_one(writer_a, admin_a):
    tenant = admin_a.tenant
    account, other = make_account(tenant, "A"), make_account(tenant, "B")
    rows = bulk_rows(account, 50)
    response = writer_a.post(BULK_URL, rows, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 50, "updated": 0, "unchanged": 0}
    assert Transaction.unscoped_all_tenants.filter(tenant=tenant).count() == 50
    stored = Transaction.unscoped_all_tenants.get(external_id="ERP-7")
    assert (stored.amount, stored.gross_margin, stored.product_line) == (
        Decimal("10.00"), Decimal("1.50"), "轴承")

    before = snapshot()
    response = writer_a.post(BULK_URL, rows, format="json")
    assert response.json() == {"created": 0, "updated": 0, "unchanged": 50}
    assert snapshot() == before  # not even updated_at moved

    rows[7]["amount"] = "12.00"
    rows[8]["account"] = other.pk
    rows.append({"account": other.pk, "date": "2026-03-02", "amount": 3,
                 "external_id": "ERP-new"})
    response = writer_a.post(BULK_URL, rows, format="json")
    assert response.json() == {"created": 1, "updated": 2, "unchanged": 48}
    assert Transaction.unscoped_all_tenants.get(external_id="ERP-7").amount == Decimal("12.00")
    assert Transaction.unscoped_all_tenants.get(external_id="ERP-8").account_id == other.pk
    new = Transaction.unscoped_all_tenants.get(external_id="ERP-new")
    assert new.gross_margin is None and new.product_line == ""
    with tenant_context(tenant):  # figures of the accounts touched are fresh
        assert AccountFigures.objects.get(account=other).order_count == 2
        assert AccountFigures.objects.get(account=account).order_count == 49


def test_bulk_one_bad_row_among_many_writes_nothing(writer_a, admin_a):
    account = make_account(admin_a.tenant, "A")
    make_tx(account, amount="1.00", external_id="ERP-3")
    before = snapshot()
    rows = bulk_rows(account, 200)
    rows[150]["amount"] = "-5.00"
    response = writer_a.post(BULK_URL, rows, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["message"]
    assert [e["index"] for e in body["errors"]] == [150]
    assert "amount" in body["errors"][0]["errors"]
    assert snapshot() == before


def test_bulk_reports_every_bad_row(writer_a, admin_a):
    account = make_account(admin_a.tenant, "A")
    rows = bulk_rows(account, 8)
    rows[1]["external_id"] = ""
    rows[2]["external_id"] = "ERP-0"  # duplicate inside the payload
    rows[3]["account"] = 999999
    rows[4]["date"] = "yesterday"
    rows[5] = "not an object"
    rows[6]["colour"] = "red"
    del rows[7]["amount"]
    response = writer_a.post(BULK_URL, rows, format="json")
    assert response.status_code == 400, response.content
    errors = {e["index"]: e["errors"] for e in response.json()["errors"]}
    assert set(errors) == {1, 2, 3, 4, 5, 6, 7}
    assert "external_id" in errors[1] and "external_id" in errors[2]
    assert "account" in errors[3] and "date" in errors[4]
    assert "non_field_errors" in errors[5] and "colour" in errors[6] and "amount" in errors[7]
    assert Transaction.unscoped_all_tenants.count() == 0


def test_bulk_lone_surrogates_are_row_errors_like_the_single_write_and_write_nothing(
        writer_a, admin_a):
    account = make_account(admin_a.tenant, "A")
    make_tx(account, amount="1.00", external_id="ERP-0")
    before = snapshot()
    rows = bulk_rows(account, 4)
    rows[1]["external_id"] = "ERP-\udfff"
    rows[2]["product_line"] = "\ud800轴承"
    rows[3]["\udfff"] = "x"
    # Sent as JSON escapes ("\udfff"), as a client would: json.dumps escapes what UTF-8 cannot hold.
    body = json.dumps(rows)
    response = writer_a.generic("POST", BULK_URL, body, content_type="application/json")
    assert response.status_code == 400, response.content
    errors = {e["index"]: e["errors"] for e in response.json()["errors"]}
    assert set(errors) == {1, 2, 3}
    assert set(errors[1]) == {"external_id"} and set(errors[2]) == {"product_line"}
    assert errors[3] == {"\\udfff": [errors[3]["\\udfff"][0]]}  # the key, printable
    single = writer_a.generic("POST", LIST_URL, json.dumps(
        {"account": account.pk, "date": "2026-03-01", "amount": "1.00",
         "external_id": "ERP-\udfff"}), content_type="application/json")
    assert single.status_code == 400, single.content
    assert errors[1]["external_id"] == single.json()["errors"]["external_id"]
    assert "U+DFFF" in errors[1]["external_id"][0] and "U+D800" in errors[2]["product_line"][0]
    assert snapshot() == before


def test_bulk_over_the_limit_and_non_list_bodies_are_400(writer_a, admin_a):
    account = make_account(admin_a.tenant, "A")
    row_ = bulk_rows(account, 1)[0]
    response = writer_a.post(BULK_URL, [row_] * 10_001, format="json")
    assert response.status_code == 400
    assert "10000" in response.json()["message"].replace(",", "")
    for body in ({"rows": [row_]}, "text", 3):
        response = writer_a.post(BULK_URL, body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert response.json()["message"]
    assert writer_a.post(BULK_URL, [], format="json").json() == {
        "created": 0, "updated": 0, "unchanged": 0}
    assert Transaction.unscoped_all_tenants.count() == 0


def test_bulk_ten_thousand_rows(writer_a, admin_a):
    account = make_account(admin_a.tenant, "A")
    rows = bulk_rows(account, 10_000)
    response = writer_a.post(BULK_URL, rows, format="json")
    assert response.json() == {"created": 10_000, "updated": 0, "unchanged": 0}
    response = writer_a.post(BULK_URL, rows, format="json")
    assert response.json() == {"created": 0, "updated": 0, "unchanged": 10_000}


# --- cost ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("auth", ["key", "session"])
def test_list_costs_the_same_queries_at_any_page_size(api, admin_a, auth):
    tenant = admin_a.tenant
    if auth == "key":
        bearer(api, key_for(tenant, ["read"]))
    else:
        login(api, admin_a)
    # Warm up: the key's first use records last_used_at (then not again for a minute).
    assert api.get(LIST_URL).status_code == 200
    account = make_account(tenant, "A")

    def list_queries(size: int) -> list[str]:
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(LIST_URL, {"page_size": size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == size
        return [q["sql"] for q in ctx.captured_queries]

    for _i in range(6):
        make_tx(account)
    small = list_queries(5)
    for _i in range(45):
        make_tx(account)
    big = list_queries(50)

    assert len(small) == len(big), (small, big)
    if auth == "key":
        assert len(small) == 2, small
        assert "kam_apikey" in small[0]  # 1. the key by prefix, with its tenant joined
        assert "accounts_transaction" in small[1]  # 2. the page
    else:
        assert len(small) == 4, small
        assert "django_session" in small[0]  # 1. the session
        assert "auth_user" in small[1]  # 2. the user
        assert "kam_membership" in small[2]  # 3. the user's active memberships (tenant joined)
        assert "accounts_transaction" in small[3]  # 4. the page
    assert not any(sql.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE")) for sql in small)


def test_deleting_an_account_with_refunds_deletes_its_transactions(api, admin_a):
    account = make_account(admin_a.tenant, "A")
    original = make_tx(account, amount="5.00")
    make_tx(account, amount="-1.00", refund_of=original)
    login(api, admin_a)
    assert api.delete(f"/api/v1/accounts/{account.pk}/").status_code == 204
    assert Transaction.unscoped_all_tenants.count() == 0

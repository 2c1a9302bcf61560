"""API errors: the JSON error body, and no input that makes a 500 or a non-JSON answer."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import Account, AccountTeamMember, Contact, Contract, Transaction
from care.models import CareReminder
from kam import devstack
from kam.api import exception_handler
from kam.tenancy import tenant_context
from tests.api_helpers import assert_validation_error
from tests.conftest import bearer, key_for, login
from tests.factories import make_account
from visits.models import FollowUp, Visit


def test_integrity_error_from_a_race_is_a_400_not_a_500():
    response = exception_handler(IntegrityError("duplicate key value"), {})
    assert response is not None and response.status_code == 400
    assert "non_field_errors" in response.data["errors"]


def test_service_validation_error_keeps_field_names():
    response = exception_handler(ValidationError({"name": ["bad"], "__all__": ["worse"]}), {})
    assert response.status_code == 400
    assert response.data["errors"] == {"name": ["bad"], "non_field_errors": ["worse"]}


def test_unknown_exceptions_are_left_to_django():
    assert exception_handler(RuntimeError("boom"), {}) is None


# --- no input makes a 500; every /api/ answer is JSON -----------------------------------------------
# The operations come from the schema the application serves, so an endpoint added later is covered.



EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def served_schema() -> dict:
    response = APIClient().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def operations(schema: dict) -> list[tuple[str, str, dict]]:
    return [(method, path, op) for path, item in schema["paths"].items()
            for method, op in item.items() if method in HTTP_METHODS]


def query_names(op: dict) -> set[str]:
    return {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}


def cursor_lists(schema: dict) -> list[tuple[str, dict]]:
    found = [(path, op) for method, path, op in operations(schema)
             if method == "get" and "cursor" in query_names(op)]
    assert len(found) >= 7  # accounts, contacts, contracts, renewals, team, transactions, history…
    return found


@pytest.fixture
def rows_a(tenant_a, admin_a) -> dict[str, int]:
    """One row of each collection of tenant A: the ids that fill ``{id}`` in a path."""
    account = make_account(tenant_a, "华东总部", external_id="ACC-1")
    with tenant_context(tenant_a):
        contact = Contact.objects.create(tenant=tenant_a, account=account, name="王经理")
        contract = Contract.objects.create(
            tenant=tenant_a, account=account, number="HT-1", title="框架合同",
            start_date="2026-01-01", end_date="2026-12-31", value=Decimal("1000.00"))
        tx = Transaction.objects.create(tenant=tenant_a, account=account, date="2026-02-01",
                                        amount=Decimal("10.00"), external_id="T-1")
        member = AccountTeamMember.objects.create(tenant=tenant_a, account=account,
                                                  membership=admin_a, team_role="service")
        visit = Visit.objects.create(tenant=tenant_a, account=account, owner=admin_a,
                                     level="business", objective="回访",
                                     planned_start="2026-06-01T10:00:00+08:00")
        follow_up = FollowUp.objects.create(tenant=tenant_a, account=account, owner=admin_a,
                                            title="报价", due_on="2026-06-20")
        reminder = CareReminder.objects.create(tenant=tenant_a, account=account, contact=contact,
                                               occasion="birthday", owner=admin_a,
                                               occurs_on="2026-06-20", year=2026)
    return {"accounts": account.pk, "contacts": contact.pk, "contracts": contract.pk,
            "transactions": tx.pk, "account-team": member.pk, "visits": visit.pk,
            "follow-ups": follow_up.pk, "care-reminders": reminder.pk}


def fill(path: str, rows: dict[str, int]) -> str:
    parts = path.split("/")
    for i, part in enumerate(parts):
        if part == "{id}":
            parts[i] = str(rows[parts[i - 1]])
        elif part == "{account_pk}":
            parts[i] = str(rows["accounts"])
    return "/".join(parts)


@pytest.fixture
def key_a(api, tenant_a) -> APIClient:
    return bearer(api, key_for(tenant_a, ["read", "write"], name="erp-errors"))


def assert_json_error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert isinstance(body.get("message"), str) and body["message"], body
    return body


def body_operations(schema: dict) -> list[tuple[str, str, dict]]:
    return [(m, p, op) for m, p, op in operations(schema) if "requestBody" in op]


# 1. JSON nested deeper than any documented body is bad input.

@pytest.mark.parametrize("depth", [40, 1000, 100_000])
def test_deeply_nested_json_is_a_400_on_every_body(key_a, rows_a, depth):
    nested = "[" * depth + "]" * depth
    as_object = '{"name": ' + "[" * depth + "]" * depth + "}"
    for method, path, _op in body_operations(served_schema()):
        for body in (nested, as_object):
            response = key_a.generic(method.upper(), fill(path, rows_a), body,
                                     content_type="application/json", **EN)
            message = assert_json_error(response, 400)["message"]
            assert "nested" in message, (method, path, message)
    assert Transaction.unscoped_all_tenants.count() == 1


def test_json_nesting_of_documented_bodies_is_accepted(key_a, rows_a, tenant_a):
    rows = [{"account": rows_a["accounts"], "date": "2026-03-01", "amount": "5.00",
             "external_id": "N-1"}]
    response = key_a.post("/api/v1/transactions/bulk/", rows, format="json")
    assert response.status_code == 200, response.content
    # Strings full of brackets are text, not nesting.
    response = key_a.patch(f"/api/v1/accounts/{rows_a['accounts']}/",
                           {"notes": "[" * 5000 + "{" * 5000}, format="json")
    assert response.status_code == 200, response.content


def test_non_utf8_and_malformed_bodies_are_translated_json_400s(key_a, rows_a):
    for method, path, _op in body_operations(served_schema()):
        url = fill(path, rows_a)
        for raw, words in ((b'{"name": "\xff\xfe"}', "UTF-8"), (b'{"name": ', "JSON"),
                           (b"\xef\xbb\xbf{}", "JSON"), (b"NaN", "JSON")):
            response = key_a.generic(method.upper(), url, raw, content_type="application/json", **EN)
            assert words in assert_json_error(response, 400)["message"], (method, path, raw)
        response = key_a.generic(method.upper(), url, b'{"name": ', content_type="application/json",
                                 HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert re.search(r"[\u4e00-\u9fff]", assert_json_error(response, 400)["message"])


# 2. A cursor that did not come from a ``next`` link is a 400 on every cursor-paginated list.

def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _b64url(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


CRAFTED_CURSORS = [
    _b64("p=abc"), _b64("o=x"), _b64("r=2"), _b64("o=-1"), _b64("p=1&p=2"), _b64("x=1"),
    _b64("p=" + "9" * 40), _b64("p=%00"), _b64("p=2026-13-45"), _b64("o=" + "9" * 5000),
    _b64("r=1&r=1"), _b64("p=1;o=1"), _b64(""), "!!!", "", "A" * 5000, "cD1hYmM",
    "%FF", "\u00e9t\u00e9", "cj0x\n", base64.b64encode(b"p=\xff").decode(),
    # Keyset cursors like the tier changes' and the history's: {"t": moment, "r": rank, "i": id}.
    *(_b64url(data) for data in (
        {"t": "9999-12-31T23:59:59-23:00", "r": 1, "i": 1}, {"t": "2026-06-01T00:00:00", "i": 1},
        {"t": "2026-06-01T00:00:00Z", "r": 1, "i": 0}, {"t": "2026-06-01T00:00:00Z", "i": 2**63},
        {"t": "2026-06-01T00:00:00Z", "r": 99, "i": 1}, [1, 2], "x", None)),
]
# Well formed, at an instant PostgreSQL cannot take with that offset: a page (or a 400), not a 500.
ODD_KEYSET_CURSORS = [_b64url({"t": "2026-06-01T00:00:00+23:59", "r": rank, "i": 1})
                      for rank in range(6)]


def test_crafted_cursors_are_a_400_on_every_cursor_list(key_a, rows_a):
    for path, _op in cursor_lists(served_schema()):
        url = fill(path, rows_a)
        for cursor in CRAFTED_CURSORS:
            response = key_a.get(url, {"cursor": cursor})
            assert response.status_code == 400, (path, cursor, response.content)
            body = assert_validation_error(response, "cursor")
            assert set(body["errors"]) == {"cursor"}, (path, cursor, body)
        for cursor in ODD_KEYSET_CURSORS:
            response = key_a.get(url, {"cursor": cursor})
            assert response.status_code in (200, 400), (path, cursor, response.content)
            assert response["Content-Type"].startswith("application/json")


def test_every_cursor_list_still_pages_with_its_own_links(key_a, rows_a, tenant_a):
    for i in range(4):
        make_account(tenant_a, "同名客户" if i < 3 else f"客户 {i}")
    for path, _op in cursor_lists(served_schema()):
        url, seen = fill(path, rows_a), []
        response = key_a.get(url, {"page_size": 1})
        while True:
            assert response.status_code == 200, (path, response.content)
            page = response.json()
            seen += [row["id"] for row in page["results"]]
            if not page["next"]:
                break
            response = key_a.get(page["next"])
        assert len(seen) == len(set(seen)), path


@pytest.mark.parametrize("ordering", ["name", "-name", "created_at", "-strategic_value,name", "id"])
def test_account_pages_walk_every_ordering_forward_and_back(key_a, tenant_a, ordering):
    ids = {make_account(tenant_a, "同名客户" if i % 2 else f"客户 {i}", strategic_value=1 + i % 5).pk
           for i in range(7)}
    response, seen, previous = key_a.get("/api/v1/accounts/", {"page_size": 2,
                                                                "ordering": ordering}), [], None
    while True:
        page = response.json()
        assert response.status_code == 200, page
        seen += [row["id"] for row in page["results"]]
        previous = page["previous"] or previous
        if not page["next"]:
            break
        response = key_a.get(page["next"])
    assert sorted(seen) == sorted(ids)
    assert key_a.get(previous).status_code == 200


# 4. Every /api/ answer is JSON, whatever went wrong.

def test_an_oversized_body_is_a_json_413(key_a, rows_a, settings):
    big = b'{"name": "' + b"a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + b'"}'
    for url in ("/api/v1/accounts/", "/api/v1/transactions/bulk/",
                f"/api/v1/accounts/{rows_a['accounts']}/"):
        method = "PATCH" if url.endswith(f"{rows_a['accounts']}/") else "POST"
        response = key_a.generic(method, url, big, content_type="application/json", **EN)
        assert "too large" in assert_json_error(response, 413)["message"]


def test_api_errors_of_every_kind_are_json(key_a, rows_a, admin_a):
    account = f"/api/v1/accounts/{rows_a['accounts']}/"
    assert_json_error(key_a.put("/api/v1/accounts/", {}, format="json"), 405)
    assert_json_error(key_a.generic("POST", "/api/v1/accounts/", b"name=x",
                                    content_type="text/plain"), 415)
    assert_json_error(key_a.get("/api/v1/no-such-thing/"), 404)
    assert_json_error(key_a.post("/api/v1/no-such-thing/", {}, format="json"), 404)
    assert_json_error(key_a.get(account, HTTP_ACCEPT="application/xml"), 406)
    many = "&".join(f"p{i}=1" for i in range(1100))
    assert_json_error(key_a.get(f"/api/v1/accounts/?{many}"), 400)
    assert_json_error(APIClient().get(account), 401)
    session = APIClient(enforce_csrf_checks=True)
    login(session, admin_a)
    response = session.patch(account, {"name": "改名"}, format="json", **EN)
    assert "CSRF" in assert_json_error(response, 403)["message"]


def test_an_unexpected_error_under_api_is_a_json_500_elsewhere_the_page(rf):
    from kam.api.errors import server_error

    for path, json_expected in (("/api/v1/accounts/", True), ("/accounts/", False)):
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            response = server_error(rf.get(path))
        assert response.status_code == 500
        assert response["Content-Type"].startswith("application/json") is json_expected
        if json_expected:
            assert json.loads(response.content)["message"]


# 5. Parameters: unknown or malformed ones are 400s everywhere.

def test_an_unknown_query_parameter_is_a_400_naming_it_on_every_operation(key_a, rows_a):
    before = Transaction.unscoped_all_tenants.count()
    for method, path, op in operations(served_schema()):
        url = fill(path, rows_a) + "?zz_unknown=1"
        response = key_a.generic(method.upper(), url, "{}", content_type="application/json", **EN)
        body = assert_validation_error(response, "zz_unknown")
        message = body["errors"]["zz_unknown"][0]
        assert "Unknown parameter" in message, (method, path, message)
        for name in query_names(op):
            assert name in message, (method, path, message)
    assert Transaction.unscoped_all_tenants.count() == before  # the DELETE did not run


def test_format_is_not_a_parameter_of_the_api(key_a):
    for value in ("json", "api", "xml"):
        response = key_a.get("/api/v1/accounts/", {"format": value})
        assert_validation_error(response, "format")


def test_every_documented_query_parameter_is_accepted_as_a_parameter(key_a, rows_a):
    for method, path, op in operations(served_schema()):
        url = fill(path, rows_a)
        for name in query_names(op):
            response = key_a.generic(method.upper(), f"{url}?{name}=1", "{}",
                                     content_type="application/json", **EN)
            errors = response.json().get("errors") if response.status_code == 400 else None
            messages = errors.get(name, []) if isinstance(errors, dict) else []
            assert not any("Unknown parameter" in m for m in messages), (method, path, name)


def test_an_unknown_ordering_is_a_400_naming_the_accepted_values(key_a, rows_a):
    schema = served_schema()
    lists = [(path, op) for method, path, op in operations(schema)
             if method == "get" and "ordering" in query_names(op)]
    assert len(lists) >= 5
    for path, op in lists:
        parameter = next(p for p in op["parameters"] if p["name"] == "ordering")
        pattern = parameter["schema"]["pattern"]
        accepted = re.findall(r"[a-z_]+", pattern.split("(?:", 2)[1])
        assert "id" in accepted, (path, pattern)
        url = fill(path, rows_a)
        for bad in ("nope", "", "-", "id,", "id,,name", " id", "id;", "tenant", "tenant_id",
                    "pk", "-account__tenant"):
            assert not re.fullmatch(pattern, bad)
            body = assert_validation_error(key_a.get(url, {"ordering": bad}, **EN), "ordering")
            message = body["errors"]["ordering"][0]
            assert all(name in message for name in accepted), message
        for good in (accepted[-1], f"-{accepted[0]}", ",".join(accepted), f"{accepted[-1]},-id"):
            assert re.fullmatch(pattern, good)
            assert key_a.get(url, {"ordering": good}).status_code == 200, (path, good)


def test_an_empty_or_malformed_page_size_or_cursor_is_a_400_on_every_list(key_a, rows_a):
    for method, path, op in operations(served_schema()):
        if method != "get" or "page_size" not in query_names(op):
            continue
        url = fill(path, rows_a)
        for value in ("", "0", "abc", " 5", "5 ", "²", "-1", "1.0", "100000000000000000000"):
            assert_validation_error(key_a.get(url, {"page_size": value}), "page_size")
        assert_validation_error(key_a.get(url, {"cursor": ""}), "cursor")
        assert key_a.get(url, {"page_size": "1"}).status_code == 200


# 6. Request bodies take no unknown fields, and the schema says so.

def _request_components(schema: dict) -> set[str]:
    names = set()
    for _m, _p, op in body_operations(schema):
        body = op["requestBody"]["content"]["application/json"]["schema"]
        body = body.get("items", body)
        names.add(body["$ref"].rsplit("/", 1)[1])
    return names


def test_the_schema_says_request_bodies_take_no_unknown_fields():
    schema = served_schema()
    components = schema["components"]["schemas"]
    requests = _request_components(schema)
    assert {"AccountRequest", "PatchedAccountRequest", "BulkTransactionRowRequest"} <= requests
    for name in requests:
        assert components[name].get("additionalProperties") is False, name
    # Responses describe what the API sends; they are not closed.
    for name in ("Account", "Contact", "Transaction", "PaginatedAccountList"):
        assert "additionalProperties" not in components[name], name


def test_an_unknown_or_read_only_body_field_is_a_400_naming_it(key_a, rows_a):
    before = {"account": key_a.get(f"/api/v1/accounts/{rows_a['accounts']}/").json()}
    for method, path, _op in body_operations(served_schema()):
        url = fill(path, rows_a)
        for extra in ({"zz_unknown": 1}, {"id": 424242}, {"created_at": "2026-01-01T00:00:00Z"},
                      {"名称": "x"}):
            if path.endswith("/bulk/"):
                response = key_a.post(url, [extra], format="json", **EN)
                assert response.status_code == 400, response.content
                assert set(extra) <= set(response.json()["errors"][0]["errors"])
                continue
            response = key_a.generic(method.upper(), url, json.dumps(extra),
                                     content_type="application/json", **EN)
            assert_validation_error(response, *extra)
    after = key_a.get(f"/api/v1/accounts/{rows_a['accounts']}/").json()
    assert after == before["account"]


# 9. PostgreSQL goes away: the API answers a JSON 503 with Retry-After, pages the 503 page, and
# nothing is half written. Real backends are terminated (pg_terminate_backend, as a superuser).

def _superuser(autocommit: bool = True):
    conn = devstack._superuser_connect(connection.settings_dict["NAME"])
    conn.autocommit = autocommit
    return conn


def _terminate(pid: int) -> None:
    admin = _superuser()
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            assert cursor.fetchone() == (True,)
    finally:
        admin.close()


def _waiting_backend(dbname: str, statement: str) -> int:
    """The pid of the backend that waits on a lock running ``statement`` (polled, up to ~20 s)."""
    admin = _superuser()
    try:
        for _ in range(400):
            with admin.cursor() as cursor:
                cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s "
                               "AND wait_event_type = 'Lock' AND query LIKE %s",
                               [dbname, f"%{statement}%"])
                found = cursor.fetchall()
            if found:
                assert len(found) == 1
                return found[0][0]
            time.sleep(0.05)
    finally:
        admin.close()
    raise AssertionError(f"no backend waits on a lock running {statement!r}")


def assert_db_unavailable(response) -> dict:
    body = assert_json_error(response, 503)
    assert response["Retry-After"] == "5"
    assert set(body) == {"message"}
    return body


def test_a_bulk_upsert_whose_backend_is_terminated_is_a_json_503_and_writes_nothing(
        transactional_db, tenant_a):
    account = make_account(tenant_a, "苏州精工")
    with tenant_context(tenant_a):
        Transaction.objects.create(tenant=tenant_a, account=account, date="2026-01-10",
                                   amount=Decimal("1.00"), external_id="LOCKED")
    raw = key_for(tenant_a, ["write"], name="erp-bulk")
    rows = [{"account": account.pk, "date": "2026-03-01", "amount": "10.00",
             "external_id": f"NEW-{i}"} for i in range(1500)]
    # The upsert writes 1,000 rows per statement: the first statement inserts, the second
    # waits on the row the test holds, and its backend is terminated there.
    rows.insert(1200, {"account": account.pk, "date": "2026-03-02", "amount": "99.00",
                       "external_id": "LOCKED"})
    holder = _superuser(autocommit=False)
    responses: list = []

    def upsert() -> None:
        try:
            client = bearer(APIClient(raise_request_exception=False), raw)
            responses.append(client.post("/api/v1/transactions/bulk/", rows, format="json", **EN))
        finally:
            connection.close()

    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT id FROM accounts_transaction WHERE external_id = 'LOCKED' "
                           "FOR UPDATE")
        thread = threading.Thread(target=upsert)
        thread.start()
        _terminate(_waiting_backend(connection.settings_dict["NAME"],
                                    "INSERT INTO accounts_transaction"))
        thread.join(30)
        assert not thread.is_alive()
    finally:
        holder.rollback()
        holder.close()
    message = assert_db_unavailable(responses[0])["message"]
    assert "database" in message and "retry" in message.lower()
    stored = list(Transaction.unscoped_all_tenants.values_list("external_id", "amount"))
    assert stored == [("LOCKED", Decimal("1.00"))]  # none of the first statement's 1,000 rows


def _dead_connection() -> None:
    """The backend of this thread's (fresh) connection is ended, so its next statement fails."""
    connection.close()
    connection.ensure_connection()
    _terminate(connection.connection.get_backend_pid())


def test_a_lost_database_under_api_is_a_json_503_for_keys_and_sessions(transactional_db,
                                                                       tenant_a, admin_a):
    account = make_account(tenant_a, "苏州精工")
    raw = key_for(tenant_a, ["read", "write"], name="erp-lost")
    session = APIClient(raise_request_exception=False)
    login(session, admin_a)
    calls = [
        lambda: bearer(APIClient(raise_request_exception=False), raw).get(
            "/api/v1/accounts/", **EN),
        lambda: bearer(APIClient(raise_request_exception=False), raw).patch(
            f"/api/v1/accounts/{account.pk}/", {"name": "改名"}, format="json", **EN),
        lambda: session.get(f"/api/v1/accounts/{account.pk}/", **EN),
        lambda: session.get(f"/api/v1/accounts/{account.pk}/",
                            HTTP_ACCEPT_LANGUAGE="zh-hans"),
    ]
    try:
        for call in calls:
            _dead_connection()
            body = assert_db_unavailable(call())
        assert re.search(r"[\u4e00-\u9fff]", body["message"])
    finally:
        connection.close()
    assert Account.unscoped_all_tenants.get(pk=account.pk).name == "苏州精工"


def test_a_lost_database_on_a_page_is_the_products_503_page(transactional_db, tenant_a, admin_a):
    client = Client(raise_request_exception=False)
    login(client, admin_a)
    try:
        for language, words in (("en", "try again"), ("zh-hans", "秒后重试")):
            _dead_connection()
            response = client.get("/accounts/", HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 503
            assert response["Retry-After"] == "5"
            assert response["Content-Type"].startswith("text/html")
            page = response.content.decode()
            assert words in page and "kam-header" in page, page  # the product's layout
    finally:
        connection.close()


def test_the_schema_describes_the_api_for_an_integrator(db):
    """The served description says how to use the API — not how the project was built — and
    names every resource the schema has."""
    schema = served_schema()
    text = schema["info"]["description"]
    assert "issue" not in text.lower()
    for must in ("Authorization: Bearer kam_", "`read`", "`write`", "`next`", "page_size",
                 '{"message"', "429", "Retry-After", "Accept-Language"):
        assert must in text, must
    resources = {path.removeprefix("/api/v1/").split("/")[0] for path in schema["paths"]}
    assert resources and all(f"`{resource}" in text for resource in resources), resources

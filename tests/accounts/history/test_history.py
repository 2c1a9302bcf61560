"""An account's change history (accounts.history): the page for executives and administrators,
the read-only API, keyset pagination, and who may not see it."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts.history.selectors import account_history_page
from accounts.models import AccountTeamMember, Contact, Contract, Transaction
from kam.audit import audit_context
from kam.tenancy import tenant_context
from tests.conftest import bearer, key_for, login
from tests.factories import make_account

pytestmark = pytest.mark.django_db


def history_url(account_id: int) -> str:
    return f"/api/v1/accounts/{account_id}/history/"


@pytest.fixture
def story(tenant_a, admin_a, manager_a):
    """An account with a bit of everything: its own edits, a contact created then changed, a team
    member, a contract and two transactions, by a member, an API key and a job."""
    account = make_account(tenant_a, "苏州精工", owner=manager_a)
    with tenant_context(tenant_a):
        with audit_context(actor="user", user_id=admin_a.user_id, username="admin_a",
                           membership_id=admin_a.pk):
            account.strategic_value = 5
            account.save()
            contact = Contact.objects.create(account=account, name="王伟", phone="138 0013 8000",
                                             level="leadership")
            contact.phone = "139 0000 0000"
            contact.save()
            AccountTeamMember.objects.create(account=account, membership=admin_a, team_role="sales")
            Contract.objects.create(account=account, number="HT-1", title="框架协议",
                                    start_date="2026-01-01", end_date="2026-12-31",
                                    value=Decimal("1000"))
        with audit_context(actor="api_key", api_key_id=7, api_key_name="ERP"):
            Transaction.objects.create(account=account, date="2026-03-01", amount=Decimal("10.00"),
                                       external_id="T-1")
            Transaction.objects.create(account=account, date="2026-03-02", amount=Decimal("20.00"),
                                       external_id="T-2")
        with audit_context(actor="job", job="accounts.tasks.run_import"):
            account.city = "苏州"
            account.save()
    return account


# --- the selector -------------------------------------------------------------------------------


def test_history_lists_every_change_newest_first_with_diffs(story, tenant_a):
    with tenant_context(tenant_a), translation.override("en"):
        page = account_history_page(account=story)
    entries = page.entries
    assert page.next_cursor is None and page.is_first
    # The fixture ran in the test's one transaction, so every event has the same time (NOW() is the
    # transaction's start): the order falls back to the table, then the newest event first.
    assert [(e.kind, e.action, e.object_label) for e in entries] == [
        ("account", "changed", "苏州精工"),  # the job's city
        ("account", "changed", "苏州精工"),  # strategic value
        ("account", "created", "苏州精工"),
        ("contact", "changed", "王伟"),
        ("contact", "created", "王伟"),
        ("team", "created", "admin_a · Sales"),
        ("contract", "created", "HT-1 框架协议"),
        ("transaction", "created", "2026-03-02 · 20.00 · T-2"),
        ("transaction", "created", "2026-03-01 · 10.00 · T-1"),
    ]
    by_id = {(e.kind, e.action, e.object_label): e for e in entries}
    phone = by_id[("contact", "changed", "王伟")].changes
    assert [(c.field, c.old_display, c.new_display) for c in phone] == [
        ("phone", "138 0013 8000", "139 0000 0000")]
    created = {c.field: c.new_display for c in by_id[("contact", "created", "王伟")].changes}
    assert created["name"] == "王伟" and created["level"] == "Leadership"
    team = next(e for e in entries if e.kind == "team")
    assert team.object_label.startswith("admin_a") and team.actor_label == "admin_a"
    tx = [e for e in entries if e.kind == "transaction"]
    assert {e.actor["type"] for e in tx} == {"api_key"} and tx[0].actor["name"] == "ERP"
    city = [e for e in entries if e.kind == "account" and e.actor["type"] == "job"]
    assert [(c.field, c.old, c.new) for c in city[0].changes] == [("city", "", "苏州")]
    assert all(e.when.tzinfo is not None and e.when.utcoffset() == datetime.timedelta(hours=8)
               for e in entries)  # the tenant's time zone, Asia/Shanghai


def test_history_excludes_other_accounts_and_other_tenants(story, tenant_a, tenant_b):
    other = make_account(tenant_a, "别的客户")
    foreign = make_account(tenant_b, "Foreign")
    with tenant_context(tenant_b):
        Contact.objects.create(account=foreign, name="Olivia")
    with tenant_context(tenant_a):
        Contact.objects.create(account=other, name="李四")
        labels = {e.object_label for e in account_history_page(account=story).entries}
    assert "李四" not in labels and "Olivia" not in labels and "别的客户" not in labels


def test_keyset_pages_cover_everything_once(story, tenant_a):
    with tenant_context(tenant_a):
        everything = [e.event_id for e in account_history_page(account=story, size=200).entries]
        seen: list[str] = []
        cursor = None
        while True:
            page = account_history_page(account=story, cursor=cursor, size=2)
            seen += [e.event_id for e in page.entries]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    assert seen == everything and len(seen) == 9


# --- the page -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin_a", "exec_a"])
def test_executives_and_admins_see_the_history_page(client, request, story, who):
    member = request.getfixturevalue(who)
    login(client, member)
    detail = client.get(reverse("accounts:account-detail", args=[story.pk]))
    assert reverse("accounts:account-history", args=[story.pk]) in detail.content.decode()
    response = client.get(reverse("accounts:account-history", args=[story.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "王伟" in body and "139 0000 0000" in body and "138 0013 8000" in body
    assert "ERP" in body and "accounts.tasks.run_import" in body
    assert "Asia/Shanghai" in body


def test_a_manager_reads_the_history_of_their_own_account(client, story, manager_a):
    login(client, manager_a)
    detail = client.get(reverse("accounts:account-detail", args=[story.pk]))
    assert detail.status_code == 200
    assert reverse("accounts:account-history", args=[story.pk]) in detail.content.decode()
    page = client.get(reverse("accounts:account-history", args=[story.pk]))
    assert page.status_code == 200 and page.context["page"].entries


def test_a_manager_on_the_team_may_not_read_the_history(client, story, manager2_a):
    """A teammate sees the account but does not answer for it: 403 (and no link)."""
    with tenant_context(story.tenant):
        AccountTeamMember.objects.create(account=story, membership=manager2_a, team_role="sales")
    login(client, manager2_a)
    detail = client.get(reverse("accounts:account-detail", args=[story.pk]))
    assert detail.status_code == 200
    assert reverse("accounts:account-history", args=[story.pk]) not in detail.content.decode()
    assert client.get(reverse("accounts:account-history", args=[story.pk])).status_code == 403


def test_another_managers_account_is_a_404(client, story, manager2_a):
    login(client, manager2_a)
    assert client.get(reverse("accounts:account-history", args=[story.pk])).status_code == 404


def test_outsider_gets_404_on_the_page(client, story, admin_b):
    login(client, admin_b)
    assert client.get(reverse("accounts:account-history", args=[story.pk])).status_code == 404


def test_page_with_a_tampered_cursor_is_a_400(client, story, exec_a):
    login(client, exec_a)
    for cursor in ("garbage", "eyJ0IjoxfQ", "e30"):
        response = client.get(reverse("accounts:account-history", args=[story.pk]), {"cursor": cursor})
        assert response.status_code == 400


def test_page_paginates(client, story, exec_a, monkeypatch):
    monkeypatch.setattr("accounts.history.views.DEFAULT_PAGE_SIZE", 4)
    login(client, exec_a)
    first = client.get(reverse("accounts:account-history", args=[story.pk]))
    page = first.context["page"]
    assert len(page.entries) == 4 and page.next_cursor
    second = client.get(reverse("accounts:account-history", args=[story.pk]), {"cursor": page.next_cursor})
    assert second.status_code == 200
    assert not {e.event_id for e in page.entries} & {
        e.event_id for e in second.context["page"].entries}


def test_page_query_count_does_not_grow_with_the_history(client, story, exec_a, tenant_a):
    login(client, exec_a)
    url = reverse("accounts:account-history", args=[story.pk])
    client.get(url)  # warm up (session, caches)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    with tenant_context(tenant_a), audit_context(actor="job", job="x"):
        for i in range(40):
            Contact.objects.create(account=story, name=f"联系人{i}")
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert len(response.context["page"].entries) == 49
    assert len(large) == len(small)
    assert len(small) <= 8


# --- the API ------------------------------------------------------------------------------------


def test_api_read_key_gets_the_history(api, story, tenant_a, admin_a,
                                       django_assert_max_num_queries):
    client = bearer(api, key_for(tenant_a, ["read"]))
    with django_assert_max_num_queries(8):
        response = client.get(history_url(story.pk))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["next"] is None and body["previous"] is None
    results = body["results"]
    assert len(results) == 9
    change = next(r for r in results if r["object_type"] == "contact" and r["action"] == "changed")
    assert change["changes"] == [{"field": "phone", "old": "138 0013 8000", "new": "139 0000 0000"}]
    assert change["actor"] == {"type": "user", "id": admin_a.pk, "name": "admin_a"}
    assert change["time"].endswith("+08:00")
    assert {r["object_type"] for r in results} == {"account", "contact", "team", "contract",
                                                   "transaction"}


def test_api_pagination_follows_next(api, story, tenant_a):
    client = bearer(api, key_for(tenant_a, ["read"]))
    url, seen = history_url(story.pk) + "?page_size=4", []
    while url:
        body = client.get(url).json()
        seen += [r["id"] for r in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 9


@pytest.mark.parametrize("params", [{"cursor": "nope"}, {"page_size": 0}, {"page_size": 1000},
                                    {"page_size": "x"}])
def test_api_bad_query_is_a_400(api, story, tenant_a, params):
    client = bearer(api, key_for(tenant_a, ["read"]))
    response = client.get(history_url(story.pk), params)
    assert response.status_code == 400
    assert response.json()["message"]


def test_api_is_read_only(api, story, tenant_a):
    client = bearer(api, key_for(tenant_a, ["read", "write"]))
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)(history_url(story.pk), {}, format="json").status_code == 405


def test_api_manager_reads_their_own_accounts_history_only(api, story, manager_a, manager2_a):
    assert login(api, manager_a).get(history_url(story.pk)).status_code == 200
    assert login(api, manager2_a).get(history_url(story.pk)).status_code == 404  # not theirs to see
    with tenant_context(story.tenant):
        AccountTeamMember.objects.create(account=story, membership=manager2_a, team_role="sales")
    assert login(api, manager2_a).get(history_url(story.pk)).status_code == 403  # on the team


def test_api_exec_session_is_allowed(api, story, exec_a):
    assert login(api, exec_a).get(history_url(story.pk)).status_code == 200


def test_api_outsider_gets_404(outsider, story):
    response = outsider.get(history_url(story.pk))
    assert response.status_code == 404
    assert "王伟" not in response.content.decode()


@pytest.mark.parametrize("bad_id", ["999999", "abc", "-1", "¹", "%C2%B9"])
def test_api_unknown_account_is_a_404(api, tenant_a, bad_id):
    client = bearer(api, key_for(tenant_a, ["read"]))
    assert client.get(f"/api/v1/accounts/{bad_id}/history/").status_code == 404


def test_api_is_in_the_schema(api, tenant_a):
    schema = bearer(api, key_for(tenant_a, ["read"])).get("/api/v1/schema/?format=json")
    paths = schema.json()["paths"]
    assert set(paths["/api/v1/accounts/{account_pk}/history/"]) == {"get"}

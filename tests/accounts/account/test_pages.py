from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account
from tests.conftest import login
from tests.factories import make_account

pytestmark = pytest.mark.django_db


def snapshot(account: Account) -> dict:
    row = Account.unscoped_all_tenants.filter(pk=account.pk).values().first()
    assert row is not None
    return row


# --- outsiders --------------------------------------------------------------------------------


@pytest.mark.parametrize("method,url_name", [
    ("get", "accounts:account-detail"), ("get", "accounts:account-edit"), ("post", "accounts:account-edit"),
    ("get", "accounts:account-delete"), ("post", "accounts:account-delete"),
])
def test_other_tenant_gets_404_and_changes_nothing(client, admin_a, admin_b, method, url_name):
    account = make_account(admin_a.tenant, "华为供应链", owner=admin_a)
    before = snapshot(account)
    login(client, admin_b)
    url = reverse(url_name, args=[account.pk])
    response = getattr(client, method)(url, {"name": "stolen", "strategic_value": 1,
                                              "lifecycle_status": "churned"})
    assert response.status_code == 404
    assert snapshot(account) == before


def test_list_shows_none_of_another_tenants_accounts(client, admin_a, admin_b):
    make_account(admin_a.tenant, "Tenant A Secret Co")
    make_account(admin_b.tenant, "Tenant B Own Co")
    login(client, admin_b)
    for query in ("", "?q=Secret", "?q=Co"):
        response = client.get(reverse("accounts:account-list") + query)
        assert response.status_code == 200
        assert b"Tenant A Secret Co" not in response.content
    assert b"Tenant B Own Co" in client.get(reverse("accounts:account-list")).content


def test_anonymous_is_sent_to_login(client, admin_a):
    account = make_account(admin_a.tenant, "X")
    for url in (reverse("accounts:account-list"), reverse("accounts:account-detail", args=[account.pk]),
                reverse("accounts:account-create"), reverse("kam:settings")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("kam:login"))


def test_user_without_membership_sees_explanation(client, django_user_model):
    user = django_user_model.objects.create_user("drifter", password="x-very-long-pass-1")
    client.force_login(user)
    response = client.get(reverse("accounts:account-list"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "You are not a member of any company in KAM yet" in response.content.decode()


# --- roles ------------------------------------------------------------------------------------


def test_manager_sees_only_own_accounts(client, manager_a, manager2_a):
    mine = make_account(manager_a.tenant, "Mine Ltd", owner=manager_a)
    theirs = make_account(manager_a.tenant, "Theirs Ltd", owner=manager2_a)
    login(client, manager_a)
    body = client.get(reverse("accounts:account-list")).content.decode()
    assert "Mine Ltd" in body and "Theirs Ltd" not in body
    assert client.get(reverse("accounts:account-detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("accounts:account-detail", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("accounts:account-edit", args=[theirs.pk]), {"name": "x"}).status_code == 404


def test_executive_reads_all_but_cannot_edit(client, exec_a, manager_a):
    account = make_account(exec_a.tenant, "Seen Ltd", owner=manager_a)
    login(client, exec_a)
    assert "Seen Ltd" in client.get(reverse("accounts:account-list")).content.decode()
    assert client.get(reverse("accounts:account-detail", args=[account.pk])).status_code == 200
    assert client.get(reverse("accounts:account-edit", args=[account.pk])).status_code == 403
    assert client.get(reverse("accounts:account-create")).status_code == 403
    assert client.post(reverse("accounts:account-delete", args=[account.pk])).status_code == 403
    assert Account.unscoped_all_tenants.filter(pk=account.pk).exists()


def test_only_admins_delete(client, admin_a, manager_a):
    account = make_account(admin_a.tenant, "Doomed Ltd", owner=manager_a)
    login(client, manager_a)
    assert client.post(reverse("accounts:account-delete", args=[account.pk])).status_code == 403
    assert Account.unscoped_all_tenants.filter(pk=account.pk).exists()
    login(client, admin_a)
    confirm = client.get(reverse("accounts:account-delete", args=[account.pk]))
    assert confirm.status_code == 200 and "Doomed Ltd" in confirm.content.decode()
    assert Account.unscoped_all_tenants.filter(pk=account.pk).exists()  # GET deletes nothing
    response = client.post(reverse("accounts:account-delete", args=[account.pk]))
    assert response.status_code == 302
    assert not Account.unscoped_all_tenants.filter(pk=account.pk).exists()


# --- forms ------------------------------------------------------------------------------------


def form_data(**overrides) -> dict:
    data = {"name": "苏州恒通机械有限公司", "lifecycle_status": "active", "strategic_value": "3"}
    data.update(overrides)
    return data


def test_manager_creates_an_account_and_owns_it(client, manager_a):
    login(client, manager_a)
    response = client.post(reverse("accounts:account-create"), form_data(
        unified_social_credit_code="91350100m000100y43", industry="machinery"))
    assert response.status_code == 302
    account = Account.unscoped_all_tenants.get()
    assert account.owner_id == manager_a.pk
    assert account.tenant_id == manager_a.tenant_id
    assert account.unified_social_credit_code == "91350100M000100Y43"
    assert response["Location"] == reverse("accounts:account-detail", args=[account.pk])


@pytest.mark.parametrize("overrides,field", [
    ({"unified_social_credit_code": "911100001000013437"}, "unified_social_credit_code"),
    ({"unified_social_credit_code": "91350100M000100Y4"}, "unified_social_credit_code"),
    ({"strategic_value": "9"}, "strategic_value"),
    ({"lifecycle_status": "zombie"}, "lifecycle_status"),
    ({"employee_count": "-5"}, "employee_count"),
    ({"name": ""}, "name"),
])
def test_bad_input_shows_inline_errors_and_saves_nothing(client, admin_a, overrides, field):
    login(client, admin_a)
    response = client.post(reverse("accounts:account-create"), form_data(**overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert 'aria-invalid="true"' in response.content.decode()
    assert Account.unscoped_all_tenants.count() == 0


def test_duplicate_credit_code_is_a_form_error(client, admin_a):
    make_account(admin_a.tenant, "First", unified_social_credit_code="91350100M000100Y43")
    login(client, admin_a)
    response = client.post(reverse("accounts:account-create"),
                           form_data(unified_social_credit_code="91350100M000100Y43"))
    assert response.status_code == 400
    assert "unified_social_credit_code" in response.context["form"].errors
    assert Account.unscoped_all_tenants.count() == 1


def test_edit_rejects_a_cycle(client, admin_a):
    group = make_account(admin_a.tenant, "Group")
    child = make_account(admin_a.tenant, "Child", parent=group)
    login(client, admin_a)
    response = client.post(reverse("accounts:account-edit", args=[group.pk]),
                           form_data(name="Group", parent=str(child.pk)))
    assert response.status_code == 400
    assert "parent" in response.context["form"].errors
    assert Account.unscoped_all_tenants.get(pk=group.pk).parent_id is None


def test_parent_choices_exclude_other_tenants(client, admin_a, admin_b):
    foreign = make_account(admin_b.tenant, "Foreign Group")
    login(client, admin_a)
    response = client.post(reverse("accounts:account-create"), form_data(parent=str(foreign.pk)))
    assert response.status_code == 400
    assert "parent" in response.context["form"].errors
    assert Account.unscoped_all_tenants.filter(tenant=admin_a.tenant).count() == 0


def test_edit_saves_changes(client, admin_a, manager_a):
    account = make_account(admin_a.tenant, "Old name")
    login(client, admin_a)
    response = client.post(reverse("accounts:account-edit", args=[account.pk]),
                           form_data(name="New name", owner=str(manager_a.pk), credit_rating="A"))
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.owner_id, account.credit_rating) == ("New name", manager_a.pk, "A")


# --- list -------------------------------------------------------------------------------------


def test_empty_state(client, admin_a):
    login(client, admin_a)
    body = client.get(reverse("accounts:account-list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No accounts yet" in body


def test_filters_and_pagination(client, admin_a):
    for i in range(30):
        make_account(admin_a.tenant, f"Acme {i:02d}", industry="energy" if i % 2 else "retail")
    login(client, admin_a)
    first = client.get(reverse("accounts:account-list"))
    page = first.context["page"]
    assert page.total == 30 and len(page.items) == 25 and page.next_cursor
    second = client.get(reverse("accounts:account-list"), {"cursor": page.next_cursor})
    names = [a.name for a in page.items] + [a.name for a in second.context["page"].items]
    assert names == sorted(f"Acme {i:02d}" for i in range(30))
    energy = client.get(reverse("accounts:account-list"), {"industry": "energy"}).context["page"]
    assert energy.total == 15
    assert all(a.industry == "energy" for a in energy.items)
    # A tampered cursor falls back to the first page instead of failing.
    assert client.get(reverse("accounts:account-list"), {"cursor": "!!!"}).status_code == 200


@pytest.mark.parametrize("sort", ["", "-name", "strategic_value", "-strategic_value"])
def test_list_query_count_is_constant(client, admin_a, manager_a, sort):
    login(client, admin_a)

    def count_queries(**query) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("accounts:account-list"), {"sort": sort, **query})
        assert response.status_code == 200
        return len(ctx.captured_queries)

    for i in range(3):
        make_account(admin_a.tenant, f"Small {i}", owner=manager_a)
    client.get(reverse("accounts:account-list"))  # the first request stores the tenant in the session
    small = count_queries()
    group = make_account(admin_a.tenant, "Group")
    for i in range(40):
        make_account(admin_a.tenant, f"Big {i}", owner=manager_a, parent=group)
    assert count_queries() == small
    # 1 session, 2 user, 3 memberships with their tenants, 4 total count, 5 the page's rows
    # (owner, owner's user, parent and tier state joined), 6 the owner filter's choices,
    # 7 "tiers as of" (kam.jobs.data_as_of("tiering")).
    assert small == 7
    # A next or previous page: one more, the sort values of the cursor's row read back by its id.
    page = client.get(reverse("accounts:account-list"), {"sort": sort}).context["page"]
    assert count_queries(cursor=page.next_cursor) == small + 1
    second = client.get(reverse("accounts:account-list"),
                        {"sort": sort, "cursor": page.next_cursor}).context["page"]
    assert count_queries(cursor=second.previous_cursor) == small + 1


def test_language_follows_browser_and_tenant_default(client, admin_a, admin_b):
    login(client, admin_a)
    listing = reverse("accounts:account-list")
    assert "客户" in client.get(listing, HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "Accounts" in client.get(listing, HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    # No usable browser language: the tenant's default (tenant B is English, A Chinese).
    assert "客户" in client.get(listing, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    login(client, admin_b)
    assert "Accounts" in client.get(listing, HTTP_ACCEPT_LANGUAGE="fr").content.decode()


def test_language_switcher_sets_cookie(client, admin_a):
    login(client, admin_a)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/accounts/"})
    assert response.status_code == 302
    body = client.get(reverse("accounts:account-list"), HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "New account" in body


def test_crafted_cursor_with_wrong_types_restarts_at_page_one(client, admin_a):
    import base64
    import json

    make_account(admin_a.tenant, "Only one")
    login(client, admin_a)
    for values in (["x", "not-a-number"], ["x", None], ["x", "1.5"], ["x", {"a": 1}]):
        raw = json.dumps({"v": values, "n": 25}).encode()
        cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        response = client.get(reverse("accounts:account-list"), {"cursor": cursor})
        assert response.status_code == 200
        assert [a.name for a in response.context["page"].items] == ["Only one"]

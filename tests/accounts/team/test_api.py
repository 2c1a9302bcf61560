"""The account team API (/api/v1/account-team/) and what team membership lets a manager see."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account, AccountTeamMember
from kam.models import Membership
from kam.tenancy import tenant_context
from tests.api_helpers import assert_validation_error, ids_of
from tests.conftest import bearer, key_for, login, make_member
from tests.factories import make_account

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/account-team/"
ACCOUNTS_URL = "/api/v1/accounts/"


def detail_url(pk: int) -> str:
    return f"/api/v1/account-team/{pk}/"


def add_to_team(account: Account, membership: Membership, team_role: str = "sales"
                ) -> AccountTeamMember:
    with tenant_context(account.tenant):
        return AccountTeamMember.objects.create(tenant=account.tenant, account=account,
                                                membership=membership, team_role=team_role)


def row(pk: int) -> dict | None:
    return AccountTeamMember.unscoped_all_tenants.filter(pk=pk).values().first()


def total() -> int:
    return AccountTeamMember.unscoped_all_tenants.count()


def test_router_names_the_endpoint():
    assert reverse("api:account-team-list") == LIST_URL
    assert reverse("api:account-team-detail", args=[4]) == detail_url(4)


def test_add_list_retrieve_remove(writer_a, admin_a, manager_a):
    account = make_account(admin_a.tenant, "苏州精工")
    response = writer_a.post(LIST_URL, {"account": account.pk, "membership": manager_a.pk,
                                        "team_role": "technical_support"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    saved = row(body["id"])
    assert (saved["tenant_id"], saved["account_id"], saved["membership_id"], saved["team_role"]) == (
        admin_a.tenant_id, account.pk, manager_a.pk, "technical_support")
    assert body["member_name"] == "manager_a"
    assert body["account_name"] == "苏州精工"
    assert ids_of(writer_a.get(LIST_URL)) == [body["id"]]
    assert ids_of(writer_a.get(LIST_URL, {"membership": manager_a.pk})) == [body["id"]]
    assert ids_of(writer_a.get(LIST_URL, {"account": account.pk})) == [body["id"]]
    assert writer_a.get(detail_url(body["id"])).json()["team_role"] == "technical_support"
    # Membership of the team is not edited in place: remove and add again.
    assert writer_a.patch(detail_url(body["id"]), {"team_role": "sales"},
                          format="json").status_code == 405
    assert writer_a.delete(detail_url(body["id"])).status_code == 204
    assert row(body["id"]) is None
    assert Membership.unscoped_all_tenants.filter(pk=manager_a.pk).exists()


# --- outsiders ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "delete"])
def test_outsider_gets_404_and_changes_nothing(outsider, admin_a, manager_a, method):
    member = add_to_team(make_account(admin_a.tenant, "Tenant A Secret"), manager_a)
    before = row(member.pk)
    response = getattr(outsider, method)(detail_url(member.pk))
    assert response.status_code == 404, response.content
    assert "Secret" not in response.content.decode()
    assert row(member.pk) == before


def test_outsider_list_shows_none_of_tenant_as_rows(outsider, admin_a, manager_a, admin_b):
    theirs = add_to_team(make_account(admin_a.tenant, "A Co"), manager_a)
    mine = add_to_team(make_account(admin_b.tenant, "B Co"), admin_b)
    assert ids_of(outsider.get(LIST_URL)) == [mine.pk]
    assert theirs.pk not in ids_of(outsider.get(LIST_URL))


@pytest.mark.parametrize("field", ["account", "membership"])
def test_another_tenants_account_or_membership_is_rejected(writer_a, admin_a, manager_a, admin_b,
                                                           field):
    payload = {"account": make_account(admin_a.tenant, "A Co").pk, "membership": manager_a.pk,
               "team_role": "sales"}
    payload[field] = admin_b.pk if field == "membership" else make_account(admin_b.tenant, "B").pk
    response = writer_a.post(LIST_URL, payload, format="json")
    assert_validation_error(response, field)
    assert total() == 0


def test_filter_by_another_tenants_membership_is_400(writer_a, admin_b):
    assert_validation_error(writer_a.get(LIST_URL, {"membership": admin_b.pk}), "membership")


def test_inactive_member_duplicate_and_bad_role_are_rejected(writer_a, admin_a, manager_a):
    account = make_account(admin_a.tenant, "Co")
    gone = make_member(admin_a.tenant, "gone_a", "manager")
    with tenant_context(gone.tenant):
        Membership.objects.filter(pk=gone.pk).update(is_active=False)
    assert_validation_error(writer_a.post(LIST_URL, {"account": account.pk, "membership": gone.pk,
                                                     "team_role": "sales"}, format="json"),
                            "membership")
    assert_validation_error(writer_a.post(LIST_URL, {"account": account.pk,
                                                     "membership": manager_a.pk,
                                                     "team_role": "mascot"}, format="json"),
                            "team_role")
    assert total() == 0
    add_to_team(account, manager_a)
    assert_validation_error(writer_a.post(LIST_URL, {"account": account.pk,
                                                     "membership": manager_a.pk,
                                                     "team_role": "service"}, format="json"),
                            "membership")
    assert total() == 1


# --- roles --------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["executive", "manager-on-the-team", "read-key"])
def test_only_admins_write_keys_and_the_owner_manage_the_team(api, exec_a, manager_a, manager2_a,
                                                             who):
    account = make_account(manager_a.tenant, "Mine", owner=manager_a)
    member = add_to_team(account, manager2_a)
    if who == "executive":
        login(api, exec_a)
    elif who == "manager-on-the-team":
        login(api, manager2_a)  # sees the account, works on it, does not staff it
    else:
        bearer(api, key_for(manager_a.tenant, ["read"]))
    assert ids_of(api.get(LIST_URL)) == [member.pk]  # they can read it
    response = api.post(LIST_URL, {"account": account.pk, "membership": exec_a.pk,
                                   "team_role": "executive_sponsor"}, format="json")
    assert response.status_code == 403, response.content
    assert api.delete(detail_url(member.pk)).status_code == 403
    assert total() == 1
    assert row(member.pk) is not None


def test_the_owner_staffs_the_team_of_their_own_account_only(api, exec_a, manager_a, manager2_a):
    mine = make_account(manager_a.tenant, "Mine", owner=manager_a)
    theirs = make_account(manager_a.tenant, "Theirs", owner=manager2_a)
    on_theirs = add_to_team(theirs, manager_a)  # manager_a works on it: sees it, may not staff it
    login(api, manager_a)
    response = api.post(LIST_URL, {"account": mine.pk, "membership": manager2_a.pk,
                                   "team_role": "technical_support"}, format="json")
    assert response.status_code == 201, response.content
    added = response.json()["id"]
    assert api.post(LIST_URL, {"account": theirs.pk, "membership": exec_a.pk,
                               "team_role": "sales"}, format="json").status_code == 403
    assert api.delete(detail_url(on_theirs.pk)).status_code == 403
    assert api.delete(detail_url(added)).status_code == 204
    assert sorted(AccountTeamMember.unscoped_all_tenants.values_list("pk", flat=True)) == [
        on_theirs.pk]


def test_manager_sees_team_rows_only_of_visible_accounts(api, manager_a, manager2_a, admin_a):
    tenant = manager_a.tenant
    own = add_to_team(make_account(tenant, "Own", owner=manager_a), admin_a)
    other = add_to_team(make_account(tenant, "Colleague's", owner=manager2_a), admin_a)
    login(api, manager_a)
    assert ids_of(api.get(LIST_URL)) == [own.pk]
    assert api.get(detail_url(other.pk)).status_code == 404


def test_manager_on_the_team_sees_the_account(api, client, manager_a, manager2_a, admin_a):
    tenant = manager_a.tenant
    account = make_account(tenant, "Team Account Ltd", owner=manager2_a)
    hidden = make_account(tenant, "Hidden Ltd", owner=manager2_a)
    own = make_account(tenant, "Own Ltd", owner=manager_a)
    login(api, manager_a)
    login(client, manager_a)
    assert ids_of(api.get(ACCOUNTS_URL)) == [own.pk]
    assert client.get(reverse("accounts:account-detail", args=[account.pk])).status_code == 404

    member = add_to_team(account, manager_a)
    add_to_team(account, admin_a)  # other team rows do not repeat the account
    add_to_team(own, admin_a)
    assert ids_of(api.get(ACCOUNTS_URL)) == [own.pk, account.pk]
    assert api.get(f"{ACCOUNTS_URL}{account.pk}/").status_code == 200
    page = client.get(reverse("accounts:account-detail", args=[account.pk]))
    assert page.status_code == 200
    assert "Team Account Ltd" in page.content.decode()
    listing = client.get(reverse("accounts:account-list")).content.decode()
    assert "Team Account Ltd" in listing and "Hidden Ltd" not in listing
    assert client.get(reverse("accounts:account-detail", args=[hidden.pk])).status_code == 404

    with tenant_context(member.tenant):
        AccountTeamMember.objects.filter(pk=member.pk).delete()
    assert ids_of(api.get(ACCOUNTS_URL)) == [own.pk]
    assert client.get(reverse("accounts:account-detail", args=[account.pk])).status_code == 404


def test_manager_account_list_is_still_one_query_for_the_page(api, manager_a, manager2_a):
    tenant = manager_a.tenant
    login(api, manager_a)
    assert api.get(ACCOUNTS_URL).status_code == 200
    for i in range(3):
        make_account(tenant, f"Own {i}", owner=manager_a)
        add_to_team(make_account(tenant, f"Team {i}", owner=manager2_a), manager_a)
        make_account(tenant, f"Hidden {i}", owner=manager2_a)
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(ACCOUNTS_URL)
    assert len(ids_of(response)) == 6
    sql = [q["sql"] for q in ctx.captured_queries]
    assert len(sql) == 4, sql
    assert "django_session" in sql[0]  # 1. the session
    assert "auth_user" in sql[1]  # 2. the user
    assert "kam_membership" in sql[2]  # 3. the user's active memberships (tenant joined)
    # 4. the page: owned OR on the team, the team as a correlated EXISTS (no duplicate rows)
    assert "accounts_account" in sql[3] and "accounts_accountteammember" in sql[3]
    assert "EXISTS" in sql[3].upper()

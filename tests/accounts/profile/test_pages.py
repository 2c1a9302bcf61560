"""The customer-profile pages (客户档案): the account 360° page, contacts, contracts, transactions,
the account team, the timeline and the revenue chart's selector."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.contacts.selectors import relationship_map
from accounts.figures.services import figures_recompute
from accounts.models import Account, AccountTeamMember, Contact, Contract, Transaction
from accounts.profile import timeline as timeline_module
from accounts.profile.timeline import TimelineEntry, account_timeline, register_timeline_source
from accounts.tiering.services import tier_override_set
from accounts.transactions.selectors import account_revenue_by_month
from accounts.transactions.timeline import transactions_by_month_source
from kam import clock
from kam.models import Membership
from kam.roles import Actor
from kam.tenancy import tenant_context
from tests.conftest import login, make_member
from tests.factories import make_account

# The 360° page counts months and renewals from the tenant's today: on the frozen clock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

SHANGHAI = clock.zone("Asia/Shanghai")


# --- helpers ---------------------------------------------------------------------------------------


def make_contact(account: Account, name: str, **fields) -> Contact:
    with tenant_context(account.tenant):
        return Contact.objects.create(tenant=account.tenant, account=account, name=name, **fields)


def make_contract(account: Account, number: str, **fields) -> Contract:
    values = {"title": f"Supply {number}", "start_date": datetime.date(2024, 1, 1),
              "end_date": datetime.date(2024, 12, 31), "value": Decimal("100000.00"),
              "status": "active"}
    values.update(fields)
    with tenant_context(account.tenant):
        return Contract.objects.create(tenant=account.tenant, account=account, number=number,
                                       **values)


def make_tx(account: Account, day: datetime.date, amount: str, **fields) -> Transaction:
    with tenant_context(account.tenant):
        return Transaction.objects.create(tenant=account.tenant, account=account, date=day,
                                          amount=Decimal(amount), **fields)


def add_to_team(account: Account, membership: Membership, team_role: str = "sales"
                ) -> AccountTeamMember:
    with tenant_context(account.tenant):
        return AccountTeamMember.objects.create(tenant=account.tenant, account=account,
                                                membership=membership, team_role=team_role)


def snapshot() -> dict:
    """Every profile row of every tenant: what an outsider's request must leave untouched."""
    return {
        model.__name__: sorted(model.unscoped_all_tenants.values_list(), key=repr)
        for model in (Account, Contact, Contract, Transaction, AccountTeamMember)
    }


def actor_for(membership: Membership) -> Actor:
    return Actor(tenant=membership.tenant, membership=membership)


def profile_of(tenant_owner: Membership) -> dict:
    """An account of ``tenant_owner``'s tenant with one of everything."""
    account = make_account(tenant_owner.tenant, "华为供应链", owner=tenant_owner)
    contact = make_contact(account, "王建国", level="leadership", buying_role="decision_maker")
    contract = make_contract(account, "HT-2024-001")
    tx = make_tx(account, datetime.date(2024, 5, 1), "1000.00")
    colleague = make_member(tenant_owner.tenant, f"colleague_{tenant_owner.pk}", "manager")
    member = add_to_team(account, colleague)
    return {"account": account, "contact": contact, "contract": contract, "tx": tx,
            "member": member, "colleague": colleague}


# --- outsiders: another tenant's administrator gets 404 and changes nothing -------------------------

OUTSIDER_REQUESTS = [
    ("get", "accounts:account-detail", "account"),
    ("post", "accounts:account-team-add", "account"),
    ("get", "accounts:account-team-remove", "member"),
    ("post", "accounts:account-team-remove", "member"),
    ("get", "accounts:contact-edit", "contact"),
    ("post", "accounts:contact-edit", "contact"),
    ("get", "accounts:contact-delete", "contact"),
    ("post", "accounts:contact-delete", "contact"),
    ("get", "accounts:contract-edit", "contract"),
    ("post", "accounts:contract-edit", "contract"),
    ("get", "accounts:contract-delete", "contract"),
    ("post", "accounts:contract-delete", "contract"),
]


@pytest.mark.parametrize("method,url_name,target", OUTSIDER_REQUESTS)
def test_outsider_gets_404_and_changes_nothing(client, admin_a, admin_b, method, url_name, target):
    rows = profile_of(admin_a)
    if target == "member":
        args = [rows["account"].pk, rows["member"].pk]
    else:
        args = [rows[target].pk]
    before = snapshot()
    login(client, admin_b)
    payload = {"name": "stolen", "number": "X", "title": "stolen", "account": rows["account"].pk,
               "membership": admin_b.pk, "team_role": "sales", "start_date": "2024-01-01",
               "end_date": "2025-01-01", "value": "1", "status": "active", "level": "business",
               "relationship_strength": "3", "payment_terms_days": "30",
               "renewal_notice_days": "60", "is_active": "on"}
    response = getattr(client, method)(reverse(url_name, args=args), payload)
    assert response.status_code == 404
    assert snapshot() == before


def test_outsider_team_remove_through_own_account_is_404(client, admin_a, admin_b):
    # Tenant B's own account in the URL, tenant A's team row as the member: still not found.
    rows = profile_of(admin_a)
    own = make_account(admin_b.tenant, "B's own")
    before = snapshot()
    login(client, admin_b)
    url = reverse("accounts:account-team-remove", args=[own.pk, rows["member"].pk])
    assert client.post(url).status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("url_name", ["accounts:contact-create", "accounts:contract-create"])
def test_outsider_cannot_create_on_another_tenants_account(client, admin_a, admin_b, url_name):
    account = make_account(admin_a.tenant, "Tenant A Secret Co")
    before = snapshot()
    login(client, admin_b)
    # The preselection of a foreign account shows nothing of it.
    page = client.get(reverse(url_name), {"account": account.pk})
    assert page.status_code == 200 and "Tenant A Secret Co" not in page.content.decode()
    response = client.post(reverse(url_name), {
        "account": account.pk, "name": "Spy", "level": "business", "relationship_strength": "3",
        "is_active": "on", "number": "SPY-1", "title": "Spy", "start_date": "2024-01-01",
        "end_date": "2025-01-01", "value": "1", "status": "active", "payment_terms_days": "30",
        "renewal_notice_days": "60"})
    assert response.status_code == 400
    assert "account" in response.context["form"].errors
    assert snapshot() == before


@pytest.mark.parametrize("url_name", ["accounts:contact-list", "accounts:contract-list",
                                      "accounts:transaction-list"])
def test_lists_show_none_of_another_tenants_rows(client, admin_a, admin_b, url_name):
    rows = profile_of(admin_a)
    theirs = make_account(admin_b.tenant, "Tenant B Own Co", owner=admin_b)
    make_contact(theirs, "B Person")
    make_contract(theirs, "B-1")
    make_tx(theirs, datetime.date(2024, 5, 2), "7.00")
    login(client, admin_b)
    # Every contract, not only the current ones the contract list opens on (these ended in 2024).
    every = {"period": "all"} if url_name == "accounts:contract-list" else {}
    for query in ({}, {"account": rows["account"].pk}, {"renewal_due": "1"}, {"q": "王"}):
        # follow: the contact list moves a search term into an opaque token (303) first.
        response = client.get(reverse(url_name), {**query, **every}, follow=True)
        assert response.status_code == 200
        body = response.content.decode()
        assert "华为供应链" not in body and "王建国" not in body and "HT-2024-001" not in body
        assert all(item.tenant_id == admin_b.tenant_id for item in response.context["page"].items)
    own = client.get(reverse(url_name), every).context["page"]
    assert own.total == 1


def test_anonymous_is_sent_to_login(client, admin_a):
    rows = profile_of(admin_a)
    for url in (reverse("accounts:contact-list"), reverse("accounts:contract-list"),
                reverse("accounts:transaction-list"), reverse("accounts:contact-create"),
                reverse("accounts:contract-edit", args=[rows["contract"].pk]),
                reverse("accounts:account-team-remove", args=[rows["account"].pk, rows["member"].pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("kam:login"))


# --- roles -------------------------------------------------------------------------------------------


def test_manager_sees_only_visible_accounts_children(client, manager_a, manager2_a):
    mine = make_account(manager_a.tenant, "Mine Ltd", owner=manager_a)
    on_team = make_account(manager_a.tenant, "Team Ltd", owner=manager2_a)
    add_to_team(on_team, manager_a)
    theirs = make_account(manager_a.tenant, "Theirs Ltd", owner=manager2_a)
    for account, tag in ((mine, "mine"), (on_team, "team"), (theirs, "theirs")):
        make_contact(account, f"contact-{tag}")
        make_contract(account, f"K-{tag}")
        make_tx(account, datetime.date(2024, 3, 1), "10.00", product_line=f"line-{tag}")
    login(client, manager_a)
    for url_name, label in (("accounts:contact-list", "contact-"), ("accounts:contract-list", "K-"),
                            ("accounts:transaction-list", "line-")):
        # Every contract, not only the current ones the contract list opens on.
        every = {"period": "all"} if url_name == "accounts:contract-list" else {}
        body = client.get(reverse(url_name), every).content.decode()
        assert f"{label}mine" in body and f"{label}team" in body, url_name
        assert f"{label}theirs" not in body, url_name
        # Filtering by an invisible account shows nothing of it either.
        filtered = client.get(reverse(url_name), {"account": theirs.pk, **every})
        assert f"{label}theirs" not in filtered.content.decode()
        assert filtered.context["page"].total == 0
    hidden_contact = Contact.unscoped_all_tenants.get(name="contact-theirs")
    hidden_contract = Contract.unscoped_all_tenants.get(number="K-theirs")
    before = snapshot()
    assert client.get(reverse("accounts:account-detail", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("accounts:contact-edit", args=[hidden_contact.pk]),
                       {"name": "x"}).status_code == 404
    assert client.post(reverse("accounts:contact-delete", args=[hidden_contact.pk])).status_code == 404
    assert client.post(reverse("accounts:contract-delete", args=[hidden_contract.pk])).status_code == 404
    response = client.post(reverse("accounts:contact-create"), {
        "account": theirs.pk, "name": "Sneaky", "level": "business",
        "relationship_strength": "3", "is_active": "on"})
    assert response.status_code == 400 and "account" in response.context["form"].errors
    assert snapshot() == before


def test_executive_reads_everything_but_writes_nothing(client, exec_a, manager_a):
    rows = profile_of(manager_a)
    account = rows["account"]
    login(client, exec_a)
    for url in (reverse("accounts:account-detail", args=[account.pk]), reverse("accounts:contact-list"),
                reverse("accounts:contract-list"), reverse("accounts:transaction-list")):
        response = client.get(url)
        assert response.status_code == 200
        assert "华为供应链" in response.content.decode()
    before = snapshot()
    contact_data = {"account": account.pk, "name": "Exec", "level": "business",
                    "relationship_strength": "3", "is_active": "on"}
    for method, url in (
        ("get", reverse("accounts:contact-create")), ("post", reverse("accounts:contact-create")),
        ("get", reverse("accounts:contact-edit", args=[rows["contact"].pk])),
        ("post", reverse("accounts:contact-edit", args=[rows["contact"].pk])),
        ("post", reverse("accounts:contact-delete", args=[rows["contact"].pk])),
        ("get", reverse("accounts:contract-create")), ("post", reverse("accounts:contract-create")),
        ("post", reverse("accounts:contract-edit", args=[rows["contract"].pk])),
        ("post", reverse("accounts:contract-delete", args=[rows["contract"].pk])),
        ("post", reverse("accounts:account-team-add", args=[account.pk])),
        ("get", reverse("accounts:account-team-remove", args=[account.pk, rows["member"].pk])),
        ("post", reverse("accounts:account-team-remove", args=[account.pk, rows["member"].pk])),
    ):
        response = getattr(client, method)(url, {**contact_data, "membership": exec_a.pk,
                                                 "team_role": "sales"})
        assert response.status_code == 403, (method, url)
    assert snapshot() == before
    # The read-only page offers no editing.
    page = client.get(reverse("accounts:account-detail", args=[account.pk]))
    assert not page.context["can_manage_team"] and not page.context["can_change"]
    assert reverse("accounts:account-team-add", args=[account.pk]) not in page.content.decode()
    assert reverse("accounts:contact-create") not in page.content.decode()


def test_team_editing_is_for_admins_and_the_owner(client, admin_a, exec_a, manager_a, manager2_a):
    account = make_account(admin_a.tenant, "Team Co", owner=manager_a)
    with tenant_context(admin_a.tenant):
        on_team = AccountTeamMember.objects.create(account=account, membership=manager2_a,
                                                   team_role="sales")
    # A manager on the team, and an executive, see the team but cannot change it.
    for who in (manager2_a, exec_a):
        login(client, who)
        page = client.get(reverse("accounts:account-detail", args=[account.pk]))
        assert page.status_code == 200 and not page.context["can_manage_team"]
        assert client.get(reverse("accounts:account-team-add", args=[account.pk])).status_code == 403
        response = client.post(reverse("accounts:account-team-add", args=[account.pk]),
                               {"membership": admin_a.pk, "team_role": "sales"})
        assert response.status_code == 403
        remove = reverse("accounts:account-team-remove", args=[account.pk, on_team.pk])
        assert client.post(remove).status_code == 403
    assert list(AccountTeamMember.unscoped_all_tenants.values_list("pk", flat=True)) == [on_team.pk]

    # The owner staffs their account's team, from the same pages.
    login(client, manager_a)
    page = client.get(reverse("accounts:account-detail", args=[account.pk]))
    assert page.context["can_manage_team"]
    assert reverse("accounts:account-team-add", args=[account.pk]) in page.content.decode()
    response = client.post(reverse("accounts:account-team-remove", args=[account.pk, on_team.pk]))
    assert response.status_code == 302
    assert not AccountTeamMember.unscoped_all_tenants.exists()

    # The administrator adds a member, from a page the 360° page links to …
    login(client, admin_a)
    add_url = reverse("accounts:account-team-add", args=[account.pk])
    assert add_url in client.get(reverse("accounts:account-detail", args=[account.pk])).content.decode()
    page = client.get(add_url)
    assert page.status_code == 200
    choices = list(page.context["form"].fields["membership"].queryset)
    assert manager2_a in choices
    response = client.post(reverse("accounts:account-team-add", args=[account.pk]),
                           {"membership": manager2_a.pk, "team_role": "technical_support"})
    assert response.status_code == 302
    member = AccountTeamMember.unscoped_all_tenants.get()
    assert (member.account_id, member.membership_id, member.team_role) == (
        account.pk, manager2_a.pk, "technical_support")
    # … who is no longer offered, and a duplicate or a bad role is a 400 that adds nothing.
    page = client.get(add_url)
    assert manager2_a not in list(page.context["form"].fields["membership"].queryset)
    for data in ({"membership": manager2_a.pk, "team_role": "sales"},
                 {"membership": manager_a.pk, "team_role": "janitor"},
                 {"membership": "", "team_role": "sales"}):
        response = client.post(reverse("accounts:account-team-add", args=[account.pk]), data)
        assert response.status_code == 400
        assert response.context["form"].errors
    assert AccountTeamMember.unscoped_all_tenants.count() == 1

    # Removing asks first: GET confirms and removes nothing, POST removes.
    url = reverse("accounts:account-team-remove", args=[account.pk, member.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and manager2_a.user.username in confirm.content.decode()
    assert AccountTeamMember.unscoped_all_tenants.count() == 1
    assert client.post(url).status_code == 302
    assert not AccountTeamMember.unscoped_all_tenants.exists()


def test_team_member_of_another_account_is_404(client, admin_a, manager_a):
    one = make_account(admin_a.tenant, "One")
    other = make_account(admin_a.tenant, "Other")
    member = add_to_team(other, manager_a)
    login(client, admin_a)
    assert client.post(reverse("accounts:account-team-remove", args=[one.pk, member.pk])).status_code == 404
    assert AccountTeamMember.unscoped_all_tenants.filter(pk=member.pk).exists()


# --- contact pages -----------------------------------------------------------------------------------


def contact_form(account: Account, /, **overrides) -> dict:
    data = {"account": str(account.pk), "name": "李娜", "title": "技术总监",
            "level": "technical", "buying_role": "influencer", "relationship_strength": "4",
            "is_active": "on", "email": "li.na@example.cn"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_contact_create_preselects_and_saves(client, manager_a):
    account = make_account(manager_a.tenant, "Own Co", owner=manager_a)
    login(client, manager_a)
    page = client.get(reverse("accounts:contact-create"), {"account": account.pk})
    assert page.status_code == 200
    assert page.context["form"]["account"].value() == account.pk
    response = client.post(reverse("accounts:contact-create"), contact_form(account))
    assert response.status_code == 302
    contact = Contact.unscoped_all_tenants.get()
    assert (contact.account_id, contact.name, contact.level, contact.buying_role) == (
        account.pk, "李娜", "technical", "influencer")
    assert response["Location"].startswith(reverse("accounts:account-detail", args=[account.pk]))


@pytest.mark.parametrize("overrides,field", [
    ({"name": ""}, "name"),
    ({"email": "not-an-email"}, "email"),
    ({"relationship_strength": "9"}, "relationship_strength"),
    ({"level": "janitor"}, "level"),
    ({"phone": "call me"}, "phone"),
    ({"account": ""}, "account"),
])
def test_contact_bad_input_is_400_with_inline_errors(client, admin_a, overrides, field):
    account = make_account(admin_a.tenant, "Co")
    login(client, admin_a)
    response = client.post(reverse("accounts:contact-create"), contact_form(account, **overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Contact.unscoped_all_tenants.exists()


def test_contact_duplicate_email_is_an_inline_error(client, admin_a):
    account = make_account(admin_a.tenant, "Co")
    make_contact(account, "First", email="li.na@example.cn")
    login(client, admin_a)
    response = client.post(reverse("accounts:contact-create"), contact_form(account))
    assert response.status_code == 400
    assert "email" in response.context["form"].errors
    assert Contact.unscoped_all_tenants.count() == 1


def test_contact_marked_as_left_through_the_edit_form(client, admin_a, monkeypatch):
    account = make_account(admin_a.tenant, "Co")
    contact = make_contact(account, "李娜", level="technical", email="li.na@example.cn")
    login(client, admin_a)
    # Unticked, with a date: left on that date.
    response = client.post(reverse("accounts:contact-edit", args=[contact.pk]),
                           contact_form(account, is_active=None, left_on="2024-06-30"))
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.is_active, contact.left_on) == (False, datetime.date(2024, 6, 30))
    # Unticked without a date: left today, in the tenant's time zone.
    fixed = datetime.datetime(2025, 3, 31, 17, 0, tzinfo=datetime.UTC)  # 1 April in Shanghai
    monkeypatch.setattr(timezone, "now", lambda: fixed)
    other = make_contact(account, "张伟", level="business")
    response = client.post(reverse("accounts:contact-edit", args=[other.pk]),
                           contact_form(account, name="张伟", email="", is_active=None))
    assert response.status_code == 302
    other.refresh_from_db()
    assert (other.is_active, other.left_on) == (False, datetime.date(2025, 4, 1))
    # The 360° page lists them as former contacts, not in the map.
    page = client.get(reverse("accounts:account-detail", args=[account.pk]))
    assert {c.name for c in page.context["relationships"].former} == {"李娜", "张伟"}
    assert page.context["relationships"].active_count == 0


def test_contact_delete_asks_first(client, admin_a):
    account = make_account(admin_a.tenant, "Co")
    contact = make_contact(account, "Doomed Person")
    login(client, admin_a)
    confirm = client.get(reverse("accounts:contact-delete", args=[contact.pk]))
    assert confirm.status_code == 200 and "Doomed Person" in confirm.content.decode()
    assert Contact.unscoped_all_tenants.filter(pk=contact.pk).exists()
    assert client.post(reverse("accounts:contact-delete", args=[contact.pk])).status_code == 302
    assert not Contact.unscoped_all_tenants.filter(pk=contact.pk).exists()


def test_contact_list_filters_search_and_pagination(client, admin_a):
    one = make_account(admin_a.tenant, "One")
    two = make_account(admin_a.tenant, "Two")
    for i in range(30):
        make_contact(one if i % 2 else two, f"Person {i:02d}",
                     level="leadership" if i % 3 == 0 else "business",
                     buying_role="champion" if i % 5 == 0 else "",
                     is_active=i != 7, left_on=datetime.date(2024, 1, 1) if i == 7 else None)
    login(client, admin_a)
    first = client.get(reverse("accounts:contact-list")).context["page"]
    assert first.total == 30 and len(first.items) == 25 and first.next_cursor
    second = client.get(reverse("accounts:contact-list"), {"cursor": first.next_cursor}).context["page"]
    assert [c.name for c in first.items + second.items] == [f"Person {i:02d}" for i in range(30)]

    def names(**query) -> set[str]:
        # The search form POSTs (a name searched for stays out of URLs); the rest are GET links.
        if "q" in query:
            response = client.post(reverse("accounts:contact-list"), query, follow=True)
        else:
            response = client.get(reverse("accounts:contact-list"), query)
        return {c.name for c in response.context["page"].items}

    assert names(account=one.pk) == {f"Person {i:02d}" for i in range(30) if i % 2}
    assert names(level="leadership") == {f"Person {i:02d}" for i in range(0, 30, 3)}
    assert names(buying_role="champion") == {f"Person {i:02d}" for i in range(0, 30, 5)}
    assert names(is_active="false") == {"Person 07"}
    # Every word of the search, anywhere (accounts.contacts.selectors.contact_search).
    assert names(q="son 1") == {f"Person {i:02d}" for i in range(30) if "1" in f"{i:02d}"}
    assert names(q="Person 13") == {"Person 13"}
    assert names(q="nobody") == set()
    # A bad filter value shows the error and no rows, never a 500.
    bad = client.get(reverse("accounts:contact-list"), {"level": "janitor"})
    assert bad.status_code == 200 and bad.context["page"].total == 0
    assert client.get(reverse("accounts:contact-list"), {"cursor": "!!!"}).status_code == 200


def test_contact_list_empty_state_and_export_links(client, admin_a):
    login(client, admin_a)
    body = client.get(reverse("accounts:contact-list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No contacts yet" in body
    account = make_account(admin_a.tenant, "Co")
    make_contact(account, "Someone", level="technical")
    body = client.get(reverse("accounts:contact-list"), {"level": "technical"},
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'{reverse("accounts:export-contacts")}?level=technical&amp;format=csv' in body
    assert f'{reverse("accounts:export-contacts")}?level=technical&amp;format=xlsx' in body
    body = client.get(reverse("accounts:contact-list"), {"level": "leadership"},
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No contact matches these filters" in body


def test_account_and_transaction_lists_have_export_links(client, admin_a):
    make_account(admin_a.tenant, "Co", industry="energy")
    login(client, admin_a)
    body = client.get(reverse("accounts:account-list"), {"industry": "energy"}).content.decode()
    assert f'{reverse("accounts:export-accounts")}?industry=energy&amp;format=csv' in body
    body = client.get(reverse("accounts:transaction-list"), {"product_line": "泵"}).content.decode()
    assert f'{reverse("accounts:export-transactions")}?product_line=%E6%B3%B5&amp;format=xlsx' in body


# --- contract pages ----------------------------------------------------------------------------------


def contract_form(account: Account, /, **overrides) -> dict:
    data = {"account": str(account.pk), "number": "HT-2025-007", "title": "年度框架协议",
            "start_date": "2025-01-01", "end_date": "2025-12-31", "value": "1200000.00",
            "payment_terms_days": "60", "status": "active", "renewal_notice_days": "90"}
    data.update(overrides)
    return data


def test_contract_create_edit_delete(client, manager_a):
    account = make_account(manager_a.tenant, "Own Co", owner=manager_a)
    login(client, manager_a)
    page = client.get(reverse("accounts:contract-create"), {"account": account.pk})
    assert page.context["form"]["account"].value() == account.pk
    assert client.post(reverse("accounts:contract-create"), contract_form(account)).status_code == 302
    contract = Contract.unscoped_all_tenants.get()
    assert (contract.number, contract.value, contract.end_date) == (
        "HT-2025-007", Decimal("1200000.00"), datetime.date(2025, 12, 31))
    response = client.post(reverse("accounts:contract-edit", args=[contract.pk]),
                           contract_form(account, status="terminated"))
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.status == "terminated"
    confirm = client.get(reverse("accounts:contract-delete", args=[contract.pk]))
    assert confirm.status_code == 200 and "HT-2025-007" in confirm.content.decode()
    assert Contract.unscoped_all_tenants.exists()
    assert client.post(reverse("accounts:contract-delete", args=[contract.pk])).status_code == 302
    assert not Contract.unscoped_all_tenants.exists()


@pytest.mark.parametrize("overrides,field", [
    ({"end_date": "2024-12-31"}, "end_date"),
    ({"value": "-5"}, "value"),
    ({"number": ""}, "number"),
    ({"status": "zombie"}, "status"),
    ({"start_date": "not a date"}, "start_date"),
])
def test_contract_bad_input_is_400_and_saves_nothing(client, admin_a, overrides, field):
    account = make_account(admin_a.tenant, "Co")
    login(client, admin_a)
    response = client.post(reverse("accounts:contract-create"), contract_form(account, **overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Contract.unscoped_all_tenants.exists()


def test_contract_edit_keeps_the_row_on_bad_input(client, admin_a):
    account = make_account(admin_a.tenant, "Co")
    contract = make_contract(account, "K-1")
    make_contract(account, "K-2")
    login(client, admin_a)
    response = client.post(reverse("accounts:contract-edit", args=[contract.pk]),
                           contract_form(account, number="K-2"))
    assert response.status_code == 400 and "number" in response.context["form"].errors
    contract.refresh_from_db()
    assert contract.number == "K-1"


def test_contract_list_renewals_due(client, admin_a, monkeypatch):
    fixed = datetime.datetime(2025, 6, 1, 4, 0, tzinfo=datetime.UTC)  # 1 June in Shanghai
    monkeypatch.setattr(timezone, "now", lambda: fixed)
    account = make_account(admin_a.tenant, "Co")
    due = make_contract(account, "DUE", start_date=datetime.date(2025, 1, 1),
                        end_date=datetime.date(2025, 7, 1), renewal_notice_days=60)
    make_contract(account, "LATER", start_date=datetime.date(2025, 1, 1),
                  end_date=datetime.date(2025, 12, 31), renewal_notice_days=60)
    make_contract(account, "DRAFT", start_date=datetime.date(2025, 1, 1),
                  end_date=datetime.date(2025, 7, 1), status="draft")
    make_contract(account, "ENDED", start_date=datetime.date(2024, 1, 1),
                  end_date=datetime.date(2025, 5, 31))
    login(client, admin_a)
    everything = client.get(reverse("accounts:contract-list"), {"period": "all"}).context["page"]
    assert {c.number for c in everything.items} == {"DUE", "LATER", "DRAFT", "ENDED"}
    assert {c.number for c in everything.items if c.renewal_due} == {"DUE"}
    response = client.get(reverse("accounts:contract-list"), {"renewal_due": "1"})
    assert [c.number for c in response.context["page"].items] == [due.number]
    assert 'class="kam-renewal-due"' in response.content.decode()
    # Renewals due combine with the other filters.
    assert client.get(reverse("accounts:contract-list"), {"renewal_due": "1", "status": "draft"}
                      ).context["page"].total == 0
    assert client.get(reverse("accounts:contract-list"), {"q": "LAT"}).context["page"].total == 1
    monkeypatch.undo()
    login(client, admin_a)  # the session was made at the patched time
    empty = client.get(reverse("accounts:contract-list"), {"renewal_due": "1", "account": 0},
                       HTTP_ACCEPT_LANGUAGE="en")
    assert empty.status_code == 200 and empty.context["page"].total == 0


# --- transaction list ------------------------------------------------------------------------------


def test_transaction_list_filters_and_pagination(client, admin_a):
    one = make_account(admin_a.tenant, "One")
    two = make_account(admin_a.tenant, "Two")
    start = datetime.date(2024, 1, 1)
    for i in range(30):
        make_tx(one if i % 2 else two, start + datetime.timedelta(days=i), f"{i + 1}.00",
                product_line="pumps" if i % 3 == 0 else "valves")
    login(client, admin_a)
    first = client.get(reverse("accounts:transaction-list")).context["page"]
    assert first.total == 30 and len(first.items) == 25
    second = client.get(reverse("accounts:transaction-list"), {"cursor": first.next_cursor}).context["page"]
    dates = [t.date for t in first.items + second.items]
    assert dates == sorted((start + datetime.timedelta(days=i) for i in range(30)), reverse=True)

    def amounts(**query) -> set[Decimal]:
        return {t.amount for t in client.get(reverse("accounts:transaction-list"), query)
                .context["page"].items}

    assert amounts(account=one.pk) == {Decimal(i + 1) for i in range(30) if i % 2}
    assert amounts(product_line="pumps") == {Decimal(i + 1) for i in range(0, 30, 3)}
    assert amounts(date_after="2024-01-10", date_before="2024-01-12") == {
        Decimal(10), Decimal(11), Decimal(12)}
    bad = client.get(reverse("accounts:transaction-list"), {"date_after": "someday"})
    assert bad.status_code == 200 and bad.context["page"].total == 0
    # A cursor whose values do not fit the fields restarts at page one instead of failing.
    assert client.get(reverse("accounts:transaction-list"),
                      {"cursor": "eyJ2IjpbIngiLCJ5Il0sIm4iOjF9"}).status_code == 200
    empty = client.get(reverse("accounts:transaction-list"), {"product_line": "nothing"},
                       HTTP_ACCEPT_LANGUAGE="en")
    assert "No transaction matches these filters" in empty.content.decode()


# --- the relationship map --------------------------------------------------------------------------


def test_relationship_map_finds_the_gaps(admin_a):
    account = make_account(admin_a.tenant, "Co")
    boss = make_contact(account, "Boss", level="leadership", buying_role="decision_maker",
                        relationship_strength=5)
    make_contact(account, "Advisor", level="leadership", buying_role="influencer")
    make_contact(account, "Former CTO", level="technical", buying_role="decision_maker",
                 is_active=False, left_on=datetime.date(2024, 1, 1))
    with tenant_context(admin_a.tenant):
        contacts = list(Contact.objects.filter(account=account))
    rmap = relationship_map(contacts)
    levels = {group.level: group for group in rmap.levels}
    assert [c.name for c in levels["leadership"].contacts] == ["Boss", "Advisor"]
    assert levels["technical"].is_gap and levels["business"].is_gap
    assert not levels["leadership"].is_gap
    assert [c.name for c in rmap.decision_makers] == ["Boss"]
    assert [c.name for c in rmap.influencers] == ["Advisor"]
    assert [c.name for c in rmap.former] == ["Former CTO"]
    assert {gap.code for gap in rmap.gaps} == {"level:technical", "level:business"}

    # Without an active decision maker (the only other one has left) that is a gap too.
    no_boss = [c for c in contacts if c.pk != boss.pk]
    assert {gap.code for gap in relationship_map(no_boss).gaps} == {
        "level:technical", "level:business", "no_decision_maker"}
    # Everything covered: no gaps.
    full = [*contacts, Contact(name="Engineer", level="technical", is_active=True),
            Contact(name="Buyer", level="business", is_active=True)]
    assert relationship_map(full).gaps == []


def test_360_page_shows_map_and_gaps(client, admin_a):
    account = make_account(admin_a.tenant, "Co")
    make_contact(account, "Engineer Wu", level="technical", buying_role="champion")
    make_contact(account, "Gone Gao", level="leadership", is_active=False,
                 left_on=datetime.date(2024, 2, 1))
    login(client, admin_a)
    response = client.get(reverse("accounts:account-detail", args=[account.pk]), HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert 'data-gap="level:leadership"' in body and 'data-gap="level:business"' in body
    assert 'data-gap="no_decision_maker"' in body and 'data-gap="level:technical"' not in body
    assert "No decision maker is known." in body
    assert 'class="kam-level kam-level-gap" data-level="leadership"' in body
    assert "1 former contact" in body and "Gone Gao" in body
    assert [c.name for c in response.context["relationships"].champions] == ["Engineer Wu"]


# --- figures and chart on the 360° page ------------------------------------------------------------


def test_360_page_figures_empty_state_then_figures(client, admin_a):
    account = make_account(admin_a.tenant, "Co")
    login(client, admin_a)
    body = client.get(reverse("accounts:account-detail", args=[account.pk]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Key figures are not computed yet" in body
    assert "No revenue in the last 24 months" in body
    other = make_account(admin_a.tenant, "Other")
    today = clock.today(admin_a.tenant)
    make_tx(account, today - datetime.timedelta(days=10), "300.00", gross_margin=Decimal("90.00"))
    make_tx(account, today - datetime.timedelta(days=400), "200.00")
    make_tx(other, today - datetime.timedelta(days=5), "700.00")
    figures_recompute(tenant_id=admin_a.tenant_id)
    response = client.get(reverse("accounts:account-detail", args=[account.pk]), HTTP_ACCEPT_LANGUAGE="en")
    figures = response.context["figures"]
    assert figures.revenue_12m == Decimal("300.00")
    assert figures.growth_pct == Decimal("50.0")   # 300 vs 200
    assert figures.margin_pct == Decimal("30.0")   # 90 of 300
    assert figures.share_pct == Decimal("30.0")    # 300 of the tenant's 1000
    body = response.content.decode()
    assert "Key figures are not computed yet" not in body
    assert 'data-kam-chart="revenue-by-month"' in body
    assert "vendor/chartjs/chart.umd.min.js" in body and "kam/charts.js" in body
    chart = response.context["revenue_chart"]
    assert len(chart["labels"]) == 24 and chart["labels"][-1] == today.strftime("%Y-%m")
    assert Decimal(chart["values"][-1]) + Decimal(chart["values"][-2]) >= Decimal("300.00")
    # The data travel as JSON in a <script type="application/json">, not inline code.
    assert '<script id="revenue-chart-data" type="application/json">' in body
    assert json.loads(body.split('<script id="revenue-chart-data" type="application/json">')[1]
                      .split("</script>")[0])["labels"] == chart["labels"]


def test_revenue_by_month_against_hand_computed_values(admin_a, admin_b):
    account = make_account(admin_a.tenant, "Co")
    other = make_account(admin_a.tenant, "Other")
    foreign = make_account(admin_b.tenant, "Foreign")
    make_tx(account, datetime.date(2023, 3, 31), "5000.00")    # before the 24 months
    make_tx(account, datetime.date(2023, 4, 1), "100.00")      # first month, first day
    order = make_tx(account, datetime.date(2024, 2, 10), "200.00")
    make_tx(account, datetime.date(2024, 2, 20), "-30.00", refund_of=order)
    make_tx(account, datetime.date(2024, 2, 29), "0.50")
    make_tx(account, datetime.date(2025, 3, 15), "50.00")      # today counts
    make_tx(account, datetime.date(2025, 3, 16), "999.00")     # after today: not yet
    make_tx(other, datetime.date(2024, 2, 10), "777.00")
    make_tx(foreign, datetime.date(2024, 2, 10), "888.00")
    with tenant_context(admin_a.tenant), CaptureQueriesContext(connection) as ctx:
        series = account_revenue_by_month(account=account, months=24,
                                          today=datetime.date(2025, 3, 15))
    assert len(ctx.captured_queries) == 1  # one GROUP BY
    assert len(series) == 24
    assert series[0][0] == datetime.date(2023, 4, 1)
    assert series[-1][0] == datetime.date(2025, 3, 1)
    months = [m for m, _ in series]
    assert months == sorted(months) and all(m.day == 1 for m in months)
    expected = {datetime.date(2023, 4, 1): Decimal("100.00"),
                datetime.date(2024, 2, 1): Decimal("170.50"),
                datetime.date(2025, 3, 1): Decimal("50.00")}
    assert {m: v for m, v in series if v} == expected
    assert all(v == 0 for m, v in series if m not in expected)
    with tenant_context(admin_a.tenant):
        short = account_revenue_by_month(account=account, months=3,
                                         today=datetime.date(2024, 3, 1))
    assert short == [(datetime.date(2024, 1, 1), Decimal("0.00")),
                     (datetime.date(2024, 2, 1), Decimal("170.50")),
                     (datetime.date(2024, 3, 1), Decimal("0.00"))]


def test_revenue_by_month_uses_the_tenants_today(admin_a, monkeypatch):
    account = make_account(admin_a.tenant, "Co")
    make_tx(account, datetime.date(2025, 4, 1), "42.00")
    # 17:00 UTC on 31 March is already 1 April in Shanghai: April is the last month, with 42.
    monkeypatch.setattr(timezone, "now",
                        lambda: datetime.datetime(2025, 3, 31, 17, 0, tzinfo=datetime.UTC))
    with tenant_context(admin_a.tenant):
        series = account_revenue_by_month(account=account, months=2)
    assert series == [(datetime.date(2025, 3, 1), Decimal("0.00")),
                      (datetime.date(2025, 4, 1), Decimal("42.00"))]


# --- the timeline ----------------------------------------------------------------------------------


def build_history(admin: Membership) -> Account:
    account = make_account(admin.tenant, "History Co")
    first = make_tx(account, datetime.date(2024, 1, 5), "100.00")
    make_tx(account, datetime.date(2024, 1, 20), "250.50")
    make_tx(account, datetime.date(2024, 1, 25), "-50.00", refund_of=first)
    make_tx(account, datetime.date(2024, 3, 10), "1000.00")
    li = make_contact(account, "Li", level="technical", is_active=False,
                      left_on=datetime.date(2024, 4, 1))
    with tenant_context(admin.tenant):
        Contact.objects.filter(pk=li.pk).update(
            created_at=datetime.datetime(2024, 2, 1, 10, 0, tzinfo=SHANGHAI))
    make_contract(account, "C-1", start_date=datetime.date(2023, 12, 1),
                  end_date=datetime.date(2024, 6, 30), renewal_notice_days=60, status="active")
    return account


def test_timeline_merges_every_source_newest_first(admin_a, admin_b):
    account = build_history(admin_a)
    foreign = make_account(admin_b.tenant, "Foreign")
    make_tx(foreign, datetime.date(2024, 1, 7), "9.00")
    actor = actor_for(admin_a)
    with tenant_context(admin_a.tenant), CaptureQueriesContext(connection) as ctx:
        entries = account_timeline(actor=actor, account=account)
    # 3 built-in sources + the tier changes (accounts.tier_timeline, registered by accounts.apps)
    # + visits and follow-ups done (registered by visits.apps): one query each
    assert len(ctx.captured_queries) == len(timeline_module.timeline_sources()) == 6
    assert [(e.kind, e.when) for e in entries] == [
        ("contract-end", datetime.date(2024, 6, 30)),
        ("contract-renewal", datetime.date(2024, 5, 1)),   # 60 days before the end
        ("contact-left", datetime.date(2024, 4, 1)),
        ("transactions", datetime.date(2024, 3, 10)),
        ("contact-added", datetime.datetime(2024, 2, 1, 10, 0, tzinfo=SHANGHAI)),
        ("transactions", datetime.date(2024, 1, 25)),
        ("contract-start", datetime.date(2023, 12, 1)),
    ]
    january = entries[5].data
    assert january["month"] == datetime.date(2024, 1, 1)
    assert (january["orders"], january["order_total"]) == (2, Decimal("350.50"))
    assert (january["refunds"], january["refund_total"]) == (1, Decimal("-50.00"))
    assert january["net_total"] == Decimal("300.50")
    march = entries[3].data
    assert (march["orders"], march["order_total"], march["refunds"]) == (1, Decimal("1000.00"), 0)
    assert "date_after=2024-01-01" in entries[5].url and "date_before=2024-01-31" in entries[5].url
    # limit keeps the newest; since/until keep a window.
    with tenant_context(admin_a.tenant):
        assert [e.kind for e in account_timeline(actor=actor, account=account, limit=2)] == [
            "contract-end", "contract-renewal"]
        window = account_timeline(actor=actor, account=account,
                                  since=datetime.date(2024, 2, 1), until=datetime.date(2024, 4, 1))
    assert [e.kind for e in window] == ["contact-left", "transactions", "contact-added"]


def test_timeline_transaction_summary_is_one_group_by_whatever_the_volume(admin_a):
    account = make_account(admin_a.tenant, "Busy Co")
    expected: dict[datetime.date, tuple[int, Decimal]] = {}
    for i in range(40):
        day = datetime.date(2024, 1 + i % 4, 1 + i % 28)
        make_tx(account, day, f"{10 * (i + 1)}.25")
        month = day.replace(day=1)
        count, total = expected.get(month, (0, Decimal(0)))
        expected[month] = (count + 1, total + Decimal(f"{10 * (i + 1)}.25"))
    with tenant_context(admin_a.tenant), CaptureQueriesContext(connection) as ctx:
        entries = transactions_by_month_source(
            actor=actor_for(admin_a), account=account, since=None, until=None)
    assert len(ctx.captured_queries) == 1
    assert {e.data["month"]: (e.data["orders"], e.data["order_total"]) for e in entries} == expected


def test_other_apps_can_register_a_source(client, admin_a):
    account = build_history(admin_a)
    seen = []

    def visits_source(*, actor, account, since, until):
        seen.append(account.pk)
        return [TimelineEntry(when=datetime.date(2024, 3, 15), kind="visit",
                              title="Visit: quarterly review")]

    register_timeline_source(visits_source)
    register_timeline_source(visits_source)  # idempotent
    try:
        login(client, admin_a)
        response = client.get(reverse("accounts:account-timeline-recent", args=[account.pk]))
        kinds = [e.kind for e in response.context["page"].entries]
        assert kinds.index("visit") == kinds.index("contact-left") + 1
        assert seen == [account.pk]
        assert "Visit: quarterly review" in response.content.decode()
        assert 'class="kam-tl-visit"' in response.content.decode()
    finally:
        timeline_module.unregister_timeline_source(visits_source)
    assert visits_source not in timeline_module.timeline_sources()


def test_timeline_pages_end_with_a_whole_day_and_miss_nothing(client, admin_a):
    account = make_account(admin_a.tenant, "Busy days")
    days = [datetime.date(2024, 1, 1) + datetime.timedelta(days=i) for i in range(40)]

    def three_a_day(*, actor, account, since, until):  # 120 entries, three on each day
        return [TimelineEntry(when=day, kind="visit", title=f"{day} #{n}")
                for day in days for n in range(3)]

    register_timeline_source(three_a_day)
    try:
        login(client, admin_a)
        url = reverse("accounts:account-timeline", args=[account.pk])
        seen, until, pages = [], None, 0
        while True:
            response = client.get(url, {"until": until.isoformat()} if until else {})
            assert response.status_code == 200
            page = response.context["page"]
            titles = [e.title for e in page.entries if e.kind == "visit"]
            # 50 a page, but never a day split: the 50th entry's day is completed (51 entries).
            assert len(titles) == (51 if page.older_until else len(titles))
            if page.older_until:
                assert page.entries[-1].when == page.older_until + datetime.timedelta(days=1)
                assert f"?until={page.older_until.isoformat()}" in response.content.decode()
            seen += titles
            pages += 1
            if page.older_until is None:
                break
            until = page.older_until
        assert pages == 3 and len(seen) == len(set(seen)) == 120
        # The 360° page's section: the newest 20 (a whole day: 21) and a link to the rest.
        recent = client.get(reverse("accounts:account-timeline-recent", args=[account.pk]))
        assert len(recent.context["page"].entries) == 21
        assert url in recent.content.decode()
        # A malformed date is the product's 400, not a 500 or a silent first page.
        assert client.get(url, {"until": "2024-13-01"}).status_code == 400
        assert client.get(url, {"until": "yesterday"}).status_code == 400
    finally:
        timeline_module.unregister_timeline_source(three_a_day)


# --- query counts ----------------------------------------------------------------------------------


def fill_account(account: Account, n: int, members: list[Membership]) -> None:
    for i in range(n):
        make_contact(account, f"Contact {i}", level=("leadership", "technical", "business")[i % 3],
                     buying_role="decision_maker" if i == 0 else "influencer",
                     is_active=i % 4 != 3,
                     left_on=datetime.date(2024, 1, 1) if i % 4 == 3 else None)
        make_contract(account, f"{account.pk}-K{i}", end_date=datetime.date(2024, 6, 1 + i % 28))
        make_tx(account, datetime.date(2024, 1 + i % 12, 1 + i % 28), f"{i + 1}.00")
    for membership in members:
        add_to_team(account, membership)


def test_360_page_costs_a_constant_number_of_queries(client, admin_a):
    tenant = admin_a.tenant
    small = make_account(tenant, "Small", owner=admin_a)
    big = make_account(tenant, "Big", owner=admin_a)
    members = [make_member(tenant, f"member{i}", "manager") for i in range(30)]
    fill_account(small, 1, members[:1])
    fill_account(big, 30, members)
    for i in range(5):
        make_account(tenant, f"Big subsidiary {i}", parent=big)
    figures_recompute(tenant_id=tenant.pk)
    login(client, admin_a)
    client.get(reverse("accounts:account-list"))  # the first request stores the tenant in the session

    def count(account: Account) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("accounts:account-detail", args=[account.pk]))
        assert response.status_code == 200
        return len(ctx.captured_queries)

    assert count(big) == count(small)
    # 1 session, 2 user, 3 memberships with their tenants,
    # 4 the account with owner (and user), parent, figures and stored tier joined,
    # 5 its contacts (active and former), 6 its contracts with the renewal-due flag,
    # 7 revenue by month for the chart (one GROUP BY), 8 team with members' users,
    # 9 the current tiering policy, 10 the live tier breakdown (accounts.tiering.tier_breakdowns),
    # 11 "data as of" of the tiering and figures jobs (kam.jobs.data_as_of_each),
    # 12 subsidiaries (read by the template). The timeline comes in a request of its own (below);
    # adding to the team has a page of its own.
    assert count(small) == 12
    # An override adds one: its author with their user (prefetched, so none without one).
    with tenant_context(tenant):
        tier_override_set(account=big, tier="strategic", reason="framework deal",
                          until=clock.today(tenant) + datetime.timedelta(days=30), by=admin_a)
    assert count(big) == 13


@pytest.mark.parametrize("url_name", ["accounts:account-timeline-recent", "accounts:account-timeline"])
def test_timeline_costs_a_constant_number_of_queries(client, admin_a, url_name):
    tenant = admin_a.tenant
    small = make_account(tenant, "Small", owner=admin_a)
    big = make_account(tenant, "Big", owner=admin_a)
    members = [make_member(tenant, f"member{i}", "manager") for i in range(3)]
    fill_account(small, 1, members[:1])
    fill_account(big, 30, members)
    login(client, admin_a)
    client.get(reverse("accounts:account-list"))  # the first request stores the tenant in the session

    def count(account: Account) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse(url_name, args=[account.pk]))
        assert response.status_code == 200
        return len(ctx.captured_queries)

    # 1 session, 2 user, 3 memberships, 4 the account (visible), 5-10 one per source:
    # transactions per month, contacts, contracts, tier changes, visits, follow-ups done.
    assert count(big) == count(small) == 4 + len(timeline_module.timeline_sources()) == 10


@pytest.mark.parametrize(("url_name", "sort"), [
    ("accounts:contact-list", ""), ("accounts:contact-list", "-name"),
    ("accounts:contact-list", "relationship"), ("accounts:contact-list", "-relationship"),
    ("accounts:contract-list", ""), ("accounts:contract-list", "-end_date"),
    ("accounts:contract-list", "number"), ("accounts:contract-list", "-value"),
    ("accounts:transaction-list", ""), ("accounts:transaction-list", "date"),
])
def test_list_pages_cost_a_constant_number_of_queries(client, admin_a, url_name, sort):
    tenant = admin_a.tenant
    login(client, admin_a)
    client.get(reverse("accounts:account-list"))  # the first request stores the tenant in the session
    # Every contract (these ended in 2024), not only the current ones the list opens on.
    query = {"sort": sort, "period": "all"}

    def count(**extra) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse(url_name), {**query, **extra})
        assert response.status_code == 200
        return len(ctx.captured_queries)

    def add_rows(n: int, prefix: str) -> None:
        for i in range(n):
            account = make_account(tenant, f"{prefix} {i}")
            make_contact(account, f"{prefix} person {i}")
            refunded = make_tx(account, datetime.date(2024, 2, 1), "10.00")
            make_tx(account, datetime.date(2024, 2, 2), "-1.00", refund_of=refunded)
            make_contract(account, f"{prefix}-{i}")

    add_rows(5, "few")
    few = count()
    add_rows(45, "many")
    assert count() == few
    # 1 session, 2 user, 3 memberships with their tenants, 4 total count,
    # 5 the page's rows (account, and for transactions the refunded order, joined),
    # 6 the account filter's choices.
    assert few == 6
    # A next or previous page: one more, the sort values of the cursor's row read back by its id.
    page = client.get(reverse(url_name), query).context["page"]
    assert page.total in (50, 100) and page.next_cursor  # transactions: an order and a refund each
    assert count(cursor=page.next_cursor) == few + 1
    second = client.get(reverse(url_name), {**query, "cursor": page.next_cursor}).context["page"]
    assert count(cursor=second.previous_cursor) == few + 1

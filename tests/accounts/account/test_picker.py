"""The account picker (accounts.account.forms.AccountChoiceField / AccountPicker) of every form and
list filter that chooses an account, and its lookup endpoint: a select while the accounts the
member sees are few, a search box beyond (no option list, a page that does not grow with the
tenant), the same queries either way, a typed name resolved without JavaScript, and a lookup that
shows only what the member may see."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.account import forms as account_forms
from accounts.account.models import Account
from accounts.contacts.models import Contact
from kam.models import Tenant
from kam.tenancy import tenant_context
from tests.accounts.profile.test_pages import add_to_team, make_contact, make_contract, make_tx
from tests.conftest import login
from tests.factories import make_account

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

LISTS = ["accounts:contact-list", "accounts:contract-list", "accounts:transaction-list"]
# (page, the name of its account field)
FORMS = [("accounts:account-create", "parent"), ("accounts:contact-create", "account"),
         ("accounts:contract-create", "account")]
LOOKUP = "accounts:account-lookup"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN"}


def bulk_accounts(tenant: Tenant, n: int, prefix: str = "Bulk Co") -> list[Account]:
    with tenant_context(tenant):
        return Account.objects.bulk_create(
            [Account(tenant=tenant, name=f"{prefix} {i:04d}") for i in range(n)])


def account_options(body: str, name: str) -> list[str]:
    """The <option>s of the <select name=...> (none when there is no such select)."""
    match = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', body, re.S)
    return re.findall(r'<option value="([^"]*)"', match.group(1)) if match else []


def search_box(body: str, name: str) -> tuple[str, str] | None:
    """(the box's text, the hidden id) of the picker of field ``name`` in search mode."""
    box = re.search(rf'<input type="text" name="{name}_name" value="([^"]*)"', body)
    if box is None:
        return None
    chosen = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', body)
    return box.group(1), chosen.group(1) if chosen else ""


@pytest.fixture
def few_listed(monkeypatch):
    """The select-or-search threshold at 5 accounts, so that a handful of accounts searches."""
    monkeypatch.setattr(account_forms, "PICKER_SELECT_MAX", 5)


@pytest.fixture
def firms(admin_a):
    """Accounts whose names contain one another, a short name, and a city that tells two apart."""
    tenant = admin_a.tenant
    return {
        "huadong": make_account(tenant, "华东精密"),
        "suzhou": make_account(tenant, "华东精密苏州分公司", city="苏州"),
        "beizhong": make_account(tenant, "北京重工集团", short_name="北重"),
        "acme": make_account(tenant, "Acme Trading"),
        "acme_hk": make_account(tenant, "Acme Trading HK"),
        "pacific": make_account(tenant, "Pacific Bearings"),
    }


def contact_data(**fields) -> dict:
    return {"name": "Li Na", "level": "business", "relationship_strength": "3",
            "is_active": "on", **fields}


# --- a select while few, a search box beyond ---------------------------------------------------------


def test_up_to_the_threshold_the_accounts_are_a_select(client, admin_a):
    accounts = bulk_accounts(admin_a.tenant, account_forms.PICKER_SELECT_MAX)
    login(client, admin_a)
    for url_name, field in FORMS:
        body = client.get(reverse(url_name), **EN).content.decode()
        assert len(account_options(body, field)) == len(accounts) + 1, url_name  # + "---------"
        assert search_box(body, field) is None
    for url_name in LISTS:
        body = client.get(reverse(url_name), **EN).content.decode()
        assert account_options(body, "account") == ["", *(str(a.pk) for a in accounts)], url_name


def test_beyond_the_threshold_the_pages_list_no_account_and_stay_small(client, admin_a):
    tenant = admin_a.tenant
    bulk_accounts(tenant, account_forms.PICKER_SELECT_MAX + 1)
    account = make_account(tenant, "Zeta Holdings")
    login(client, admin_a)
    pages = [reverse(name) for name in LISTS] + [reverse(name) for name, _ in FORMS] + [
        reverse("accounts:account-edit", args=[account.pk])]
    fields = ["account"] * len(LISTS) + [field for _, field in FORMS] + ["parent"]

    def sizes() -> list[int]:
        found = []
        for url, field in zip(pages, fields, strict=True):
            body = client.get(url, **EN).content.decode()
            assert account_options(body, field) == [], url
            assert "Bulk Co" not in body, url
            assert search_box(body, field) == ("", ""), url
            found.append(len(body))
        return found

    before = sizes()
    bulk_accounts(tenant, 2000, prefix="More Co")
    # The CSRF token of a form is as long on every request: the pages are the same size.
    assert sizes() == before
    assert max(before) < 20_000


def test_list_pages_cost_the_same_queries_in_both_modes(client, admin_a, monkeypatch):
    tenant = admin_a.tenant
    account = make_account(tenant, "Huadong Precision")
    make_contact(account, "Li Na")
    make_contract(account, "HT-1", end_date=datetime.date(2026, 12, 31))
    make_tx(account, datetime.date(2026, 3, 1), "100.00")
    login(client, admin_a)
    client.get(reverse("accounts:account-list"))  # the first request stores the tenant in the session

    def count(url_name: str, **query) -> tuple[int, str]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse(url_name), query, **EN)
        assert response.status_code == 200
        assert [row.account_id for row in response.context["page"].items] == [account.pk]
        return len(ctx.captured_queries), response.content.decode()

    for url_name in LISTS:
        monkeypatch.setattr(account_forms, "PICKER_SELECT_MAX", 200)
        listed, body = count(url_name)
        assert account_options(body, "account")
        listed_one, _body = count(url_name, account=account.pk)
        monkeypatch.setattr(account_forms, "PICKER_SELECT_MAX", 0)
        searched, body = count(url_name)
        assert search_box(body, "account") == ("", "")
        searched_one, body = count(url_name, account=account.pk)
        assert search_box(body, "account") == ("Huadong Precision", str(account.pk))
        # 1 session, 2 user, 3 memberships with their tenants, 4 total count, 5 the page's rows,
        # 6 the account filter's mode: the visible accounts, at most PICKER_SELECT_MAX + 1 of them
        # (the options of the select, or too many: a search box).
        assert listed == searched == 6, url_name
        # ?account=<id>: one more, the account read by its id among the visible ones (its name is
        # what the search box shows).
        assert listed_one == searched_one == 7, url_name
        # A name typed into the box and sent without picking (no JavaScript): the account by its
        # exact name, instead of by its id.
        typed, body = count(url_name, account="", account_name="Huadong Precision")
        assert typed == 7, url_name
        assert search_box(body, "account") == ("Huadong Precision", str(account.pk))


# --- a typed name, resolved by the server (no JavaScript) ---------------------------------------------


def test_a_typed_name_that_one_account_matches_chooses_it(client, admin_a, firms, few_listed):
    login(client, admin_a)
    for text, expected in [("北京重工", "beizhong"), ("北重", "beizhong"), ("pacific", "pacific"),
                           # exact names, though other names contain them
                           ("华东精密", "huadong"), ("acme trading", "acme")]:
        response = client.post(reverse("accounts:contact-create"),
                               contact_data(account="", account_name=text, name=f"For {text}"))
        assert response.status_code == 302, (text, response.content.decode()[-3000:])
        with tenant_context(admin_a.tenant):
            assert Contact.objects.get(name=f"For {text}").account_id == firms[expected].pk


def test_a_typed_name_several_accounts_match_offers_them(client, admin_a, firms, few_listed):
    login(client, admin_a)
    url = reverse("accounts:contact-create")
    response = client.post(url, contact_data(account="", account_name="华东"), **EN)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Several accounts match “华东”: choose one below" in body
    # The matches in a select of their own (the city tells the two apart), the text kept.
    assert account_options(body, "account") == ["", str(firms["huadong"].pk),
                                                 str(firms["suzhou"].pk)]
    assert "华东精密苏州分公司 · 苏州" in body
    assert 'name="account_name" value="华东"' in body
    with tenant_context(admin_a.tenant):
        assert not Contact.objects.exists()
    # Choosing one of them in that select: the box still says 华东, which names it.
    response = client.post(url, contact_data(account=str(firms["suzhou"].pk), account_name="华东"))
    assert response.status_code == 302
    with tenant_context(admin_a.tenant):
        assert Contact.objects.get().account_id == firms["suzhou"].pk


def test_a_typed_name_no_account_matches_is_an_error(client, admin_a, firms, few_listed):
    login(client, admin_a)
    response = client.post(reverse("accounts:contact-create"),
                           contact_data(account="", account_name="Nowhere Ltd"), **EN)
    assert response.status_code == 400
    body = response.content.decode()
    assert "No account matches “Nowhere Ltd”." in body
    assert search_box(body, "account") == ("Nowhere Ltd", "")
    # An empty box is a missing account, a name longer than any name matches nothing.
    body = client.post(reverse("accounts:contact-create"),
                       contact_data(account="", account_name="  "), **EN).content.decode()
    assert "This field is required." in body
    for text in ("华" * 201, "Acme\x00"):
        response = client.post(reverse("accounts:contact-create"),
                               contact_data(account="", account_name=text), **EN)
        assert response.status_code == 400 and "No account matches" in response.content.decode()
    response = client.get(reverse("accounts:transaction-list"),
                          {"account": "1\x00", "account_name": "Acme\x00"}, **EN)
    assert "No account matches" in response.content.decode()
    with tenant_context(admin_a.tenant):
        assert not Contact.objects.exists()


def test_a_picked_account_stands_while_the_box_names_it(client, admin_a, firms, few_listed):
    """What the hidden input holds is the account picked from the list; without JavaScript it is
    the one the page was shown with, so a box whose text was changed means the text."""
    login(client, admin_a)
    url = reverse("accounts:contact-create")
    picked = {"account": str(firms["acme_hk"].pk), "account_name": "Acme Trading HK"}
    client.post(url, contact_data(name="Picked", **picked))
    # The box changed to another name, the hidden id left as it was: the name wins.
    changed = {"account": str(firms["acme_hk"].pk), "account_name": "Pacific"}
    client.post(url, contact_data(name="Changed", **changed))
    # A tampered id (another tenant's, or none of these) is no pick: the text decides.
    tampered = {"account": "999999999", "account_name": "北重"}
    client.post(url, contact_data(name="Tampered", **tampered))
    huge = {"account": "9" * 40, "account_name": "北重"}
    client.post(url, contact_data(name="Huge", **huge))
    with tenant_context(admin_a.tenant):
        chosen = dict(Contact.objects.values_list("name", "account_id"))
    assert chosen == {"Picked": firms["acme_hk"].pk, "Changed": firms["pacific"].pk,
                      "Tampered": firms["beizhong"].pk, "Huge": firms["beizhong"].pk}


def test_a_manager_cannot_type_their_way_to_an_account_they_do_not_see(client, manager_a,
                                                                      admin_b, few_listed):
    mine = make_account(manager_a.tenant, "Mine Precision", owner=manager_a)
    make_account(manager_a.tenant, "Hidden Precision")
    make_account(admin_b.tenant, "Foreign Precision")
    login(client, manager_a)
    for text in ("Hidden Precision", "Foreign Precision"):
        response = client.post(reverse("accounts:contact-create"),
                               contact_data(account="", account_name=text), **EN)
        assert response.status_code == 400
        assert f"No account matches “{text}”." in response.content.decode()
    # "Precision" is in three names; the manager sees one: that one.
    response = client.post(reverse("accounts:contact-create"),
                           contact_data(account="", account_name="Precision"))
    assert response.status_code == 302
    with tenant_context(manager_a.tenant):
        assert Contact.objects.get().account_id == mine.pk


def test_a_typed_parent_and_its_own_name(client, admin_a, firms, few_listed):
    login(client, admin_a)
    child = make_account(admin_a.tenant, "华东精密无锡分公司")
    url = reverse("accounts:account-edit", args=[child.pk])
    body = client.get(url, **EN).content.decode()
    # The account itself is no parent: not in the lookup the box asks either.
    assert f'hx-get="/accounts/lookup/?exclude={child.pk}"' in body
    form = {"name": child.name, "lifecycle_status": "active", "strategic_value": "3"}
    response = client.post(url, {**form, "parent": "", "parent_name": "华东精密"})
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.parent_id == firms["huadong"].pk
    # Its own full name names nothing it may choose (itself left out).
    response = client.post(url, {**form, "parent": "", "parent_name": "华东精密无锡分公司"}, **EN)
    assert response.status_code == 400
    assert "No account matches “华东精密无锡分公司”." in response.content.decode()


def test_list_filters_resolve_a_typed_name(client, admin_a, firms, few_listed):
    for firm in ("huadong", "suzhou"):
        make_contact(firms[firm], f"Person of {firm}")
        make_tx(firms[firm], datetime.date(2026, 3, 1), "10.00")
    login(client, admin_a)
    page = client.get(reverse("accounts:transaction-list"),
                      {"account": "", "account_name": "苏州分公司"}).context["page"]
    assert {tx.account_id for tx in page.items} == {firms["suzhou"].pk}
    # Its export links carry the same query: the export holds the same rows.
    export = client.get(reverse("accounts:export-transactions"),
                        {"format": "csv", "header": "keys", "account": "",
                         "account_name": "苏州分公司"})
    rows = b"".join(export.streaming_content).decode().splitlines()[1:]
    assert len(rows) == 1 and "华东精密苏州分公司" in rows[0]
    body = client.get(reverse("accounts:transaction-list"),
                      {"account": "", "account_name": "华东"}, **EN).content.decode()
    assert "Several accounts match “华东”" in body
    assert account_options(body, "account") == ["", str(firms["huadong"].pk),
                                                 str(firms["suzhou"].pk)]
    # The contact list's search form (POST) links to the list by the account's id.
    response = client.post(reverse("accounts:contact-list"), {"account": "",
                                                              "account_name": "华东精密"})
    assert response.status_code == 303
    assert response["Location"] == reverse("accounts:contact-list") + f"?account={firms['huadong'].pk}"
    page = client.get(response["Location"]).context["page"]
    assert [c.name for c in page.items] == ["Person of huadong"]


# --- the chosen account, shown again ------------------------------------------------------------------


def test_the_chosen_account_is_shown_by_name(client, admin_a, manager_a, firms, few_listed):
    huadong = firms["huadong"]
    contact = make_contact(huadong, "Li Na")
    login(client, admin_a)
    edit = client.get(reverse("accounts:contact-edit", args=[contact.pk])).content.decode()
    assert search_box(edit, "account") == ("华东精密", str(huadong.pk))
    # The 360° page's "add contact" link preselects its account, by id.
    new = client.get(reverse("accounts:contact-create"), {"account": huadong.pk}).content.decode()
    assert search_box(new, "account") == ("华东精密", str(huadong.pk))
    listed = client.get(reverse("accounts:contract-list"), {"account": huadong.pk}).content.decode()
    assert search_box(listed, "account") == ("华东精密", str(huadong.pk))
    assert f'href="/accounts/contracts/new/?account={huadong.pk}"' in listed
    # A form with errors keeps the account picked.
    response = client.post(reverse("accounts:contact-create"),
                           contact_data(account=str(huadong.pk), account_name="华东精密", name=""))
    assert response.status_code == 400
    assert search_box(response.content.decode(), "account") == ("华东精密", str(huadong.pk))
    # An account the member does not see is not preselected, nor named.
    login(client, manager_a)
    for i in range(6):
        make_account(manager_a.tenant, f"Managed {i}", owner=manager_a)
    new = client.get(reverse("accounts:contact-create"), {"account": huadong.pk}).content.decode()
    assert search_box(new, "account") == ("", "")


# --- the lookup -----------------------------------------------------------------------------------------


def lookup(client, q, **extra):
    return client.get(reverse(LOOKUP), {"q": q}, **{**EN, **extra})


def options_of(response) -> list[tuple[str, str]]:
    body = response.content.decode()
    return re.findall(r'<li role="option" aria-selected="false" data-value="(\d+)" '
                      r'data-label="([^"]*)"', body)


def test_the_lookup_finds_visible_accounts_by_name_or_short_name(client, admin_a, firms):
    login(client, admin_a)
    assert options_of(lookup(client, "华东")) == [(str(firms["huadong"].pk), "华东精密"),
                                                 (str(firms["suzhou"].pk), "华东精密苏州分公司")]
    assert options_of(lookup(client, "北重")) == [(str(firms["beizhong"].pk), "北京重工集团")]
    body = lookup(client, "acme").content.decode()
    assert [name for _pk, name in options_of(lookup(client, "acme"))] == [
        "Acme Trading", "Acme Trading HK"]
    assert "2 accounts found." in body
    body = lookup(client, "Nowhere").content.decode()
    assert options_of(lookup(client, "Nowhere")) == []
    assert "No account matches." in body and "Nowhere" not in body
    assert lookup(client, "").content.strip() == b""
    assert options_of(lookup(client, "华" * 201)) == []  # longer than any name: not searched
    # exclude=<id>: the account's own parent field leaves the account out.
    response = client.get(reverse(LOOKUP), {"q": "华东", "exclude": firms["huadong"].pk})
    assert options_of(response) == [(str(firms["suzhou"].pk), "华东精密苏州分公司")]
    for bad in ("x", "-1", "1" * 19, "１"):
        assert client.get(reverse(LOOKUP), {"q": "华东", "exclude": bad}).status_code == 400
    # A NUL (which no name holds, nor a statement) matches nothing.
    response = lookup(client, "华\x00东")
    assert response.status_code == 200 and options_of(response) == []


def test_the_lookup_shows_the_first_matches_and_says_there_are_more(client, admin_a):
    bulk_accounts(admin_a.tenant, 25)
    login(client, admin_a)
    response = lookup(client, "bulk")
    assert [name for _pk, name in options_of(response)] == [f"Bulk Co {i:04d}" for i in range(20)]
    assert "More accounts match: type more of the name to narrow them down." in (
        response.content.decode())
    assert "还有更多匹配的客户，请输入更完整的名称。" in lookup(client, "bulk", **ZH).content.decode()
    assert "找到 10 个客户。" in lookup(client, "Bulk Co 000", **ZH).content.decode()
    assert "没有匹配的客户。" in lookup(client, "Nowhere", **ZH).content.decode()


def test_a_manager_looks_up_only_their_accounts(client, manager_a, manager2_a):
    tenant = manager_a.tenant
    owned = make_account(tenant, "Northwind Owned", owner=manager_a)
    on_team = make_account(tenant, "Northwind Team", owner=manager2_a)
    make_account(tenant, "Northwind Other", owner=manager2_a)
    add_to_team(on_team, manager_a)
    login(client, manager_a)
    assert options_of(lookup(client, "northwind")) == [(str(owned.pk), "Northwind Owned"),
                                                       (str(on_team.pk), "Northwind Team")]


def test_another_tenant_looks_up_none_of_these_accounts(client, admin_a, admin_b, firms):
    make_account(admin_b.tenant, "Acme Pacific Rim")
    login(client, admin_b)
    response = lookup(client, "acme")
    assert response.status_code == 200
    assert [name for _pk, name in options_of(response)] == ["Acme Pacific Rim"]
    assert options_of(lookup(client, "华东")) == []
    assert "华东" not in lookup(client, "华东").content.decode()
    # Another tenant's account to leave out is as unknown as any: nothing changes.
    response = client.get(reverse(LOOKUP), {"q": "acme", "exclude": firms["acme"].pk})
    assert [name for _pk, name in options_of(response)] == ["Acme Pacific Rim"]


def test_the_lookup_needs_a_login(client):
    response = client.get(reverse(LOOKUP), {"q": "acme"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("kam:login"))


def test_the_lookup_costs_one_query_whatever_it_finds(client, admin_a):
    login(client, admin_a)
    client.get(reverse("accounts:account-list"))  # the first request stores the tenant in the session

    def count(q: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert lookup(client, q).status_code == 200
        return len(ctx.captured_queries)

    # 1 session, 2 user, 3 memberships with their tenants: no search for an empty term.
    assert count("") == 3
    # 4 the visible accounts that match, the first 21 (20 shown, and whether there are more).
    assert count("bulk") == 4
    bulk_accounts(admin_a.tenant, 40)
    assert count("bulk") == count("b") == count("Bulk Co 0001") == 4

"""The contact search (accounts.contacts.selectors.contact_search): the list page's search and the
API's ``?search=`` find the same contacts — by name, email or phone, a phone number by its digits
whatever the separators — and the searched list costs the queries of the plain one."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Contact
from kam.tenancy import tenant_context
from tests.accounts.contacts.test_privacy import make_contact
from tests.api_helpers import ids_of
from tests.conftest import bearer, key_for, login
from tests.factories import make_account

pytestmark = pytest.mark.django_db

LIST = reverse("accounts:contact-list")


@pytest.fixture
def book(admin_a):
    account = make_account(admin_a.tenant, "Buyer Co")
    return {
        "wang": make_contact(account, "王伟", email="wang.wei@huadong.example.com",
                             phone="138 0013 8000"),
        "li": make_contact(account, "李娜", email="lina@pacific.example.com",
                           phone="+86 (21) 6234-5678"),
        "chen": make_contact(account, "Chen Jing", email="", phone=""),
    }


def page_finds(client, text: str) -> set[int]:
    response = client.post(LIST, {"q": text}, follow=True)
    assert response.status_code == 200
    return {contact.pk for contact in response.context["page"].items}


def api_finds(api, text: str) -> set[int]:
    return set(ids_of(api.get("/api/v1/contacts/", {"search": text})))


@pytest.mark.parametrize("text,who", [
    ("王伟", {"wang"}),                         # the name, as before
    ("huadong", {"wang"}),                      # part of the email
    ("LINA@PACIFIC", {"li"}),                   # the email, any case
    ("13800138000", {"wang"}),                  # the digits of a phone written with spaces
    ("138-0013-8000", {"wang"}),                # … typed with other separators
    ("6234 5678", {"li"}),                      # part of a phone
    ("(021) 6234", set()),                      # digits the phone does not have in that order
    ("example.com", {"wang", "li"}),
    ("chen jing", {"chen"}),                    # every word, anywhere
    ("wang 138", {"wang"}),                     # every word, in any of the three
    ("李娜 138", set()),                         # … all of them (李娜's phone has no 138)
])
def test_page_and_api_find_the_same_contacts(client, api, admin_a, book, text, who):
    login(client, admin_a)
    bearer(api, key_for(admin_a.tenant, ["read"]))
    expected = {book[name].pk for name in who}
    assert page_finds(client, text) == expected
    assert api_finds(api, text) == expected


def test_a_long_email_can_be_searched(client, admin_a, book):
    address = "procurement.department.head." + "x" * 80 + "@huadong.example.com"
    with tenant_context(admin_a.tenant):
        Contact.objects.filter(pk=book["chen"].pk).update(email=address)
    login(client, admin_a)
    assert page_finds(client, address) == {book["chen"].pk}


def test_the_phone_search_costs_the_queries_of_the_plain_list(client, admin_a, book,
                                                             django_assert_num_queries):
    login(client, admin_a)
    client.get(LIST)  # the first request stores the tenant in the session
    location = client.post(LIST, {"q": "138 0013 8000"})["Location"]
    # 1 session, 2 user, 3 memberships with their tenants, 4 total count, 5 the page's rows,
    # 6 the account filter's choices (as without a search: test_privacy).
    with django_assert_num_queries(6):
        response = client.get(location)
    assert [c.pk for c in response.context["page"].items] == [book["wang"].pk]

"""The account, contact, contract and transaction lists sort by clicking a column's header (the
order a whitelisted ``?sort=``, kept in the keyset cursor), and page forwards and backwards.
Their query budgets, per order, are in tests/accounts/account/test_pages.py and
tests/accounts/profile/test_pages.py."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.accounts.profile.test_pages import make_contact, make_contract, make_tx
from tests.conftest import login
from tests.factories import make_account

# 15 June 2026 in Shanghai: the contracts below are current.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

N = 30  # rows of each list: two pages of 25


@pytest.fixture
def rows(admin_a):
    """N of each, with sort values that tie (strategic value, relationship, value every 5th)."""
    made: dict[str, list] = {"accounts": [], "contacts": [], "contracts": [], "transactions": []}
    for i in range(N):
        account = make_account(admin_a.tenant, f"Acme {(i * 7) % N:02d}", strategic_value=i % 5 + 1)
        made["accounts"].append(account)
        made["contacts"].append(make_contact(account, f"Person {(i * 11) % N:02d}",
                                             relationship_strength=i % 5 + 1))
        made["contracts"].append(make_contract(
            account, f"K-{(i * 13) % N:02d}", start_date=datetime.date(2026, 1, 1),
            end_date=datetime.date(2026, 7, 1) + datetime.timedelta(days=(i * 3) % 17),
            value=Decimal(1000 * (i % 5 + 1))))
        made["transactions"].append(make_tx(account, datetime.date(2026, 1, 1)
                                            + datetime.timedelta(days=(i * 5) % 23),
                                            f"{(i * 17) % 7 + 1}00.00"))
    return made


def by(*fields, reverse=False):
    def key(row):
        return tuple(getattr(row, f) for f in fields)
    return lambda items: sorted(items, key=key, reverse=reverse)


# (list, ?sort=, the rows, the order expected)
CASES = [
    ("accounts:account-list", "", "accounts", by("name", "id")),
    ("accounts:account-list", "-name", "accounts", by("name", "id", reverse=True)),
    ("accounts:account-list", "-strategic_value", "accounts",
     by("strategic_value", "name", "id", reverse=True)),
    ("accounts:account-list", "strategic_value", "accounts", by("strategic_value", "name", "id")),
    ("accounts:contact-list", "", "contacts", by("name", "id")),
    ("accounts:contact-list", "-relationship", "contacts",
     by("relationship_strength", "name", "id", reverse=True)),
    ("accounts:contract-list", "", "contracts", by("end_date", "id")),
    ("accounts:contract-list", "-value", "contracts", by("value", "id", reverse=True)),
    ("accounts:contract-list", "number", "contracts", by("number", "id")),
    ("accounts:transaction-list", "", "transactions", by("date", "id", reverse=True)),
    ("accounts:transaction-list", "date", "transactions", by("date", "id")),
]


@pytest.mark.parametrize(("url_name", "sort", "kind", "expected"), CASES)
def test_pages_forward_and_back_in_every_order(client, admin_a, rows, url_name, sort, kind,
                                               expected):
    login(client, admin_a)
    url = reverse(url_name)
    want = [row.pk for row in expected(rows[kind])]
    first = client.get(url, {"sort": sort}).context["page"]
    assert not first.has_previous and first.total == N
    second = client.get(url, {"sort": sort, "cursor": first.next_cursor}).context["page"]
    assert second.offset == 25 and second.next_cursor is None and second.has_previous
    assert [r.pk for r in first.items + second.items] == want
    # "Previous page" from the second page is the first page again, with no previous of its own.
    back = client.get(url, {"sort": sort, "cursor": second.previous_cursor}).context["page"]
    assert [r.pk for r in back.items] == want[:25]
    assert back.offset == 0 and not back.has_previous and back.next_cursor
    again = client.get(url, {"sort": sort, "cursor": back.next_cursor}).context["page"]
    assert [r.pk for r in again.items] == want[25:]


def test_previous_pages_from_deep_in_the_list(client, admin_a):
    for i in range(80):
        make_account(admin_a.tenant, f"Co {i:03d}")
    login(client, admin_a)
    url = reverse("accounts:account-list")
    pages, page = [], client.get(url).context["page"]
    while True:
        pages.append([a.name for a in page.items])
        if not page.next_cursor:
            break
        page = client.get(url, {"cursor": page.next_cursor}).context["page"]
    assert [len(p) for p in pages] == [25, 25, 25, 5]
    for expected in reversed(pages[:-1]):
        page = client.get(url, {"cursor": page.previous_cursor}).context["page"]
        assert [a.name for a in page.items] == expected
        assert page.first_index == pages.index(expected) * 25 + 1
    assert not page.has_previous


def headers(body: str) -> dict[str, tuple[str | None, str]]:
    """{column label: (aria-sort, link)} of the sortable headers."""
    found = {}
    for attrs, href, label in re.findall(
            r'<th scope="col" class="kam-sortable[^"]*"([^>]*)><a href="\?([^"]*)">([^<]+)', body):
        state = re.search(r'aria-sort="(\w+)"', attrs)
        found[label.strip()] = (state.group(1) if state else None, href.replace("&amp;", "&"))
    return found


def test_headers_show_the_order_and_toggle_it_keeping_the_filters(client, admin_a, rows):
    login(client, admin_a)
    url = reverse("accounts:transaction-list")
    body = client.get(url, {"date_after": "2026-01-01", "cursor": "whatever"},
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # Newest first by default; a click on Date gives oldest first, the filter kept, from the
    # first page (no cursor).
    assert headers(body) == {"Date": ("descending", "date_after=2026-01-01&sort=date")}
    assert 'aria-sort="descending"><a href="?date_after=2026-01-01&amp;sort=date">Date <span' in body
    body = client.get(url, {"sort": "date"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert headers(body) == {"Date": ("ascending", "sort=-date")}
    body = client.get(reverse("accounts:account-list"), {"sort": "name"},
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert headers(body) == {"Name": ("ascending", "sort=-name"),
                             "Strategic value": (None, "sort=-strategic_value")}
    body = client.get(reverse("accounts:contact-list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert headers(body) == {"Name": ("ascending", "sort=-name"),
                             "Relationship": (None, "sort=-relationship")}
    body = client.get(reverse("accounts:contract-list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert headers(body) == {"Number": (None, "sort=number"), "Period": ("ascending", "sort=-end_date"),
                             "Value": (None, "sort=-value")}


@pytest.mark.parametrize("sort", ["phone", "-email", "name;drop", "-", "--name", "id", "pk"])
def test_a_sort_not_offered_is_ignored(client, admin_a, rows, sort):
    """Pages are lenient, as with a tampered cursor: the default order, never a 500."""
    login(client, admin_a)
    url = reverse("accounts:contact-list")
    response = client.get(url, {"sort": sort})
    assert response.status_code == 200
    assert [c.pk for c in response.context["page"].items] == [
        c.pk for c in by("name", "id")(rows["contacts"])][:25]


def test_a_cursor_of_another_order_restarts_at_the_first_page(client, admin_a, rows):
    login(client, admin_a)
    url = reverse("accounts:transaction-list")
    newest_first = client.get(url).context["page"]
    response = client.get(url, {"sort": "date", "cursor": newest_first.next_cursor})
    page = response.context["page"]
    assert response.status_code == 200 and page.offset == 0 and not page.has_previous
    assert [t.pk for t in page.items] == [t.pk for t in by("date", "id")(rows["transactions"])][:25]


def test_every_paged_list_links_to_its_previous_page(client, admin_a, rows):
    """The lists above, and the imports, the nightly job runs and the policy versions, which page
    with the same keyset: page two links back to page one."""
    from accounts.imports.models import ImportJob
    from kam.models import JobRun
    from kam.tenancy import tenant_context

    with tenant_context(admin_a.tenant):
        for i in range(N):
            ImportJob.objects.create(tenant=admin_a.tenant, kind="contacts", original_name=f"{i}.csv",
                                     file=f"imports/{i}.csv", file_format="csv", created_by=admin_a)
            JobRun.objects.create(job="figures", outcome="succeeded",
                                  started_at=datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)
                                  + datetime.timedelta(hours=i))
    login(client, admin_a)
    for url_name in ("accounts:account-list", "accounts:contact-list", "accounts:contract-list",
                     "accounts:transaction-list", "accounts:import-list", "kam:job-runs"):
        url = reverse(url_name)
        first = client.get(url)
        assert 'rel="prev"' not in first.content.decode(), url_name
        second = client.get(url, {"cursor": first.context["page"].next_cursor})
        previous = re.search(r'<a href="\?([^"]*)" rel="prev"', second.content.decode())
        assert previous, url_name
        back = client.get(f"{url}?{previous.group(1).replace('&amp;', '&')}")
        assert [r.pk for r in back.context["page"].items] == [
            r.pk for r in first.context["page"].items], url_name

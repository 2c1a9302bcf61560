"""Issue 4, "no personal data in URLs": the contact list's search, pager and export links.

A person's name searched for, and the names and emails of the contacts listed, must appear in no URL
the contact pages produce: not in a redirect's Location, not in any href / action / hx-* attribute,
not inside a (base64) cursor. The search still filters, pages and exports.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import html
import json
import re
import time
from urllib.parse import parse_qsl, quote, quote_plus, unquote_plus, urljoin, urlsplit

import pytest
from django.http import QueryDict
from django.urls import reverse

from accounts.models import Account, Contact, ImportJob
from kam.filter_tokens import MAX_TOKENS, SESSION_KEY
from kam.models import Membership
from kam.roles import Role
from kam.tenancy import tenant_context
from tests.accounts.exports.test_exports import read_csv
from tests.conftest import login
from tests.factories import make_account

pytestmark = pytest.mark.django_db

LIST = reverse("accounts:contact-list")
EXPORT = reverse("accounts:export-contacts")
TERM = "张伟"
URL_ATTR = re.compile(r'\b(?:href|action|src|formaction|hx-[a-z-]+)\s*=\s*"([^"]*)"', re.I)


def make_contact(account: Account, name: str, **fields) -> Contact:
    with tenant_context(account.tenant):
        return Contact.objects.create(tenant=account.tenant, account=account, name=name, **fields)


@pytest.fixture
def people(admin_a):
    """30 contacts named 张伟 (more than one page), one 李娜, each with an email and a phone."""
    account = make_account(admin_a.tenant, "Buyer Co")
    zhang = [make_contact(account, f"{TERM} {i:02d}", email=f"zhangwei{i:02d}@example.com",
                          phone=f"1380000{i:04d}",
                          level="leadership" if i % 3 == 0 else "business")
             for i in range(30)]
    li = make_contact(account, "李娜", email="lina@example.com", phone="13900000000")
    return {"account": account, "zhang": zhang, "li": li}


def secrets_of(contacts) -> list[str]:
    out = [TERM]
    for c in contacts:
        out += [c.name, c.email, c.phone]
    return [s for s in out if s]


def urls_of(response) -> list[str]:
    """Every URL a response hands the browser: the Location header and every URL attribute."""
    urls = []
    if response.has_header("Location"):
        urls.append(response["Location"])
    if not getattr(response, "streaming", False):
        urls += [html.unescape(u) for u in URL_ATTR.findall(response.content.decode())]
    return urls


def _decoded_cursors(url: str) -> list[str]:
    out = []
    for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        if name != "cursor":
            continue
        try:
            out.append(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode())
        except (binascii.Error, UnicodeDecodeError):
            out.append(value)
    return out


def assert_no_personal_data_in_urls(response, secrets: list[str]) -> None:
    for url in urls_of(response):
        readable = [url, unquote_plus(url), *_decoded_cursors(url)]
        for secret in secrets:
            for form in {secret, quote(secret), quote_plus(secret), secret.lower()}:
                assert not any(form in text for text in readable), (secret, url)


def query_of(url: str) -> QueryDict:
    return QueryDict(urlsplit(url).query)


def link(response, label_pattern: str) -> str:
    match = re.search(r'<a href="([^"]*)"[^>]*>\s*' + label_pattern, response.content.decode())
    assert match, label_pattern
    return urljoin(LIST, html.unescape(match.group(1)))  # the pager's links are "?…"


def names(response) -> list[str]:
    return [c.name for c in response.context["page"].items]


# --- the search, the pager and the export links -------------------------------------------------------


def test_search_pages_and_exports_without_the_name_in_any_url(client, admin_a, people):
    login(client, admin_a)
    secrets = secrets_of(people["zhang"] + [people["li"]])
    page_one = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en")
    assert 'method="post"' in page_one.content.decode()  # the form does not GET the term
    assert_no_personal_data_in_urls(page_one, secrets)

    posted = client.post(LIST, {"q": TERM, "level": "", "account": ""})
    assert posted.status_code == 303
    assert_no_personal_data_in_urls(posted, secrets)
    token = query_of(posted["Location"])["f"]
    assert len(token) >= 16

    first = client.get(posted["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert first.status_code == 200
    assert first.context["page"].total == 30 and len(first.context["page"].items) == 25
    assert "李娜" not in names(first)
    assert f'value="{TERM}"' in first.content.decode()  # shown in the box, not in a URL
    assert_no_personal_data_in_urls(first, secrets)

    nxt = link(first, "Next page")
    assert query_of(nxt)["f"] == token and "cursor" in query_of(nxt)
    cursor = _decoded_cursors(nxt)[0]
    # The last row's id, the offset and the order's field names: no values.
    assert json.loads(cursor).keys() == {"k", "n", "o"} and json.loads(cursor)["o"] == "name,id"
    second = client.get(nxt, HTTP_ACCEPT_LANGUAGE="en")
    assert second.status_code == 200
    assert names(first) + names(second) == [f"{TERM} {i:02d}" for i in range(30)]
    assert_no_personal_data_in_urls(second, secrets)
    assert query_of(link(second, "First page"))["f"] == token

    for response in (first, second):
        csv_link = link(response, "Export CSV")
        xlsx_link = link(response, "Export Excel")
        assert urlsplit(csv_link).path == EXPORT and query_of(csv_link)["f"] == token
        assert "cursor" not in query_of(csv_link)
        rows = read_csv(client.get(csv_link, HTTP_ACCEPT_LANGUAGE="en"))
        assert sorted(r["Name"] for r in rows) == [f"{TERM} {i:02d}" for i in range(30)]
        xlsx = client.get(xlsx_link)
        assert xlsx.status_code == 200
        assert_no_personal_data_in_urls(xlsx, secrets)


def test_non_personal_filters_stay_in_the_url_next_to_the_token(client, admin_a, people):
    login(client, admin_a)
    other = make_account(admin_a.tenant, "Other Co")
    make_contact(other, f"{TERM} elsewhere", level="leadership")
    posted = client.post(LIST, {"q": TERM, "level": "leadership",
                                "account": people["account"].pk, "is_active": ""})
    assert posted.status_code == 303
    query = query_of(posted["Location"])
    assert query["level"] == "leadership" and query["account"] == str(people["account"].pk)
    assert set(query) == {"level", "account", "f"}
    page = client.get(posted["Location"], HTTP_ACCEPT_LANGUAGE="en")
    expected = [f"{TERM} {i:02d}" for i in range(0, 30, 3)]
    assert names(page) == expected
    rows = read_csv(client.get(link(page, "Export CSV")))
    assert [r["姓名"] for r in rows] == expected  # the header in the company's language
    # Without a search term there is no token: the URL is the plain, shareable filter.
    plain = client.post(LIST, {"q": "  ", "level": "leadership"})
    assert plain.status_code == 303 and plain["Location"] == f"{LIST}?level=leadership"


def test_the_same_search_reuses_its_token_and_a_new_one_gets_another(client, admin_a, people):
    login(client, admin_a)
    one = query_of(client.post(LIST, {"q": TERM})["Location"])["f"]
    again = query_of(client.post(LIST, {"q": TERM})["Location"])["f"]
    other = query_of(client.post(LIST, {"q": "李"})["Location"])["f"]
    assert one == again != other
    assert names(client.get(LIST, {"f": other})) == ["李娜"]
    assert len(names(client.get(LIST, {"f": one}))) == 25


def test_old_links_with_the_term_move_it_into_a_token(client, admin_a, people):
    login(client, admin_a)
    secrets = secrets_of(people["zhang"])
    old = client.get(LIST, {"q": TERM, "level": "leadership", "cursor": "abc"})
    assert old.status_code == 303
    assert_no_personal_data_in_urls(old, secrets)
    assert set(query_of(old["Location"])) == {"level", "f"}
    assert names(client.get(old["Location"])) == [f"{TERM} {i:02d}" for i in range(0, 30, 3)]


def test_bad_search_is_a_400_with_the_form_and_no_url_carries_it(client, admin_a, people):
    login(client, admin_a)
    secrets = secrets_of(people["zhang"])
    for data in ({"q": TERM, "level": "janitor"}, {"q": TERM * 130},
                 {"q": TERM, "account": "999999999"}):
        response = client.post(LIST, data, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400, data
        assert response.context["page"].total == 0
        assert "Export CSV" not in response.content.decode()
        assert_no_personal_data_in_urls(response, secrets)
    assert SESSION_KEY not in client.session  # nothing stored for bad input
    # The same through an old GET link: 400, nothing stored.
    response = client.get(LIST, {"q": TERM, "level": "janitor"})
    assert response.status_code == 400
    assert_no_personal_data_in_urls(response, secrets)


# --- missing, expired, foreign tokens ----------------------------------------------------------------


@pytest.mark.parametrize("token", ["nope", "x" * 5000, "%00", "' OR 1=1 --", "ä"])
def test_unknown_token_is_the_unfiltered_list_with_a_message(client, admin_a, people, token):
    login(client, admin_a)
    response = client.get(LIST, {"f": token, "level": "leadership", "cursor": "abc"},
                          HTTP_ACCEPT_LANGUAGE="en")  # the message is worded in this request
    assert response.status_code == 303
    assert response["Location"] == f"{LIST}?level=leadership"
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert page.context["page"].total == 10  # the other filters still apply
    assert "That search has expired" in page.content.decode()
    assert "搜索已过期" in client.get(LIST, {"f": token}, follow=True,
                                  HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    export = client.get(EXPORT, {"f": token, "format": "csv"}, HTTP_ACCEPT_LANGUAGE="en")
    assert export.status_code == 400  # never the unfiltered rows instead
    assert "This search has expired" in export.content.decode()


def test_expired_token_is_gone(client, admin_a, people):
    login(client, admin_a)
    token = query_of(client.post(LIST, {"q": TERM})["Location"])["f"]
    session = client.session
    session[SESSION_KEY][token]["at"] = time.time() - 9 * 3600
    session.save()
    response = client.get(LIST, {"f": token})
    assert response.status_code == 303 and response["Location"] == LIST
    assert client.get(EXPORT, {"f": token}).status_code == 400


def test_a_session_keeps_a_bounded_number_of_tokens(client, admin_a, people):
    login(client, admin_a)
    first = query_of(client.post(LIST, {"q": "search 0"})["Location"])["f"]
    for i in range(1, MAX_TOKENS + 1):
        client.post(LIST, {"q": f"search {i}"})
    assert len(client.session[SESSION_KEY]) == MAX_TOKENS
    assert client.get(LIST, {"f": first}).status_code == 303  # the oldest went first


def test_another_tenants_token_gives_none_of_its_data(client, admin_a, admin_b, people):
    login(client, admin_a)
    token = query_of(client.post(LIST, {"q": TERM})["Location"])["f"]
    theirs = make_account(admin_b.tenant, "B Co")
    make_contact(theirs, "B Person")
    before = Contact.unscoped_all_tenants.count()
    outsider = client.__class__()
    login(outsider, admin_b)
    response = outsider.get(LIST, {"f": token}, follow=True)
    assert response.status_code == 200
    assert names(response) == ["B Person"]
    body = response.content.decode()
    assert TERM not in body and "李娜" not in body and "Buyer Co" not in body
    export = outsider.get(EXPORT, {"f": token, "format": "csv"})
    assert export.status_code == 400 and TERM not in export.content.decode()
    # Posting tenant A's account as a filter is invalid input for B, and changes nothing.
    posted = outsider.post(LIST, {"q": TERM, "account": people["account"].pk})
    assert posted.status_code == 400 and posted.context["page"].total == 0
    assert Contact.unscoped_all_tenants.count() == before


def test_a_token_does_not_follow_the_user_into_another_tenant(client, admin_a, admin_b, people):
    # One person, a member of both tenants, in one session.
    with tenant_context(admin_b.tenant):
        Membership.objects.create(tenant=admin_b.tenant, user=admin_a.user, role=Role.ADMIN)
    theirs = make_account(admin_b.tenant, "B Co")
    make_contact(theirs, f"{TERM} of B")
    login(client, admin_a)
    assert client.post(reverse("kam:tenant-switch"), {"tenant": admin_a.tenant_id}).status_code == 302
    token = query_of(client.post(LIST, {"q": TERM})["Location"])["f"]
    assert len(names(client.get(LIST, {"f": token}))) == 25
    assert client.post(reverse("kam:tenant-switch"), {"tenant": admin_b.tenant_id}).status_code == 302
    response = client.get(LIST, {"f": token})
    assert response.status_code == 303 and response["Location"] == LIST
    assert client.get(EXPORT, {"f": token}).status_code == 400


# --- cursors --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cursor", [
    "!!!", "e30", base64.urlsafe_b64encode(b'{"k": "abc", "n": 25}').decode(),
    base64.urlsafe_b64encode(b'{"k": 99999999999999999999999, "n": 25}').decode(),
    base64.urlsafe_b64encode(b'{"k": [1], "n": 1}').decode(),
    base64.urlsafe_b64encode(b'{"k": 1, "n": -1}').decode(),
    base64.urlsafe_b64encode(b'{"v": ["\\u5f20\\u4f1f 00", 1], "n": 25}').decode(),  # old style
    base64.urlsafe_b64encode(b"[" * 3000).decode(),
])
def test_tampered_cursor_restarts_at_page_one(client, admin_a, people, cursor):
    login(client, admin_a)
    response = client.get(LIST, {"cursor": cursor})
    assert response.status_code == 200
    assert response.context["page"].offset == 0 and len(response.context["page"].items) == 25


def test_another_tenants_row_in_a_cursor_is_not_a_way_in(client, admin_a, admin_b, people):
    theirs = make_account(admin_b.tenant, "B Co")
    for i in range(3):
        make_contact(theirs, f"B {i}")
    login(client, admin_b)
    cursor = base64.urlsafe_b64encode(
        json.dumps({"k": people["zhang"][5].pk, "n": 1}).encode()).decode()
    response = client.get(LIST, {"cursor": cursor})
    assert response.status_code == 200
    assert names(response) == ["B 0", "B 1", "B 2"]  # page one of B's own rows


def test_every_page_list_cursor_carries_only_an_id(client, admin_a, people):
    """The other keyset lists (accounts, contracts, transactions, imports) use the same cursor."""
    login(client, admin_a)
    for i in range(26):
        make_account(admin_a.tenant, f"Company {i:02d}")
    with tenant_context(admin_a.tenant):
        for i in range(26):
            ImportJob.objects.create(tenant=admin_a.tenant, kind="contacts",
                                     original_name=f"{i}.csv", file=f"imports/{i}.csv",
                                     file_format="csv", created_by=admin_a)
    for url in (LIST, reverse("accounts:account-list"), reverse("accounts:import-list")):
        first = client.get(url)
        page = first.context["page"]
        assert page.next_cursor, url
        cursor = json.loads(_decoded_cursors(f"?cursor={page.next_cursor}")[0])
        assert cursor.keys() == {"k", "n", "o"} and cursor["o"] in ("name,id", "neg_id"), url
        second = client.get(url, {"cursor": page.next_cursor})
        assert second.status_code == 200 and second.context["page"].offset == 25, url
        seen = {row.pk for row in page.items} | {row.pk for row in second.context["page"].items}
        assert len(seen) == len(page.items) + len(second.context["page"].items), url


# --- cost ------------------------------------------------------------------------------------------------


def test_the_searched_list_costs_the_same_queries_as_the_plain_one(client, admin_a, people,
                                                                   django_assert_num_queries):
    login(client, admin_a)
    client.get(LIST)  # the first request stores the tenant in the session
    location = client.post(LIST, {"q": TERM})["Location"]
    # 1 session, 2 user, 3 memberships with their tenants, 4 total count, 5 the page's rows,
    # 6 the account filter's choices: the token is read from the session already loaded.
    with django_assert_num_queries(6):
        assert client.get(LIST).status_code == 200
    with django_assert_num_queries(6):
        first = client.get(location)
    # A later page: one more, the sort values of the cursor's row read back by its id.
    with django_assert_num_queries(7):
        second = client.get(location, {"cursor": first.context["page"].next_cursor})
    assert second.context["page"].offset == 25
    for i in range(30, 60):
        make_contact(people["account"], f"{TERM} {i:02d}")
    with django_assert_num_queries(6):
        assert client.get(location).context["page"].total == 60


def test_contact_details_are_not_in_the_lists_urls(client, admin_a, people):
    """The list shows phone and email as text, never in a link (tel:, mailto:, a filter)."""
    with tenant_context(admin_a.tenant):
        Contact.objects.filter(pk=people["li"].pk).update(wechat_id="lina_wx",
                                                          birthday=datetime.date(1990, 5, 1))
    login(client, admin_a)
    first = client.get(LIST)
    second = client.get(LIST, {"cursor": first.context["page"].next_cursor})
    assert "李娜" in names(first) + names(second)
    secrets = [*secrets_of(people["zhang"] + [people["li"]]), "lina_wx", "1990-05-01"]
    for response in (first, second):
        assert_no_personal_data_in_urls(response, secrets)


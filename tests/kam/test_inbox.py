"""The member's notifications as pages (kam.notify_views): the unread count in the navigation,
loaded after the page; the inbox (own notifications only, newest first, unread filter, keyset
pages with a fixed number of queries); opening one marks it read; mark all read; the
notification settings page; in both languages."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from kam import notify
from kam.models import EmailPreference, Event, Membership, Notification, NotificationSettings
from kam.tenancy import tenant_context
from tests.conftest import login
from tests.kam.notify_kinds import register_ping

pytestmark = pytest.mark.django_db

INBOX = reverse("kam:inbox")
BADGE = reverse("kam:inbox-badge")
SETTINGS = reverse("kam:notification-settings")
READ_ALL = reverse("kam:notifications-read-all")
AT = datetime.datetime(2026, 6, 15, 1, 30, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def ping_kind() -> str:
    return register_ping()


def pings(member: Membership, count: int, *, start: int = 0, prefix: str = "p") -> list[int]:
    """``count`` notifications of ``member`` (oldest first); their ids."""
    with tenant_context(member.tenant):
        notify.notify_many(kind=register_ping(), occurred_at=AT, items=[
            (f"{prefix}:{member.pk}:{n}", [member.pk], {"name": f"客户{n}", "n": n})
            for n in range(start, start + count)])
        return list(Notification.objects.filter(recipient=member).order_by("id")
                    .values_list("pk", flat=True))


def unread(member: Membership) -> int:
    with tenant_context(member.tenant):
        return notify.unread_count(membership=member)


def test_the_navigation_loads_the_unread_count_after_the_page(client, manager_a,
                                                              django_assert_num_queries):
    pings(manager_a, 3)
    login(client, manager_a)
    page = client.get(reverse("accounts:account-list"), HTTP_ACCEPT_LANGUAGE="en")
    body = page.content.decode()
    # A link to the inbox whose count comes in a second request (htmx), not with the page.
    assert f'href="{INBOX}"' in body
    assert f'hx-get="{BADGE}" hx-trigger="load, every 120s"' in body
    assert "kam-unread-count" not in body
    # 1 session, 2 user, 3 memberships with their tenants, 4 the unread count.
    with django_assert_num_queries(4):
        badge = client.get(BADGE, HTTP_ACCEPT_LANGUAGE="en")
    assert badge.status_code == 200
    text = badge.content.decode()
    assert '<span class="kam-badge kam-unread-count" title="3 unread notifications">3</span>' in text
    assert "<html" not in text  # a fragment for the navigation


def test_the_badge_is_empty_without_unread_and_caps_at_99(client, manager_a):
    login(client, manager_a)
    assert client.get(BADGE).content.decode().strip() == ""
    pings(manager_a, 120)
    assert ">99+</span>" in client.get(BADGE).content.decode()


def test_the_inbox_shows_only_ones_own_newest_first(client, manager_a, manager2_a, admin_b):
    mine = pings(manager_a, 3)
    pings(manager2_a, 2, prefix="other")
    pings(admin_b, 2, prefix="b")
    login(client, manager_a)
    response = client.get(INBOX, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    items = response.context["page"].items
    assert [n.pk for n in items] == mine[::-1]
    body = response.content.decode()
    assert "Accounts: 客户2" in body and "Contracts #2" in body  # rendered in the page's language
    assert f'href="{reverse("kam:notification-open", args=[mine[-1]])}"' in body


def test_the_unread_filter_and_opening_one(client, manager_a):
    ids = pings(manager_a, 3)
    login(client, manager_a)
    response = client.get(reverse("kam:notification-open", args=[ids[1]]))
    assert response.status_code == 303
    assert response["Location"] == reverse("accounts:account-list") + "?n=1"  # where it points
    with tenant_context(manager_a.tenant):
        read = Notification.objects.get(pk=ids[1]).read_at
    assert read is not None
    unread_page = client.get(INBOX, {"show": "unread"})
    assert [n.pk for n in unread_page.context["page"].items] == [ids[2], ids[0]]
    # Opening it again: still read, at the first time.
    client.get(reverse("kam:notification-open", args=[ids[1]]))
    with tenant_context(manager_a.tenant):
        assert Notification.objects.get(pk=ids[1]).read_at == read


def test_a_notification_of_a_kind_without_a_link_opens_the_inbox(client, manager_a):
    ids = pings(manager_a, 1)
    with tenant_context(manager_a.tenant):
        Event.objects.update(kind="gone.kind")
    login(client, manager_a)
    response = client.get(reverse("kam:notification-open", args=[ids[0]]))
    assert (response.status_code, response["Location"]) == (303, INBOX)


def test_another_members_or_companys_notification_is_a_404_and_stays_unread(
        client, manager_a, manager2_a, admin_a, admin_b):
    colleague = pings(manager2_a, 1)[0]
    outsider = pings(admin_b, 1, prefix="b")[0]
    for member in (manager_a, admin_a):  # an administrator does not read others' notifications
        login(client, member)
        assert client.get(reverse("kam:notification-open", args=[colleague])).status_code == 404
    login(client, admin_b)
    assert client.get(reverse("kam:notification-open", args=[colleague])).status_code == 404
    assert client.post(READ_ALL).status_code == 303  # tenant B's admin marks their own
    assert unread(manager2_a) == 1
    login(client, manager_a)
    assert client.get(reverse("kam:notification-open", args=[outsider])).status_code == 404
    assert unread(admin_b) == 0 and unread(manager2_a) == 1
    assert client.get(reverse("kam:notification-open", args=[999999999])).status_code == 404


def test_mark_all_read(client, manager_a, manager2_a):
    pings(manager_a, 4)
    pings(manager2_a, 2, prefix="other")
    login(client, manager_a)
    assert client.get(READ_ALL).status_code == 405
    response = client.post(READ_ALL, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert response.redirect_chain == [(INBOX, 303)]
    assert "4 notifications marked read." in response.content.decode()
    assert unread(manager_a) == 0 and unread(manager2_a) == 2


def test_inbox_pages_cost_the_same_queries(client, manager_a, django_assert_num_queries):
    pings(manager_a, 1)
    login(client, manager_a)
    client.get(INBOX)  # the session's first request writes the session; count the next ones
    # 1 session, 2 user, 3 memberships with their tenants, 4 the count, 5 the page's
    # notifications with their events.
    with django_assert_num_queries(5):
        client.get(INBOX)
    pings(manager_a, 59, start=1)
    with django_assert_num_queries(5):
        first = client.get(INBOX)
    page = first.context["page"]
    assert (page.total, len(page.items)) == (60, 25) and page.next_cursor
    with django_assert_num_queries(6):  # and 6 the cursor's row, read back by its id
        second = client.get(INBOX, {"cursor": page.next_cursor})
    later = second.context["page"].items
    assert len(later) == 25 and later[0].pk < page.items[-1].pk
    with django_assert_num_queries(6):  # the unread filter, on its partial index
        client.get(INBOX, {"show": "unread", "cursor": page.next_cursor})
    assert client.get(INBOX, {"cursor": "garbage!"}).context["page"].offset == 0


def test_the_inbox_in_both_languages(client, manager_a):
    pings(manager_a, 1)
    login(client, manager_a)
    chinese = client.get(INBOX, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "客户: 客户0" in chinese and "合同 #0" in chinese
    assert "通知" in chinese and "全部标为已读" in chinese and "等待每日摘要" in chinese
    english_words = ["Notifications", "Mark all read", "Unread", "Waiting for the daily digest",
                     "Notification settings"]
    assert [word for word in english_words if word in chinese] == []
    english = client.get(INBOX, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert all(word in english for word in english_words)
    assert "Accounts: 客户0" in english


def test_the_settings_page_saves_the_members_choice(client, manager_a, manager2_a):
    login(client, manager_a)
    page = client.get(SETTINGS, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'value="digest" ' in body and "checked" in body.split('value="digest"')[1][:40]
    assert "Your company&#x27;s language (简体中文)" in body
    response = client.post(SETTINGS, {"email": "immediately", "language": "en"},
                           HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert response.redirect_chain == [(SETTINGS, 302)]
    assert "Your notification settings were saved." in response.content.decode()
    with tenant_context(manager_a.tenant):
        saved = NotificationSettings.objects.get(membership=manager_a)
        assert (saved.email, saved.language) == (EmailPreference.IMMEDIATELY, "en")
        assert not NotificationSettings.objects.filter(membership=manager2_a).exists()


def test_the_settings_page_costs_one_query_of_its_own(client, manager_a,
                                                     django_assert_num_queries):
    login(client, manager_a)
    client.get(SETTINGS)  # the session's first request writes the session; count the next ones
    # 1 session, 2 user, 3 memberships with their tenants, 4 the member's settings (none yet).
    with django_assert_num_queries(4):
        assert client.get(SETTINGS).status_code == 200


@pytest.mark.parametrize("data", [{"email": "hourly", "language": ""},
                                  {"email": "never", "language": "fr"},
                                  {"language": "en"}])
def test_bad_settings_are_a_400_and_change_nothing(client, manager_a, data):
    login(client, manager_a)
    response = client.post(SETTINGS, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "Please correct the errors below; nothing was saved." in response.content.decode()
    assert response.context["form"].errors
    with tenant_context(manager_a.tenant):
        assert not NotificationSettings.objects.exists()


def test_members_without_an_email_address_are_told(client, manager_a):
    type(manager_a.user).objects.filter(pk=manager_a.user_id).update(email="")
    login(client, manager_a)
    body = client.get(SETTINGS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Your login has no email address" in body


def test_pages_need_a_login(client):
    for url in (INBOX, BADGE, SETTINGS):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("kam:login"))


def test_times_are_shown_in_the_companys_zone(client, manager_a):
    pings(manager_a, 1)
    login(client, manager_a)
    body = client.get(INBOX, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "15 Jun 2026, 09:30" in body  # 01:30 UTC in Shanghai, tenant A's zone

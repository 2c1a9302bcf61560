"""The member's calendar feed (kam.feed) with the visits app's sources: it parses, holds the
member's own visits (attendees, place, cancelled ones marked) and open follow-ups (all-day) in
the window and nothing of anyone else's; a new link retires the old; off is off; an inactive
member's link, an unknown or malformed one is a 404; the pages ask before breaking a
subscription; another company's member gets nothing; the query count does not grow."""

from __future__ import annotations

import datetime

import icalendar
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kam.feed import feed_link_create
from kam.models import CalendarFeed
from kam.tenancy import tenant_context
from tests.conftest import login, make_member
from tests.factories import make_account
from tests.visits.fixtures import at, make_follow_up, make_visit, visits_world

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]
D = datetime.date


def link_for(membership) -> str:
    with tenant_context(membership.tenant):
        _feed, raw = feed_link_create(membership=membership)
    return reverse("kam:feed", args=[raw])


def read(url: str) -> icalendar.Calendar:
    response = Client().get(url)  # a calendar: no session
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.content)


def events(cal: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(e["summary"]): e for e in cal.walk("VEVENT")}


def test_the_feed_holds_the_members_visits_and_open_follow_ups(manager_a, tenant_a):
    teammate = make_member(tenant_a, "teammate", "manager")
    world = visits_world(manager_a, teammate)
    make_visit(world.account, teammate, at(2026, 6, 17, 15), objective="队友的拜访")
    found = events(read(link_for(manager_a)))
    by_objective = {s.split(": ", 1)[-1]: e for s, e in found.items() if ": " in s}
    upcoming = by_objective["年度战略合作会谈"]
    assert upcoming["dtstart"].dt == at(2026, 6, 18, 14)
    assert upcoming["dtend"].dt == at(2026, 6, 18, 15)
    assert str(upcoming["location"]) == "深圳总部"
    names = {str(a.params["CN"]) for a in upcoming["attendee"]}
    assert {"王总 (华为供应链)", "李工 (华为供应链)", manager_a.display_name} <= names
    assert str(upcoming["status"]) == "CONFIRMED"
    assert str(by_objective["季度业务回顾"]["status"]) == "CONFIRMED"  # 1 June, completed
    every = list(read(link_for(manager_a)).walk("VEVENT"))
    cancelled = [e for e in every if str(e.get("status")) == "CANCELLED"]
    # 20 May: in the window (a month back), marked cancelled (so a calendar that had it drops it).
    assert [e["dtstart"].dt for e in cancelled] == [at(2026, 5, 20, 15)]
    # 10 May (missed) is more than a month back; the teammate's visit is not the manager's.
    assert not any("队友的拜访" in s for s in found)
    assert len([e for e in every if "华为供应链 ·" in str(e["summary"])]) == 4
    # Open follow-ups as all-day events on their due date; not the done one, not the teammate's.
    follow_ups = [e for e in found.values() if not isinstance(e["dtstart"].dt, datetime.datetime)]
    assert sorted(e["dtstart"].dt for e in follow_ups) == [D(2026, 6, 10), D(2026, 6, 19)]
    assert all(e["dtend"].dt - e["dtstart"].dt == datetime.timedelta(days=1) for e in follow_ups)
    assert not any("安排工厂参观" in s or "寄送合同" in s for s in found)
    # UIDs are stable: the same feed read again names the same items.
    assert {e["uid"] for e in found.values()} == {
        e["uid"] for e in events(read(link_for(manager_a))).values()}


def test_a_visit_the_member_attends_is_in_their_feed(manager_a, tenant_a):
    teammate = make_member(tenant_a, "teammate", "manager")
    world = visits_world(manager_a, teammate)
    from visits.visit.models import VisitAttendee
    with tenant_context(tenant_a):
        VisitAttendee.objects.create(visit=world.visits["upcoming"], membership=teammate)
    found = events(read(link_for(teammate)))
    assert any("年度战略合作会谈" in s for s in found)
    assert not any("新产线技术方案评审" in s for s in found)  # owned by the manager, not attended


def test_a_new_link_retires_the_old_and_off_is_off(client, manager_a):
    visits_world(manager_a)
    old = link_for(manager_a)
    login(client, manager_a)
    # Asked first: the confirmation page, then the POST that shows the new link once.
    assert "contrast" in client.get(reverse("kam:feed-link")).content.decode()
    response = client.post(reverse("kam:feed-link"))
    assert response.status_code == 200
    new = response.context["link"]
    assert new.startswith("http://testserver/calendar-feed/kamcal_")
    assert Client().get(old).status_code == 404
    read(new.removeprefix("http://testserver"))
    # The page after does not show it again.
    assert new not in client.get(reverse("kam:feed-settings")).content.decode()
    assert client.get(reverse("kam:feed-off")).status_code == 200  # asks first
    assert client.post(reverse("kam:feed-off")).status_code == 302
    assert Client().get(new.removeprefix("http://testserver")).status_code == 404
    with tenant_context(manager_a.tenant):
        assert not CalendarFeed.objects.exists()


@pytest.mark.parametrize("token", ["nope", "kamcal_zzzzzzzz_x", "kamcal_00000000_secret",
                                   "kamcal_0000\x00000_x", "kamcal__", "k" * 3000])
def test_unknown_or_malformed_links_are_404(token):
    assert Client().get(f"/calendar-feed/{token}.ics").status_code == 404


def test_a_right_prefix_with_a_wrong_secret_is_404(manager_a):
    url = link_for(manager_a)
    assert Client().get(url[:-6] + "xxxxxx.ics").status_code == 404


def test_an_inactive_members_link_is_404(manager_a):
    url = link_for(manager_a)
    with tenant_context(manager_a.tenant):
        type(manager_a).objects.filter(pk=manager_a.pk).update(is_active=False)
    assert Client().get(url).status_code == 404


def test_bad_options_are_a_400_and_change_nothing(client, manager_a):
    link_for(manager_a)
    login(client, manager_a)
    response = client.post(reverse("kam:feed-options"), {"optional": ["no-such-source"]})
    assert response.status_code == 400
    with tenant_context(manager_a.tenant):
        assert CalendarFeed.objects.get().optional == []


def test_another_companys_member_gets_nothing_of_it(client, manager_a, admin_b):
    visits_world(manager_a)
    make_account(admin_b.tenant, "B Co", owner=admin_b)
    a_url = link_for(manager_a)
    b_cal = read(link_for(admin_b))
    assert not list(b_cal.walk("VEVENT"))
    login(client, admin_b)
    # B's pages act on B's member only: turning B's feed off leaves A's link working.
    client.post(reverse("kam:feed-off"))
    read(a_url)
    assert CalendarFeed.unscoped_all_tenants.filter(tenant=manager_a.tenant).count() == 1


def test_the_query_count_does_not_grow_with_the_items(manager_a):
    world = visits_world(manager_a)
    url = link_for(manager_a)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            read(url)
        return len(captured)

    queries()  # the company's working calendar and the like, built once per process
    few = queries()
    for day in range(16, 26):
        visit = make_visit(world.account, manager_a, at(2026, 6, day, 9), objective=f"拜访{day}")
        from visits.visit.models import VisitContact
        with tenant_context(manager_a.tenant):
            VisitContact.objects.create(visit=visit, contact=world.contacts["buyer"],
                                        level="business")
        make_follow_up(world.account, manager_a, D(2026, 6, day), title=f"待办{day}")
    assert queries() == few

"""Customer care in my day (the open reminders of the next 14 days, the member's or the
company's) and in the calendar feed (an optional source: off until the member turns it on)."""

from __future__ import annotations

import datetime

import icalendar
import pytest
from django.test import Client
from django.urls import reverse

from care.models import CareReminder
from kam.feed import feed_link_create
from kam.tenancy import tenant_context
from tests.care.book import D, contact
from tests.conftest import login, make_member
from tests.factories import make_account

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def reminder(account, person, owner, day: datetime.date, **fields) -> CareReminder:
    with tenant_context(account.tenant):
        return CareReminder.objects.create(account=account, contact=person, occasion="birthday",
                                           owner=owner, occurs_on=day, year=day.year, **fields)


def care_section(response) -> str:
    html = response.content.decode()
    start = html.index('id="my-day-care"')
    end = html.find('<section id="my-day-', start + 1)
    return html[start:end if end != -1 else len(html)]


@pytest.fixture
def world(tenant_a, manager_a):
    other = make_member(tenant_a, "other", "manager")
    account = make_account(tenant_a, "华东精密", owner=manager_a)
    theirs = make_account(tenant_a, "别人的客户", owner=other)
    reminder(account, contact(account, "王建国", D(1980, 6, 17)), manager_a, D(2026, 6, 17))
    reminder(account, contact(account, "李晓东", D(1980, 7, 10)), manager_a, D(2026, 7, 10))
    reminder(account, contact(account, "陈已处理", D(1980, 6, 18)), manager_a, D(2026, 6, 18),
             status="dismissed", closed_at=datetime.datetime(2026, 6, 15, tzinfo=datetime.UTC))
    reminder(theirs, contact(theirs, "赵别人", D(1980, 6, 20)), other, D(2026, 6, 20))
    return {"other": other}


def test_my_day_shows_the_next_two_weeks_open_reminders(client, manager_a, exec_a, world):
    mine = care_section(login(client, manager_a).get("/"))
    assert "王建国" in mine  # 17 June, two days ahead
    assert "李晓东" not in mine  # 10 July: beyond 14 days
    assert "陈已处理" not in mine  # dismissed
    assert "赵别人" not in mine  # another member's
    company = care_section(login(client, exec_a).get("/"))
    assert company.index("王建国") < company.index("赵别人")  # the company's, soonest first
    one = care_section(login(client, exec_a).get("/", {"member": world["other"].pk}))
    assert "赵别人" in one and "王建国" not in one


def test_the_feed_carries_care_only_when_asked(client, manager_a, world):
    with tenant_context(manager_a.tenant):
        _feed, raw = feed_link_create(membership=manager_a)
    url = reverse("kam:feed", args=[raw])

    def summaries() -> list[str]:
        cal = icalendar.Calendar.from_ical(Client().get(url).content)
        return [str(e["summary"]) for e in cal.walk("VEVENT")]

    assert not any("王建国" in s for s in summaries())  # optional: off by default
    login(client, manager_a)
    page = client.get(reverse("kam:feed-settings")).content.decode()
    assert 'value="care"' in page  # offered on the feed's page
    assert client.post(reverse("kam:feed-options"), {"optional": ["care"]}).status_code == 302
    found = summaries()
    assert any("王建国" in s for s in found) and any("李晓东" in s for s in found)
    assert not any("赵别人" in s or "陈已处理" in s for s in found)

"""The nightly care reminders (care.jobs, care.services.care_reminders_generate): which
occasions of the window become reminders, for whom, with which date and year; skipped people;
run twice: nothing new, nobody notified twice; a real Celery worker."""

from __future__ import annotations

import datetime
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from care.models import CareReminder, Festival, Occasion
from care.services import care_reminders_generate
from kam import clock
from kam.celery import app
from kam.jobs import run_job
from kam.models import Event, JobOutcome, JobRun, Notification
from kam.tasks import run_tenant_nightly
from kam.tenancy import tenant_context
from tests.care.book import D, book

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tenant_a, manager_a):
    return book(tenant_a, manager_a)


def reminders(tenant) -> set[tuple]:
    """(person, occasion, date, year) of every reminder of the tenant."""
    with tenant_context(tenant):
        return {(r.contact.name if r.contact else r.contract.number,
                 r.festival.name if r.festival else r.occasion, r.occurs_on, r.year)
                for r in CareReminder.objects.select_related("contact", "contract", "festival")}


def run(tenant, day: datetime.date):
    result = run_job("care_reminders", tenant, as_of=day)
    assert result.outcome == JobOutcome.SUCCEEDED, result.error
    return result


def test_birthdays_and_anniversaries_of_the_next_three_days(tenant_a, people, manager_a,
                                                            frozen_clock):
    run(tenant_a, D(2026, 6, 15))
    assert reminders(tenant_a) == {
        ("王建国", "birthday", D(2026, 6, 17), 2026),
        ("李秀英", "birthday", D(2026, 6, 17), 2026),  # lunar 五月初三
        ("HT-2024-01", "anniversary", D(2026, 6, 16), 2026),
    }  # not: opted out, left, the account without owner, a contract of this year, a draft
    with tenant_context(tenant_a):
        assert set(CareReminder.objects.values_list("owner_id", flat=True)) == {manager_a.pk}
        assert set(CareReminder.objects.values_list("status", flat=True)) == {"open"}


def test_the_company_chooses_how_many_days_ahead(tenant_a, people, admin_a, frozen_clock):
    from care.services import care_settings_update
    from kam.roles import Actor

    with tenant_context(tenant_a):
        care_settings_update(actor=Actor(tenant=tenant_a, membership=admin_a),
                             data={"birthday_lead_days": 10, "anniversary_lead_days": 0})
    run(tenant_a, D(2026, 6, 7))  # 王建国's birthday (17 June) is ten days ahead
    assert ("王建国", "birthday", D(2026, 6, 17), 2026) in reminders(tenant_a)
    run(tenant_a, D(2026, 6, 15))  # anniversaries on their day only: HT-2024-01's is tomorrow
    assert "HT-2024-01" not in {r[0] for r in reminders(tenant_a)}
    run(tenant_a, D(2026, 6, 16))
    assert ("HT-2024-01", "anniversary", D(2026, 6, 16), 2026) in reminders(tenant_a)


def test_festivals_of_chinese_language_accounts_and_the_company_list(tenant_a, people,
                                                                     frozen_clock):
    run(tenant_a, D(2026, 6, 16))  # 端午 2026-06-19 is three days away
    dragon_boat = {r for r in reminders(tenant_a) if r[1] == Occasion.DRAGON_BOAT}
    # every cared-for contact of the Chinese-language account, none of the English one
    assert dragon_boat == {("王建国", "dragon_boat", D(2026, 6, 19), 2026),
                           ("李秀英", "dragon_boat", D(2026, 6, 19), 2026)}
    # Christmas (the company's list, 7 days ahead) for the other-language account only
    run(tenant_a, D(2026, 12, 18))
    christmas = {r for r in reminders(tenant_a) if r[1] == "圣诞节"}
    assert christmas == {(name, "圣诞节", D(2026, 12, 25), 2026)
                         for name in ("Mary Leap", "Tom Ordinary", "Jane Doe")}


def test_an_account_follows_its_own_language_over_the_companys(tenant_a, people, frozen_clock):
    with tenant_context(tenant_a):
        people["english"].language = "zh"
        people["english"].save()
        people["chinese"].language = "other"
        people["chinese"].save()
    run(tenant_a, D(2026, 6, 16))
    names = {r[0] for r in reminders(tenant_a) if r[1] == Occasion.DRAGON_BOAT}
    assert names == {"Mary Leap", "Tom Ordinary", "Jane Doe"}


def test_a_leap_month_birthday_in_a_year_with_and_without_the_leap_month(tenant_a, people,
                                                                         frozen_clock):
    run(tenant_a, D(2025, 8, 6))  # 2025 has 闰六月: 闰六月十五 is 8 August
    assert {r for r in reminders(tenant_a) if r[1] == "birthday"} == {
        ("Mary Leap", "birthday", D(2025, 8, 8), 2025)}
    run(tenant_a, D(2025, 7, 7))  # the ordinary 六月十五 is 9 July: the ordinary birthday only
    assert ("Tom Ordinary", "birthday", D(2025, 7, 9), 2025) in reminders(tenant_a)
    assert ("Mary Leap", "birthday", D(2025, 7, 9), 2025) not in reminders(tenant_a)
    run(tenant_a, D(2026, 7, 26))  # 2026 has no 闰六月: both on the ordinary 六月十五
    assert {r for r in reminders(tenant_a) if r[2] == D(2026, 7, 28)} == {
        ("Mary Leap", "birthday", D(2026, 7, 28), 2026),
        ("Tom Ordinary", "birthday", D(2026, 7, 28), 2026)}


def test_the_window_across_a_year_end(tenant_a, people, frozen_clock):
    # On 30 December, New Year's Day of the next year: year 2027 (元旦 of the Chinese-language
    # account, the company's own 元旦 for the other one).
    run(tenant_a, D(2026, 12, 30))
    new_year = {r for r in reminders(tenant_a) if r[2] == D(2027, 1, 1)}
    assert ("王建国", "new_year", D(2027, 1, 1), 2027) in new_year
    assert ("Jane Doe", "元旦", D(2027, 1, 1), 2027) in new_year
    # 春节 2028 is 26 January, ten days ahead of 16 January; 16 January is still lunar 2027,
    # the festival is lunar 2028's.
    run(tenant_a, D(2028, 1, 16))
    assert ("王建国", "spring_festival", D(2028, 1, 26), 2028) in reminders(tenant_a)


def test_a_lunar_festival_of_the_company_read_from_december(tenant_a, people, frozen_clock):
    """A company festival by the lunar calendar with a long lead: 春节 2027 (6 February) read on
    20 December 2026, in lunar 2026 — the window spans two solar and two lunar years."""
    with tenant_context(tenant_a):
        Festival.objects.create(name="Lunar New Year", calendar="lunar", month=1, day=1,
                                lead_days=60)
    run(tenant_a, D(2026, 12, 20))
    assert ("Jane Doe", "Lunar New Year", D(2027, 2, 6), 2027) in reminders(tenant_a)


def test_run_twice_nothing_new_and_nobody_notified_twice(tenant_a, people, manager_a,
                                                         frozen_clock):
    first = run(tenant_a, D(2026, 6, 16))
    assert first.changed == len(reminders(tenant_a)) > 0
    with tenant_context(tenant_a):
        notified = Notification.objects.filter(recipient=manager_a).count()
        assert notified == first.changed
        keys = set(Event.objects.filter(kind="care.reminder").values_list("key", flat=True))
        assert keys == {f"care-reminder:{pk}"
                        for pk in CareReminder.objects.values_list("pk", flat=True)}
    second = run(tenant_a, D(2026, 6, 16))
    assert second.changed == 0
    # the next night: the same occasions are not made again, only new ones
    third = run(tenant_a, D(2026, 6, 17))
    with tenant_context(tenant_a):
        assert Notification.objects.filter(recipient=manager_a).count() == notified + \
            third.changed
        assert CareReminder.objects.count() == first.changed + third.changed


def test_an_opted_out_contact_gets_nothing_and_a_dismissed_reminder_stays_dismissed(
        tenant_a, people, frozen_clock):
    with tenant_context(tenant_a):
        people["solar"].care_opt_out = True
        people["solar"].save()
    run(tenant_a, D(2026, 6, 15))
    assert "王建国" not in {r[0] for r in reminders(tenant_a)}
    with tenant_context(tenant_a):
        CareReminder.objects.update(status="dismissed", closed_at=clock.now())
    run(tenant_a, D(2026, 6, 15))
    with tenant_context(tenant_a):
        assert set(CareReminder.objects.values_list("status", flat=True)) == {"dismissed"}


def test_another_companys_contacts_are_not_touched(tenant_a, tenant_b, people, admin_b,
                                                   frozen_clock):
    from tests.care.book import contact
    from tests.factories import make_account

    theirs = make_account(tenant_b, "Their account", owner=admin_b)
    contact(theirs, "Their contact", D(1980, 6, 17))
    run(tenant_a, D(2026, 6, 15))
    assert reminders(tenant_b) == set()
    run(tenant_b, D(2026, 6, 15))
    assert reminders(tenant_b) == {("Their contact", "birthday", D(2026, 6, 17), 2026)}


def test_generating_is_a_statement_per_kind(tenant_a, people, frozen_clock):
    with tenant_context(tenant_a), CaptureQueriesContext(connection) as captured:
        result = care_reminders_generate(today=D(2026, 6, 16))
    sql = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert result.created
    # 1 the company's care settings, 2 its festivals, 3 birthdays, 4 festivals,
    # 5 anniversaries, 6 the new reminders for their notifications, 7 the events,
    # 8 the notifications
    assert len(sql) == 8, sql


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_makes_the_reminders(tenant_a, manager_a):
    book(tenant_a, manager_a)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        run_tenant_nightly.delay(tenant_id=tenant_a.pk, jobs=["care_reminders"])
        deadline = time.monotonic() + 30
        while True:
            with tenant_context(tenant_a):
                done = JobRun.objects.filter(job="care_reminders",
                                             outcome=JobOutcome.SUCCEEDED).first()
            if done:
                break
            assert time.monotonic() < deadline, "the worker did not run the job"
            time.sleep(0.1)
    with tenant_context(tenant_a):
        assert done.changed == CareReminder.objects.count()
        assert Notification.objects.filter(recipient=manager_a).count() == done.changed
    connections.close_all()


def test_the_notification_reads_in_the_readers_language(tenant_a, people, manager_a,
                                                        frozen_clock):
    from kam.notify import render

    run(tenant_a, D(2026, 6, 15))
    with tenant_context(tenant_a):
        lunar = Event.objects.get(kind="care.reminder", data__person="李秀英")
    assert render(lunar, language="zh-hans").title == "李秀英（华东精密）：2026年6月17日 生日（农历）"
    assert render(lunar, language="en").title == \
        "李秀英 (华东精密): Birthday (lunar) on 17 Jun 2026"
    assert render(lunar, language="en").url == "/care/"

"""The visits app's nightly jobs (kam.jobs): planned visits without a report become missed after
the company's grace period, open follow-ups past their due date are marked overdue and, the
company's number of working days later, escalated to its executives — counted in working days of
the company's calendar, here across China's 2026 National Day holiday (Thursday 1 to Wednesday
7 October, days off) and its make-up working days (Sunday 20 September, Saturday 10 October), as
the State Council's schedule and the package chinesecalendar have them.

    Sep 28 Mon  29 Tue  30 Wed | Oct 1–7 holiday | 8 Thu  9 Fri  10 Sat (works)  11 Sun  12 Mon

Hand-computed, grace 2 working days, escalation 3:
- run on Thu 8 Oct: two working days back from the 8th are 30 Sep, 29 Sep: a visit of 28 Sep is
  missed, one of 29 Sep not yet (counting calendar days or weekdays it would be). A follow-up due
  29 Sep is overdue (since 30 Sep) but not escalated: three working days after it (30 Sep, 8 Oct,
  9 Oct) have not all passed.
- run on Mon 12 Oct: two working days back are Sat 10 (a make-up working day) and Fri 9: visits
  of 29 Sep to 8 Oct are missed, 9 Oct not (without the make-up Saturday 8 Oct would not be).
  Three working days back are 10, 9, 8 Oct: follow-ups due 29 and 30 Sep escalate (30 Sep only
  thanks to the make-up Saturday), one due 9 Oct is overdue, not escalated.
"""

from __future__ import annotations

import datetime
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from kam import calendar, notify
from kam.celery import app
from kam.jobs import job_label, job_names, run_job
from kam.models import Event, JobOutcome, JobRun, Membership, Notification, Tenant
from kam.roles import Actor, Role
from kam.tasks import run_tenant_nightly
from kam.tenancy import tenant_context
from tests.conftest import make_member
from tests.factories import make_account
from tests.visits.fixtures import at, make_follow_up, make_visit
from visits.followups.models import FollowUp
from visits.followups.notifications import FOLLOW_UP_ESCALATED, FOLLOW_UP_OVERDUE
from visits.followups.services import follow_up_bulk_upsert, follow_up_update
from visits.visit.models import Visit
from visits.visit.notifications import VISIT_MISSED

pytestmark = pytest.mark.django_db

# 02:00 in Shanghai, when the nightly run starts.
THU_8_OCT = "2026-10-07T18:00:00+00:00"
MON_12_OCT = "2026-10-11T18:00:00+00:00"
D = datetime.date


def test_the_calendar_is_the_official_2026_schedule(tenant_a):
    """What the hand computation above reads from kam.calendar (the package's 2026 schedule)."""
    works = {day: calendar.is_working_day(day, tenant=tenant_a)
             for day in (D(2026, 9, 20), D(2026, 9, 30), D(2026, 10, 1), D(2026, 10, 7),
                         D(2026, 10, 8), D(2026, 10, 10), D(2026, 10, 11))}
    assert works == {D(2026, 9, 20): True, D(2026, 9, 30): True, D(2026, 10, 1): False,
                     D(2026, 10, 7): False, D(2026, 10, 8): True, D(2026, 10, 10): True,
                     D(2026, 10, 11): False}
    assert calendar.working_days_add(D(2026, 10, 8), -2, tenant=tenant_a) == D(2026, 9, 29)
    assert calendar.working_days_add(D(2026, 10, 12), -2, tenant=tenant_a) == D(2026, 10, 9)
    assert calendar.working_days_add(D(2026, 10, 12), -3, tenant=tenant_a) == D(2026, 10, 8)


def actor_for(membership: Membership) -> Actor:
    return Actor(tenant=membership.tenant, membership=membership)


def run(job: str, tenant: Tenant):
    result = run_job(job, tenant)
    assert result.outcome == JobOutcome.SUCCEEDED, result.error
    return result


def statuses(model, tenant: Tenant, *fields: str) -> dict:
    with tenant_context(tenant):
        return {row[0]: row[1:] if len(row) > 2 else row[1]
                for row in model.objects.order_by("id").values_list("pk", *fields)}


def notified(kind: str) -> list[tuple[str, str]]:
    """(event key, recipient's username) of every notification of ``kind``, in order."""
    return sorted(Notification.unscoped_all_tenants.filter(event__kind=kind).values_list(
        "event__key", "recipient__user__username"))


# --- missed visits ---------------------------------------------------------------------------------


@pytest.fixture
def planned(tenant_a, manager_a, manager2_a):
    """Planned visits of 华东精密's account at the edges of the hand computation (Shanghai time),
    a completed and a cancelled one long past (never missed)."""
    account = make_account(tenant_a, "华为供应链", owner=manager_a)
    visits = {
        "sep28": make_visit(account, manager_a, at(2026, 9, 28, 15), objective="年度框架续签"),
        "sep29": make_visit(account, manager2_a, at(2026, 9, 29, 9), level="leadership"),
        "sep30": make_visit(account, manager_a, at(2026, 9, 30, 16)),
        # 23:30 in Shanghai is 15:30 UTC: the company's day is the 8th.
        "oct8_late": make_visit(account, manager_a, at(2026, 10, 8, 23, 30)),
        # 00:30 in Shanghai on the 9th is still the 8th in UTC: the company's day is the 9th.
        "oct9_early": make_visit(account, manager_a, at(2026, 10, 9, 0, 30)),
        "oct12": make_visit(account, manager_a, at(2026, 10, 12, 14)),
        "completed": make_visit(account, manager_a, at(2026, 9, 1), status="completed",
                                completed_at=at(2026, 9, 1, 12), summary="谈妥"),
        "cancelled": make_visit(account, manager_a, at(2026, 9, 2), status="cancelled",
                                cancelled_at=at(2026, 9, 1), cancel_reason="客户审计周"),
    }
    return {name: visit.pk for name, visit in visits.items()}


def missed(tenant: Tenant, planned: dict[str, int]) -> set[str]:
    status = statuses(Visit, tenant, "status")
    return {name for name, pk in planned.items() if status[pk] == "missed"}


@pytest.mark.clock(THU_8_OCT)
def test_visits_are_missed_after_two_working_days_across_national_day(
        tenant_a, planned, manager_a, manager2_a, frozen_clock):
    first = run("visits_missed", tenant_a)
    # On the 8th: only the 28th is more than two working days (29, 30 September) ago.
    assert missed(tenant_a, planned) == {"sep28"}
    assert (first.examined, first.changed) == (3, 1)  # 28, 29, 30 September were planned
    with tenant_context(tenant_a):
        visit = Visit.objects.get(pk=planned["sep28"])
    assert visit.missed_at == datetime.datetime.fromisoformat(THU_8_OCT)
    assert notified(VISIT_MISSED) == [(f"visits.visit-missed:{planned['sep28']}:0", "manager_a")]

    frozen_clock.move_to(MON_12_OCT)
    second = run("visits_missed", tenant_a)
    # On the 12th: two working days back are the make-up Saturday 10th and Friday 9th.
    assert missed(tenant_a, planned) == {"sep28", "sep29", "sep30", "oct8_late"}
    assert (second.examined, second.changed) == (4, 3)
    with tenant_context(tenant_a):
        assert Visit.objects.get(pk=planned["sep28"]).missed_at == visit.missed_at  # kept
    assert [user for _key, user in notified(VISIT_MISSED)] == [
        "manager_a", "manager2_a", "manager_a", "manager_a"]


@pytest.mark.clock(MON_12_OCT)
def test_a_second_run_changes_nothing_and_tells_no_one_again(tenant_a, planned, frozen_clock):
    run("visits_missed", tenant_a)
    rows = statuses(Visit, tenant_a, "status", "missed_at", "updated_at")
    events = Event.unscoped_all_tenants.count()
    with CaptureQueriesContext(connection) as queries:
        again = run("visits_missed", tenant_a)
    assert (again.examined, again.changed) == (1, 0)  # 9 October: still within its grace period
    assert statuses(Visit, tenant_a, "status", "missed_at", "updated_at") == rows
    assert Event.unscoped_all_tenants.count() == events
    assert len(notified(VISIT_MISSED)) == 4
    # The job's own work: the count, the update (no notify_many statement without rows).
    job_sql = [q["sql"] for q in queries.captured_queries if "visits_visit" in q["sql"]]
    assert len(job_sql) == 2, job_sql


@pytest.mark.clock(MON_12_OCT)
@pytest.mark.parametrize("grace,expected", [
    (0, {"sep28", "sep29", "sep30", "oct8_late", "oct9_early"}),  # any day before today
    (5, {"sep28"}),  # 10, 9, 8 Oct, 30, 29 Sep
])
def test_the_grace_period_is_the_companys_setting(tenant_a, planned, frozen_clock, grace,
                                                  expected):
    Tenant.objects.filter(pk=tenant_a.pk).update(visit_grace_working_days=grace)
    tenant_a.refresh_from_db()
    run("visits_missed", tenant_a)
    assert missed(tenant_a, planned) == expected


@pytest.mark.clock(MON_12_OCT)
def test_a_missed_visit_rescheduled_and_missed_again_tells_its_owner_again(
        tenant_a, planned, frozen_clock):
    run("visits_missed", tenant_a)
    with tenant_context(tenant_a):
        Visit.objects.filter(pk=planned["sep28"]).update(
            status="planned", missed_at=None, reschedule_count=1, planned_start=at(2026, 10, 1))
    run("visits_missed", tenant_a)
    keys = [key for key, _user in notified(VISIT_MISSED) if f":{planned['sep28']}:" in key]
    assert keys == [f"visits.visit-missed:{planned['sep28']}:0",
                    f"visits.visit-missed:{planned['sep28']}:1"]


@pytest.mark.clock(MON_12_OCT)
def test_another_companys_visits_are_untouched(tenant_a, tenant_b, planned, admin_b,
                                               frozen_clock):
    account_b = make_account(tenant_b, "Pacific Motors", owner=admin_b)
    theirs = make_visit(account_b, admin_b, at(2026, 9, 1))
    run("visits_missed", tenant_a)
    assert statuses(Visit, tenant_b, "status", "missed_at") == {theirs.pk: ("planned", None)}
    assert not Event.unscoped_all_tenants.filter(tenant=tenant_b).exists()
    run("visits_missed", tenant_b)  # its own run marks its own
    assert statuses(Visit, tenant_b, "status") == {theirs.pk: "missed"}
    assert Event.unscoped_all_tenants.filter(tenant=tenant_b).count() == 1


@pytest.mark.clock(MON_12_OCT)
@pytest.mark.parametrize("language,title,body", [
    ("zh-hans", "拜访已错过：华为供应链（业务层，2026年9月28日）",
     "计划于 2026年9月28日 进行的“年度框架续签”在 2 个工作日后仍未填写报告"),
    ("en", "Missed visit: 华为供应链 (Business, 28 Sep 2026)",
     "“年度框架续签”, planned for 28 Sep 2026, has no report 2 working days later"),
])
def test_the_missed_visit_reads_in_the_readers_language(tenant_a, planned, frozen_clock,
                                                        language, title, body):
    run("visits_missed", tenant_a)
    with tenant_context(tenant_a):
        event = Event.objects.get(key=f"visits.visit-missed:{planned['sep28']}:0")
        shown = notify.render(event, language=language)
    assert shown.title == title
    assert shown.body.startswith(body), shown.body
    assert shown.url == reverse("visits:visit-detail", args=[planned["sep28"]])
    assert event.subject == f"visits.visit:{planned['sep28']}"


# --- overdue and escalated follow-ups -------------------------------------------------------------


@pytest.fixture
def owed(tenant_a, manager_a, manager2_a, exec_a, admin_a):
    """Follow-ups of 华为供应链 (owned by manager_a) around the hand computation, a second
    executive who left (inactive: told nothing), and tenant A's executive exec_a."""
    make_member(tenant_a, "exec_left", Role.EXECUTIVE)
    with tenant_context(tenant_a):
        Membership.objects.filter(user__username="exec_left").update(is_active=False)
    account = make_account(tenant_a, "华为供应链", owner=manager_a)
    rows = {
        "sep29": make_follow_up(account, manager_a, D(2026, 9, 29), title="发送报价单"),
        "sep30": make_follow_up(account, manager2_a, D(2026, 9, 30)),
        "oct7": make_follow_up(account, manager_a, D(2026, 10, 7)),
        "oct9": make_follow_up(account, manager_a, D(2026, 10, 9)),
        "oct12": make_follow_up(account, manager_a, D(2026, 10, 12)),
        "done": make_follow_up(account, manager_a, D(2026, 9, 1), status="done",
                               done_at=at(2026, 9, 2)),
        "cancelled": make_follow_up(account, manager_a, D(2026, 9, 1), status="cancelled",
                                    cancelled_at=at(2026, 9, 2)),
    }
    return {name: row.pk for name, row in rows.items()}


def marks(tenant: Tenant, owed: dict[str, int]) -> dict[str, tuple]:
    found = statuses(FollowUp, tenant, "overdue_since", "escalated_on")
    return {name: found[pk] for name, pk in owed.items()}


@pytest.mark.clock(THU_8_OCT)
def test_follow_ups_are_overdue_then_escalated_in_working_days(tenant_a, owed, frozen_clock):
    first = run("follow_ups_overdue", tenant_a)
    assert marks(tenant_a, owed) == {
        "sep29": (D(2026, 9, 30), None), "sep30": (D(2026, 10, 1), None),
        "oct7": (D(2026, 10, 8), None), "oct9": (None, None), "oct12": (None, None),
        "done": (None, None), "cancelled": (None, None)}
    assert (first.examined, first.changed) == (3, 3)
    assert notified(FOLLOW_UP_OVERDUE) == sorted([
        (f"visits.follow-up-overdue:{owed['sep29']}:2026-09-29", "manager_a"),
        (f"visits.follow-up-overdue:{owed['sep30']}:2026-09-30", "manager2_a"),
        (f"visits.follow-up-overdue:{owed['oct7']}:2026-10-07", "manager_a")])
    assert notified(FOLLOW_UP_ESCALATED) == []

    frozen_clock.move_to(MON_12_OCT)
    second = run("follow_ups_overdue", tenant_a)
    escalated = (D(2026, 10, 12),)
    assert marks(tenant_a, owed) == {
        "sep29": (D(2026, 9, 30), *escalated), "sep30": (D(2026, 10, 1), *escalated),
        "oct7": (D(2026, 10, 8), *escalated), "oct9": (D(2026, 10, 10), None),
        "oct12": (None, None), "done": (None, None), "cancelled": (None, None)}
    assert (second.examined, second.changed) == (4, 4)
    # The executives, active ones only (not the administrator, not the one who left).
    assert notified(FOLLOW_UP_ESCALATED) == sorted(
        (f"visits.follow-up-escalated:{owed[name]}:{day}", "exec_a")
        for name, day in (("sep29", "2026-09-29"), ("sep30", "2026-09-30"),
                          ("oct7", "2026-10-07")))
    assert len(notified(FOLLOW_UP_OVERDUE)) == 4  # + 9 October's, to its owner

    # A second run on the same day: the same rows, nobody told twice.
    rows = statuses(FollowUp, tenant_a, "overdue_since", "escalated_on", "updated_at")
    events = Event.unscoped_all_tenants.count()
    third = run("follow_ups_overdue", tenant_a)
    assert (third.examined, third.changed) == (4, 0)
    assert statuses(FollowUp, tenant_a, "overdue_since", "escalated_on", "updated_at") == rows
    assert Event.unscoped_all_tenants.count() == events
    assert Notification.unscoped_all_tenants.count() == 7


@pytest.mark.clock(MON_12_OCT)
def test_escalation_after_the_companys_working_days(tenant_a, owed, frozen_clock):
    Tenant.objects.filter(pk=tenant_a.pk).update(follow_up_escalation_working_days=5)
    tenant_a.refresh_from_db()
    run("follow_ups_overdue", tenant_a)
    # Five working days back from the 12th: 10, 9, 8 Oct, 30, 29 Sep.
    assert {name for name, (_since, on) in marks(tenant_a, owed).items() if on} == set()
    Tenant.objects.filter(pk=tenant_a.pk).update(follow_up_escalation_working_days=4)
    tenant_a.refresh_from_db()
    run("follow_ups_overdue", tenant_a)
    assert {name for name, (_since, on) in marks(tenant_a, owed).items() if on} == {"sep29"}


@pytest.mark.clock(MON_12_OCT)
def test_a_new_due_date_is_judged_afresh(tenant_a, owed, manager_a, frozen_clock):
    run("follow_ups_overdue", tenant_a)
    with tenant_context(tenant_a):
        follow_up_update(actor=actor_for(manager_a), follow_up=FollowUp.objects.get(pk=owed["sep29"]),
                         data={"due_on": D(2026, 10, 20)})
    assert marks(tenant_a, owed)["sep29"] == (None, None)
    frozen_clock.move_to("2026-10-21T18:00:00+00:00")  # Thursday the 22nd, 02:00
    run("follow_ups_overdue", tenant_a)
    assert marks(tenant_a, owed)["sep29"] == (D(2026, 10, 21), None)
    assert (f"visits.follow-up-overdue:{owed['sep29']}:2026-10-20", "manager_a") in notified(
        FOLLOW_UP_OVERDUE)


@pytest.mark.clock(MON_12_OCT)
def test_a_new_due_date_from_an_integration_is_judged_afresh(tenant_a, owed, manager_a,
                                                             frozen_clock):
    with tenant_context(tenant_a):
        FollowUp.objects.filter(pk=owed["sep29"]).update(external_id="ERP-1")
        FollowUp.objects.filter(pk=owed["sep30"]).update(external_id="ERP-2")
    run("follow_ups_overdue", tenant_a)
    account = FollowUp.unscoped_all_tenants.get(pk=owed["sep29"]).account_id
    with tenant_context(tenant_a):
        follow_up_bulk_upsert(actor=actor_for(manager_a), rows=[
            {"account": account, "owner": manager_a.pk, "title": "发送报价单",
             "due_on": D(2026, 10, 20), "external_id": "ERP-1"},  # postponed
            {"account": account, "owner": manager_a.pk, "title": "改了标题",
             "due_on": D(2026, 9, 30), "external_id": "ERP-2"}])  # the same due date
    assert marks(tenant_a, owed)["sep29"] == (None, None)
    assert marks(tenant_a, owed)["sep30"] == (D(2026, 10, 1), D(2026, 10, 12))


@pytest.mark.clock(MON_12_OCT)
def test_another_companys_follow_ups_are_untouched(tenant_a, tenant_b, owed, admin_b,
                                                   frozen_clock):
    make_member(tenant_b, "exec_b", Role.EXECUTIVE)
    theirs = make_follow_up(make_account(tenant_b, "Pacific Motors", owner=admin_b), admin_b,
                            D(2026, 9, 1))
    run("follow_ups_overdue", tenant_a)
    assert statuses(FollowUp, tenant_b, "overdue_since", "escalated_on") == {
        theirs.pk: (None, None)}
    assert not Event.unscoped_all_tenants.filter(tenant=tenant_b).exists()
    # Tenant A's escalations go to tenant A's executives only.
    assert {user for _key, user in notified(FOLLOW_UP_ESCALATED)} == {"exec_a"}


@pytest.mark.clock(MON_12_OCT)
@pytest.mark.parametrize("language,overdue,escalated", [
    ("zh-hans", "跟进事项已逾期：发送报价单（华为供应链）",
     "升级提醒：manager_a 负责的华为供应链跟进事项已逾期 3 个工作日"),
    ("en", "Overdue follow-up: 发送报价单 (华为供应链)",
     "Escalated: manager_a's follow-up for 华为供应链 is 3 working days overdue"),
])
def test_the_follow_up_events_read_in_the_readers_language(tenant_a, owed, frozen_clock,
                                                           language, overdue, escalated):
    run("follow_ups_overdue", tenant_a)
    with tenant_context(tenant_a):
        shown = [notify.render(Event.objects.get(key=f"visits.follow-up-{step}:{owed['sep29']}:"
                                                     "2026-09-29"), language=language)
                 for step in ("overdue", "escalated")]
    assert [s.title for s in shown] == [overdue, escalated]
    assert all(s.body for s in shown)
    account = FollowUp.unscoped_all_tenants.get(pk=owed["sep29"]).account_id
    assert shown[0].url == f"{reverse('visits:follow-up-list')}?view=overdue&account={account}"


# --- the registry, and a real worker -------------------------------------------------------------


@pytest.mark.parametrize("language,labels", [("en", ["Missed visits", "Overdue follow-ups"]),
                                             ("zh-hans", ["错过的拜访", "逾期跟进事项"])])
def test_the_jobs_are_registered_with_their_labels(language, labels):
    assert {"visits_missed", "follow_ups_overdue"} <= set(job_names())
    with translation.override(language):
        assert [job_label("visits_missed"), job_label("follow_ups_overdue")] == labels


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_jobs_run_through_a_real_worker(tenant_a, manager_a, exec_a):
    """Real time here (a worker thread): a visit planned a month ago, a follow-up due then."""
    from kam import clock

    today = clock.today(tenant_a)
    account = make_account(tenant_a, "华为供应链", owner=manager_a)
    month_ago = clock.day_start(today - datetime.timedelta(days=30), tenant_a)
    visit = make_visit(account, manager_a, month_ago + datetime.timedelta(hours=10))
    follow_up = make_follow_up(account, manager_a, today - datetime.timedelta(days=30))
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        run_tenant_nightly.delay(tenant_id=tenant_a.pk,
                                 jobs=["visits_missed", "follow_ups_overdue"])
        deadline = time.monotonic() + 30
        while True:
            with tenant_context(tenant_a):
                done = set(JobRun.objects.filter(outcome=JobOutcome.SUCCEEDED)
                           .values_list("job", flat=True))
            if done >= {"visits_missed", "follow_ups_overdue"}:
                break
            assert time.monotonic() < deadline, "the worker did not run the jobs"
            time.sleep(0.1)
    assert statuses(Visit, tenant_a, "status") == {visit.pk: "missed"}
    assert statuses(FollowUp, tenant_a, "overdue_since", "escalated_on") == {
        follow_up.pk: (follow_up.due_on + datetime.timedelta(days=1), today)}
    assert {user for _key, user in notified(VISIT_MISSED) + notified(FOLLOW_UP_OVERDUE)} == {
        "manager_a"}
    assert [user for _key, user in notified(FOLLOW_UP_ESCALATED)] == ["exec_a"]
    connections.close_all()


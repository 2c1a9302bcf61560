"""SLA clocks of service requests (satisfaction.requests.services, satisfaction.sla): deadlines
on hand-computed fixtures in working time of the company's calendar — across National Day 2026
and its make-up Saturday, lunch breaks, a pause over a weekend, 24×7 rules, a policy change
mid-flight, reopening — and the minute sweep's steps, each told once."""

from __future__ import annotations

import datetime
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from accounts.contacts.models import Contact
from kam.calendar_models import CalendarSettings
from kam.models import Event, Membership, Notification
from kam.roles import Actor
from kam.tenancy import tenant_context
from satisfaction.requests.models import RequestActivity, RequestStatus, ServiceRequest
from satisfaction.requests.selectors import request_visible_queryset
from satisfaction.requests.services import (
    request_comment,
    request_create,
    request_set_status,
    request_update,
)
from satisfaction.sla import clocks
from satisfaction.sla.models import ClockEvent, ClockState, Metric, SlaClock
from satisfaction.sla.services import sla_policy_save
from satisfaction.sla.sweep import sla_sweep
from tests.factories import make_account

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]
SH = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SH)


def actor_for(membership: Membership) -> Actor:
    return Actor(tenant=membership.tenant, membership=membership)


@pytest.fixture
def world(tenant_a, admin_a, manager_a, exec_a):
    """Tenant A works 09:00–18:00 with lunch 12:00–13:00, Monday to Friday, China's public
    holidays and make-up days; one account of the manager's (no tier yet: general)."""
    with tenant_context(tenant_a):
        CalendarSettings.objects.update_or_create(
            tenant=tenant_a, defaults={"day_starts": datetime.time(9),
                                       "day_ends": datetime.time(18),
                                       "break_starts": datetime.time(12),
                                       "break_ends": datetime.time(13)})
    tenant_a.calendar_version = uuid.uuid4()
    tenant_a.save(update_fields=["calendar_version"])
    account = make_account(tenant_a, "华东精密", owner=manager_a)
    with tenant_context(tenant_a):
        contact = Contact.objects.create(account=account, name="王总", level="leadership")
    return {"tenant": tenant_a, "account": account, "contact": contact, "admin": admin_a,
            "manager": manager_a, "exec": exec_a}


def policy(world, *rules, **settings):
    with tenant_context(world["tenant"]):
        return sla_policy_save(actor=actor_for(world["admin"]), settings=settings,
                               rules=list(rules), now=at(2026, 1, 5, 9))


def create(world, received, **data):
    with tenant_context(world["tenant"]):
        return request_create(actor=actor_for(world["manager"]), now=received, data={
            "account": world["account"], "subject": "产线停机", "received_at": received,
            "assignee": world["manager"], **data})


def clock_of(request, metric) -> SlaClock:
    return SlaClock.unscoped_all_tenants.get(request=request, metric=metric)


def test_a_general_account_gets_its_standard_across_national_day(world):
    """17:30 on Wed 30 Sep 2026, the day before National Day: 1–7 Oct are holidays, Thu 8 and
    Fri 9 Oct working days and Sat 10 Oct a make-up working day. The general tier's standard:
    first response 24 h, resolution 120 h, in working hours."""
    request = create(world, at(2026, 9, 30, 17, 30))
    first = clock_of(request, Metric.FIRST_RESPONSE)
    # 0.5 h on 30 Sep, 8 h on 8 Oct, 8 h on 9 Oct, 7.5 h on the make-up Saturday.
    assert first.deadline == at(2026, 10, 10, 17, 30)
    assert first.target_seconds == 24 * 3600 and first.state == ClockState.RUNNING
    # The warning once 75 % is used (18 h) and 1 h is left (23 h): at 23 h — 16.5 h by 9 Oct
    # 18:00, then 9–12 and 13:00–16:30 on the Saturday.
    assert first.warn_at == at(2026, 10, 10, 16, 30)
    with tenant_context(world["tenant"]):
        periods = clocks.counted_periods(first, [(first.started_at, None)],
                                         tenant=world["tenant"])
    assert periods == [(at(2026, 9, 30, 17, 30), at(2026, 9, 30, 18)),
                       (at(2026, 10, 8, 9), at(2026, 10, 8, 12)),
                       (at(2026, 10, 8, 13), at(2026, 10, 8, 18)),
                       (at(2026, 10, 9, 9), at(2026, 10, 9, 12)),
                       (at(2026, 10, 9, 13), at(2026, 10, 9, 18)),
                       (at(2026, 10, 10, 9), at(2026, 10, 10, 12)),
                       (at(2026, 10, 10, 13), at(2026, 10, 10, 17, 30))]
    assert request.policy.version == 1 and request.rule_position is None
    assert request.tier == "general" and request.calendar_stamp == world["tenant"].calendar_version


def test_a_company_that_does_not_work_make_up_days_gets_monday(world):
    with tenant_context(world["tenant"]):
        CalendarSettings.objects.filter(tenant=world["tenant"]).update(works_makeup_days=False)
    world["tenant"].calendar_version = uuid.uuid4()
    world["tenant"].save(update_fields=["calendar_version"])
    request = create(world, at(2026, 9, 30, 17, 30))
    assert clock_of(request, Metric.FIRST_RESPONSE).deadline == at(2026, 10, 12, 17, 30)


def test_lunch_break_and_a_rule_in_minutes(world):
    policy(world, {"priority": "urgent", "first_response_minutes": 60,
                   "resolution_minutes": 240})
    request = create(world, at(2026, 6, 15, 11, 30), priority="urgent")
    assert request.rule_position == 1
    # 11:30–12:00, lunch, 13:00–13:30.
    assert clock_of(request, Metric.FIRST_RESPONSE).deadline == at(2026, 6, 15, 13, 30)
    assert clock_of(request, Metric.RESOLUTION).deadline == at(2026, 6, 15, 16, 30)
    # A normal one does not match the rule: the general standard (24 h).
    other = create(world, at(2026, 6, 15, 11, 30))
    assert other.rule_position is None
    assert clock_of(other, Metric.FIRST_RESPONSE).target_seconds == 24 * 3600


def test_around_the_clock_rule(world):
    policy(world, {"request_type": "complaint", "first_response_minutes": 120,
                   "resolution_minutes": 240, "hours": "always"})
    request = create(world, at(2026, 6, 13, 22), request_type="complaint")  # a Saturday night
    assert clock_of(request, Metric.FIRST_RESPONSE).deadline == at(2026, 6, 14, 0)
    assert clock_of(request, Metric.RESOLUTION).deadline == at(2026, 6, 14, 2)


def test_a_pause_over_a_weekend_and_its_clock_events(world):
    policy(world, {"first_response_minutes": 60, "resolution_minutes": 480})
    request = create(world, at(2026, 6, 5, 16), description="")  # a Friday
    with tenant_context(world["tenant"]):
        request_set_status(actor=actor_for(world["manager"]), request=request,
                           status=RequestStatus.WAITING, now=at(2026, 6, 5, 17),
                           reason="等客户提供日志")
        paused = clock_of(request, Metric.RESOLUTION)
        assert paused.state == ClockState.PAUSED and paused.elapsed_seconds == 3600
        assert paused.deadline is None and paused.next_step_at is None
        # The first response does not pause: waiting on the customer needs an answer first.
        assert clock_of(request, Metric.FIRST_RESPONSE).state == ClockState.RUNNING
        request_set_status(actor=actor_for(world["manager"]), request=request,
                           status=RequestStatus.IN_PROGRESS, now=at(2026, 6, 8, 10))
    resumed = clock_of(request, Metric.RESOLUTION)
    # 7 h left from Monday 10:00: 10–12, 13–18.
    assert resumed.deadline == at(2026, 6, 8, 18)
    events = list(ClockEvent.unscoped_all_tenants.filter(clock=resumed).order_by("at", "id")
                  .values_list("kind", "reason", "by_id", "elapsed_seconds"))
    assert [(kind, by, counted) for kind, _why, by, counted in events] == [
        ("started", world["manager"].pk, 0), ("paused", world["manager"].pk, 3600),
        ("resumed", world["manager"].pk, 3600)]
    assert events[1][1] == "等客户提供日志" and events[2][1]  # who paused said why


def test_waiting_needs_a_reason_and_nothing_changes(world):
    request = create(world, at(2026, 6, 15, 10))
    with tenant_context(world["tenant"]), pytest.raises(ValidationError) as info:
        request_set_status(actor=actor_for(world["manager"]), request=request,
                           status=RequestStatus.WAITING, now=at(2026, 6, 15, 11), reason=" ")
    assert "status" in info.value.message_dict
    assert clock_of(request, Metric.RESOLUTION).state == ClockState.RUNNING
    assert ServiceRequest.unscoped_all_tenants.get(pk=request.pk).status == RequestStatus.NEW


def test_clock_events_cannot_be_changed(world):
    request = create(world, at(2026, 6, 15, 10))
    event = ClockEvent.unscoped_all_tenants.filter(clock__request=request).first()
    with tenant_context(world["tenant"]), pytest.raises(DatabaseError), transaction.atomic():
        ClockEvent.objects.filter(pk=event.pk).update(reason="rewritten")


def test_the_first_reply_meets_the_first_response_and_late_is_late(world):
    policy(world, {"first_response_minutes": 60, "resolution_minutes": 480})
    on_time = create(world, at(2026, 6, 15, 9))
    late = create(world, at(2026, 6, 15, 9))
    with tenant_context(world["tenant"]):
        me = actor_for(world["manager"])
        request_comment(actor=me, request=on_time, body="内部备注", is_reply=False,
                        now=at(2026, 6, 15, 9, 10))
        assert clock_of(on_time, Metric.FIRST_RESPONSE).state == ClockState.RUNNING
        request_comment(actor=me, request=on_time, body="已收到，正在排查", is_reply=True,
                        now=at(2026, 6, 15, 9, 40))
        request_comment(actor=me, request=late, body="已收到", is_reply=True,
                        now=at(2026, 6, 15, 10, 30))
        tenant = world["tenant"]
        met = clocks.read(clock_of(on_time, Metric.FIRST_RESPONSE), now=at(2026, 6, 15, 11),
                          tenant=tenant)
        met_late = clocks.read(clock_of(late, Metric.FIRST_RESPONSE), now=at(2026, 6, 15, 11),
                               tenant=tenant)
    assert (met.shown, met.elapsed_seconds) == ("met", 40 * 60)
    assert (met_late.shown, met_late.breached_at) == ("met_late", at(2026, 6, 15, 10))
    assert ServiceRequest.unscoped_all_tenants.get(pk=on_time.pk).status == "in_progress"


def test_a_policy_change_mid_flight_keeps_the_time_counted(world):
    policy(world, {"first_response_minutes": 60, "resolution_minutes": 480})
    request = create(world, at(2026, 6, 15, 9))
    # At 11:00 (2 h counted) the resolution target becomes 16 h: 14 h left from 11:00 —
    # 11–12, 13–18 (6 h), then Tuesday 9–12, 13–18 (8 h): Tuesday 18:00.
    with tenant_context(world["tenant"]):
        sla_policy_save(actor=actor_for(world["admin"]), settings={}, now=at(2026, 6, 15, 11),
                        rules=[{"first_response_minutes": 60, "resolution_minutes": 960}])
    clock = clock_of(request, Metric.RESOLUTION)
    assert (clock.target_seconds, clock.elapsed_seconds) == (16 * 3600, 2 * 3600)
    assert clock.deadline == at(2026, 6, 16, 18)
    assert ServiceRequest.unscoped_all_tenants.get(pk=request.pk).policy.version == 3
    assert ClockEvent.unscoped_all_tenants.filter(clock=clock, kind="recomputed").count() == 1


def test_a_new_priority_measures_again(world):
    policy(world, {"priority": "urgent", "first_response_minutes": 30, "resolution_minutes": 60},
           {"first_response_minutes": 60, "resolution_minutes": 480})
    request = create(world, at(2026, 6, 15, 9))
    assert clock_of(request, Metric.RESOLUTION).deadline == at(2026, 6, 15, 18)
    with tenant_context(world["tenant"]):
        request_update(actor=actor_for(world["manager"]), request=request,
                       data={"priority": "urgent"}, now=at(2026, 6, 15, 9, 30))
    assert clock_of(request, Metric.RESOLUTION).deadline == at(2026, 6, 15, 10)
    assert RequestActivity.unscoped_all_tenants.filter(request=request, kind="priority").exists()


def test_resolve_and_reopen_within_the_days_only(world):
    policy(world, {"first_response_minutes": 60, "resolution_minutes": 480}, reopen_days=7)
    request = create(world, at(2026, 6, 15, 9))
    with tenant_context(world["tenant"]):
        me = actor_for(world["manager"])
        request_set_status(actor=me, request=request, status="resolved", now=at(2026, 6, 15, 11))
        assert clock_of(request, Metric.RESOLUTION).state == ClockState.STOPPED
        request_set_status(actor=me, request=request, status="in_progress",
                           now=at(2026, 6, 17, 9))
        reopened = clock_of(request, Metric.RESOLUTION)
        # 2 h counted before; 6 h left from Wednesday 09:00: 9–12, 13–16.
        assert (reopened.state, reopened.deadline) == (ClockState.RUNNING, at(2026, 6, 17, 16))
        request_set_status(actor=me, request=request, status="resolved", now=at(2026, 6, 17, 10))
        with pytest.raises(ValidationError) as info:
            request_set_status(actor=me, request=request, status="in_progress",
                               now=at(2026, 6, 25, 10))
    assert "7" in info.value.message_dict["status"][0]
    stored = ServiceRequest.unscoped_all_tenants.get(pk=request.pk)
    assert (stored.status, stored.times_reopened) == ("resolved", 1)


def test_bad_input_names_every_field_and_saves_nothing(world, tenant_b):
    other = make_account(tenant_b, "Pacific")
    with tenant_context(world["tenant"]), pytest.raises(ValidationError) as info:
        request_create(actor=actor_for(world["manager"]), now=at(2026, 6, 15, 10), data={
            "account": other, "subject": "  ", "received_at": at(2026, 6, 16, 10),
            "priority": "whenever"})
    assert {"account", "subject", "received_at", "priority"} <= set(info.value.message_dict)
    assert not ServiceRequest.unscoped_all_tenants.exists()


def test_an_outsider_sees_and_changes_nothing(world, admin_b):
    request = create(world, at(2026, 6, 15, 10))
    outsider = actor_for(admin_b)
    with tenant_context(admin_b.tenant):
        assert not request_visible_queryset(actor=outsider).filter(pk=request.pk).exists()
        with pytest.raises(ServiceRequest.DoesNotExist):
            request_set_status(actor=outsider, request=request, status="closed",
                               now=at(2026, 6, 15, 11))
    assert ServiceRequest.unscoped_all_tenants.get(pk=request.pk).status == RequestStatus.NEW


def test_the_sweep_warns_breaches_and_escalates_once_each(world):
    policy(world, {"first_response_minutes": 60, "resolution_minutes": 480},
           owner_after_minutes=0, executives_after_minutes=60)
    request = create(world, at(2026, 6, 15, 9))
    first = clock_of(request, Metric.FIRST_RESPONSE)
    assert first.warn_at == at(2026, 6, 15, 9, 45)  # 75 % of an hour (1 h left from the start)
    # Nothing due at 09:30.
    assert sla_sweep(at(2026, 6, 15, 9, 30).isoformat()) == 0
    # 09:50: the warning of the first response.
    assert sla_sweep(at(2026, 6, 15, 9, 50).isoformat()) == 1
    assert sla_sweep(at(2026, 6, 15, 9, 50).isoformat()) == 0  # a duplicated message
    # 11:05: the first response breached at 10:00 (assignee, account owner at +0) and the
    # executives at +1 working hour (11:00).
    assert sla_sweep(at(2026, 6, 15, 11, 5).isoformat()) == 3
    assert sla_sweep(at(2026, 6, 15, 11, 6).isoformat()) == 0
    kinds = sorted(Event.unscoped_all_tenants.filter(tenant=world["tenant"],
                                                     kind__startswith="satisfaction.sla")
                   .values_list("kind", flat=True))
    assert kinds == ["satisfaction.sla_breached", "satisfaction.sla_breached",
                     "satisfaction.sla_escalated", "satisfaction.sla_warning"]
    told = sorted(Notification.unscoped_all_tenants.filter(
        event__kind="satisfaction.sla_escalated").values_list("recipient_id", flat=True))
    assert told == [world["exec"].pk]
    assert clock_of(request, Metric.FIRST_RESPONSE).next_step_at is None


def test_the_sweep_skips_paused_and_stopped_clocks(world):
    policy(world, {"first_response_minutes": 60, "resolution_minutes": 120})
    request = create(world, at(2026, 6, 15, 9))
    with tenant_context(world["tenant"]):
        me = actor_for(world["manager"])
        request_comment(actor=me, request=request, body="收到", is_reply=True,
                        now=at(2026, 6, 15, 9, 5))
        request_set_status(actor=me, request=request, status="waiting", now=at(2026, 6, 15, 9, 10),
                           reason="等客户回复")
    assert sla_sweep(at(2026, 6, 16, 9).isoformat()) == 0
    assert not Event.unscoped_all_tenants.filter(kind__startswith="satisfaction.sla").exists()

"""Visit services (visits.visit.services) and their rules (visits.visit.rules): plan, change and
reschedule, cancel, report with our commitments, check in; who may; every rule's error on its
field; nothing written when a rule fails."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError

from accounts.contacts.models import Contact
from kam.models import Membership
from kam.roles import Actor
from kam.tenancy import tenant_context
from tests.conftest import make_member
from tests.factories import make_account
from tests.visits.fixtures import at, make_visit, visits_world
from visits.followups.models import FollowUp
from visits.visit.models import Visit, VisitAttendee, VisitContact
from visits.visit.rules import schedule_change
from visits.visit.services import (
    visit_cancel,
    visit_check,
    visit_check_in,
    visit_complete,
    visit_complete_check,
    visit_plan,
    visit_reschedule,
    visit_update,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock", "in_english")]


def actor_for(membership: Membership) -> Actor:
    return Actor(tenant=membership.tenant, membership=membership)


def errors_of(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as info:
        call()
    return info.value.message_dict


def plan_data(account, **overrides) -> dict:
    return {"account": account, "level": "technical", "channel": "video",
            "planned_start": at(2026, 6, 22, 9), "duration_minutes": 90,
            "objective": "工艺改进交流", **overrides}


def fresh(visit: Visit) -> Visit:
    return Visit.unscoped_all_tenants.get(pk=visit.pk)


# --- plan ---------------------------------------------------------------------------------------


def test_plan_a_visit_with_both_sides(manager_a, manager2_a):
    world = visits_world(manager_a, manager2_a)
    leader, engineer = world.contacts["leader"], world.contacts["engineer"]
    with tenant_context(manager_a.tenant):
        visit = visit_plan(actor=actor_for(manager_a), data=plan_data(
            world.account, attendees=[manager2_a.pk], contacts=[leader.pk, engineer]))
        assert visit.owner_id == manager_a.pk  # one's own visit unless someone else is named
        assert visit.status == "planned" and visit.reschedule_count == 0
        assert set(VisitAttendee.objects.filter(visit=visit).values_list("membership_id",
                                                                          flat=True)) == {manager2_a.pk}
        # Each contact with the level held at the visit.
        assert dict(VisitContact.objects.filter(visit=visit).values_list("contact_id", "level")) == {
            leader.pk: "leadership", engineer.pk: "technical"}
        Contact.objects.filter(pk=leader.pk).update(level="business")  # promoted later
        assert VisitContact.objects.get(visit=visit, contact=leader).level == "leadership"


def test_a_visit_logged_after_the_fact_may_start_in_the_past(manager_a):
    account = make_account(manager_a.tenant, "Past Co", owner=manager_a)
    with tenant_context(manager_a.tenant):
        visit = visit_plan(actor=actor_for(manager_a),
                           data=plan_data(account, planned_start=at(2026, 6, 2, 15)))
        visit_complete(actor=actor_for(manager_a), visit=visit,
                       report={"summary": "补录", "sentiment": "neutral"})
    assert fresh(visit).status == "completed"


def test_every_rule_names_its_field_at_once(manager_a, manager2_a, admin_a, admin_b):
    own = make_account(manager_a.tenant, "Own", owner=manager_a)
    colleagues = make_account(manager_a.tenant, "Colleague's", owner=manager2_a)
    other_contact = visits_world(manager2_a).contacts["leader"]  # of another account
    gone = make_member(manager_a.tenant, "left_a", "manager")
    with tenant_context(manager_a.tenant):
        Membership.objects.filter(pk=gone.pk).update(is_active=False)
        errors = errors_of(lambda: visit_plan(actor=actor_for(manager_a), data=plan_data(
            own, owner=manager2_a, attendees=[gone.pk, admin_b.pk], contacts=[other_contact.pk],
            planned_start=at(2037, 1, 1), objective="  ", duration_minutes=3)))
        assert set(errors) == {"owner", "attendees", "contacts", "planned_start", "objective",
                               "duration_minutes"}, errors
        assert "can see this account" in errors["owner"][0]
        # A colleague's account reads like another tenant's: it does not exist.
        errors = errors_of(lambda: visit_plan(actor=actor_for(manager_a),
                                              data=plan_data(colleagues)))
        assert errors == {"account": ["The account does not exist."]}
        # An administrator may own a visit of any account; an inactive member never.
        visit = visit_plan(actor=actor_for(manager_a), data=plan_data(own, owner=admin_a))
        assert visit.owner_id == admin_a.pk
        errors = errors_of(lambda: visit_plan(actor=actor_for(manager_a),
                                              data=plan_data(own, owner=gone)))
        assert errors == {"owner": ["The owner must be one of your company's active members."]}
        assert Visit.objects.filter(account=own).count() == 1
        assert not VisitAttendee.objects.filter(visit__account=own).exists()


def test_executives_and_read_keys_only_read(exec_a, tenant_a):
    from kam.services import api_key_create

    account = make_account(tenant_a, "Co", owner=exec_a)
    with tenant_context(tenant_a):
        key, _raw = api_key_create(name="read", scopes=["read"])
        for actor in (actor_for(exec_a), Actor(tenant=tenant_a, api_key=key)):
            with pytest.raises(PermissionDenied):
                visit_plan(actor=actor, data=plan_data(account))
        assert not Visit.objects.exists()


def test_a_write_key_plans_for_the_accounts_owner(tenant_a, manager_a):
    from kam.services import api_key_create

    account = make_account(tenant_a, "Co", owner=manager_a)
    with tenant_context(tenant_a):
        key, _raw = api_key_create(name="write", scopes=["read", "write"])
        visit = visit_plan(actor=Actor(tenant=tenant_a, api_key=key), data=plan_data(account))
    assert visit.owner_id == manager_a.pk


def test_check_writes_nothing_and_says_what_save_would(manager_a):
    account = make_account(manager_a.tenant, "Co", owner=manager_a)
    with tenant_context(manager_a.tenant):
        visit_check(actor=actor_for(manager_a), data=plan_data(account))
        errors = errors_of(lambda: visit_check(actor=actor_for(manager_a), data=plan_data(
            account, planned_start=None, owner=None, objective="x")))
        assert "planned_start" in errors
        assert not Visit.objects.exists()


# --- change and reschedule ----------------------------------------------------------------------


@pytest.mark.parametrize(("status", "moved", "expected"), [
    ("planned", True, ("planned", 1, True)),
    ("missed", True, ("planned", 1, True)),  # a missed visit moved is planned again
    ("completed", True, ("completed", 0, False)),  # a correction, not a reschedule
    ("cancelled", True, ("cancelled", 0, False)),
    ("planned", False, ("planned", 0, False)),
])
def test_schedule_change(status, moved, expected):
    old = at(2026, 6, 18)
    change = schedule_change(status=status, reschedule_count=0, old_start=old,
                             new_start=old + datetime.timedelta(days=1 if moved else 0))
    assert (change.status, change.reschedule_count, change.clears_missed) == expected


def test_a_new_start_is_a_reschedule(manager_a):
    world = visits_world(manager_a)
    upcoming, missed, done = (world.visits[k] for k in ("upcoming", "missed", "done"))
    actor = actor_for(manager_a)
    with tenant_context(manager_a.tenant):
        visit_update(actor=actor, visit=upcoming, data={"objective": "改了目的"})
        assert fresh(upcoming).reschedule_count == 0
        visit_reschedule(actor=actor, visit=upcoming, planned_start=at(2026, 6, 25, 14))
        visit_update(actor=actor, visit=upcoming, data={"planned_start": at(2026, 6, 26, 14)})
        assert (fresh(upcoming).reschedule_count, fresh(upcoming).planned_start) == (
            2, at(2026, 6, 26, 14))
        visit_reschedule(actor=actor, visit=missed, planned_start=at(2026, 6, 20), duration_minutes=30)
        assert (fresh(missed).status, fresh(missed).missed_at, fresh(missed).reschedule_count,
                fresh(missed).duration_minutes) == ("planned", None, 1, 30)
        # A completed visit's start is corrected, not rescheduled (and cannot be via reschedule).
        visit_update(actor=actor, visit=done, data={"planned_start": at(2026, 6, 2)})
        assert (fresh(done).status, fresh(done).reschedule_count) == ("completed", 0)
        errors = errors_of(lambda: visit_reschedule(actor=actor, visit=done,
                                                    planned_start=at(2026, 6, 3)))
        assert errors == {NON_FIELD_ERRORS: ["Only a planned or missed visit can be rescheduled."]}


def test_update_replaces_the_attendees_given_and_keeps_the_others(manager_a, manager2_a):
    world = visits_world(manager_a, manager2_a)
    visit = world.visits["upcoming"]
    with tenant_context(manager_a.tenant):
        visit_update(actor=actor_for(manager_a), visit=visit, data={"attendees": [manager2_a.pk]})
        assert list(VisitAttendee.objects.filter(visit=visit).values_list("membership_id",
                                                                          flat=True)) == [manager2_a.pk]
        assert VisitContact.objects.filter(visit=visit).count() == 2  # contacts not given: kept
        visit_update(actor=actor_for(manager_a), visit=visit, data={"contacts": []})
        assert not VisitContact.objects.filter(visit=visit).exists()


# --- cancel -------------------------------------------------------------------------------------


def test_cancel_needs_a_reason_and_an_open_visit(manager_a):
    world = visits_world(manager_a)
    actor = actor_for(manager_a)
    upcoming = world.visits["upcoming"]
    with tenant_context(manager_a.tenant):
        assert errors_of(lambda: visit_cancel(actor=actor, visit=upcoming, reason="  ")) == {
            "reason": ["Say why the visit is cancelled."]}
        assert fresh(upcoming).status == "planned"
        visit_cancel(actor=actor, visit=upcoming, reason=" 客户临时出差 ")
        after = fresh(upcoming)
        assert (after.status, after.cancel_reason, after.cancelled_by_id) == (
            "cancelled", "客户临时出差", manager_a.pk)
        assert after.cancelled_at == at(2026, 6, 15)
        assert NON_FIELD_ERRORS in errors_of(lambda: visit_cancel(
            actor=actor, visit=world.visits["done"], reason="x"))
        visit_cancel(actor=actor, visit=world.visits["missed"], reason="不再需要")


# --- the report ---------------------------------------------------------------------------------


def test_report_completes_the_visit_and_our_commitments_become_follow_ups(manager_a, manager2_a):
    world = visits_world(manager_a, manager2_a)
    visit = world.visits["due_report"]
    with tenant_context(manager_a.tenant):
        visit_complete(actor=actor_for(manager_a), visit=visit, report={
            "summary": " 方案获认可 ", "discussed": "产线节拍", "customer_commitments": "下周给数据",
            "sentiment": "positive", "next_visit_on": datetime.date(2026, 7, 1),
        }, commitments=[
            {"owner": manager2_a, "title": "提交改进报价", "due_on": datetime.date(2026, 6, 19)},
            {"owner": manager_a.pk, "title": "安排样机", "due_on": datetime.date(2026, 6, 30)},
        ], checkin={"latitude": Decimal("22.543096"), "longitude": Decimal("114.057865"),
                    "accuracy_m": 25})
        after = fresh(visit)
        assert (after.status, after.summary, after.sentiment, after.next_visit_on) == (
            "completed", "方案获认可", "positive", datetime.date(2026, 7, 1))
        assert (after.completed_at, after.completed_by_id) == (at(2026, 6, 15), manager_a.pk)
        assert (after.checkin_latitude, after.checkin_accuracy_m) == (Decimal("22.543096"), 25)
        made = list(FollowUp.objects.filter(visit=visit).order_by("due_on").values_list(
            "owner_id", "title", "due_on", "source", "status", "account_id"))
        assert made == [
            (manager2_a.pk, "提交改进报价", datetime.date(2026, 6, 19), "visit", "open",
             world.account.pk),
            (manager_a.pk, "安排样机", datetime.date(2026, 6, 30), "visit", "open",
             world.account.pk)]


def test_a_report_is_refused_whole_when_a_commitment_is_wrong(manager_a, manager2_a):
    world = visits_world(manager_a)  # manager2_a is not on this account
    visit = world.visits["due_report"]
    before = FollowUp.unscoped_all_tenants.count()
    with tenant_context(manager_a.tenant):
        errors = errors_of(lambda: visit_complete(actor=actor_for(manager_a), visit=visit, report={
            "summary": "", "sentiment": "great"}, commitments=[
            {"owner": manager_a, "title": "好的", "due_on": datetime.date(2026, 6, 19)},
            {"owner": manager2_a, "title": " ", "due_on": None, "extra": 1}]))
    assert set(errors) == {"summary", "sentiment", "follow_ups.1.owner", "follow_ups.1.title",
                           "follow_ups.1.due_on", "follow_ups.1.extra"}, errors
    assert fresh(visit).status == "planned"
    assert FollowUp.unscoped_all_tenants.count() == before


def test_a_report_once_from_its_day_on_and_a_missed_visit_may_still_be_reported(manager_a):
    world = visits_world(manager_a)
    actor = actor_for(manager_a)
    report = {"summary": "ok", "sentiment": "neutral"}
    with tenant_context(manager_a.tenant):
        for key, message in (("upcoming", "from its day on"), ("done", "reported already"),
                             ("cancelled", "cancelled visit cannot")):
            errors = errors_of(lambda key=key: visit_complete(actor=actor, visit=world.visits[key],
                                                              report=report))
            assert message in errors[NON_FIELD_ERRORS][0]
        visit_complete_check(actor=actor, visit=world.visits["missed"], report=report)
        visit_complete(actor=actor, visit=world.visits["missed"], report=report)
        assert (fresh(world.visits["missed"]).status, fresh(world.visits["missed"]).missed_at) == (
            "completed", None)
        proposed = {**report, "next_visit_on": datetime.date(2026, 6, 12)}
        assert "next_visit_on" in errors_of(lambda: visit_complete(
            actor=actor, visit=world.visits["due_report"], report=proposed))


def test_check_in_records_the_position_of_an_open_visit(manager_a):
    world = visits_world(manager_a)
    actor = actor_for(manager_a)
    with tenant_context(manager_a.tenant):
        visit_check_in(actor=actor, visit=world.visits["upcoming"], latitude=Decimal("31.2304"),
                       longitude=Decimal("121.4737"), accuracy_m=12)
        after = fresh(world.visits["upcoming"])
        assert (after.checkin_latitude, after.checkin_longitude, after.checkin_accuracy_m,
                after.checked_in_at) == (Decimal("31.230400"), Decimal("121.473700"), 12,
                                         at(2026, 6, 15))
        for visit, lat in ((world.visits["upcoming"], Decimal("91")), (world.visits["done"],
                                                                       Decimal("31"))):
            assert NON_FIELD_ERRORS in errors_of(lambda visit=visit, lat=lat: visit_check_in(
                actor=actor, visit=visit, latitude=lat, longitude=Decimal("121"), accuracy_m=5))
        assert fresh(world.visits["upcoming"]).checkin_latitude == Decimal("31.230400")


def test_a_manager_changes_only_visits_of_accounts_they_see(manager_a, manager2_a):
    world = visits_world(manager2_a)  # manager_a neither owns nor is on the team
    with tenant_context(manager_a.tenant):
        with pytest.raises(Visit.DoesNotExist):
            visit_update(actor=actor_for(manager_a), visit=world.visits["upcoming"],
                         data={"objective": "hijacked"})
        with pytest.raises(Visit.DoesNotExist):
            visit_cancel(actor=actor_for(manager_a), visit=world.visits["upcoming"], reason="x")
    assert fresh(world.visits["upcoming"]).objective == "年度战略合作会谈"


def test_a_team_member_may_work_on_the_accounts_visits(manager_a, manager2_a):
    world = visits_world(manager_a, teammate=manager2_a)
    with tenant_context(manager_a.tenant):
        visit_update(actor=actor_for(manager2_a), visit=world.visits["upcoming"],
                     data={"owner": manager2_a})
        visit = make_visit(world.account, manager2_a, at(2026, 6, 14))
        visit_complete(actor=actor_for(manager2_a), visit=visit,
                       report={"summary": "ok", "sentiment": "negative"})
    assert fresh(world.visits["upcoming"]).owner_id == manager2_a.pk

"""Follow-up services (visits.followups.services): create, change, done — a recurring one is
followed by the next, from its due date or from the day it was done, months on the calendar —,
cancel, reopen; who may; the rules."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError

from kam.models import Membership
from kam.roles import Actor
from kam.tenancy import tenant_context
from tests.factories import make_account
from tests.visits.fixtures import make_follow_up, visits_world
from visits.followups.models import FollowUp
from visits.followups.services import (
    add_interval,
    follow_up_cancel,
    follow_up_check,
    follow_up_create,
    follow_up_done,
    follow_up_reopen,
    follow_up_update,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock", "in_english")]
D = datetime.date


def actor_for(membership: Membership) -> Actor:
    return Actor(tenant=membership.tenant, membership=membership)


def errors_of(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as info:
        call()
    return info.value.message_dict


def fresh(follow_up: FollowUp) -> FollowUp:
    return FollowUp.unscoped_all_tenants.get(pk=follow_up.pk)


@pytest.mark.parametrize(("day", "interval", "unit", "expected"), [
    (D(2026, 6, 15), 10, "days", D(2026, 6, 25)),
    (D(2026, 6, 15), 2, "weeks", D(2026, 6, 29)),
    (D(2026, 1, 31), 1, "months", D(2026, 2, 28)),  # the month's last day
    (D(2028, 1, 31), 1, "months", D(2028, 2, 29)),  # a leap year
    (D(2026, 3, 31), 1, "months", D(2026, 4, 30)),
    (D(2026, 11, 15), 3, "months", D(2027, 2, 15)),  # over the year's end
    (D(2026, 8, 31), 12, "months", D(2027, 8, 31)),
])
def test_intervals_are_calendar_aware(day, interval, unit, expected):
    assert add_interval(day, interval, unit) == expected


def test_create_by_hand_is_open_and_ones_own(manager_a):
    account = make_account(manager_a.tenant, "Co", owner=manager_a)
    with tenant_context(manager_a.tenant):
        follow_up = follow_up_create(actor=actor_for(manager_a), data={
            "account": account, "title": " 寄样品 ", "due_on": D(2026, 6, 20),
            "recurrence": "none", "recurrence_interval": 3, "recurrence_unit": "weeks"})
    stored = fresh(follow_up)
    assert (stored.owner_id, stored.title, stored.status, stored.source) == (
        manager_a.pk, "寄样品", "open", "manual")
    # Not repeating: the interval a form still carried is dropped.
    assert (stored.recurrence_interval, stored.recurrence_unit) == (None, "")


def test_the_rules_name_their_fields(manager_a, manager2_a):
    own = make_account(manager_a.tenant, "Own", owner=manager_a)
    theirs = visits_world(manager2_a, name="Theirs")
    with tenant_context(manager_a.tenant):
        errors = errors_of(lambda: follow_up_create(actor=actor_for(manager_a), data={
            "account": own, "owner": manager2_a, "title": "", "due_on": None,
            "recurrence": "from_due", "recurrence_interval": 400}))
        assert set(errors) == {"owner", "title", "due_on", "recurrence_interval",
                               "recurrence_unit"}, errors
        assert errors_of(lambda: follow_up_create(actor=actor_for(manager_a), data={
            "account": theirs.account, "title": "x", "due_on": D(2026, 6, 20)})) == {
            "account": ["The account does not exist."]}
        follow_up_check(actor=actor_for(manager_a), data={"account": own, "title": "x",
                                                          "due_on": D(2026, 6, 20)})
        assert not FollowUp.objects.filter(account=own).exists()


def test_a_visits_follow_up_stays_with_its_account(manager_a):
    world = visits_world(manager_a)
    other = make_account(manager_a.tenant, "Other", owner=manager_a)
    follow_up = world.follow_ups["overdue"]  # from the completed visit
    with tenant_context(manager_a.tenant):
        errors = errors_of(lambda: follow_up_update(actor=actor_for(manager_a),
                                                    follow_up=follow_up, data={"account": other}))
        assert errors == {"account": ["The visit must be one of this account's."]}
        follow_up_update(actor=actor_for(manager_a), follow_up=follow_up,
                         data={"due_on": D(2026, 6, 30), "notes": "客户要求延期"})
    assert (fresh(follow_up).due_on, fresh(follow_up).account_id) == (D(2026, 6, 30),
                                                                      world.account.pk)


def test_done_then_the_next_from_the_due_date(manager_a):
    world = visits_world(manager_a)
    monthly = world.follow_ups["this_week"]  # due 19 June, monthly from the due date
    with tenant_context(manager_a.tenant):
        done, following = follow_up_done(actor=actor_for(manager_a), follow_up=monthly)
    assert (done.status, done.done_by_id, done.done_at.isoformat()) == (
        "done", manager_a.pk, "2026-06-15T02:00:00+00:00")
    assert following is not None
    assert (following.due_on, following.status, following.previous_id, following.title,
            following.owner_id, following.visit_id, following.recurrence) == (
        D(2026, 7, 19), "open", monthly.pk, monthly.title, manager_a.pk, monthly.visit_id,
        "from_due")


def test_done_then_the_next_from_the_day_it_was_done(manager_a):
    account = make_account(manager_a.tenant, "Co", owner=manager_a)
    weekly = make_follow_up(account, manager_a, D(2026, 6, 1), recurrence="from_done",
                            recurrence_interval=2, recurrence_unit="weeks")
    with tenant_context(manager_a.tenant):
        _done, following = follow_up_done(actor=actor_for(manager_a), follow_up=weekly)
    assert following is not None and following.due_on == D(2026, 6, 29)  # today + 2 weeks


def test_done_reopened_and_done_again_has_one_next(manager_a):
    world = visits_world(manager_a)
    monthly = world.follow_ups["this_week"]
    actor = actor_for(manager_a)
    with tenant_context(manager_a.tenant):
        follow_up_done(actor=actor, follow_up=monthly)
        assert NON_FIELD_ERRORS in errors_of(lambda: follow_up_done(actor=actor,
                                                                    follow_up=monthly))
        follow_up_reopen(actor=actor, follow_up=monthly)
        assert (fresh(monthly).status, fresh(monthly).done_at) == ("open", None)
        _done, following = follow_up_done(actor=actor, follow_up=monthly)
        assert following is None
        assert FollowUp.objects.filter(previous=monthly).count() == 1


def test_cancel_needs_a_reason_and_cannot_then_be_done(manager_a):
    world = visits_world(manager_a)
    follow_up = world.follow_ups["later"]
    actor = actor_for(manager_a)
    with tenant_context(manager_a.tenant):
        assert errors_of(lambda: follow_up_cancel(actor=actor, follow_up=follow_up,
                                                  reason=" ")) == {
            "reason": ["Say why it is no longer needed."]}
        follow_up_cancel(actor=actor, follow_up=follow_up, reason="客户已自行解决")
        stored = fresh(follow_up)
        assert (stored.status, stored.cancel_reason, stored.cancelled_by_id) == (
            "cancelled", "客户已自行解决", manager_a.pk)
        assert "reopen it first" in errors_of(lambda: follow_up_done(
            actor=actor, follow_up=follow_up))[NON_FIELD_ERRORS][0]
        follow_up_reopen(actor=actor, follow_up=follow_up)
        assert (fresh(follow_up).status, fresh(follow_up).cancel_reason) == ("open", "")
        assert NON_FIELD_ERRORS in errors_of(lambda: follow_up_reopen(actor=actor,
                                                                      follow_up=follow_up))


def test_only_those_who_may_change_the_account(manager_a, manager2_a, exec_a):
    world = visits_world(manager_a)
    follow_up = world.follow_ups["overdue"]
    with tenant_context(manager_a.tenant):
        with pytest.raises(PermissionDenied):
            follow_up_done(actor=actor_for(exec_a), follow_up=follow_up)
        with pytest.raises(FollowUp.DoesNotExist):
            follow_up_done(actor=actor_for(manager2_a), follow_up=follow_up)
    assert fresh(follow_up).status == "open"

"""The cadence job and its statement on the hand-computed world of tests/visits/cadence_fixture.py:
each level, a tier change, a standard change, missed and cancelled visits, no owner, inactive,
the company's "due soon" days, a second run, the recompute after a visit changes, and tenants
kept apart."""

from __future__ import annotations

import datetime

import pytest

from accounts.standards.models import ServiceStandard
from kam.jobs import run_job
from kam.models import JobOutcome
from kam.roles import Actor
from kam.tenancy import tenant_context
from tests.conftest import make_member
from tests.factories import make_account
from tests.visits.cadence_fixture import EXPECTED, cadence_world, set_tier
from tests.visits.fixtures import at, make_visit
from visits.cadence.models import CadenceStatus
from visits.visit.services import visit_cancel, visit_complete, visit_reschedule

pytestmark = pytest.mark.usefixtures("frozen_clock")

D = datetime.date


@pytest.fixture
def world(manager_a, tenant_a):
    return cadence_world(manager_a, make_member(tenant_a, "gone", "manager"))


def rows(tenant, account) -> dict[str, tuple]:
    with tenant_context(tenant):
        return {row.level: (row.last_visit_on, row.next_due_on, row.state, row.completed_12m,
                            row.required_12m, row.compliance_pct, row.contact_count)
                for row in CadenceStatus.objects.filter(account=account)}


def states(tenant, account) -> dict[str, str]:
    return {level: values[2] for level, values in rows(tenant, account).items()}


def test_each_level_as_computed_by_hand(tenant_a, world):
    run = run_job("cadence", tenant_a)
    assert run.outcome == JobOutcome.SUCCEEDED
    assert (run.examined, run.changed) == (15, 15)  # 5 accounts × 3 levels, all new
    for name, expected in EXPECTED.items():
        assert rows(tenant_a, world.accounts[name]) == expected, name
    assert states(tenant_a, world.accounts["delta"]) == dict.fromkeys(
        ("leadership", "technical", "business"), "no_owner")
    assert states(tenant_a, world.accounts["epsilon"]) == dict.fromkeys(
        ("leadership", "technical", "business"), "inactive")
    with tenant_context(tenant_a):  # listed with their dates, not skipped
        epsilon = CadenceStatus.objects.get(account=world.accounts["epsilon"], level="leadership")
    assert (epsilon.required_per_year, epsilon.next_due_on) == (2, D(2025, 7, 1))


def test_a_second_run_changes_nothing(tenant_a, world):
    run_job("cadence", tenant_a)
    with tenant_context(tenant_a):
        before = list(CadenceStatus.objects.order_by("id").values())
    second = run_job("cadence", tenant_a, as_of=D(2026, 6, 15))
    assert (second.examined, second.changed) == (15, 0)
    with tenant_context(tenant_a):
        assert list(CadenceStatus.objects.order_by("id").values()) == before


def test_a_tier_change_moves_the_next_due_dates_the_same_night(tenant_a, world):
    gamma = world.accounts["gamma"]
    run_job("cadence", tenant_a)
    assert states(tenant_a, gamma)["leadership"] == "not_required"
    # Promoted to strategic this morning: leadership is owed from today (none yet), business
    # monthly from the April visit, so overdue at once; compliance counts from today.
    set_tier(gamma, "strategic", at(2026, 6, 15, 1), from_tier="general")
    run = run_job("cadence", tenant_a, as_of=D(2026, 6, 15))
    assert run.changed == 3
    assert rows(tenant_a, gamma) == {
        "leadership": (None, D(2026, 12, 15), "on_track", 0, 0, None, 0),
        "technical": (None, D(2026, 9, 15), "on_track", 0, 0, None, 0),
        "business": (D(2026, 4, 1), D(2026, 5, 1), "overdue", 0, 0, None, 0),
    }


def test_a_standard_change_moves_the_next_due_dates(tenant_a, world):
    beta = world.accounts["beta"]
    run_job("cadence", tenant_a)
    with tenant_context(tenant_a):
        # Key accounts: business 3 a year (every 4 months), technical 5 (every 73 days).
        ServiceStandard.objects.filter(tier="key").update(business_visits_per_year=3,
                                                          technical_visits_per_year=5)
    run_job("cadence", tenant_a, as_of=D(2026, 6, 15))
    after = rows(tenant_a, beta)
    assert after["business"][:3] == (D(2026, 2, 20), D(2026, 6, 20), "due_soon")
    assert after["technical"][:3] == (None, D(2026, 3, 1) + datetime.timedelta(days=73),
                                      "overdue")
    assert after["technical"][1] == D(2026, 5, 13)


def test_due_soon_follows_the_company_setting(tenant_a, world):
    tenant_a.cadence_due_soon_days = 3
    tenant_a.save(update_fields=["cadence_due_soon_days"])
    run_job("cadence", tenant_a)
    assert states(tenant_a, world.accounts["acme"])["business"] == "on_track"  # 20 Jun: 5 days


def test_missed_and_cancelled_visits_do_not_count(tenant_a, world):
    acme = world.accounts["acme"]
    run_job("cadence", tenant_a)
    # A later visit that was missed, and one completed after the run's day: neither counts.
    make_visit(acme, world.owner, at(2026, 6, 10), status="missed", missed_at=at(2026, 6, 13))
    make_visit(acme, world.owner, at(2026, 6, 16), status="completed", summary="好",
               sentiment="positive", completed_at=at(2026, 6, 16, 12))
    run = run_job("cadence", tenant_a, as_of=D(2026, 6, 15))
    assert run.changed == 0
    assert rows(tenant_a, acme)["business"][0] == D(2026, 5, 20)


def test_reporting_cancelling_and_rescheduling_recompute_the_account(
        tenant_a, world, django_capture_on_commit_callbacks):
    acme, owner = world.accounts["acme"], world.owner
    run_job("cadence", tenant_a)
    actor = Actor(tenant=tenant_a, membership=owner)
    with tenant_context(tenant_a):
        visit = make_visit(acme, owner, at(2026, 6, 12), level="technical")
        with django_capture_on_commit_callbacks(execute=True):
            visit_complete(actor=actor, visit=visit, report={
                "summary": "方案评审通过", "sentiment": "positive"})
    assert rows(tenant_a, acme)["technical"] == (
        D(2026, 6, 12), D(2026, 9, 12), "on_track", 3, 4, 75, 0)
    with tenant_context(tenant_a):
        planned = make_visit(acme, owner, at(2026, 6, 16), level="leadership")
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            visit_reschedule(actor=actor, visit=planned, planned_start=at(2026, 6, 17))
        assert len(callbacks) == 1
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            visit_cancel(actor=actor, visit=planned, reason="客户出差")
        assert len(callbacks) == 1
    assert rows(tenant_a, acme)["leadership"][:3] == (D(2026, 1, 5), D(2026, 7, 5), "on_track")


def test_each_company_computes_its_own_accounts(tenant_a, tenant_b, admin_b, world):
    theirs = make_account(tenant_b, "Their account", owner=admin_b)
    run_job("cadence", tenant_b)
    with tenant_context(tenant_b):
        assert set(CadenceStatus.objects.values_list("account_id", flat=True)) == {theirs.pk}
    with tenant_context(tenant_a):
        assert not CadenceStatus.objects.exists()
    run_job("cadence", tenant_a)
    with tenant_context(tenant_a):
        assert CadenceStatus.objects.count() == 15
    with tenant_context(tenant_b):
        assert CadenceStatus.objects.count() == 3


def test_the_job_runs_after_tiering():
    from kam.jobs import job_names, job_prerequisites

    assert job_prerequisites("cadence") == ("tiering",)
    assert job_names().index("cadence") > job_names().index("tiering")


def test_behind_cadence_lists_overdue_and_due_soon_most_overdue_first(tenant_a, world, manager_a):
    from visits.cadence.selectors import behind_cadence

    run_job("cadence", tenant_a)
    with tenant_context(tenant_a):
        rows = behind_cadence(actor=Actor(tenant=tenant_a, membership=manager_a))
    assert [(row.account.name, row.level, row.next_due_on) for row in rows] == [
        ("Gamma", "technical", D(2026, 1, 10)), ("Beta", "business", D(2026, 4, 20)),
        ("Acme", "technical", D(2026, 5, 14)), ("Beta", "technical", D(2026, 6, 1)),
        ("Acme", "business", D(2026, 6, 20))]


def test_days_are_the_companys(tenant_a, world):
    # In Los Angeles the frozen moment is still Sunday 14 June, and every visit (10:00 in
    # Shanghai) took place the day before on the company's clock.
    tenant_a.time_zone = "America/Los_Angeles"
    tenant_a.save(update_fields=["time_zone"])
    run = run_job("cadence", tenant_a)
    assert run.as_of == D(2026, 6, 14)
    acme = rows(tenant_a, world.accounts["acme"])
    assert acme["business"][:3] == (D(2026, 5, 19), D(2026, 6, 19), "due_soon")
    assert acme["technical"][:3] == (D(2026, 2, 13), D(2026, 5, 13), "overdue")

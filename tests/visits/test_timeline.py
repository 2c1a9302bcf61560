"""The account timeline's visits and follow-up sources (visits.visit.timeline,
visits.followups.timeline): registered by the app, one query each, dated on the company's clock."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.profile.sections import profile_sections
from accounts.profile.timeline import account_timeline, timeline_sources
from kam.roles import Actor
from kam.tenancy import tenant_context
from tests.visits.fixtures import at, make_follow_up, make_visit, visits_world
from visits.followups.timeline import follow_ups_done_source
from visits.visit.timeline import visits_source

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def test_the_app_registers_its_sources_and_its_360_section():
    assert {visits_source, follow_ups_done_source} <= set(timeline_sources())
    assert [s.url_name for s in profile_sections()].count("visits:account-visits") == 1


def test_every_visit_at_its_start_and_follow_ups_when_done(manager_a):
    world = visits_world(manager_a)
    actor = Actor(tenant=manager_a.tenant, membership=manager_a)
    with tenant_context(manager_a.tenant), translation.override("en"):
        entries = account_timeline(actor=actor, account=world.account, limit=None)
    visits = [(e.when, e.kind, e.title) for e in entries if e.kind.startswith("visit")]
    assert visits == [
        (at(2026, 6, 18, 14), "visit-planned", "Leadership visit planned (On site)"),
        (at(2026, 6, 12), "visit-planned", "Technical visit planned (Video call)"),
        (at(2026, 6, 1, 9, 30), "visit-completed", "Business visit held (On site)"),
        (at(2026, 5, 20, 15), "visit-cancelled", "Business visit cancelled"),
        (at(2026, 5, 10), "visit-missed", "Business visit missed: no report"),
    ]
    done = next(e for e in entries if e.kind == "follow-up-done")
    assert (done.when, done.title) == (at(2026, 6, 5, 16), "Follow-up done: 寄送合同")
    assert "manager_a" in done.detail and "5 Jun 2026" in done.detail
    completed = next(e for e in entries if e.kind == "visit-completed")
    assert completed.detail == "季度业务回顾 · manager_a · Sentiment: Positive"
    assert completed.url == f"/visits/{world.visits['done'].pk}/"


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/Los_Angeles"])
def test_the_days_asked_are_the_companys(tenant_a, manager_a, zone):
    tenant_a.time_zone = zone
    tenant_a.save(update_fields=["time_zone"])
    world = visits_world(manager_a)
    # 1 June 01:30 in Shanghai is still 31 May in Los Angeles.
    late = make_visit(world.account, manager_a, at(2026, 6, 1, 1, 30))
    actor = Actor(tenant=tenant_a, membership=manager_a)
    with tenant_context(tenant_a):
        day = datetime.date(2026, 6, 1)
        on_day = visits_source(actor=actor, account=world.account, since=day, until=day)
    ids = {e.data["visit_id"] for e in on_day}
    assert (late.pk in ids) is (zone == "Asia/Shanghai")


def test_one_query_each_whatever_the_account_holds(manager_a):
    world = visits_world(manager_a)
    actor = Actor(tenant=manager_a.tenant, membership=manager_a)
    for i in range(15):
        make_visit(world.account, manager_a, at(2026, 4, 1 + i))
        make_follow_up(world.account, manager_a, datetime.date(2026, 4, 1 + i), status="done",
                       done_at=at(2026, 4, 2 + i), done_by=manager_a)
    with tenant_context(manager_a.tenant):
        for source in (visits_source, follow_ups_done_source):
            with CaptureQueriesContext(connection) as ctx:
                entries = source(actor=actor, account=world.account, since=None, until=None)
            assert len(ctx.captured_queries) == 1 and len(entries) >= 16

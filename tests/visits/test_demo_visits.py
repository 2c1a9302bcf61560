"""The demo's visits and follow-ups (visits.demo, a step of seed_demo): a year of them at every
level, relative to the day of seeding; every demo manager's my day has visits and follow-ups on
the first login; a rerun adds nothing; every row belongs to its account's company."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.db.models import F

from accounts.demo.services import HUADONG, PACIFIC
from kam import clock
from kam.models import Membership, Tenant
from kam.roles import Role
from kam.tenancy import tenant_context
from tests.conftest import login
from visits.followups.models import FollowUp
from visits.visit.models import Visit, VisitContact

pytestmark = [pytest.mark.django_db, pytest.mark.slow, pytest.mark.usefixtures("frozen_clock")]


def test_the_demo_has_a_year_of_visits_and_full_days(client):
    call_command("seed_demo", stdout=io.StringIO())
    counts = (Visit.unscoped_all_tenants.count(), FollowUp.unscoped_all_tenants.count())
    for spec in (HUADONG, PACIFIC):
        tenant = Tenant.objects.get(slug=spec.slug)
        today = clock.today(tenant)
        with tenant_context(tenant):
            completed = Visit.objects.filter(status="completed")
            assert set(completed.values_list("level", flat=True)) == {
                "business", "technical", "leadership"}
            assert completed.filter(planned_start__lt=clock.day_start(
                today - datetime.timedelta(days=300), tenant)).exists()  # a year of them
            assert Visit.objects.filter(status="missed").exists()
            assert FollowUp.objects.filter(status="open", due_on__lt=today).exists()  # overdue
            assert FollowUp.objects.filter(status="done").exists()
            managers = Membership.objects.filter(role=Role.MANAGER)
            for manager in managers:
                if not manager.owned_accounts.exists():
                    continue
                html = login(client, manager).get("/").content.decode()
                visits = html[html.index('id="my-day-visits"'):html.index('id="my-day-follow-ups"')]
                assert "/visits/" in visits, manager  # a visit to go to or report on
    # Every row in its account's company; a rerun adds nothing.
    assert not Visit.unscoped_all_tenants.exclude(account__tenant=F("tenant")).exists()
    assert not VisitContact.unscoped_all_tenants.exclude(contact__tenant=F("tenant")).exists()
    call_command("seed_demo", stdout=io.StringIO())
    assert (Visit.unscoped_all_tenants.count(), FollowUp.unscoped_all_tenants.count()) == counts

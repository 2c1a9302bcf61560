"""The demo's customer care (care.demo, a step of seed_demo): after the nightly run every demo
account manager has care reminders — a birthday tomorrow, and in the Chinese company a lunar one
the day after — and my day shows them; a rerun the same day writes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from accounts.demo.services import HUADONG, PACIFIC
from care.models import CareReminder
from kam.jobs import run_job
from kam.models import Membership, Tenant
from kam.roles import Role
from kam.tenancy import tenant_context
from tests.conftest import login

pytestmark = [pytest.mark.django_db, pytest.mark.slow, pytest.mark.usefixtures("frozen_clock")]


def test_every_demo_manager_has_care_reminders_on_the_first_login(client):
    call_command("seed_demo", stdout=io.StringIO())
    for spec in (HUADONG, PACIFIC):
        tenant = Tenant.objects.get(slug=spec.slug)
        run_job("care_reminders", tenant)
        with tenant_context(tenant):
            for manager in Membership.objects.filter(role=Role.MANAGER):
                if not manager.owned_accounts.exists():
                    continue
                mine = CareReminder.objects.filter(owner=manager, occasion="birthday")
                assert mine.exists(), manager
                if spec.language == "zh-hans":
                    assert mine.filter(contact__birthday_is_lunar=True).exists(), manager
                html = login(client, manager).get("/").content.decode()
                section = html[html.index('id="my-day-care"'):]
                assert mine.first().contact.name in section
    before = list(CareReminder.unscoped_all_tenants.values_list("id", flat=True))
    call_command("seed_demo", stdout=io.StringIO())  # the same day: no birthday moves
    for spec in (HUADONG, PACIFIC):
        run_job("care_reminders", Tenant.objects.get(slug=spec.slug))
    assert list(CareReminder.unscoped_all_tenants.values_list("id", flat=True)) == before

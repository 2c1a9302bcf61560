"""The demo's customer care (a step of ``accounts.demo.services.seed_demo``): every account
manager of a demo company has a customer with a birthday tomorrow and — in the Chinese company —
one with a lunar birthday the day after, so the nightly run (``make demo`` runs it after seeding)
makes their care reminders and my day shows them on the first login. Relative to ``today``; a
rerun the same day writes nothing."""

from __future__ import annotations

import datetime

from django.db import transaction

from accounts.contacts.models import Contact
from care.calendar import lunar_of
from kam import clock
from kam.models import Membership, Tenant
from kam.roles import Role
from kam.tenancy import tenant_context


@transaction.atomic
def seed_care(*, tenant: Tenant, language: str, seed: int,
              today: datetime.date | None = None) -> dict[str, int]:
    changed = 0
    with tenant_context(tenant):
        today = today or clock.today(tenant)
        solar = today + datetime.timedelta(days=1)
        lunar = lunar_of(today + datetime.timedelta(days=2))
        for manager in Membership.objects.filter(role=Role.MANAGER, is_active=True).order_by("id"):
            people = list(Contact.objects.filter(
                account__owner=manager, is_active=True, care_opt_out=False,
                account__lifecycle_status__in=("active", "at_risk"))
                .order_by("account__external_id", "id")[:2])
            wanted = [(datetime.date(1975, solar.month, min(solar.day, 28) if solar.month == 2
                                     else solar.day), False, False)]
            if language == "zh-hans":
                wanted.append((datetime.date(1972, lunar.month, min(lunar.day, 29 if lunar.month
                                                                    == 2 else lunar.day)),
                               True, lunar.leap))
            for person, (birthday, is_lunar, leap) in zip(people, wanted, strict=False):
                changed += Contact.objects.filter(pk=person.pk).exclude(
                    birthday=birthday, birthday_is_lunar=is_lunar, birthday_lunar_leap=leap
                ).update(birthday=birthday, birthday_is_lunar=is_lunar, birthday_lunar_leap=leap)
    return {"contacts": changed}

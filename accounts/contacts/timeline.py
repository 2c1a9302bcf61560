"""The 360° page's timeline source for contacts: added, and left the account."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.profile.timeline import TimelineEntry
from kam import clock
from kam.roles import Perm

if TYPE_CHECKING:
    from accounts.account.models import Account
    from kam.roles import Actor


def contacts_source(*, actor: Actor, account: Account, since: datetime.date | None,
                    until: datetime.date | None) -> list[TimelineEntry]:
    """Contacts added (their record's creation) and contacts who left the account. One query."""
    from accounts.contacts.models import Contact

    qs = Contact.objects.filter(account_id=account.pk)
    added, left = Q(), Q(left_on__isnull=False)
    start, end = clock.day_range(since, until, actor.tenant)
    if start is not None:
        added &= Q(created_at__gte=start)
        left &= Q(left_on__gte=since)
    if end is not None:
        added &= Q(created_at__lt=end)
        left &= Q(left_on__lte=until)
    qs = qs.filter(added | left).only("id", "name", "title", "level", "buying_role",
                                      "created_at", "is_active", "left_on")
    can_change = actor.can(Perm.ACCOUNT_CHANGE)
    entries = []
    for contact in qs:
        url = reverse("accounts:contact-edit", args=[contact.pk]) if can_change else ""
        role = contact.get_buying_role_display() if contact.buying_role else ""
        detail = " · ".join(p for p in (contact.title, contact.get_level_display(), role) if p)
        entries.append(TimelineEntry(
            when=contact.created_at, kind="contact-added",
            title=_("Contact added: %(name)s") % {"name": contact.name},
            detail=detail, url=url, data={"contact_id": contact.pk},
        ))
        if contact.left_on is not None:
            entries.append(TimelineEntry(
                when=contact.left_on, kind="contact-left",
                title=_("%(name)s left the account") % {"name": contact.name},
                detail=detail, url=url, data={"contact_id": contact.pk},
            ))
    return entries

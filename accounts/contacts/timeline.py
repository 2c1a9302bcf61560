"""The 360° page's timeline source for contacts: added, and left the account."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

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
    """Contacts added (their record's creation) and contacts who left the account. One query, or
    none on the 360° page, which has fetched the account's contacts already
    (``account.contacts.all()``, ``accounts.profile.selectors.profile_prefetch``)."""
    start, end = clock.day_range(since, until, actor.tenant)
    can_change = actor.can(Perm.ACCOUNT_CHANGE)
    entries = []
    for contact in account.contacts.all():
        added = (start is None or contact.created_at >= start) and (end is None or contact.created_at < end)
        left = contact.left_on is not None and (since is None or contact.left_on >= since) and (
            until is None or contact.left_on <= until)
        if not (added or left):
            continue
        url = reverse("accounts:contact-edit", args=[contact.pk]) if can_change else ""
        role = contact.get_buying_role_display() if contact.buying_role else ""
        detail = " · ".join(p for p in (contact.title, contact.get_level_display(), role) if p)
        if added:
            entries.append(TimelineEntry(
                when=contact.created_at, kind="contact-added",
                title=_("Contact added: %(name)s") % {"name": contact.name},
                detail=detail, url=url, data={"contact_id": contact.pk},
            ))
        if left:
            entries.append(TimelineEntry(
                when=contact.left_on, kind="contact-left",
                title=_("%(name)s left the account") % {"name": contact.name},
                detail=detail, url=url, data={"contact_id": contact.pk},
            ))
    return entries

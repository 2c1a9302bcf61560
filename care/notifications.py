"""What care tells people (kam.notify): the owner of an account, once per reminder — "王建国
（华东精密）：生日 (农历)，12月20日". The event's data holds ids, names, codes and an ISO date;
the renderers write them in the reader's language."""

from __future__ import annotations

import datetime
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from care.models import CareReminder, Occasion
from kam import l10n
from kam.notify import notify_many, register_event_kind

CARE_REMINDER = "care.reminder"


def _occasion(data: dict[str, Any]) -> str:
    if data["occasion"] == Occasion.FESTIVAL:
        return str(data["festival_name"])
    if data["occasion"] == Occasion.BIRTHDAY and data.get("lunar"):
        return str(_("Birthday (lunar)"))
    return str(Occasion(data["occasion"]).label)


def care_reminder_title(data: dict[str, Any]) -> str:
    return _("%(person)s (%(account)s): %(occasion)s on %(day)s") % {
        "person": data["person"], "account": data["account_name"],
        "occasion": _occasion(data), "day": l10n.day(datetime.date.fromisoformat(data["on"]))}


def care_reminder_body(data: dict[str, Any]) -> str:
    return _("A chance to care for this customer: dismiss the reminder, or turn it into a "
             "follow-up.")


def care_reminder_url(data: dict[str, Any]) -> str:
    return reverse("care:reminder-list")


def care_reminder_subject(data: dict[str, Any]) -> str:
    return f"care.carereminder:{data['reminder_id']}"


def register() -> None:
    register_event_kind(CARE_REMINDER, title=care_reminder_title, body=care_reminder_body,
                        url=care_reminder_url, subject=care_reminder_subject)


def notify_new_reminders(*, ids: list[int], occurred_at: datetime.datetime) -> int:
    """Tell each new reminder's owner (one event per reminder, key ``care-reminder:<id>``): one
    query for the reminders, then notify_many's statements."""
    if not ids:
        return 0
    rows = (CareReminder.objects.filter(pk__in=ids)
            .select_related("account", "contact", "contract", "festival").order_by("id"))
    items = []
    for reminder in rows:
        items.append((f"care-reminder:{reminder.pk}", [reminder.owner_id], {
            "reminder_id": reminder.pk, "account_id": reminder.account_id,
            "account_name": reminder.account.name, "person": reminder.person,
            "occasion": reminder.occasion,
            "festival_name": reminder.festival.name if reminder.festival else "",
            "lunar": bool(reminder.contact and reminder.contact.birthday_is_lunar),
            "on": reminder.occurs_on.isoformat()}))
    return notify_many(kind=CARE_REMINDER, items=items, occurred_at=occurred_at)

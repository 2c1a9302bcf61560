"""What follow-ups tell people (kam.notify): its owner, the night after a follow-up falls due
while still open ("跟进事项已逾期：发送报价单（华东精密）"), and the company's executives — the
account owner's lead — when it is still open the company's number of working days after its due
date. The event's data holds ids, names and dates; these renderers write them in the reader's
language."""

from __future__ import annotations

import datetime
from typing import Any

from django.urls import reverse
from django.utils import formats
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kam.notify import register_event_kind

FOLLOW_UP_OVERDUE = "visits.follow_up_overdue"
FOLLOW_UP_ESCALATED = "visits.follow_up_escalated"


def _names(data: dict[str, Any]) -> dict[str, str]:
    return {"title": data["title"], "account": data["account_name"],
            "owner": data.get("owner_name", ""),
            "due": formats.date_format(datetime.date.fromisoformat(data["due_on"]),
                                       "SHORT_DATE_FORMAT"),
            "n": formats.number_format(data["working_days"], force_grouping=True)}


def follow_up_overdue_title(data: dict[str, Any]) -> str:
    return _("Overdue follow-up: %(title)s (%(account)s)") % _names(data)


def follow_up_overdue_body(data: dict[str, Any]) -> str:
    return ngettext(
        "It was due on %(due)s and is still open. Mark it done, or give it a new due date: if it "
        "is still open %(n)s working day after its due date, your company's executives are told.",
        "It was due on %(due)s and is still open. Mark it done, or give it a new due date: if it "
        "is still open %(n)s working days after its due date, your company's executives are told.",
        data["working_days"]) % _names(data)


def follow_up_escalated_title(data: dict[str, Any]) -> str:
    return ngettext(
        "Escalated: %(owner)s's follow-up for %(account)s is %(n)s working day overdue",
        "Escalated: %(owner)s's follow-up for %(account)s is %(n)s working days overdue",
        data["working_days"]) % _names(data)


def follow_up_escalated_body(data: dict[str, Any]) -> str:
    return _("“%(title)s” was due on %(due)s and is still open. It comes to you as one of your "
             "company's executives; %(owner)s was told the day after it fell due.") % _names(data)


def follow_up_url(data: dict[str, Any]) -> str:
    """The account's overdue follow-ups (a follow-up has no page of its own)."""
    return reverse("visits:follow-up-list") + "?" + urlencode(
        {"view": "overdue", "account": data["account_id"]})


def follow_up_subject(data: dict[str, Any]) -> str:
    return f"visits.followup:{data['follow_up_id']}"


def register() -> None:
    register_event_kind(FOLLOW_UP_OVERDUE, title=follow_up_overdue_title,
                        body=follow_up_overdue_body, url=follow_up_url, subject=follow_up_subject)
    register_event_kind(FOLLOW_UP_ESCALATED, title=follow_up_escalated_title,
                        body=follow_up_escalated_body, url=follow_up_url,
                        subject=follow_up_subject)

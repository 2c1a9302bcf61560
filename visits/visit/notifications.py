"""What visits tell people (kam.notify): the owner of a planned visit the nightly job marked
missed — "拜访已错过：华东精密（业务层，2026/9/29）". The event's data holds ids, codes, names and
dates; these renderers write them in the reader's language."""

from __future__ import annotations

import datetime
from typing import Any

from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kam.notify import register_event_kind
from visits.visit.models import VisitLevel

VISIT_MISSED = "visits.visit_missed"


def _day(value: str) -> str:
    return formats.date_format(datetime.date.fromisoformat(value), "SHORT_DATE_FORMAT")


def visit_missed_title(data: dict[str, Any]) -> str:
    return _("Missed visit: %(account)s (%(level)s, %(day)s)") % {
        "account": data["account_name"], "level": VisitLevel(data["level"]).label,
        "day": _day(data["day"])}


def visit_missed_body(data: dict[str, Any]) -> str:
    grace = data["grace"]
    return ngettext(
        "“%(objective)s”, planned for %(day)s, has no report %(n)s working day later, so it is "
        "marked missed. If it took place, file its report; otherwise reschedule or cancel it.",
        "“%(objective)s”, planned for %(day)s, has no report %(n)s working days later, so it is "
        "marked missed. If it took place, file its report; otherwise reschedule or cancel it.",
        grace) % {"objective": data["objective"], "day": _day(data["day"]),
                  "n": formats.number_format(grace, force_grouping=True)}


def visit_missed_url(data: dict[str, Any]) -> str:
    return reverse("visits:visit-detail", args=[data["visit_id"]])


def visit_subject(data: dict[str, Any]) -> str:
    return f"visits.visit:{data['visit_id']}"


def register() -> None:
    register_event_kind(VISIT_MISSED, title=visit_missed_title, body=visit_missed_body,
                        url=visit_missed_url, subject=visit_subject)

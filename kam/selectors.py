"""Reads of the core app's pages: the company's settings changes as the settings page lists them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kam.audit import ACTOR_USER
from kam.models import CURRENCIES, TenantSettingsChange


@dataclass(frozen=True)
class SettingsChangeLine:
    changed_at: datetime.datetime
    by: str             # the username, as the audit context recorded it ("" when unknown)
    changes: list[str]  # "Time zone: Asia/Shanghai → America/Los_Angeles", …


def _setting_labels() -> dict[str, str]:
    return {"time_zone": _("Time zone"), "currency": _("Currency"),
            "default_language": _("Default language"),
            "visit_grace_working_days": _("Grace period for visit reports"),
            "follow_up_escalation_working_days": _("Escalate overdue follow-ups after"),
            "cadence_due_soon_days": _("Visits due soon within (days)")}


def _value_label(field: str, value: str | int) -> str:
    if field == "cadence_due_soon_days":  # calendar days (visits.cadence)
        return ngettext("%(n)s day", "%(n)s days", int(value)) % {
            "n": formats.number_format(int(value), force_grouping=True)}
    if field == "currency":
        return str(CURRENCIES.get(str(value), value))
    if field == "default_language":
        return str(dict(settings.LANGUAGES).get(str(value), value))
    if isinstance(value, int):
        return ngettext("%(n)s working day", "%(n)s working days", value) % {
            "n": formats.number_format(value, force_grouping=True)}
    return str(value)


def settings_changes(*, limit: int) -> list[SettingsChangeLine]:
    """The current tenant's newest settings changes, newest first (one query)."""
    labels = _setting_labels()
    lines = []
    for row in TenantSettingsChange.objects.order_by("-changed_at", "-id")[:limit]:
        context = row.context or {}
        by = context.get("username", "") if context.get("actor") == ACTOR_USER else ""
        lines.append(SettingsChangeLine(changed_at=row.changed_at, by=str(by), changes=[
            _("%(setting)s: %(old)s → %(new)s") % {
                "setting": labels.get(field, field), "old": _value_label(field, old),
                "new": _value_label(field, new)}
            for field, (old, new) in sorted(row.changes.items())]))
    return lines

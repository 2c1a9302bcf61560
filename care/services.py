"""Writes of customer care: the nightly reminders (set-based), dismissing a reminder, turning it
into a follow-up, and the company's festival list (seeded with defaults for a new company)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from care import sql
from care.calendar import lunar_date, lunar_hits, lunar_of, solar_date, solar_hits
from care.models import (
    CHINESE_FESTIVALS,
    CareReminder,
    CareSettings,
    DateCalendar,
    Festival,
    Occasion,
    ReminderStatus,
)
from care.notifications import notify_new_reminders
from care.selectors import care_reminder_visible_queryset, care_settings
from kam import clock
from kam.roles import Actor, Perm
from kam.tenancy import get_current_tenant
from kam.validation import apply_changes, clean_and_raise
from visits.followups.models import FollowUp, FollowUpSource
from visits.followups.services import follow_up_check, follow_up_create

# --- the nightly reminders -------------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    """One festival on one day of the window: (occasion, company festival id or None, day, year
    of its calendar, for Chinese-language accounts)."""

    occasion: str
    festival: int | None
    on: datetime.date
    year: int
    chinese: bool


def occurrences(*, calendar: str, month: int, day: int, start: datetime.date,
                end: datetime.date) -> list[tuple[datetime.date, int]]:
    """The days (with their calendar's year) a yearly month/day falls on between ``start`` and
    ``end``: the lunar years (or solar ones) the window touches."""
    if calendar == DateCalendar.LUNAR:
        years = {lunar_of(start).year, lunar_of(end).year}
        found = [(lunar_date(year, month, day), year) for year in sorted(years)]
    else:
        found = [(solar_date(year, month, day), year) for year in range(start.year, end.year + 1)]
    return [(on, year) for on, year in found if start <= on <= end]


def festival_occurrences(*, today: datetime.date) -> list[Occurrence]:
    """The festivals of the current company (the Chinese ones and its own active ones) that fall
    from ``today`` to ``today`` + their lead days."""
    found = []
    for festival in CHINESE_FESTIVALS:
        for on, year in occurrences(calendar=festival.calendar, month=festival.month,
                                    day=festival.day, start=today,
                                    end=today + datetime.timedelta(days=festival.lead_days)):
            found.append(Occurrence(festival.occasion, None, on, year, True))
    for own in Festival.objects.filter(is_active=True).order_by("id"):
        for on, year in occurrences(calendar=own.calendar, month=own.month, day=own.day,
                                    start=today,
                                    end=today + datetime.timedelta(days=own.lead_days)):
            found.append(Occurrence(Occasion.FESTIVAL, own.pk, on, year, False))
    return found


@dataclass(frozen=True)
class GenerateResult:
    examined: int  # month/day pairs and festival days of the window looked up
    created: list[int]  # the new reminders' ids


def care_reminders_generate(*, today: datetime.date) -> GenerateResult:
    """The current company's reminders of the occasions falling in the next lead days from
    ``today`` (birthdays and anniversaries: the company's care settings, 3 days by default;
    festivals: their own), one statement per kind; the owners of the new ones are notified (once
    per reminder). Idempotent."""
    tenant = get_current_tenant()
    now = clock.now()
    leads = care_settings()
    birthday_end = today + datetime.timedelta(days=leads.birthday_lead_days)
    hits = ([(h, False) for h in solar_hits(today, birthday_end)]
            + [(h, True) for h in lunar_hits(today, birthday_end)])
    anniversary_hits = solar_hits(today, today + datetime.timedelta(
        days=leads.anniversary_lead_days))
    festivals = festival_occurrences(today=today)
    created: list[int] = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql.BIRTHDAYS, {
            "tenant": tenant.pk, "now": now, "months": [h.month for h, _lunar in hits],
            "days": [h.day for h, _lunar in hits], "lunar": [lunar for _h, lunar in hits],
            "leap": [h.leap for h, _lunar in hits], "on": [h.on for h, _lunar in hits],
            "years": [h.year for h, _lunar in hits]})
        created += [row[0] for row in cursor.fetchall()]
        if festivals:
            cursor.execute(sql.FESTIVALS, {
                "tenant": tenant.pk, "now": now,
                "company_chinese": tenant.default_language.startswith("zh"),
                "occasions": [f.occasion for f in festivals],
                "festivals": [f.festival for f in festivals], "on": [f.on for f in festivals],
                "years": [f.year for f in festivals], "chinese": [f.chinese for f in festivals]})
            created += [row[0] for row in cursor.fetchall()]
        cursor.execute(sql.ANNIVERSARIES, {
            "tenant": tenant.pk, "now": now, "months": [h.month for h in anniversary_hits],
            "days": [h.day for h in anniversary_hits], "on": [h.on for h in anniversary_hits],
            "years": [h.year for h in anniversary_hits]})
        created += [row[0] for row in cursor.fetchall()]
        notify_new_reminders(ids=created, occurred_at=now)
    return GenerateResult(examined=len(hits) + len(festivals) + len(anniversary_hits),
                          created=created)


# --- one reminder ------------------------------------------------------------------------------------


def _require_change(actor: Actor) -> None:
    if not actor.can(Perm.ACCOUNT_CHANGE):
        raise PermissionDenied(_("You may not change care reminders."))


def _locked_open(actor: Actor, reminder: CareReminder) -> CareReminder:
    locked = care_reminder_visible_queryset(actor=actor).select_for_update(of=("self",)).get(
        pk=reminder.pk)
    if not locked.is_open:
        raise ValidationError(_("This reminder was already dismissed or followed up."))
    return locked


def care_reminder_dismiss(*, actor: Actor, reminder: CareReminder) -> CareReminder:
    """Dismiss an open reminder (nothing to do for it)."""
    _require_change(actor)
    with transaction.atomic():
        locked = _locked_open(actor, reminder)
        locked.status = ReminderStatus.DISMISSED
        locked.closed_at, locked.closed_by = clock.now(), actor.membership
        locked.save(update_fields=["status", "closed_at", "closed_by", "updated_at"])
    return locked


def care_follow_up_initial(*, reminder: CareReminder) -> dict[str, Any]:
    """What the follow-up form starts with: the account, its owner, a title naming the occasion
    and the person, due on the occasion's day."""
    return {"account": reminder.account_id, "owner": reminder.owner_id,
            "title": _("%(occasion)s: %(person)s") % {"occasion": reminder.occasion_label,
                                                       "person": reminder.person},
            "due_on": reminder.occurs_on}


def care_follow_up_check(*, actor: Actor, reminder: CareReminder, data: dict[str, Any]) -> None:
    """The rules of ``care_reminder_follow_up``, writing nothing."""
    _require_change(actor)
    _locked_open(actor, reminder)
    follow_up_check(actor=actor, data={**data, "account": reminder.account})


def care_reminder_follow_up(*, actor: Actor, reminder: CareReminder,
                            data: dict[str, Any]) -> FollowUp:
    """Turn an open reminder into a follow-up of its account (source: care); the reminder is
    closed as followed up, with the follow-up it became."""
    _require_change(actor)
    with transaction.atomic():
        locked = _locked_open(actor, reminder)
        follow_up = follow_up_create(actor=actor, data={**data, "account": locked.account},
                                     source=FollowUpSource.CARE, source_ref=str(locked.pk))
        locked.status, locked.follow_up = ReminderStatus.FOLLOWED_UP, follow_up
        locked.closed_at, locked.closed_by = clock.now(), actor.membership
        locked.save(update_fields=["status", "follow_up", "closed_at", "closed_by",
                                   "updated_at"])
    return follow_up


# --- the company's care settings -----------------------------------------------------------------------

CARE_SETTINGS_FIELDS = ("birthday_lead_days", "anniversary_lead_days")


def care_settings_check(*, actor: Actor, data: dict[str, Any]) -> None:
    """The rules of ``care_settings_update`` on ``data``, writing nothing."""
    _require_admin(actor)
    stored = care_settings()
    apply_changes(stored, data, editable=CARE_SETTINGS_FIELDS)
    clean_and_raise(stored, {}, validate_unique=False)


def care_settings_update(*, actor: Actor, data: dict[str, Any]) -> CareSettings:
    """Change how many days ahead birthdays and contract anniversaries are reminded of (from the
    next nightly run on)."""
    _require_admin(actor)
    with transaction.atomic():
        stored = CareSettings.objects.select_for_update().first() or \
            CareSettings(tenant=get_current_tenant())
        apply_changes(stored, data, editable=CARE_SETTINGS_FIELDS)
        clean_and_raise(stored, {}, validate_unique=False)
        stored.save()
    return stored


# --- the company's festivals -------------------------------------------------------------------------

FESTIVAL_EDITABLE_FIELDS = ("name", "calendar", "month", "day", "lead_days", "is_active")


def _require_admin(actor: Actor) -> None:
    if not actor.can(Perm.SETTINGS_MANAGE):
        raise PermissionDenied(_("Only administrators may change your company's festivals."))


def _festival_apply(*, festival: Festival, data: dict[str, Any]) -> None:
    apply_changes(festival, data, editable=FESTIVAL_EDITABLE_FIELDS, strip=("name",))
    errors: dict[str, list[str]] = {}
    if festival.month and festival.day:
        if festival.calendar == DateCalendar.LUNAR:
            if festival.day > 30:
                errors["day"] = [_("A lunar month has at most 30 days.")]
        else:
            try:
                datetime.date(2028, festival.month, festival.day)  # a leap year: 29 February
            except ValueError:
                errors["day"] = [_("This month has no such day.")]
    clean_and_raise(festival, errors)


def festival_check(*, actor: Actor, data: dict[str, Any], festival: Festival | None = None
                   ) -> None:
    """The rules of ``festival_save`` on ``data``, writing nothing."""
    _require_admin(actor)
    stored = Festival(tenant=get_current_tenant()) if festival is None else \
        Festival.objects.get(pk=festival.pk)
    _festival_apply(festival=stored, data=data)


def festival_save(*, actor: Actor, data: dict[str, Any], festival: Festival | None = None
                  ) -> Festival:
    """Add a festival to the company's list, or change one."""
    _require_admin(actor)
    with transaction.atomic():
        target = Festival(tenant=get_current_tenant()) if festival is None else \
            Festival.objects.select_for_update().get(pk=festival.pk)
        _festival_apply(festival=target, data=data)
        target.save()
    return target


def festival_delete(*, actor: Actor, festival: Festival) -> None:
    """Remove a festival from the list, with its reminders."""
    _require_admin(actor)
    with transaction.atomic():
        Festival.objects.filter(pk=festival.pk).delete()


DEFAULT_FESTIVALS = (
    # (name, month, day, lead days) of the solar calendar, in the company's language
    (lambda: _("New Year's Day"), 1, 1, 3),
    (lambda: _("Christmas"), 12, 25, 7),
)


def festivals_seed() -> int:
    """The default festivals of the current company (New Year's Day, Christmas), named in its
    default language, where it has no festival of that name (idempotent). A tenant set-up step;
    migration care/0001 did the same for the companies created before."""
    tenant = get_current_tenant()
    created = 0
    with translation.override(tenant.default_language), transaction.atomic():
        for name, month, day, lead in DEFAULT_FESTIVALS:
            _row, new = Festival.objects.get_or_create(
                name=name(), defaults={"calendar": DateCalendar.SOLAR, "month": month,
                                       "day": day, "lead_days": lead})
            created += int(new)
    return created

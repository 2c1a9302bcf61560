"""The working calendar's pages (settings → working calendar): administrators change it,
executives read it. The page shows the working week, every year of interest with where its
official schedule comes from (the next one flagged when missing), and the days of one year; a
year's official schedule is imported from CSV or iCalendar after a preview, and exported as CSV."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_GET, require_POST

from kam import calendar_services as services
from kam import clock, l10n
from kam.calendar import CalendarWarning, calendar_warnings
from kam.calendar_files import CalendarFileError, ParsedFile, export_csv, parse_schedule
from kam.calendar_forms import CalendarEntryForm, CalendarImportForm, CalendarSettingsForm
from kam.calendar_models import CalendarEntry, CalendarSettings, DayKind, EntrySource, Weekday
from kam.calendar_selectors import (
    calendar_settings,
    day_name,
    package_years,
    year_days,
    year_summaries,
)
from kam.decorators import tenant_page
from kam.lists import form_page, rule_errors, see_other
from kam.roles import Perm
from kam.tenancy import get_current_tenant

IMPORT_SALT = "kam.calendar.import"
IMPORT_MAX_AGE = 3600  # seconds a preview may be confirmed in


def _week_text(settings: CalendarSettings) -> str:
    labels = dict(Weekday.choices)
    return pgettext("list separator", ", ").join(
        str(labels[day]) for day in sorted(settings.working_weekdays))


def _page_year(request: HttpRequest, warnings: list[CalendarWarning]) -> int | None:
    """The year whose days the page lists: ?year=, else the first year flagged as missing (what
    needs doing), else this year. None for a ?year= that is no year."""
    raw = request.GET.get("year", "").strip()
    if raw:
        try:
            year = int(raw)
        except ValueError:
            return None
        return year if services.YEAR_MIN <= year <= services.YEAR_MAX else None
    return warnings[0].year if warnings else clock.today().year


def _page(request: HttpRequest, *, settings_form: CalendarSettingsForm | None = None,
          status: int = 200) -> HttpResponse:
    today = clock.today()
    settings = calendar_settings()
    warnings = calendar_warnings(today=today)
    year = _page_year(request, warnings)
    summaries = year_summaries(today=today)
    context: dict[str, Any] = {
        "settings": settings,
        "week_text": _week_text(settings),
        "summaries": summaries,
        "warnings": warnings,
        "can_manage": request.actor.can(Perm.SETTINGS_MANAGE),  # type: ignore[attr-defined]
        "settings_form": settings_form or CalendarSettingsForm(settings=settings),
        "package_last": package_years()[-1],
    }
    if year is None:
        context["year_error"] = _("Choose a year from the list.")
        return render(request, "kam/calendar.html", context, status=400)
    summary = next((s for s in summaries if s.year == year), None)
    context.update(year=year, year_summary=summary, days=year_days(year))
    return render(request, "kam/calendar.html", context, status=status)


@require_GET
@tenant_page(Perm.CALENDAR_VIEW)
def calendar_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@tenant_page(Perm.SETTINGS_MANAGE)
def calendar_settings_save(request: HttpRequest) -> HttpResponse:
    form = CalendarSettingsForm(request.POST, settings=calendar_settings())
    if form.is_valid():
        try:
            services.calendar_settings_update(**form.data_for_service())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The working week of %(company)s was saved.") % {
                "company": get_current_tenant().name})
            return see_other(reverse("kam:calendar"))
    else:
        rule_errors(form, lambda data: services.calendar_settings_check(**data))
    return _page(request, settings_form=form, status=400)


def _calendar_url(year: int) -> str:
    return f"{reverse('kam:calendar')}?year={year}#days"


def _entry_message(entry: CalendarEntry) -> str:
    return _("%(date)s was saved.") % {"date": l10n.day(entry.day)}


@tenant_page(Perm.SETTINGS_MANAGE)
def calendar_entry_add(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        year = today.year
    form = CalendarEntryForm(request.POST if request.method == "POST" else None, today=today,
                             year=year if services.YEAR_MIN <= year <= services.YEAR_MAX else None)
    return form_page(request, form, template="kam/calendar_entry_form.html",
                     save=lambda data: services.calendar_entry_save(**data),
                     check=lambda data: services.calendar_entry_check(**data),
                     done=lambda entry: _calendar_url(entry.year), message=_entry_message,
                     context={"year": year})


@tenant_page(Perm.SETTINGS_MANAGE)
def calendar_entry_edit(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = CalendarEntry.objects.filter(pk=entry_id).first()
    if entry is None:
        raise Http404
    form = CalendarEntryForm(request.POST if request.method == "POST" else None,
                             today=clock.today(), entry=entry)
    return form_page(request, form, template="kam/calendar_entry_form.html",
                     save=lambda data: services.calendar_entry_save(entry_id=entry.pk, **data),
                     check=lambda data: services.calendar_entry_check(entry_id=entry.pk, **data),
                     done=lambda saved: _calendar_url(saved.year), message=_entry_message,
                     context={"entry": entry, "year": entry.year})


@tenant_page(Perm.SETTINGS_MANAGE)
def calendar_entry_delete(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = CalendarEntry.objects.filter(pk=entry_id).first()
    if entry is None:
        raise Http404
    if request.method == "POST":
        services.calendar_entry_delete(entry_id=entry.pk)
        messages.success(request, _("%(date)s was removed.") % {
            "date": l10n.day(entry.day)})
        return see_other(_calendar_url(entry.year))
    last_official = (entry.source == EntrySource.OFFICIAL and not CalendarEntry.objects.filter(
        source=EntrySource.OFFICIAL, year=entry.year).exclude(pk=entry.pk).exists())
    return render(request, "kam/calendar_entry_delete.html", {
        "entry": entry, "name": day_name(entry.name), "kind": dict(DayKind.choices)[entry.kind],
        "last_official": last_official})


# --- import and export ----------------------------------------------------------------------------


def _preview(request: HttpRequest, form: CalendarImportForm, year: int,
             parsed: ParsedFile) -> HttpResponse:
    """The rows of the file with their errors; when there are none, the confirm button with the
    rows signed (nothing is stored until the administrator confirms)."""
    good = [row for row in parsed.rows if not row.errors]
    days = [services.ImportDay(line=row.line, day=row.day, kind=row.kind, name=row.name)
            for row in good if row.day is not None and row.kind is not None]
    for row, found in zip(good, services.import_errors(year=year, days=days), strict=True):
        row.errors.extend(found)
    failed = [row for row in parsed.rows if row.errors]
    context: dict[str, Any] = {
        "form": form, "year": year, "parsed": parsed, "failed": failed,
        "holidays": sum(1 for d in days if d.kind == DayKind.HOLIDAY),
        "makeup_days": sum(1 for d in days if d.kind == DayKind.WORKING),
        "replaced": CalendarEntry.objects.filter(source=EntrySource.OFFICIAL, year=year).count(),
    }
    if not parsed.rows:
        context["file_error"] = _("The file holds no day of %(year)s.") % {"year": year}
    elif not failed:
        context["payload"] = signing.dumps({
            "tenant": get_current_tenant().pk, "year": year,
            "days": [[d.line, d.day.isoformat(), d.kind, d.name] for d in days]}, salt=IMPORT_SALT)
    status = 200 if "payload" in context else 400
    return render(request, "kam/calendar_import.html", context, status=status)


def _confirm(request: HttpRequest, form: CalendarImportForm) -> HttpResponse:
    import datetime

    try:
        data = signing.loads(request.POST["payload"], salt=IMPORT_SALT, max_age=IMPORT_MAX_AGE)
        if data["tenant"] != get_current_tenant().pk:
            raise signing.BadSignature("another company's preview")
        year = int(data["year"])
        days = [services.ImportDay(line=int(line), day=datetime.date.fromisoformat(day), kind=kind,
                                   name=name) for line, day, kind, name in data["days"]]
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return render(request, "kam/calendar_import.html", {
            "form": form, "file_error": _("This preview has expired or was changed: upload the "
                                          "file again.")}, status=400)
    try:
        stored = services.calendar_year_import(year=year, days=days)
    except ValidationError as exc:
        return render(request, "kam/calendar_import.html", {
            "form": form, "file_error": " ".join(exc.messages)}, status=400)
    messages.success(request, ngettext(
        "The official schedule of %(year)s was imported: %(count)s day.",
        "The official schedule of %(year)s was imported: %(count)s days.", stored) % {
        "year": year, "count": stored})
    return see_other(_calendar_url(year))


@tenant_page(Perm.SETTINGS_MANAGE)
def calendar_import(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    if request.method != "POST":
        initial_year = request.GET.get("year", "")
        form = CalendarImportForm(today=today, initial={
            "year": int(initial_year) if initial_year.isdigit() else today.year + 1})
        return render(request, "kam/calendar_import.html", {"form": form})
    form = CalendarImportForm(request.POST, request.FILES, today=today)
    if "payload" in request.POST:
        return _confirm(request, CalendarImportForm(today=today))
    if not form.is_valid():
        return render(request, "kam/calendar_import.html", {"form": form}, status=400)
    year = form.cleaned_data["year"]
    try:
        parsed = parse_schedule(form.cleaned_data["file"].read(), year=year)
    except CalendarFileError as exc:
        form.add_error("file", str(exc))
        return render(request, "kam/calendar_import.html", {"form": form}, status=400)
    return _preview(request, form, year, parsed)


@require_GET
@tenant_page(Perm.CALENDAR_VIEW)
def calendar_export(request: HttpRequest) -> HttpResponse:
    year = _page_year(request, []) if request.GET.get("year") else clock.today().year
    if year is None:
        return _page(request)  # the page, saying what is wrong with the year
    response = HttpResponse(export_csv(year), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="working-calendar-{year}.csv"'
    return response

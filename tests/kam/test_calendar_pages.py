"""The working calendar's pages (kam.calendar_views): administrators change the calendar,
executives read it, managers and other companies get nothing; a year's official schedule is
imported from CSV or iCalendar after a preview, all or nothing; 2027, which nobody has yet, is
flagged on the calendar and settings pages until it is imported."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kam import clock
from kam.calendar import is_working_day, year_coverage
from kam.calendar_models import CalendarEntry, CalendarSettings, DayKind, EntrySource
from kam.calendar_services import calendar_entry_save
from kam.models import Tenant
from kam.tenancy import tenant_context
from kam.worktime import working_time_add
from tests.conftest import login

# The pages read the tenant's today: the usual frozen instant (15 June 2026) unless a test says.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

D = datetime.date
# A Monday in December 2026: 2027 starts in 25 days and has no official schedule yet.
DECEMBER = "2026-12-07T02:00:00+00:00"

CSV_2027 = """日期,类型,名称
2027-01-01,放假,元旦
2027-02-06,放假,春节
2027-02-07,放假,春节
2027-02-08,放假,春节
2027-02-20,上班,春节调休上班
2027-10-01,放假,国庆节
"""

ICS_2027 = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//holidays//CN
BEGIN:VEVENT
UID:2026-nd
DTSTART;VALUE=DATE:20261001
DTEND;VALUE=DATE:20261008
SUMMARY:国庆节 假期
END:VEVENT
BEGIN:VEVENT
UID:2027-sf
DTSTART;VALUE=DATE:20270206
DTEND;VALUE=DATE:20270214
SUMMARY:春节 假期
END:VEVENT
BEGIN:VEVENT
UID:2027-sf-work
DTSTART;VALUE=DATE:20270220
SUMMARY:春节 补班
END:VEVENT
BEGIN:VEVENT
UID:2027-nd-work
DTSTART;VALUE=DATE:20271009
CATEGORIES:上班
SUMMARY:国庆节调休
END:VEVENT
END:VCALENDAR
""".replace("\n", "\r\n")


def upload(content: str | bytes, name: str = "2027.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data)


def entries(tenant: Tenant, **filters) -> list[tuple]:
    return list(CalendarEntry.unscoped_all_tenants.filter(tenant=tenant, **filters)
                .order_by("day", "source").values_list("day", "kind", "name", "source", "year"))


def own_day(tenant: Tenant, day: datetime.date, name: str = "厂庆") -> CalendarEntry:
    with tenant_context(tenant):
        return calendar_entry_save(day=day, kind=DayKind.HOLIDAY, name=name,
                                   source=EntrySource.COMPANY, year=None)


def fresh(tenant: Tenant) -> Tenant:
    """The tenant as the next request loads it."""
    return Tenant.objects.get(pk=tenant.pk)


# --- who may see and change it ---------------------------------------------------------------------


def test_admins_change_executives_read_managers_do_not_see(client, admin_a, exec_a, manager_a):
    login(client, admin_a)
    page = client.get(reverse("kam:calendar"), HTTP_ACCEPT_LANGUAGE="en")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Change the working week" in body and reverse("kam:calendar-entry-add") in body
    assert "Monday, Tuesday, Wednesday, Thursday, Friday" in body and "09:00–18:00" in body
    login(client, exec_a)
    page = client.get(reverse("kam:calendar"), HTTP_ACCEPT_LANGUAGE="en")
    body = page.content.decode()
    assert page.status_code == 200 and "National Day" in body
    assert "Change the working week" not in body and reverse("kam:calendar-entry-add") not in body
    assert client.get(reverse("kam:calendar-export")).status_code == 200
    for url in (reverse("kam:calendar-entry-add"), reverse("kam:calendar-import")):
        assert client.get(url).status_code == 403
    response = client.post(reverse("kam:calendar-settings"), {"working_weekdays": ["0"],
                                                              "day_starts": "09:00",
                                                              "day_ends": "18:00"})
    assert response.status_code == 403
    login(client, manager_a)
    assert client.get(reverse("kam:calendar")).status_code == 403
    assert client.get(reverse("kam:calendar-export")).status_code == 403
    assert not CalendarSettings.unscoped_all_tenants.exists()


def test_the_settings_page_links_the_calendar(client, admin_a):
    login(client, admin_a)
    assert reverse("kam:calendar") in client.get(reverse("kam:settings")).content.decode()


def test_another_company_gets_404_and_changes_nothing(client, admin_a, admin_b):
    entry = own_day(admin_a.tenant, D(2026, 10, 9), "华东厂庆")
    before = entries(admin_a.tenant)
    login(client, admin_b)
    for name in ("kam:calendar-entry-edit", "kam:calendar-entry-delete"):
        assert client.get(reverse(name, args=[entry.pk])).status_code == 404
    assert client.post(reverse("kam:calendar-entry-edit", args=[entry.pk]), {
        "day": "2026-10-09", "kind": "working", "name": "x", "source": "company",
        "year": "2026"}).status_code == 404
    assert client.post(reverse("kam:calendar-entry-delete", args=[entry.pk])).status_code == 404
    assert entries(admin_a.tenant) == before
    # Their own pages show their own calendar only.
    page = client.get(reverse("kam:calendar") + "?year=2026").content.decode()
    export = client.get(reverse("kam:calendar-export") + "?year=2026").content.decode()
    assert "华东厂庆" not in page and "华东厂庆" not in export
    # Their settings are theirs, the lunch break too.
    response = client.post(reverse("kam:calendar-settings"), {
        "working_weekdays": ["0", "1"], "day_starts": "08:00", "day_ends": "17:00",
        "break_starts": "11:00", "break_ends": "11:30"})
    assert response.status_code == 303
    assert not CalendarSettings.unscoped_all_tenants.filter(tenant=admin_a.tenant).exists()
    assert is_working_day(D(2026, 10, 8), tenant=fresh(admin_a.tenant))  # a Thursday
    theirs = CalendarSettings.unscoped_all_tenants.get(tenant=admin_b.tenant)
    assert (theirs.break_starts, theirs.break_ends) == (datetime.time(11), datetime.time(11, 30))
    # Tenant A's lunch break is still the default one.
    thursday = datetime.datetime(2026, 10, 8, 11, 30, tzinfo=clock.zone("Asia/Shanghai"))
    assert working_time_add(thursday, 3600, tenant=fresh(admin_a.tenant)) == thursday.replace(
        hour=13)


def test_another_company_cannot_change_a_saved_lunch_break(client, admin_a, admin_b):
    login(client, admin_a)
    assert client.post(reverse("kam:calendar-settings"), {
        "working_weekdays": ["0", "1", "2", "3", "4"], "day_starts": "09:00", "day_ends": "18:00",
        "break_starts": "12:00", "break_ends": "13:30",
        "observes_statutory_holidays": "on", "works_makeup_days": "on"}).status_code == 303
    before = list(CalendarSettings.unscoped_all_tenants.filter(tenant=admin_a.tenant).values())
    login(client, admin_b)
    # Neither a valid change nor a faulty one reaches tenant A's row: B's request is B's.
    for body in ({"working_weekdays": ["0"], "day_starts": "09:00", "day_ends": "18:00"},
                 {"working_weekdays": ["0"], "day_starts": "09:00", "day_ends": "18:00",
                  "break_starts": "12:00"}):
        client.post(reverse("kam:calendar-settings"), body)
    assert list(CalendarSettings.unscoped_all_tenants.filter(tenant=admin_a.tenant)
                .values()) == before
    page = client.get(reverse("kam:calendar"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "12:00–13:30" not in page


# --- the working week --------------------------------------------------------------------------------


def test_the_working_week_is_saved_and_used_at_once(client, admin_a):
    login(client, admin_a)
    saturday = D(2026, 10, 17)
    assert not is_working_day(saturday, tenant=fresh(admin_a.tenant))
    response = client.post(reverse("kam:calendar-settings"), {
        "working_weekdays": ["0", "1", "2", "3", "4", "5"], "day_starts": "08:30",
        "day_ends": "17:30", "observes_statutory_holidays": "on"})
    assert response.status_code == 303
    settings = CalendarSettings.unscoped_all_tenants.get(tenant=admin_a.tenant)
    assert settings.working_weekdays == [0, 1, 2, 3, 4, 5]
    assert (settings.day_starts, settings.day_ends) == (datetime.time(8, 30), datetime.time(17, 30))
    assert settings.observes_statutory_holidays and not settings.works_makeup_days
    assert is_working_day(saturday, tenant=fresh(admin_a.tenant))
    assert not is_working_day(D(2026, 9, 20), tenant=fresh(admin_a.tenant))  # a make-up Sunday
    # Audited, with who did it.
    event = settings.audit_events.order_by("pgh_id").last()
    assert event.pgh_context["username"] == admin_a.user.username


def test_the_working_week_shows_every_error_at_once_and_changes_nothing(client, admin_a):
    login(client, admin_a)
    response = client.post(reverse("kam:calendar-settings"), {
        "day_starts": "18:00", "day_ends": "09:00"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    errors = response.context["settings_form"].errors
    assert errors["working_weekdays"] == ["Choose at least one working day of the week."]
    assert errors["day_ends"] == ["The working day must end after it starts."]
    # A time that does not parse, and the rule on the field that did: both at once.
    response = client.post(reverse("kam:calendar-settings"), {"day_starts": "nine",
                                                              "day_ends": "18:00"})
    assert response.status_code == 400
    assert set(response.context["settings_form"].errors) == {"day_starts", "working_weekdays"}
    response = client.post(reverse("kam:calendar-settings"), {
        "working_weekdays": ["9"], "day_starts": "09:00", "day_ends": "18:00"})
    assert response.status_code == 400
    assert not CalendarSettings.unscoped_all_tenants.exists()


def test_the_lunch_break_is_shown_saved_and_used_at_once(client, admin_a):
    login(client, admin_a)
    # Before the first change: the defaults, 12:00–13:00.
    page = client.get(reverse("kam:calendar"), HTTP_ACCEPT_LANGUAGE="en")
    body = page.content.decode()
    assert "Lunch break" in body and "12:00–13:00" in body
    form = page.context["settings_form"]
    assert (form["break_starts"].value(), form["break_ends"].value()) == (datetime.time(12),
                                                                          datetime.time(13))
    assert "Lunch break from" in body and "Lunch break to" in body
    chinese = client.get(reverse("kam:calendar"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "午休" in chinese and "午休开始" in chinese and "午休结束" in chinese
    week = {"working_weekdays": ["0", "1", "2", "3", "4"], "day_starts": "08:30",
            "day_ends": "17:30", "observes_statutory_holidays": "on", "works_makeup_days": "on"}
    response = client.post(reverse("kam:calendar-settings"), {
        **week, "break_starts": "11:45", "break_ends": "13:15"})
    assert response.status_code == 303
    settings = CalendarSettings.unscoped_all_tenants.get(tenant=admin_a.tenant)
    assert (settings.break_starts, settings.break_ends) == (datetime.time(11, 45),
                                                            datetime.time(13, 15))
    assert "11:45–13:15" in client.get(reverse("kam:calendar"),
                                       HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # Used by the next request: Thursday 15 October 11:00 + 1 h is 13:30 (45 min, then 15 min).
    start = datetime.datetime(2026, 10, 15, 11, tzinfo=clock.zone("Asia/Shanghai"))
    assert working_time_add(start, 3600, tenant=fresh(admin_a.tenant)) == start.replace(
        hour=13, minute=30)
    # Both left empty: no break.
    response = client.post(reverse("kam:calendar-settings"), {
        **week, "break_starts": "", "break_ends": ""})
    assert response.status_code == 303
    settings.refresh_from_db()
    assert (settings.break_starts, settings.break_ends) == (None, None)
    assert "No break" in client.get(reverse("kam:calendar"),
                                    HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "无午休" in client.get(reverse("kam:calendar"),
                                HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert working_time_add(start, 3600, tenant=fresh(admin_a.tenant)) == start.replace(hour=12)
    assert settings.audit_events.count() >= 2


@pytest.mark.parametrize("language, messages", [
    ("en", {"start_too": "Give the start of the lunch break too, or leave both empty.",
            "end_too": "Give the end of the lunch break too, or leave both empty.",
            "after_day_starts": "The lunch break must start after the working day starts.",
            "before_day_ends": "The lunch break must end before the working day ends.",
            "after_it_starts": "The lunch break must end after it starts.",
            "no_weekday": "Choose at least one working day of the week.",
            "day_ends": "The working day must end after it starts."}),
    ("zh-hans", {"start_too": "请同时填写午休开始时间，或两项都留空。",
                 "end_too": "请同时填写午休结束时间，或两项都留空。",
                 "after_day_starts": "午休必须在上班时间之后开始。",
                 "before_day_ends": "午休必须在下班时间之前结束。",
                 "after_it_starts": "午休结束时间必须晚于开始时间。",
                 "no_weekday": "请至少选择一个每周工作日。",
                 "day_ends": "下班时间必须晚于上班时间。"}),
])
def test_the_lunch_break_s_errors_all_at_once_in_both_languages(client, admin_a, language,
                                                               messages):
    login(client, admin_a)

    def errors(**body: str) -> dict[str, list[str]]:
        response = client.post(reverse("kam:calendar-settings"),
                               {"day_starts": "09:00", "day_ends": "18:00", **body},
                               HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 400
        for field_errors in response.context["settings_form"].errors.values():
            for message in field_errors:  # shown on the page, beside its field
                assert message in response.content.decode()
        return dict(response.context["settings_form"].errors)

    # One bound only, the other before the day starts, and no working day: all at once.
    assert errors(break_starts="08:00") == {
        "working_weekdays": [messages["no_weekday"]],
        "break_starts": [messages["after_day_starts"]],
        "break_ends": [messages["end_too"]]}
    assert errors(working_weekdays="0", break_ends="13:00") == {
        "break_starts": [messages["start_too"]]}
    # Ends before it starts, and after the day ends: both said of the end.
    assert errors(working_weekdays="0", break_starts="12:00", break_ends="11:00") == {
        "break_ends": [messages["after_it_starts"]]}
    assert errors(working_weekdays="0", break_starts="17:00", break_ends="18:00") == {
        "break_ends": [messages["before_day_ends"]]}
    # Everything wrong with the hours at once.
    assert errors(working_weekdays="0", day_starts="12:30", day_ends="10:00",
                  break_starts="12:00", break_ends="11:00") == {
        "day_ends": [messages["day_ends"]],
        "break_starts": [messages["after_day_starts"]],
        "break_ends": [messages["after_it_starts"], messages["before_day_ends"]]}
    # A bound that does not parse keeps its own error only, beside the other fields' rules.
    found = errors(break_starts="noon", break_ends="13:00")
    assert set(found) == {"break_starts", "working_weekdays"}
    assert messages["start_too"] not in found["break_starts"]
    assert not CalendarSettings.unscoped_all_tenants.exists()


# --- calendar days ---------------------------------------------------------------------------------


def test_add_edit_and_remove_a_day(client, admin_a):
    login(client, admin_a)
    add = reverse("kam:calendar-entry-add") + "?year=2026"
    assert client.get(add).status_code == 200
    response = client.post(add, {"day": "2026-10-09", "kind": "holiday", "name": "厂庆",
                                 "source": "company", "year": "2026"})
    assert response.status_code == 302
    assert response["Location"] == reverse("kam:calendar") + "?year=2026#days"
    assert entries(admin_a.tenant) == [(D(2026, 10, 9), "holiday", "厂庆", "company", 2026)]
    assert not is_working_day(D(2026, 10, 9), tenant=fresh(admin_a.tenant))
    entry = CalendarEntry.unscoped_all_tenants.get(tenant=admin_a.tenant)
    page = client.get(reverse("kam:calendar") + "?year=2026").content.decode()
    assert "厂庆" in page and reverse("kam:calendar-entry-edit", args=[entry.pk]) in page
    edit = reverse("kam:calendar-entry-edit", args=[entry.pk])
    assert client.get(edit).status_code == 200
    response = client.post(edit, {"day": "2026-10-17", "kind": "working", "name": "盘点",
                                  "source": "company", "year": "2026"})
    assert response.status_code == 302
    assert entries(admin_a.tenant) == [(D(2026, 10, 17), "working", "盘点", "company", 2026)]
    delete = reverse("kam:calendar-entry-delete", args=[entry.pk])
    assert client.get(delete).status_code == 200  # asks first
    assert entries(admin_a.tenant)
    assert client.post(delete).status_code == 303
    assert entries(admin_a.tenant) == []
    assert not is_working_day(D(2026, 10, 17), tenant=fresh(admin_a.tenant))


def test_a_day_s_errors_all_at_once_and_nothing_saved(client, admin_a):
    own_day(admin_a.tenant, D(2026, 10, 9))
    login(client, admin_a)
    add = reverse("kam:calendar-entry-add")
    response = client.post(add, {"day": "2026-10-09", "kind": "holiday", "source": "company",
                                 "year": "2026"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "already one of your company's own days" in response.context["form"].errors["day"][0]
    # An official day outside its year's schedule, and a kind that is none: both at once.
    response = client.post(add, {"day": "2026-05-01", "kind": "party", "source": "official",
                                 "year": "2027"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "kind" in errors and "official schedule of 2027 holds dates from" in errors["day"][0]
    response = client.post(add, {"day": "2026-13-40", "kind": "holiday", "source": "official",
                                 "year": "1999"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"day", "year"}
    response = client.post(add, {"day": "2026-10-16", "kind": "holiday", "source": "official",
                                 "year": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.context["form"].errors["year"] == ["Choose the year of the official schedule."]
    assert len(entries(admin_a.tenant)) == 1


def test_an_official_day_of_a_built_in_year_keeps_the_year_s_other_days(client, admin_a):
    login(client, admin_a)
    response = client.post(reverse("kam:calendar-entry-add"), {
        "day": "2026-10-09", "kind": "holiday", "name": "国庆节", "source": "official",
        "year": "2026"})
    assert response.status_code == 302
    stored = entries(admin_a.tenant, source="official", year=2026)
    assert (D(2026, 10, 9), "holiday", "国庆节", "official", 2026) in stored
    assert (D(2026, 10, 10), "working", "National Day", "official", 2026) in stored
    assert len(stored) > 30
    tenant = fresh(admin_a.tenant)
    assert year_coverage(2026, tenant=tenant) == "official"
    assert not is_working_day(D(2026, 10, 1), tenant=tenant)
    assert not is_working_day(D(2026, 10, 9), tenant=tenant)
    # The last official day of a year: the page says what removing it means.
    for entry in CalendarEntry.unscoped_all_tenants.filter(tenant=admin_a.tenant)[1:]:
        with tenant_context(admin_a.tenant):
            entry.delete()
    last = CalendarEntry.unscoped_all_tenants.get(tenant=admin_a.tenant)
    page = client.get(reverse("kam:calendar-entry-delete", args=[last.pk]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This is the last day of the official schedule of 2026" in page


def test_a_year_that_is_no_year_is_a_clear_400(client, admin_a):
    login(client, admin_a)
    for value in ("abc", "99999", "1"):
        response = client.get(reverse("kam:calendar") + f"?year={value}",
                              HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert "Choose a year from the list." in response.content.decode()
        assert client.get(reverse("kam:calendar-export") + f"?year={value}").status_code == 400


# --- 2027: missing, flagged, imported ----------------------------------------------------------------


@pytest.mark.clock(DECEMBER)
def test_2027_is_flagged_on_the_calendar_and_settings_pages_until_imported(
        client, admin_a, exec_a):
    login(client, admin_a)
    page = client.get(reverse("kam:calendar"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2027 starts in 25 days and has no official holiday schedule yet." in page
    assert "Import the 2027 schedule" in page and 'class="kam-calendar-missing"' in page
    # The page opens on the year that needs doing.
    assert "2027 has no official schedule: only your working week" in page
    settings_page = client.get(reverse("kam:settings"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2027 starts in 25 days" in settings_page
    chinese = client.get(reverse("kam:calendar"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "2027" in chinese and "Import the 2027 schedule" not in chinese
    login(client, exec_a)  # an executive is told whom to ask
    page = client.get(reverse("kam:calendar"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Ask an administrator of your company to import it" in page
    login(client, admin_a)
    response = client.post(reverse("kam:calendar-import"), {"year": "2027",
                                                            "file": upload(CSV_2027)})
    client.post(reverse("kam:calendar-import"), {"payload": response.context["payload"]})
    page = client.get(reverse("kam:calendar"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "no official holiday schedule" not in page
    assert "no official holiday schedule" not in client.get(
        reverse("kam:settings"), HTTP_ACCEPT_LANGUAGE="en").content.decode()


@pytest.mark.clock("2026-06-15T02:00:00+00:00")
def test_no_flag_months_ahead(client, admin_a):
    login(client, admin_a)
    page = client.get(reverse("kam:calendar"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "no official holiday schedule" not in page


def test_csv_import_previews_then_replaces_the_year(client, admin_a):
    login(client, admin_a)
    calendar_entry = own_day(admin_a.tenant, D(2027, 3, 8), "妇女节")  # the company's own: stays
    with tenant_context(admin_a.tenant):
        calendar_entry_save(day=D(2027, 5, 3), kind=DayKind.HOLIDAY, name="old",
                            source=EntrySource.OFFICIAL, year=2027)
    assert client.get(reverse("kam:calendar-import") + "?year=2027").status_code == 200
    response = client.post(reverse("kam:calendar-import"), {"year": "2027",
                                                            "file": upload(CSV_2027)},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.content.decode()
    assert (response.context["holidays"], response.context["makeup_days"]) == (5, 1)
    assert "Importing replaces the 1 day of 2027's official schedule stored now." in body
    # Nothing is stored before the administrator confirms.
    assert [e[2] for e in entries(admin_a.tenant, source="official")] == ["old"]
    response = client.post(reverse("kam:calendar-import"),
                           {"payload": response.context["payload"]})
    assert response.status_code == 303
    assert response["Location"] == reverse("kam:calendar") + "?year=2027#days"
    assert entries(admin_a.tenant, source="official") == [
        (D(2027, 1, 1), "holiday", "元旦", "official", 2027),
        (D(2027, 2, 6), "holiday", "春节", "official", 2027),
        (D(2027, 2, 7), "holiday", "春节", "official", 2027),
        (D(2027, 2, 8), "holiday", "春节", "official", 2027),
        (D(2027, 2, 20), "working", "春节调休上班", "official", 2027),
        (D(2027, 10, 1), "holiday", "国庆节", "official", 2027)]
    assert entries(admin_a.tenant, source="company") == [
        (calendar_entry.day, "holiday", "妇女节", "company", 2027)]
    tenant = fresh(admin_a.tenant)
    assert year_coverage(2027, tenant=tenant) == "official"
    assert not is_working_day(D(2027, 2, 8), tenant=tenant)
    assert is_working_day(D(2027, 2, 20), tenant=tenant)


def test_csv_import_reports_every_bad_row_and_stores_nothing(client, admin_a):
    with tenant_context(admin_a.tenant):  # 2026's official schedule holds 2026-12-26
        calendar_entry_save(day=D(2026, 12, 26), kind=DayKind.WORKING, name="x",
                            source=EntrySource.OFFICIAL, year=2026)
    before = entries(admin_a.tenant)
    content = ("date,kind,name\n"
               "2027-01-01,holiday,New Year\n"
               "2027-02-30,holiday,no such day\n"
               "2027-03-01,party,no such kind\n"
               "2026-05-01,holiday,another year\n"
               "2027-01-01,working,twice\n"
               ",holiday,no date\n"
               "2026-12-26,working,in 2026's schedule\n"
               f"2027-04-01,holiday,{'长' * 101}\n")
    login(client, admin_a)
    response = client.post(reverse("kam:calendar-import"), {"year": "2027",
                                                            "file": upload(content)},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    failed = {row.line: " ".join(row.errors) for row in response.context["failed"]}
    assert set(failed) == {3, 4, 5, 6, 7, 8, 9}
    assert "“2027-02-30” is not a date" in failed[3]
    assert "“party” is not a kind of day" in failed[4]
    assert "The official schedule of 2027 holds dates from 1 Dec 2026 to 31 Dec 2027." in failed[5]
    assert "is also in row 2" in failed[6]
    assert "The date is missing." in failed[7]
    assert "is in the official schedule of 2026" in failed[8]
    assert "Keep the name to 100 characters." in failed[9]
    body = response.content.decode()
    assert "7 rows have errors: nothing was imported." in body
    assert 'name="payload"' not in body
    assert entries(admin_a.tenant) == before


def test_csv_import_reads_english_headers_gb18030_and_semicolons(client, admin_a):
    content = "Date;Kind;Name\n2027/10/1;Holiday;National Day\n2027年10月9日;补班;调休\n"
    login(client, admin_a)
    response = client.post(reverse("kam:calendar-import"), {
        "year": "2027", "file": upload(content.encode("gb18030"))})
    assert response.status_code == 200
    assert [(r.day, r.kind, r.name) for r in response.context["parsed"].rows] == [
        (D(2027, 10, 1), "holiday", "National Day"), (D(2027, 10, 9), "working", "调休")]


@pytest.mark.parametrize("content, message", [
    ("", "The submitted file is empty."),  # Django's own message
    ("a,b,c\n1,2,3\n", "The first line must name the columns"),
    (b"\xff\xfe\x00\x00garbage", "neither a CSV file"),
    ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VCALENDAR\r\n", "cannot be read"),
    ("日期,类型,名称\n", "The file holds no day of 2027."),
])
def test_a_file_that_cannot_be_read_is_a_clear_400(client, admin_a, content, message):
    login(client, admin_a)
    response = client.post(reverse("kam:calendar-import"), {"year": "2027",
                                                            "file": upload(content)},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert entries(admin_a.tenant) == []


def test_ics_import(client, admin_a):
    login(client, admin_a)
    response = client.post(reverse("kam:calendar-import"), {
        "year": "2027", "file": upload(ICS_2027, "holidays.ics")}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    parsed = response.context["parsed"]
    assert parsed.skipped == 7  # National Day 2026: another year's
    assert [(r.line, r.day, r.kind) for r in parsed.rows] == [
        *((2, D(2027, 2, 6) + datetime.timedelta(days=i), "holiday") for i in range(8)),
        (3, D(2027, 2, 20), "working"), (4, D(2027, 10, 9), "working")]
    assert (response.context["holidays"], response.context["makeup_days"]) == (8, 2)
    response = client.post(reverse("kam:calendar-import"),
                           {"payload": response.context["payload"]})
    assert response.status_code == 303
    tenant = fresh(admin_a.tenant)
    assert not is_working_day(D(2027, 2, 12), tenant=tenant)
    assert is_working_day(D(2027, 10, 9), tenant=tenant)  # a Saturday, 上班 in its categories


def test_ics_import_reports_timed_repeating_and_dateless_events(client, admin_a):
    content = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//x//CN
BEGIN:VEVENT
UID:1
DTSTART:20270101T090000
SUMMARY:元旦 party
END:VEVENT
BEGIN:VEVENT
UID:2
DTSTART;VALUE=DATE:20270105
RRULE:FREQ=YEARLY
SUMMARY:every year
END:VEVENT
BEGIN:VEVENT
UID:3
SUMMARY:no date
END:VEVENT
BEGIN:VEVENT
UID:4
DTSTART;VALUE=DATE:2027XX01
SUMMARY:broken date
END:VEVENT
BEGIN:VEVENT
UID:5
DTSTART;VALUE=DATE:20270110
SUMMARY:fine
END:VEVENT
END:VCALENDAR
""".replace("\n", "\r\n")
    login(client, admin_a)
    response = client.post(reverse("kam:calendar-import"), {
        "year": "2027", "file": upload(content, "x.ics")}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    failed = {row.line: " ".join(row.errors) for row in response.context["failed"]}
    assert set(failed) == {1, 2, 3, 4}
    assert "Not an all-day event" in failed[1]
    assert "Repeating events are not supported" in failed[2]
    assert "no date" in failed[3]
    assert "cannot be read" in failed[4]
    assert entries(admin_a.tenant) == []


def test_a_tampered_or_foreign_preview_is_refused(client, admin_a, admin_b):
    login(client, admin_b)
    theirs = client.post(reverse("kam:calendar-import"), {"year": "2027",
                                                          "file": upload(CSV_2027)})
    login(client, admin_a)
    ours = client.post(reverse("kam:calendar-import"), {"year": "2027",
                                                        "file": upload(CSV_2027)})
    for payload in (theirs.context["payload"], ours.context["payload"][:-2] + "xx", "junk"):
        response = client.post(reverse("kam:calendar-import"), {"payload": payload},
                               HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert "upload the file again" in response.content.decode()
    assert entries(admin_a.tenant) == [] and entries(admin_b.tenant) == []


# --- export ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language, header, holiday", [
    ("en", "date,kind,name,source", "2026-10-01,Day off,National Day,Official schedule"),
    ("zh-hans", "日期,类型,名称,来源", "2026-10-01,放假,国庆节,官方安排"),
])
def test_export_writes_the_year_in_the_import_s_format(client, admin_a, language, header, holiday):
    own_day(admin_a.tenant, D(2026, 10, 9), "=厂庆")
    login(client, admin_a)
    response = client.get(reverse("kam:calendar-export") + "?year=2026",
                          HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="working-calendar-2026.csv"'
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff" + header + "\r\n")
    assert holiday in text
    assert ",'=厂庆," in text  # a cell that starts like a formula is written as text
    # Imported back as 2026's official schedule: the official days, not the company's own.
    response = client.post(reverse("kam:calendar-import"), {
        "year": "2026", "file": upload(response.content)})
    assert response.status_code == 200
    assert response.context["parsed"].skipped == 1
    client.post(reverse("kam:calendar-import"), {"payload": response.context["payload"]})
    tenant = fresh(admin_a.tenant)
    assert year_coverage(2026, tenant=tenant) == "official"
    assert not is_working_day(D(2026, 10, 1), tenant=tenant)
    assert is_working_day(D(2026, 10, 10), tenant=tenant)
    assert entries(admin_a.tenant, source="company") == [
        (D(2026, 10, 9), "holiday", "=厂庆", "company", 2026)]


# --- cost --------------------------------------------------------------------------------------------


@pytest.mark.clock(DECEMBER)
def test_the_calendar_page_costs_a_fixed_number_of_queries(client, admin_a):
    for day in range(1, 20):
        own_day(admin_a.tenant, D(2026, 11, day), f"day {day}")
    login(client, admin_a)
    client.get(reverse("kam:calendar"))  # the calendar is built once per stamp (kam.calendar)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("kam:calendar") + "?year=2026")
    assert response.status_code == 200 and "day 19" in response.content.decode()
    sqls = [q["sql"] for q in ctx.captured_queries]
    expected = [
        "django_session",          # the session
        "auth_user",               # the user
        "kam_membership",          # the user's memberships (kam.middleware)
        "kam_calendarsettings",    # the working week (calendar_settings)
        "kam_calendarentry",       # the days per year, grouped (year_summaries)
        "kam_calendarentry",       # the days of the year shown (year_days)
    ]
    assert len(sqls) == len(expected), "\n".join(sqls)
    for sql, table in zip(sqls, expected, strict=True):
        assert table in sql, (table, sql)

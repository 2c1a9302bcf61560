"""Care pages: the reminders list (mine / all I may see, the next 14 days, paged), dismiss (asks
first), turn into a follow-up (prefilled; source care), the 360° care section, the festival
settings; outsiders, roles and query budgets."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from care.models import CareReminder, Festival
from kam.tenancy import tenant_context
from tests.care.book import D, contact
from tests.conftest import login
from tests.factories import make_account
from visits.followups.models import FollowUp

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]
TODAY = D(2026, 6, 15)  # the frozen day


def reminder(person, owner, on: datetime.date, occasion: str = "birthday", **fields
             ) -> CareReminder:
    with tenant_context(person.tenant):
        return CareReminder.objects.create(account=person.account, contact=person,
                                           occasion=occasion, owner=owner, occurs_on=on,
                                           year=on.year, **fields)


@pytest.fixture
def world(tenant_a, manager_a, manager2_a):
    mine = make_account(tenant_a, "华东精密", owner=manager_a)
    theirs = make_account(tenant_a, "苏州精工", owner=manager2_a)
    wang = contact(mine, "王建国", D(1980, 6, 17))
    li = contact(theirs, "李秀英", D(1975, 5, 3), lunar=True)
    return {"mine": mine, "theirs": theirs, "wang": wang, "li": li,
            "wang_birthday": reminder(wang, manager_a, D(2026, 6, 17)),
            "li_birthday": reminder(li, manager2_a, D(2026, 6, 17)),
            "far": reminder(wang, manager_a, D(2026, 7, 10), occasion="mid_autumn")}


def names(response) -> list[str]:
    return [r.contact.name for r in response.context["page"].items]


def test_the_list_shows_mine_of_the_next_14_days_and_all_i_may_see(client, world, manager_a,
                                                                   admin_a):
    login(client, manager_a)
    response = client.get(reverse("care:reminder-list"))
    assert response.status_code == 200
    assert names(response) == ["王建国"]  # not the one in 25 days
    body = response.content.decode()
    assert "生日" in body and "2 天后" in body  # the occasion and "in 2 days"
    # a manager's "all" is what they may see: not another manager's account
    assert names(client.get(reverse("care:reminder-list"), {"view": "all"})) == ["王建国"]
    login(client, admin_a)
    assert sorted(names(client.get(reverse("care:reminder-list"), {"view": "all"}))) == [
        "李秀英", "王建国"]
    assert names(client.get(reverse("care:reminder-list"))) == []  # the admin owns none


def test_a_lunar_birthday_says_so(client, world, manager2_a):
    login(client, manager2_a)
    assert "生日（农历）" in client.get(reverse("care:reminder-list")).content.decode()


def test_the_list_costs_the_same_queries_for_many_reminders(client, world, manager_a):
    login(client, manager_a)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("care:reminder-list"))
        assert response.status_code == 200
        return len(ctx.captured_queries)

    count()  # the first request of a session costs more (the session's last company)
    few = count()
    for i in range(60):
        person = contact(world["mine"], f"联系人{i}", D(1980, 6, 16))
        reminder(person, manager_a, TODAY + datetime.timedelta(days=i % 14))
    assert count() == few
    # 1 session, 2 user, 3 memberships with their tenants, 4 total count, 5 the page's rows
    # (account, contact, contract, festival, owner with user joined).
    assert few == 5
    page = client.get(reverse("care:reminder-list")).context["page"]
    assert page.total == 61 and len(page.items) < 61 and page.next_cursor


def test_dismiss_asks_first_then_dismisses_once(client, world, manager_a):
    login(client, manager_a)
    target = world["wang_birthday"]
    url = reverse("care:reminder-dismiss", args=[target.pk])
    assert client.get(url).status_code == 200
    target.refresh_from_db()
    assert target.status == "open"
    response = client.post(url, {"next": reverse("care:reminder-list")})
    assert response.status_code == 303
    target.refresh_from_db()
    assert (target.status, target.closed_by_id) == ("dismissed", manager_a.pk)
    again = client.post(url)
    assert again.status_code == 400
    assert "已" in again.content.decode()  # already dismissed or followed up


def test_turn_a_reminder_into_a_follow_up(client, world, manager_a):
    login(client, manager_a)
    target = world["wang_birthday"]
    url = reverse("care:reminder-follow-up", args=[target.pk])
    form = client.get(url).context["form"]
    assert "王建国" in form.initial["title"] and form.initial["due_on"] == D(2026, 6, 17)
    response = client.post(url, {"title": "寄生日贺卡", "owner": manager_a.pk,
                                 "due_on": "2026-06-16", "recurrence": "none"})
    assert response.status_code == 302, response.content.decode()
    target.refresh_from_db()
    follow_up = FollowUp.unscoped_all_tenants.get()
    assert (target.status, target.follow_up_id) == ("followed_up", follow_up.pk)
    assert (follow_up.source, follow_up.source_ref, follow_up.account_id) == (
        "care", str(target.pk), world["mine"].pk)


def test_a_bad_follow_up_form_changes_nothing(client, world, manager_a):
    login(client, manager_a)
    target = world["wang_birthday"]
    response = client.post(reverse("care:reminder-follow-up", args=[target.pk]),
                           {"title": "", "owner": manager_a.pk, "due_on": "soon",
                            "recurrence": "none"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) >= {"title", "due_on"}
    target.refresh_from_db()
    assert target.status == "open" and not FollowUp.unscoped_all_tenants.exists()


def test_an_outsider_gets_404_and_changes_nothing(client, world, admin_b):
    login(client, admin_b)
    target = world["wang_birthday"]
    for name in ("care:reminder-dismiss", "care:reminder-follow-up"):
        url = reverse(name, args=[target.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"title": "x", "owner": admin_b.pk, "due_on": "2026-06-16",
                                 "recurrence": "none"}).status_code == 404
    assert client.get(reverse("care:account-care", args=[world["mine"].pk])).status_code == 404
    assert names(client.get(reverse("care:reminder-list"), {"view": "all"})) == []
    target.refresh_from_db()
    assert target.status == "open" and not FollowUp.unscoped_all_tenants.exists()


def test_roles(client, world, exec_a, manager2_a):
    target = world["wang_birthday"]
    login(client, exec_a)  # executives read, change nothing
    assert client.post(reverse("care:reminder-dismiss", args=[target.pk])).status_code == 403
    assert "王建国" in client.get(reverse("care:reminder-list"), {"view": "all"}).content.decode()
    login(client, manager2_a)  # a manager off the account does not see it
    assert client.post(reverse("care:reminder-dismiss", args=[target.pk])).status_code == 404
    target.refresh_from_db()
    assert target.status == "open"


def test_the_360_section_lists_the_accounts_open_reminders_at_a_fixed_cost(client, world,
                                                                          manager_a):
    login(client, manager_a)
    account = world["mine"]
    page = client.get(reverse("accounts:account-detail", args=[account.pk])).content.decode()
    assert reverse("care:account-care", args=[account.pk]) in page

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("care:account-care", args=[account.pk]))
        assert response.status_code == 200
        return len(ctx.captured_queries)

    section = client.get(reverse("care:account-care", args=[account.pk])).content.decode()
    assert "王建国" in section and "李秀英" not in section  # another account's
    few = count()
    for i in range(20):
        reminder(contact(account, f"联系人{i}", None), manager_a, TODAY)
    # 1 session, 2 user, 3 memberships, 4 the account (visible), 5 its open reminders (contact,
    # contract, festival, owner joined).
    assert count() == few == 5


def test_admins_keep_the_festival_list(client, tenant_a, admin_a, manager_a):
    login(client, admin_a)
    listing = client.get(reverse("care:festival-list")).content.decode()
    assert "元旦" in listing and "圣诞节" in listing  # the defaults of a new company
    response = client.post(reverse("care:festival-create"), {
        "name": "中秋客户答谢", "calendar": "lunar", "month": "8", "day": "15",
        "lead_days": "7", "is_active": "on"})
    assert response.status_code == 302
    with tenant_context(tenant_a):
        festival = Festival.objects.get(name="中秋客户答谢")
    assert (festival.calendar, festival.month, festival.day, festival.lead_days) == (
        "lunar", 8, 15, 7)
    login(client, manager_a)
    assert client.get(reverse("care:festival-list")).status_code == 403


@pytest.mark.parametrize(("calendar", "month", "day", "field"), [
    ("lunar", "1", "31", "day"), ("solar", "2", "30", "day"), ("solar", "13", "1", "month"),
    ("solar", "1", "1", "lead_days"),
])
def test_a_bad_festival_is_a_form_error(client, tenant_a, admin_a, calendar, month, day, field):
    login(client, admin_a)
    with tenant_context(tenant_a):
        before = Festival.objects.count()
    response = client.post(reverse("care:festival-create"), {
        "name": "Bad", "calendar": calendar, "month": month, "day": day,
        "lead_days": "99" if field == "lead_days" else "3"})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    with tenant_context(tenant_a):
        assert Festival.objects.count() == before


def test_a_festival_name_is_once_per_company(client, tenant_a, admin_a):
    login(client, admin_a)
    response = client.post(reverse("care:festival-create"), {
        "name": "圣诞节", "calendar": "solar", "month": "12", "day": "24", "lead_days": "3"})
    assert response.status_code == 400
    assert response.context["form"].errors
    with tenant_context(tenant_a):
        assert Festival.objects.filter(name="圣诞节").count() == 1


def test_the_list_looks_further_ahead_on_request_and_refuses_other_periods(client, world,
                                                                          manager_a):
    login(client, manager_a)
    assert names(client.get(reverse("care:reminder-list"), {"days": "30"})) == [
        "王建国", "王建国"]  # the birthday, and the festival in 25 days
    for bad in ("15", "-1", "x"):
        response = client.get(reverse("care:reminder-list"), {"days": bad})
        assert response.status_code == 400, bad
        assert names(response) == []


def test_admins_set_the_days_ahead_of_birthdays_and_anniversaries(client, tenant_a, admin_a,
                                                                 manager_a):
    from care.models import CareSettings

    login(client, admin_a)
    page = client.get(reverse("care:festival-list"))
    assert page.context["form"].initial["birthday_lead_days"] == 3  # the default, unsaved
    response = client.post(reverse("care:care-settings"), {"birthday_lead_days": "99",
                                                           "anniversary_lead_days": "x"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"birthday_lead_days",
                                                     "anniversary_lead_days"}
    with tenant_context(tenant_a):
        assert not CareSettings.objects.exists()
    response = client.post(reverse("care:care-settings"), {"birthday_lead_days": "7",
                                                           "anniversary_lead_days": "14"})
    assert response.status_code == 302
    with tenant_context(tenant_a):
        stored = CareSettings.objects.get()
    assert (stored.birthday_lead_days, stored.anniversary_lead_days) == (7, 14)
    login(client, manager_a)
    assert client.post(reverse("care:care-settings"), {"birthday_lead_days": "1",
                                                       "anniversary_lead_days": "1"}
                       ).status_code == 403

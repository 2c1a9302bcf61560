"""The visit and follow-up pages: lists (mine / all, tabs, filters, sorting, pages both ways, a
fixed number of queries), plan, the visit's page, report with our commitments, reschedule,
cancel, check in, follow-up forms and done from the list; the 360° page's visits section; and
that another tenant's user gets a 404 and changes nothing."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account, Contact
from kam.tenancy import tenant_context
from tests.conftest import login
from tests.factories import make_account
from tests.visits.fixtures import at, make_follow_up, make_visit, visits_world
from visits.followups.models import FollowUp
from visits.visit.models import Visit, VisitAttendee, VisitContact

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]
D = datetime.date


def snapshot() -> dict:
    """Every visits row of every tenant: what an outsider's request must leave untouched."""
    return {model.__name__: sorted(model.unscoped_all_tenants.values_list(), key=repr)
            for model in (Visit, VisitAttendee, VisitContact, FollowUp)}


def page_text(response) -> str:
    return response.content.decode()


# --- outsiders --------------------------------------------------------------------------------

VISIT_PAGES = ["visit-detail", "visit-edit", "visit-report", "visit-reschedule", "visit-cancel",
               "visit-check-in"]
FOLLOW_UP_PAGES = ["follow-up-edit", "follow-up-done", "follow-up-cancel", "follow-up-reopen"]
ANY_FORM = {"reason": "stolen", "planned_start": "2026-06-20T10:00", "duration_minutes": "30",
            "summary": "stolen", "sentiment": "positive", "latitude": "1", "longitude": "1",
            "title": "stolen", "due_on": "2026-06-30", "level": "business", "channel": "phone",
            "objective": "stolen", "recurrence": "none", "follow_ups-TOTAL_FORMS": "0",
            "follow_ups-INITIAL_FORMS": "0"}


@pytest.mark.parametrize("method", ["get", "post"])
def test_outsider_gets_404_and_changes_nothing(client, manager_a, admin_b, method):
    world = visits_world(manager_a)
    b_account = make_account(admin_b.tenant, "B Co", owner=admin_b)
    before = snapshot()
    login(client, admin_b)
    urls = [reverse(f"visits:{name}", args=[world.visits["due_report"].pk]) for name in VISIT_PAGES]
    urls += [reverse(f"visits:{name}", args=[world.follow_ups["overdue"].pk])
             for name in FOLLOW_UP_PAGES]
    urls.append(reverse("visits:account-visits", args=[world.account.pk]))
    for url in urls:
        response = getattr(client, method)(url, {**ANY_FORM, "account": b_account.pk,
                                                 "owner": admin_b.pk})
        assert response.status_code == 404, url
    assert snapshot() == before


def test_outsider_cannot_plan_on_another_tenants_account(client, manager_a, admin_b):
    world = visits_world(manager_a)
    before = snapshot()
    login(client, admin_b)
    page = client.get(reverse("visits:visit-create"), {"account": world.account.pk})
    assert page.status_code == 200 and "华为供应链" not in page_text(page)
    # Nor the account's contacts, asked for by the form's htmx part.
    part = client.get(reverse("visits:visit-contact-choices"), {"account": world.account.pk})
    assert part.status_code == 200 and "王总" not in page_text(part)
    for url_name in ("visits:visit-create", "visits:follow-up-create"):
        response = client.post(reverse(url_name), {**ANY_FORM, "account": world.account.pk,
                                                   "owner": admin_b.pk})
        assert response.status_code == 400
        assert "account" in response.context["form"].errors
    assert snapshot() == before


@pytest.mark.parametrize("url", ["/visits/?scope=all&period=all", "/follow-ups/?view=all",
                                 "/follow-ups/?view=overdue"])
def test_lists_show_none_of_another_tenants_rows(client, manager_a, admin_b, url):
    visits_world(manager_a)
    theirs = make_account(admin_b.tenant, "Tenant B Own Co", owner=admin_b)
    make_visit(theirs, admin_b, at(2026, 6, 1))
    make_follow_up(theirs, admin_b, D(2026, 6, 1))
    login(client, admin_b)
    response = client.get(url)
    assert response.status_code == 200
    assert "华为供应链" not in page_text(response)
    assert [item.tenant_id for item in response.context["page"].items] == [admin_b.tenant_id]


def test_a_manager_off_the_account_sees_none_of_its_visits(client, manager_a, manager2_a):
    world = visits_world(manager_a)
    login(client, manager2_a)
    for url in ("/visits/?scope=all&period=all", "/follow-ups/?view=all"):
        assert client.get(url).context["page"].total == 0
    part = client.get(reverse("visits:visit-contact-choices"), {"account": world.account.pk})
    assert "王总" not in page_text(part)
    assert client.get(reverse("visits:visit-detail",
                              args=[world.visits["done"].pk])).status_code == 404


def test_executives_read_and_change_nothing(client, exec_a, manager_a):
    world = visits_world(manager_a)
    login(client, exec_a)
    detail = client.get(reverse("visits:visit-detail", args=[world.visits["due_report"].pk]))
    assert detail.status_code == 200 and "visit-report" not in str(detail.context["can_report"])
    assert reverse("visits:visit-report", args=[world.visits["due_report"].pk]) not in page_text(
        detail)
    for url in (reverse("visits:visit-create"),
                reverse("visits:visit-cancel", args=[world.visits["upcoming"].pk]),
                reverse("visits:follow-up-done", args=[world.follow_ups["overdue"].pk])):
        assert client.post(url, ANY_FORM).status_code == 403


# --- the visit list ----------------------------------------------------------------------------


def test_my_visits_open_on_what_comes(client, manager_a, manager2_a):
    world = visits_world(manager_a, manager2_a)
    theirs = make_visit(world.account, manager2_a, at(2026, 6, 16), objective="队友的拜访")
    with tenant_context(manager_a.tenant):
        VisitAttendee.objects.create(visit=theirs, membership=manager_a)  # I go along
    login(client, manager_a)
    page = client.get(reverse("visits:visit-list")).context["page"]
    assert [v.pk for v in page.items] == [theirs.pk, world.visits["upcoming"].pk]
    past = client.get(reverse("visits:visit-list"), {"period": "past"}).context["page"]
    assert [v.pk for v in past.items] == [world.visits[k].pk for k in
                                          ("due_report", "done", "cancelled", "missed")]
    login(client, manager2_a)
    mine = client.get(reverse("visits:visit-list")).context["page"]
    assert [v.pk for v in mine.items] == [theirs.pk]
    every = client.get(reverse("visits:visit-list"), {"scope": "all", "period": "all",
                                                      "status": "planned", "level": "leadership"})
    assert [v.pk for v in every.context["page"].items] == [world.visits["upcoming"].pk]
    login(client, manager_a)
    past = client.get(reverse("visits:visit-list"), {"period": "past"}).context["page"]
    assert [v.report_due for v in past.items] == [True, False, False, False]


def test_visit_list_is_sortable_and_pages_both_ways(client, manager_a):
    world = visits_world(manager_a)
    other = make_account(manager_a.tenant, "阿里", owner=manager_a)
    for i in range(30):
        make_visit(other if i % 2 else world.account, manager_a, at(2026, 7, 1 + i % 28, 9 + i % 8))
    login(client, manager_a)
    first = client.get(reverse("visits:visit-list"), {"sort": "account"}).context["page"]
    assert first.total == 31 and len(first.items) == 25
    names = [v.account.name for v in first.items]
    assert names == sorted(names)
    second = client.get(reverse("visits:visit-list"), {"sort": "account",
                                                       "cursor": first.next_cursor}).context["page"]
    assert len(second.items) == 6
    back = client.get(reverse("visits:visit-list"), {"sort": "account",
                                                     "cursor": second.previous_cursor})
    assert [v.pk for v in back.context["page"].items] == [v.pk for v in first.items]


@pytest.mark.parametrize("query", [{}, {"sort": "-start"}, {"sort": "account"},
                                   {"scope": "all", "period": "past"}])
def test_visit_list_costs_a_constant_number_of_queries(client, manager_a, query):
    world = visits_world(manager_a)
    login(client, manager_a)
    client.get(reverse("visits:visit-list"))  # the first request stores the tenant in the session

    def count(**extra) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("visits:visit-list"), {**query, **extra})
        assert response.status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(60):
        make_visit(world.account, manager_a, at(2026, 5 + 2 * (i % 2), 1 + i % 28))
    assert count() == few
    # 1 session, 2 user, 3 memberships with their tenants, 4 total count,
    # 5 the page's rows (account and owner with user joined), 6 the account filter's choices.
    assert few == 6
    page = client.get(reverse("visits:visit-list"), query).context["page"]
    assert page.next_cursor
    # A next or previous page: one more, the sort values of the cursor's row read back by its id.
    assert count(cursor=page.next_cursor) == few + 1


# --- plan, edit ------------------------------------------------------------------------------


def test_plan_from_the_360_page_and_its_errors_all_at_once(client, manager_a, manager2_a):
    world = visits_world(manager_a)
    login(client, manager_a)
    page = client.get(reverse("visits:visit-create"), {"account": world.account.pk})
    assert page.context["form"]["account"].value() == world.account.pk
    assert "王总" in page_text(page)  # the account's contacts, with their level
    form = {"account": world.account.pk, "level": "leadership", "channel": "on_site",
            "planned_start": "2026-06-24T14:00", "duration_minutes": "90", "objective": "高层会谈",
            "location": "深圳", "owner": manager_a.pk, "attendees": [manager2_a.pk],
            "contacts": [world.contacts["leader"].pk]}
    # A field that does not parse (the start) and a rule (a colleague who cannot see the
    # account as an attendee is fine, as owner not): both errors in one answer, nothing saved.
    response = client.post(reverse("visits:visit-create"), {**form, "planned_start": "soon",
                                                            "owner": manager2_a.pk})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"planned_start", "owner"}
    assert not Visit.unscoped_all_tenants.filter(objective="高层会谈").exists()
    response = client.post(reverse("visits:visit-create"), form)
    assert response.status_code == 302
    visit = Visit.unscoped_all_tenants.get(objective="高层会谈")
    assert response["Location"] == reverse("visits:visit-detail", args=[visit.pk])
    assert visit.planned_start == at(2026, 6, 24, 14)  # read on the company's clock
    assert list(VisitContact.unscoped_all_tenants.filter(visit=visit).values_list(
        "contact_id", flat=True)) == [world.contacts["leader"].pk]
    detail = client.get(response["Location"])
    assert "王总" in page_text(detail) and "manager2_a" in page_text(detail)


def test_the_contacts_follow_the_account_chosen(client, manager_a):
    world = visits_world(manager_a)
    other = make_account(manager_a.tenant, "Other", owner=manager_a)
    with tenant_context(manager_a.tenant):
        Contact.objects.create(account=other, name="赵经理", level="business")
    login(client, manager_a)
    part = client.get(reverse("visits:visit-contact-choices"), {"account": other.pk})
    assert "赵经理" in page_text(part) and "王总" not in page_text(part)
    assert 'id="visit-contacts"' in page_text(part)
    response = client.post(reverse("visits:visit-create"), {
        "account": world.account.pk, "level": "business", "channel": "phone",
        "planned_start": "2026-06-24T14:00", "duration_minutes": "30", "objective": "x",
        "owner": manager_a.pk, "contacts": [Contact.unscoped_all_tenants.get(name="赵经理").pk]})
    assert response.status_code == 400 and "contacts" in response.context["form"].errors


def test_edit_moves_the_start_and_counts_it(client, manager_a):
    world = visits_world(manager_a)
    visit = world.visits["upcoming"]
    login(client, manager_a)
    page = client.get(reverse("visits:visit-edit", args=[visit.pk]))
    assert page.context["form"]["planned_start"].value() is not None
    assert sorted(page.context["form"].initial["contacts"]) == sorted(
        [world.contacts["leader"].pk, world.contacts["engineer"].pk])
    response = client.post(reverse("visits:visit-reschedule", args=[visit.pk]),
                           {"planned_start": "2026-06-19T09:00", "duration_minutes": "45"})
    assert response.status_code == 302
    after = Visit.unscoped_all_tenants.get(pk=visit.pk)
    assert (after.planned_start, after.duration_minutes, after.reschedule_count) == (
        at(2026, 6, 19, 9), 45, 1)
    done = world.visits["done"]
    response = client.post(reverse("visits:visit-reschedule", args=[done.pk]),
                           {"planned_start": "2026-06-19T09:00", "duration_minutes": "45"})
    assert response.status_code == 400 and response.context["form"].non_field_errors()


def test_cancel_asks_for_a_reason(client, manager_a):
    world = visits_world(manager_a)
    visit = world.visits["upcoming"]
    login(client, manager_a)
    assert client.get(reverse("visits:visit-cancel", args=[visit.pk])).status_code == 200
    response = client.post(reverse("visits:visit-cancel", args=[visit.pk]), {"reason": ""})
    assert response.status_code == 400 and "reason" in response.context["form"].errors
    assert Visit.unscoped_all_tenants.get(pk=visit.pk).status == "planned"
    response = client.post(reverse("visits:visit-cancel", args=[visit.pk]), {"reason": "客户出差"})
    assert response.status_code == 302
    assert Visit.unscoped_all_tenants.get(pk=visit.pk).cancel_reason == "客户出差"


def test_check_in_needs_the_location(client, manager_a):
    world = visits_world(manager_a)
    visit = world.visits["upcoming"]
    login(client, manager_a)
    response = client.post(reverse("visits:visit-check-in", args=[visit.pk]), {})
    assert response.status_code == 400 and response.context["form"].non_field_errors()
    response = client.post(reverse("visits:visit-check-in", args=[visit.pk]),
                           {"latitude": "22.5431", "longitude": "114.0579", "accuracy": "18"})
    assert response.status_code == 302
    assert Visit.unscoped_all_tenants.get(pk=visit.pk).checkin_accuracy_m == 18


# --- the report -------------------------------------------------------------------------------


def report_form(owner, **overrides) -> dict:
    return {"summary": "客户认可方案", "discussed": "", "customer_commitments": "",
            "sentiment": "positive", "next_visit_on": "",
            "follow_ups-TOTAL_FORMS": "3", "follow_ups-INITIAL_FORMS": "0",
            "follow_ups-MIN_NUM_FORMS": "0", "follow_ups-MAX_NUM_FORMS": "50",
            "follow_ups-0-title": "提交报价", "follow_ups-0-owner": str(owner.pk),
            "follow_ups-0-due_on": "2026-06-19",
            "follow_ups-1-title": "", "follow_ups-1-owner": str(owner.pk),
            "follow_ups-1-due_on": "",  # left as it came: skipped
            "follow_ups-2-title": "安排试产", "follow_ups-2-owner": str(owner.pk),
            "follow_ups-2-due_on": "2026-06-26", **overrides}


def test_report_with_commitments_and_a_check_in(client, manager_a):
    world = visits_world(manager_a)
    visit = world.visits["due_report"]
    login(client, manager_a)
    page = client.get(reverse("visits:visit-report", args=[visit.pk]))
    assert page.status_code == 200 and "data-kam-checkin" in page_text(page)
    response = client.post(reverse("visits:visit-report", args=[visit.pk]), report_form(
        manager_a, latitude="22.543096", longitude="114.057865", accuracy="30"))
    assert response.status_code == 302, response.context and response.context["form"].errors
    after = Visit.unscoped_all_tenants.get(pk=visit.pk)
    assert (after.status, after.summary, after.checkin_accuracy_m) == ("completed", "客户认可方案",
                                                                       30)
    assert list(FollowUp.unscoped_all_tenants.filter(visit=visit).order_by("due_on").values_list(
        "title", "due_on")) == [("提交报价", D(2026, 6, 19)), ("安排试产", D(2026, 6, 26))]
    detail = client.get(response["Location"])
    assert "提交报价" in page_text(detail) and "客户认可方案" in page_text(detail)


def test_report_shows_every_error_at_once_and_saves_nothing(client, manager_a, manager2_a):
    world = visits_world(manager_a)
    visit = world.visits["due_report"]
    login(client, manager_a)
    response = client.post(reverse("visits:visit-report", args=[visit.pk]), report_form(
        manager_a, summary="", **{"follow_ups-0-due_on": "someday",
                                  "follow_ups-2-owner": str(manager2_a.pk)}))
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"summary"}
    rows = response.context["formset"].forms
    assert set(rows[0].errors) == {"due_on"}
    assert set(rows[2].errors) == {"owner"}  # a rule (cannot see the account), found at once
    assert Visit.unscoped_all_tenants.get(pk=visit.pk).status == "planned"
    assert not FollowUp.unscoped_all_tenants.filter(visit=visit).exists()


def test_a_future_visit_has_no_report_yet(client, manager_a):
    world = visits_world(manager_a)
    visit = world.visits["upcoming"]
    login(client, manager_a)
    detail = client.get(reverse("visits:visit-detail", args=[visit.pk]))
    assert detail.context["can_report"] is False
    response = client.post(reverse("visits:visit-report", args=[visit.pk]), report_form(manager_a))
    assert response.status_code == 400 and response.context["form"].non_field_errors()


# --- follow-ups ---------------------------------------------------------------------------------


def test_follow_up_tabs(client, manager_a, manager2_a):
    world = visits_world(manager_a, manager2_a)
    f = world.follow_ups
    login(client, manager_a)

    def ids(view: str, **query) -> list[int]:
        response = client.get(reverse("visits:follow-up-list"), {"view": view, **query})
        assert response.status_code == 200
        return [item.pk for item in response.context["page"].items]

    assert ids("mine") == [f["overdue"].pk, f["this_week"].pk]  # the teammate owns "later"
    assert ids("overdue") == [f["overdue"].pk]
    assert ids("week") == [f["this_week"].pk]  # Monday 15 to Sunday 21 June
    assert ids("all") == [f["closed"].pk, f["overdue"].pk, f["this_week"].pk, f["later"].pk]
    assert ids("all", status="done") == [f["closed"].pk]
    assert ids("mine", status="done") == ids("mine")  # the other tabs are open follow-ups
    response = client.get(reverse("visits:follow-up-list"), {"view": "overdue"})
    assert "15 June" in page_text(response) or "5 天前" in page_text(response)


def test_done_from_the_list_and_back_to_it(client, manager_a):
    world = visits_world(manager_a)
    login(client, manager_a)
    here = reverse("visits:follow-up-list") + "?view=week"
    response = client.post(reverse("visits:follow-up-done", args=[world.follow_ups["this_week"].pk]),
                           {"next": here})
    assert response.status_code == 303 and response["Location"] == here
    assert FollowUp.unscoped_all_tenants.get(pk=world.follow_ups["this_week"].pk).status == "done"
    assert FollowUp.unscoped_all_tenants.filter(
        previous=world.follow_ups["this_week"]).get().due_on == D(2026, 7, 19)
    # Twice: said on the page, a 400; another site is no place to go back to.
    response = client.post(reverse("visits:follow-up-done", args=[world.follow_ups["this_week"].pk]),
                           {"next": "https://evil.example/"})
    assert response.status_code == 400 and response.context["refusal"]
    assert response.context["back"] == reverse("visits:follow-up-list")


def test_follow_up_create_cancel_reopen(client, manager_a):
    world = visits_world(manager_a)
    login(client, manager_a)
    response = client.post(reverse("visits:follow-up-create"), {
        "account": world.account.pk, "owner": manager_a.pk, "title": "", "due_on": "x",
        "recurrence": "from_due"})
    assert response.status_code == 400
    assert {"title", "due_on", "recurrence_interval", "recurrence_unit"} <= set(
        response.context["form"].errors)
    response = client.post(reverse("visits:follow-up-create"), {
        "account": world.account.pk, "owner": manager_a.pk, "title": "年度复盘",
        "due_on": "2026-12-15", "recurrence": "from_due", "recurrence_interval": "1",
        "recurrence_unit": "months"})
    assert response.status_code == 302
    made = FollowUp.unscoped_all_tenants.get(title="年度复盘")
    url = reverse("visits:follow-up-cancel", args=[made.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "合并到季度复盘"}).status_code == 303
    assert FollowUp.unscoped_all_tenants.get(pk=made.pk).status == "cancelled"
    assert client.post(reverse("visits:follow-up-reopen", args=[made.pk])).status_code == 303
    assert FollowUp.unscoped_all_tenants.get(pk=made.pk).status == "open"


@pytest.mark.parametrize("query", [{}, {"view": "all", "sort": "account"}, {"view": "overdue"},
                                   {"view": "week", "sort": "-due"}])
def test_follow_up_list_costs_a_constant_number_of_queries(client, manager_a, query):
    world = visits_world(manager_a)
    login(client, manager_a)
    client.get(reverse("visits:follow-up-list"))

    def count(**extra) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("visits:follow-up-list"), {**query, **extra})
        assert response.status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(40):
        make_follow_up(world.account, manager_a, D(2026, 6, 1 + i % 20), visit=world.visits["done"])
    assert count() == few
    # 1 session, 2 user, 3 memberships with their tenants, 4 total count, 5 the page's rows
    # (account, owner with user and the visit joined), 6 the account filter's choices.
    assert few == 6


# --- the 360° page's section ------------------------------------------------------------------


def test_the_360_section_shows_upcoming_recent_and_open(client, manager_a):
    world = visits_world(manager_a)
    login(client, manager_a)
    page = client.get(reverse("accounts:account-detail", args=[world.account.pk]))
    assert reverse("visits:account-visits", args=[world.account.pk]) in page_text(page)
    response = client.get(reverse("visits:account-visits", args=[world.account.pk]))
    assert [v.pk for v in response.context["upcoming"]] == [world.visits["upcoming"].pk]
    assert [v.pk for v in response.context["recent"]] == [
        world.visits[k].pk for k in ("due_report", "done", "cancelled", "missed")]
    assert [f.pk for f in response.context["follow_ups"]] == [
        world.follow_ups[k].pk for k in ("overdue", "this_week", "later")]
    text = page_text(response)
    assert f"/visits/new/?account={world.account.pk}" in text
    assert f"/follow-ups/new/?account={world.account.pk}" in text


def test_the_360_section_costs_a_constant_number_of_queries(client, manager_a):
    small = visits_world(manager_a, name="Small")
    big = visits_world(manager_a, name="Big")
    for i in range(20):
        make_visit(big.account, manager_a, at(2026, 5 + i % 3, 1 + i % 28))
        make_follow_up(big.account, manager_a, D(2026, 7, 1 + i))
    login(client, manager_a)
    client.get(reverse("visits:visit-list"))

    def count(account: Account) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("visits:account-visits", args=[account.pk]))
        assert response.status_code == 200
        return len(ctx.captured_queries)

    # 1 session, 2 user, 3 memberships, 4 the account (visible), 5 upcoming visits,
    # 6 recent visits, 7 open follow-ups (owners joined throughout).
    assert count(small.account) == count(big.account) == 7

"""The browser test: Chromium (through Playwright) renders the main pages at 1440 px and on a
390 px phone, in Chinese and in English, from pytest-django's live server and the test database.

It fails on what a new user trips over and a template test cannot see:
- a page wider than the window (a table may scroll sideways inside its own <figure>, the page not);
- text in a table cell or the header's navigation broken into lines of one or two characters;
- a timeline date running into its text;
- a form's error or help text sticking out of its field's column;
- on a phone, "Log out" out of reach (the folded menu must open and show it);
- in Chinese, an English word of the user interface (or 租户) in the visible text
  (NOT_IN_CHINESE).

``make test`` runs it (marked slow like the other heavy tests: ``make test-fast`` skips it). The
project's install step (Makefile) provides /usr/bin/chromium and the CJK fonts; Playwright's own
browser download is never used. KAM_BROWSER_SHOTS=<folder> saves a full-page screenshot of every
page it renders, to look at."""

from __future__ import annotations

import datetime
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from accounts.account import forms as account_forms
from accounts.imports.services import import_notify_finished
from accounts.models import AccountTeamMember, Contact, Contract, ImportJob, Transaction
from accounts.tiering.notifications import TIER_CHANGED
from kam import clock
from kam.calendar_models import DayKind, EntrySource
from kam.calendar_services import calendar_entry_save
from kam.jobs import run_job
from kam.models import Membership, Tenant
from kam.notify import notify_many
from kam.roles import Role
from kam.services import api_key_create
from kam.tenancy import tenant_context
from tests.conftest import FROZEN_AT
from tests.factories import make_account
from visits.followups.models import FollowUp
from visits.visit.models import Visit, VisitAttendee, VisitContact

# The live server's requests commit (transactional_db). The clock starts at the usual frozen instant
# (the same dates and times on every run) and runs: Playwright's thread waits on asyncio timers.
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True),
              pytest.mark.clock(FROZEN_AT, tick=True), pytest.mark.usefixtures("frozen_clock")]

CHROMIUM = "/usr/bin/chromium"
# Headless, without the sandbox (CI runs as root), and without the browser's own calls home: this
# machine's network refuses them, and the browser waits for them otherwise.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
VIEWPORTS = {"1440": (1440, 900), "390": (390, 844)}
PHONE = 390
MAX_PROBLEMS = 8  # reported per page
LANGUAGES = ("zh-hans", "en")

# Words that must not show in the Chinese pages: English words of the user interface, and the
# internal word 租户 ("tenant": a user's company is 贵公司 or its name). Whole words, case as
# written, in the visible text and the placeholders. Data (names, e-mails, contract numbers),
# codes and brands (API, CSV, Excel, CNY, ERP, KAM) are not in it.
NOT_IN_CHINESE = frozenset({
    # navigation and actions
    "Accounts", "Contacts", "Contracts", "Transactions", "Tiering", "Import", "Imports",
    "Settings", "Log out", "Menu", "Save", "Delete", "Edit", "Remove", "Revoke", "Cancel",
    "Apply", "Switch", "Filter", "Clear", "Search", "Add", "New", "Back", "Show", "Next page",
    "First page",
    # column titles and field names
    "Name", "Status", "Owner", "Industry", "Region", "Credit", "Tier", "Number", "Title",
    "Period", "Value", "Date", "Amount", "Account", "Level", "Role", "User", "Email", "Phone",
    "Prefix", "Scopes", "Created", "Updated", "Unchanged", "Failed", "Rows", "File", "Kind",
    "When", "By", "Active", "Actions", "Timeline", "Score", "Weight", "Points",
    # values and messages
    "None", "True", "False", "Yes", "No", "yes", "no", "never", "revoked", "read", "write",
    "errors", "error", "required", "tenant", "Tenant", "Strategic", "strategic", "Key",
    "Important", "General", "manual", "Loading", "days", "ago", "orders", "order", "Renewal",
    # internal words
    "租户",
})

# Runs in the page: everything measurable about its layout, as sentences naming the culprit.
LAYOUT_CHECKS = r"""
() => {
  const problems = [];
  const width = window.innerWidth;
  const name = el => {
    const text = (el.innerText || el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 40);
    return el.tagName.toLowerCase() + (el.className && typeof el.className === "string"
      ? "." + el.className.trim().split(/\s+/).join(".") : "") + ` "${text}"`;
  };
  const inkOf = el => { const range = document.createRange(); range.selectNodeContents(el);
                        return range.getBoundingClientRect(); };
  const overlap = (a, b) => a.right > b.left + 0.5 && a.left < b.right - 0.5
                            && a.bottom > b.top + 0.5 && a.top < b.bottom - 0.5;

  // The page itself never scrolls sideways; name the outermost elements that stick out.
  const pageWidth = document.documentElement.scrollWidth;
  if (pageWidth > width) {
    const wide = [...document.body.querySelectorAll("*")].filter(el => {
      const box = el.getBoundingClientRect();
      return box.width > 0 && box.right > width + 0.5
             && el.parentElement.getBoundingClientRect().right <= width + 0.5;
    });
    problems.push(`the page is ${pageWidth} px wide in a ${width} px window: `
                  + wide.slice(0, 4).map(name).join(", "));
  }

  // Text of table cells and of the navigation in lines of one or two characters ("删/除").
  const lineLengths = node => {
    const counts = []; const range = document.createRange(); let top = null;
    for (let i = 0; i < node.data.length; i++) {
      if (/\s/.test(node.data[i])) continue;
      range.setStart(node, i); range.setEnd(node, i + 1);
      const box = range.getClientRects()[0];
      if (!box) continue;
      if (top === null || box.top > top + box.height / 2) { counts.push(0); top = box.top; }
      counts[counts.length - 1] += 1;
    }
    return counts;
  };
  for (const cell of document.querySelectorAll("td, th, .kam-header li")) {
    if (!cell.getClientRects().length) continue;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.data.replace(/\s/g, "").length < 2) continue;
      const counts = lineLengths(node);
      if (counts.length >= 2 && Math.max(...counts) <= 2) {
        problems.push(`${name(cell)} is broken into ${counts.length} lines of `
                      + `${Math.max(...counts)} character(s) or fewer`);
        break;
      }
    }
  }

  // A timeline entry's date and its text side by side (or one above the other), never on top.
  for (const entry of document.querySelectorAll(".kam-timeline > li")) {
    const date = entry.querySelector("time");
    const text = date && date.nextElementSibling;
    if (text && overlap(inkOf(date), inkOf(text))) {
      problems.push(`the timeline's date "${date.textContent.trim()}" overlaps its text`);
    }
  }

  // A field's error or help text stays inside the field's column.
  for (const note of document.querySelectorAll(".kam-field small, .kam-error")) {
    if (!note.getClientRects().length) continue;
    const column = note.parentElement.getBoundingClientRect();
    const ink = inkOf(note);
    if (ink.right > column.right + 0.5 || ink.left < column.left - 0.5) {
      problems.push(`${name(note)} sticks out of its field (${Math.round(ink.right)} px `
                    + `> ${Math.round(column.right)} px)`);
    }
  }
  return problems;
}
"""
VISIBLE_TEXT = r"""
() => [document.body.innerText,
       ...[...document.querySelectorAll("[placeholder]")]
          .filter(el => el.getClientRects().length).map(el => el.placeholder)].join("\n")
"""


# --- the browser ---------------------------------------------------------------------------------


class Chromium:
    """/usr/bin/chromium through Playwright's sync API, in a thread of its own.

    The sync API keeps an asyncio event loop running in the thread that starts it, and Django
    refuses database work in a thread with a running loop (SynchronousOnlyOperation). The test's
    thread builds the data and flushes the database afterwards, so Playwright lives in a single
    worker thread (its objects stay in the thread that made them) and every call goes through
    ``run``: no DJANGO_ALLOW_ASYNC_UNSAFE, Django's check stays on."""

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chromium")
        self._playwright: Any = None
        self.browser: Any = None
        try:
            self.run(self._start)
        except BaseException:
            self._thread.shutdown()
            raise

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        try:
            self.browser = self._playwright.chromium.launch(executable_path=CHROMIUM,
                                                            args=CHROMIUM_ARGS, env=real_clock_env())
        except Exception:
            self._playwright.stop()
            raise

    def _stop(self) -> None:
        try:
            self.browser.close()
        finally:
            self._playwright.stop()

    def run(self, work, *args):
        return self._thread.submit(work, *args).result()

    def close(self) -> None:
        try:
            self.run(self._stop)
        finally:
            self._thread.shutdown()


def real_clock_env() -> dict[str, str]:
    """The environment without libfaketime (``make test-dates`` runs pytest under it): like the
    servers, the browser runs on the machine's clock, and Chromium does not load pages under it."""
    return {name: value for name, value in os.environ.items()
            if name != "LD_PRELOAD" and not name.startswith("FAKETIME")}


@pytest.fixture(scope="module")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make install` installs it (apt-get install chromium "
                    "fonts-noto-cjk)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        pytest.fail("the Python package playwright is missing: `make install` installs the dev extra")
    browser = Chromium()
    yield browser
    browser.close()


# --- what the pages show -------------------------------------------------------------------------


def _member(tenant: Tenant, username: str, given: str, family: str, role: str) -> Membership:
    user = get_user_model().objects.create_user(username=username, first_name=given,
                                                last_name=family, email=f"{username}@example.com")
    with tenant_context(tenant):
        return Membership.objects.create(tenant=tenant, user=user, role=role)


@pytest.fixture
def book(tenant_a) -> dict[str, Any]:
    """Tenant A as a user finds it after a few weeks: long company names, an account with a
    parent, contacts at three levels, a team, two contracts (one due for renewal), 14 months of
    orders in the millions, figures and tiers computed by the nightly jobs, an import done, an
    API key and a company day off in the working calendar."""
    tenant = tenant_a
    today = clock.today(tenant)
    admin = _member(tenant, "zhang.wei", "伟", "张", Role.ADMIN)
    owner = _member(tenant, "wang.fang", "芳", "王", Role.MANAGER)
    engineer = _member(tenant, "chen.jie", "杰", "陈", Role.MANAGER)
    group = make_account(tenant, "华瑞控股集团有限公司", owner=owner, strategic_value=5)
    account = make_account(tenant, "苏州华瑞新能源汽车零部件股份有限公司", owner=owner, parent=group,
                           industry="automotive", province="江苏省", city="苏州",
                           credit_rating="A", strategic_value=5)
    for n, name in enumerate(["东莞精工智能装备有限公司", "深圳恒通半导体科技股份有限公司",
                              "两江新区远航物流供应链管理有限公司"]):
        make_account(tenant, name, owner=owner, industry="machinery", province="广东省",
                     city="东莞", credit_rating="B", strategic_value=n + 2)
    with tenant_context(tenant):
        for name, email, title, level, role in [
                ("王建国", "jianguo.wang", "总经理", "leadership", "decision_maker"),
                ("李晓东", "xiaodong.li", "技术总监", "technical", "champion"),
                ("赵海燕", "haiyan.zhao", "采购经理", "business", "gatekeeper")]:
            Contact.objects.create(tenant=tenant, account=account, name=name, title=title,
                                   level=level, buying_role=role, relationship_strength=4,
                                   phone="+86 512 6688 1234", email=f"{email}@huarui-auto.example.cn")
        AccountTeamMember.objects.create(tenant=tenant, account=account, membership=engineer,
                                         team_role="technical_support")
        Contract.objects.create(tenant=tenant, account=account, number="HT-2025-000123",
                                title="年度采购框架协议（含备件及技术服务）",
                                start_date=today - datetime.timedelta(days=350),
                                end_date=today + datetime.timedelta(days=15),
                                value=Decimal("12345678.90"), status="active")
        Contract.objects.create(tenant=tenant, account=account, number="HT-2024-000045",
                                title="模具开发合同", start_date=today - datetime.timedelta(days=700),
                                end_date=today - datetime.timedelta(days=351),
                                value=Decimal("860000.00"), status="expired")
        for month in range(14):
            Transaction.objects.create(
                tenant=tenant, account=account, date=clock.add_months(today, -month),
                amount=Decimal("1234567.89") + month * 1000, gross_margin=Decimal("234567.12"),
                product_line="电池包结构件", external_id=f"ERP-SO-2026-{month:06d}")
        api_key_create(name="ERP 对接", scopes=["read", "write"], created_by=admin.user)
        job = ImportJob.objects.create(
            tenant=tenant, kind="accounts", mode="valid_only", original_name="2026年6月客户清单.xlsx",
            file_format="xlsx", file="imports/customers.xlsx", status="done", total_rows=120,
            processed_rows=120, created_count=100, updated_count=15, unchanged_count=3,
            failed_count=2, created_by=admin, finished_at=clock.now())
        calendar_entry_save(day=datetime.date(2026, 10, 9), kind=DayKind.HOLIDAY,
                            name="公司成立二十周年庆典暨年度表彰大会", source=EntrySource.COMPANY,
                            year=None)
        # Visits at the three levels and their follow-ups: one to report (yesterday's), one
        # reported with commitments, one upcoming, one missed; follow-ups open and overdue.
        contacts = list(Contact.objects.filter(account=account).order_by("id"))
        start = clock.day_start(today, tenant) + datetime.timedelta(hours=10)
        visit = {}
        for name, days, level, status, extra in [
                ("to_report", -1, "leadership", "planned", {}),
                ("reported", -8, "technical", "completed", {
                    "completed_at": clock.now(), "summary": "双方确认了二季度电池包结构件的交付计划，"
                    "客户希望把试产线的良率提升到 98% 以上。", "discussed": "交付节奏、良率改进、备件库存",
                    "customer_commitments": "客户在 6 月底前提供新一版图纸。",
                    "sentiment": "positive", "next_visit_on": today + datetime.timedelta(days=30)}),
                ("upcoming", 3, "business", "planned", {}),
                ("missed", -20, "business", "missed", {"missed_at": clock.now()})]:
            visit[name] = Visit.objects.create(
                tenant=tenant, account=account, owner=admin, level=level, channel="on_site",
                planned_start=start + datetime.timedelta(days=days), duration_minutes=90,
                location="江苏省苏州市工业园区星湖街 328 号 A 栋", status=status,
                objective="年度采购框架协议续签及二季度交付计划沟通", **extra)
            VisitAttendee.objects.create(tenant=tenant, visit=visit[name], membership=engineer)
            for contact in contacts:
                VisitContact.objects.create(tenant=tenant, visit=visit[name], contact=contact,
                                            level=contact.level)
        for title, days, owner_of, source in [
                ("提交良率改进方案（含试产线数据分析）", 5, admin, "visit"),
                ("寄送备件清单与报价", -3, engineer, "visit"),
                ("安排技术交流会", 12, admin, "manual")]:
            FollowUp.objects.create(
                tenant=tenant, account=account, owner=owner_of, title=title,
                due_on=today + datetime.timedelta(days=days), source=source,
                visit=visit["reported"] if source == "visit" else None)
        # Visits for the cadence section and the coverage page: a leadership visit held
        # 40 days ago, a business one 70 days ago (overdue for a strategic account).
        for days, level in ((40, "leadership"), (70, "business")):
            start = clock.now() - datetime.timedelta(days=days)
            Visit.objects.create(tenant=tenant, account=account, owner=owner, level=level,
                                 planned_start=start, objective="季度业务回顾暨新项目技术交流",
                                 status="completed", summary="客户对交付满意。",
                                 sentiment="positive", completed_at=start, completed_by=owner)
        # Care: a solar and a lunar birthday two days ahead (17 June 2026 is lunar 五月初三).
        Contact.objects.filter(name="王建国").update(birthday=datetime.date(1970, 6, 17))
        Contact.objects.filter(name="李晓东").update(birthday=datetime.date(1978, 5, 3),
                                                  birthday_is_lunar=True)
    run_job("figures", tenant)
    run_job("tiering", tenant)
    run_job("cadence", tenant)
    run_job("care_reminders", tenant)
    with tenant_context(tenant):  # the admin's inbox: the import, and tier changes of theirs
        import_notify_finished(job_id=job.pk)
        notify_many(kind=TIER_CHANGED, occurred_at=clock.now(), items=[
            (f"accounts.tier:{account.pk}:{n}", [admin.pk], {
                "account_id": account.pk, "account_name": account.name, "from_tier": "key",
                "to_tier": "strategic", "score": "82.5", "source": "computed"})
            for n in range(2, 5)])
    return {"admin": admin, "account": account, "visits": visit}


# --- the pages -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A browser context: one language, one size, its cookies (plain values for the browser's
    thread). Every page of a test opens in a fresh page of the test's window."""

    language: str
    width: int
    height: int
    base_url: str
    cookies: tuple[tuple[str, str], ...] = ()
    shots: str = ""  # a folder for a screenshot of every page, or ""


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    wait_for: str = ""  # a selector that shows once the page is complete (htmx sections)
    signed_in: bool = True  # also check that Log out is within reach
    member_errors: bool = False  # submit the settings page's add-member form with a bad password


def _first_reminder_id() -> int:
    from care.models import CareReminder

    return CareReminder.unscoped_all_tenants.order_by("id").values_list("id", flat=True)[0]


def cases(account_id: int, visits: dict[str, Any]) -> list[Case]:
    return [
        Case("home", reverse("kam:home")),
        Case("account list", reverse("accounts:account-list")),
        Case("360° page", reverse("accounts:account-detail", args=[account_id]),
             wait_for="#timeline-entries"),
        Case("timeline", reverse("accounts:account-timeline", args=[account_id])),
        Case("new account", reverse("accounts:account-create")),
        Case("contacts", reverse("accounts:contact-list")),
        Case("contracts", reverse("accounts:contract-list")),
        Case("transactions", reverse("accounts:transaction-list")),
        Case("tiering policy", reverse("accounts:tiering-policy")),
        Case("service standards", reverse("accounts:service-standards")),
        Case("imports", reverse("accounts:import-list")),
        Case("settings", reverse("kam:settings")),
        Case("notifications", reverse("kam:inbox"), wait_for=".kam-unread-count"),
        Case("notification settings", reverse("kam:notification-settings")),
        Case("settings, add-member errors", reverse("kam:settings"), member_errors=True),
        Case("working calendar", reverse("kam:calendar") + "?year=2026"),
        Case("working calendar, a year without its schedule", reverse("kam:calendar") + "?year=2027"),
        Case("add a calendar day", reverse("kam:calendar-entry-add") + "?year=2026"),
        Case("import a year's schedule", reverse("kam:calendar-import") + "?year=2027"),
        Case("my visits", reverse("visits:visit-list") + "?period=all"),
        Case("a visit's page", reverse("visits:visit-detail", args=[visits["reported"].pk])),
        Case("the visit report form", reverse("visits:visit-report",
                                              args=[visits["to_report"].pk])),
        Case("follow-ups", reverse("visits:follow-up-list") + "?view=all"),
        Case("360° page, cadence section", reverse("accounts:account-detail", args=[account_id]),
             wait_for="#cadence-section"),
        Case("visit coverage", reverse("visits:coverage")),
        Case("calendar feed", reverse("kam:feed-settings")),
        Case("care reminders", reverse("care:reminder-list") + "?view=all"),
        Case("a reminder to follow up", reverse("care:reminder-follow-up",
                                                args=[_first_reminder_id()])),
        Case("festivals", reverse("care:festival-list")),
        Case("add a festival", reverse("care:festival-create")),
    ]


def open_window(browser, window: Window):
    """Runs in the browser's thread."""
    context = browser.new_context(viewport={"width": window.width, "height": window.height},
                                  locale="zh-CN" if window.language == "zh-hans" else "en-US")
    context.set_default_timeout(10_000)
    context.add_cookies([{"name": name, "value": value, "url": window.base_url}
                         for name, value in window.cookies])
    return context


def render(context, window: Window, case: Case) -> tuple[list[str], str]:
    """Runs in the browser's thread: loads the page in a fresh page, returns the layout problems
    found and the visible text."""
    page = context.new_page()
    try:
        response = page.goto(window.base_url + case.path)
        if response is None or response.status >= 400:
            return [f"{case.path} answered {response.status if response else 'nothing'}"], ""
        if case.wait_for:
            page.wait_for_selector(case.wait_for, state="attached")
        if case.member_errors:
            form = page.locator("form[action$='/members/add/']")
            page.locator("details:has(form[action$='/members/add/']) > summary").click()
            form.locator("input[name=username]").fill("new.colleague")
            form.locator("input[name=password]").fill("123")
            form.locator("button[type=submit]").click()
            page.wait_for_selector(".kam-field .kam-error")
        problems = page.evaluate(LAYOUT_CHECKS)
        if window.shots:
            slug = re.sub(r"\W+", "-", case.name, flags=re.ASCII).strip("-")
            page.screenshot(path=str(Path(window.shots) / f"{window.language}-{window.width}-{slug}.png"),
                            full_page=True)
        text = page.evaluate(VISIBLE_TEXT)
        if case.signed_in and not case.member_errors:
            problems += check_logout(page, window)
        return problems, text
    finally:
        page.close()


def check_logout(page, window: Window) -> list[str]:
    """Log out within reach: in the header at 1440 px; on a phone behind the menu button, and the
    open menu passes the layout checks too."""
    logout = page.locator(f".kam-header form[action='{reverse('kam:logout')}'] button")
    if window.width > PHONE:
        return [] if logout.is_visible() else ["Log out is not visible in the header"]
    if logout.is_visible():
        return ["Log out shows on a phone before the menu is opened: the navigation is not folded"]
    button = page.locator(".kam-menu-button")
    if not button.is_visible():
        return ["no menu button on a phone: Log out is out of reach"]
    button.click()
    box = logout.bounding_box() if logout.is_visible() else None
    if box is None or box["x"] < 0 or box["x"] + box["width"] > window.width:
        return ["the opened menu does not show Log out within the screen"]
    return [f"(menu open) {problem}" for problem in page.evaluate(LAYOUT_CHECKS)]


def words_not_in_chinese(text: str) -> set[str]:
    return {word for word in NOT_IN_CHINESE
            if re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", text)}


# --- the test ------------------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_main_pages_fit_the_screen_and_speak_the_language(chromium, live_server, book, language,
                                                          viewport):
    width, height = VIEWPORTS[viewport]
    client = Client()
    client.force_login(book["admin"].user)
    shots = os.environ.get("KAM_BROWSER_SHOTS", "")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
    language_cookie = (settings.LANGUAGE_COOKIE_NAME, language)
    signed_in = Window(language, width, height, live_server.url, shots=shots, cookies=(
        (settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value),
        language_cookie))
    signed_out = Window(language, width, height, live_server.url, (language_cookie,), shots)
    visits = [(signed_in, case) for case in cases(book["account"].pk, book["visits"])]
    visits.append((signed_out, Case("sign-in", reverse("kam:login"), signed_in=False)))

    found: list[str] = []
    contexts = {window: chromium.run(open_window, chromium.browser, window)
                for window in (signed_in, signed_out)}
    try:
        for window, case in visits:
            problems, text = chromium.run(render, contexts[window], window, case)
            if language == "zh-hans":
                words = words_not_in_chinese(text)
                if words:
                    problems.append(f"not Chinese in the Chinese page: {', '.join(sorted(words))}")
            problems = list(dict.fromkeys(problems))  # the same problem on every row: once
            found += [f"{case.name}: {problem}" for problem in problems[:MAX_PROBLEMS]]
            if len(problems) > MAX_PROBLEMS:
                found.append(f"{case.name}: … and {len(problems) - MAX_PROBLEMS} more")
    finally:
        for context in contexts.values():
            chromium.run(context.close)
    assert not found, f"{language} at {width} px:\n" + "\n".join(found)


def search_and_pick(context, window: Window, path: str) -> dict[str, Any]:
    """Runs in the browser's thread: on the list at ``path``, type into the account picker's
    search box, check the page with its matches open, pick the second match with the arrow keys
    and Enter, then filter."""
    page = context.new_page()
    try:
        page.goto(window.base_url + path)
        box = page.locator("input[name=account_name]")
        box.click()
        # As a Chinese input method types: the pinyin first, composing (no lookup for it), then
        # the characters it composed.
        box.dispatch_event("compositionstart")
        box.press_sequentially("huarui", delay=30)
        page.wait_for_timeout(600)  # past the box's 250 ms delay
        composing = page.locator("#id_account_options li").count()
        box.fill("华瑞")
        box.dispatch_event("compositionend")
        page.wait_for_selector("#id_account_options [role=option]:not([aria-disabled])")
        seen: dict[str, Any] = {
            "composing": composing,
            "problems": page.evaluate(LAYOUT_CHECKS), "text": page.evaluate(VISIBLE_TEXT),
            "expanded": box.get_attribute("aria-expanded"),
            "options": page.locator("#id_account_options [role=option]").all_inner_texts()}
        box.press("ArrowDown")
        box.press("ArrowDown")
        active = page.locator("#" + (box.get_attribute("aria-activedescendant") or "none"))
        seen["active"] = (active.get_attribute("data-value"), active.get_attribute("aria-selected"))
        box.press("Enter")  # picks the match; does not submit the form
        seen["after_enter"] = (page.url, box.input_value(), box.get_attribute("aria-expanded"),
                               page.locator("input[type=hidden][name=account]").input_value())
        with page.expect_navigation():
            page.locator("form.kam-filters button[type=submit]").click()
        seen["filtered"] = (page.url, page.locator("table tbody tr").count(),
                            page.locator("input[name=account_name]").input_value())
        return seen
    finally:
        page.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_account_search_box_picks_with_the_keyboard(chromium, live_server, book, language,
                                                       viewport, monkeypatch):
    """A member who sees more accounts than a select lists (the threshold lowered to 2 here)
    chooses one by typing: nothing is looked up while an input method composes; the matches open
    under the box, fit the screen and speak the page's language; ArrowDown twice and Enter pick
    the second; the filter then shows its rows."""
    monkeypatch.setattr(account_forms, "PICKER_SELECT_MAX", 2)
    width, height = VIEWPORTS[viewport]
    client = Client()
    client.force_login(book["admin"].user)
    window = Window(language, width, height, live_server.url, cookies=(
        (settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value),
        (settings.LANGUAGE_COOKIE_NAME, language)))
    context = chromium.run(open_window, chromium.browser, window)
    path = reverse("accounts:transaction-list")
    try:
        seen = chromium.run(search_and_pick, context, window, path)
    finally:
        chromium.run(context.close)
    account = book["account"]  # 苏州华瑞…, after 华瑞控股集团… by name
    assert seen["problems"] == []
    if language == "zh-hans":
        assert words_not_in_chinese(seen["text"]) == set()
    assert seen["composing"] == 0
    assert seen["expanded"] == "true"
    assert [option.split()[0] for option in seen["options"]] == ["华瑞控股集团有限公司", account.name]
    assert seen["active"] == (str(account.pk), "true")
    assert seen["after_enter"] == (live_server.url + path, account.name, "false", str(account.pk))
    url, rows, box = seen["filtered"]
    assert f"account={account.pk}" in url and rows == 14 and box == account.name


# What each check looks for, on a page made to fail every one of them: the checks can fail.
BROKEN_PAGE = """<!DOCTYPE html><html lang="zh-hans"><body>
<div style="width: 2000px">一行太宽的内容</div>
<div style="width: 20px"><table><tr><td style="padding: 0">删除</td></tr></table></div>
<ol class="kam-timeline"><li style="display: grid; grid-template-columns: 20px 1fr">
  <time style="white-space: nowrap">2026年6月15日 10:00</time><span>新增联系人：王建国</span></li></ol>
<div class="kam-field" style="width: 100px">
  <small style="white-space: nowrap">密码太短，至少需要 8 个字符。</small></div>
<p>Log out 保存 Save</p></body></html>"""


def render_html(browser, html: str) -> tuple[list[str], str]:
    """Runs in the browser's thread."""
    page = browser.new_page(viewport={"width": PHONE, "height": 844})
    try:
        page.set_content(html)
        return page.evaluate(LAYOUT_CHECKS), page.evaluate(VISIBLE_TEXT)
    finally:
        page.close()


def test_the_checks_find_what_they_look_for(chromium):
    problems, text = chromium.run(render_html, chromium.browser, BROKEN_PAGE)
    report = "\n".join(problems)
    assert f"in a {PHONE} px window" in report
    assert 'td "删除" is broken into 2 lines of 1 character(s)' in report
    assert "the timeline's date \"2026年6月15日 10:00\" overlaps its text" in report
    assert 'small "密码太短，至少需要 8 个字符。" sticks out of its field' in report
    assert words_not_in_chinese(text) == {"Log out", "Save"}
    assert words_not_in_chinese("Savez already 已读 CNY 1,234 wang.fang@example.com") == set()

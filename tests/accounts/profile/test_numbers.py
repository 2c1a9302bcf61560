"""How the 360° page and the contract list write numbers, dates and relative days (kam.l10n): every
amount with its currency and thousands separators, one date format per language, "12 天后到期"
rather than "1 周，5 日后到期", and sentences that end with one full stop."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.figures.services import figures_recompute
from kam import clock
from kam.models import JobRun
from kam.tenancy import tenant_context
from tests.accounts.profile.test_pages import make_contract, make_tx
from tests.conftest import login
from tests.factories import make_account

# 15 June 2026, 10:00 in Shanghai.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def page(client, url: str, lang: str) -> str:
    return client.get(url, HTTP_ACCEPT_LANGUAGE=lang).content.decode()


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def story(admin_a):
    """An account with 8,410,520 of revenue in the last 12 months, 1,234,567 in the 12 before, the
    last order 143 days ago (2026-01-23), a contract ending in 12 days, the figures computed and
    the figures job's last run at 15:08 on 2 December 2025, Shanghai time."""
    tenant = admin_a.tenant
    today = clock.today(tenant)
    account = make_account(tenant, "华东精密")
    make_tx(account, today - datetime.timedelta(days=143), "8410520.00")
    make_tx(account, today - datetime.timedelta(days=500), "1234567.00")
    make_contract(account, "HT-2026-012", start_date=datetime.date(2025, 6, 27),
                  end_date=today + datetime.timedelta(days=12), value=Decimal("1200000.00"),
                  renewal_notice_days=60)
    figures_recompute(tenant_id=tenant.pk)
    finished = datetime.datetime(2025, 12, 2, 15, 8, tzinfo=clock.zone("Asia/Shanghai"))
    with tenant_context(tenant):
        JobRun.objects.create(job="figures", outcome="succeeded", started_at=finished,
                              finished_at=finished)
    return account


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", ["CNY 8,410,520", "the 12 months before: CNY 1,234,567", "23 Jan 2026", "4 months ago",
            "Renewal due · ends in 12 days", "27 Jun 2025 – 27 Jun 2026", "CNY 1,200,000.00",
            "Figures: data as of 2 Dec 2025, 15:08."]),
    ("zh-hans", ["CNY 8,410,520", "前 12 个月：CNY 1,234,567", "2026年1月23日", "4 个月前",
                 "待续约 · 12 天后到期", "2025年6月27日 – 2026年6月27日", "CNY 1,200,000.00",
                 "指标：数据截至 2025年12月2日 15:08。"]),
])
def test_360_page_numbers_dates_and_relative_days(client, admin_a, story, lang, expected):
    login(client, admin_a)
    body = text(page(client, reverse("accounts:account-detail", args=[story.pk]), lang))
    for fragment in expected:
        assert fragment in body, fragment
    # Django's timesince/timeuntil wrote these; a US date format and "p.m.." neither.
    for wrong in ("周", "weeks", "06/27/2026", "p.m.", "..", "。。"):
        assert wrong not in body, wrong


@pytest.mark.parametrize(("lang", "badge"), [("en", "Renewal due · ends in 12 days"),
                                             ("zh-hans", "待续约 · 12 天后到期")])
def test_contract_list_badge_counts_days(client, admin_a, story, lang, badge):
    login(client, admin_a)
    body = text(page(client, reverse("accounts:contract-list"), lang))
    assert badge in body and "CNY 1,200,000.00" in body


@pytest.mark.parametrize(("days", "badge"), [(0, "Renewal due · ends today"),
                                             (1, "Renewal due · ends tomorrow"),
                                             (45, "Renewal due · ends in 45 days")])
def test_renewal_badge_at_the_edges(client, admin_a, days, badge):
    today = clock.today(admin_a.tenant)
    account = make_account(admin_a.tenant, "Co")
    make_contract(account, "K-1", start_date=datetime.date(2025, 1, 1),
                  end_date=today + datetime.timedelta(days=days), renewal_notice_days=60)
    login(client, admin_a)
    assert badge in text(page(client, reverse("accounts:contract-list"), "en"))


def test_transaction_amounts_and_margins_carry_the_currency(client, admin_a):
    account = make_account(admin_a.tenant, "Co")
    make_tx(account, datetime.date(2026, 3, 2), "8410520.00", gross_margin=Decimal("1234567.80"))
    login(client, admin_a)
    for lang, day in (("en", "2 Mar 2026"), ("zh-hans", "2026年3月2日")):
        body = text(page(client, reverse("accounts:transaction-list"), lang))
        assert day in body and "CNY 8,410,520.00" in body and "CNY 1,234,567.80" in body

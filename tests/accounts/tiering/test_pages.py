"""Tiering in the browser: the 360° page's tier panel, manual overrides (set, end), the timeline's
tier changes, the account list's tier column and filter (and the API's filter)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, translation

from accounts.models import Account, AccountTier, TierChange
from accounts.tiering.services import tier_override_set, tier_recompute
from accounts.tiering.timeline import tier_changes_source
from kam import clock
from kam.jobs import run_job
from kam.roles import Actor
from kam.tenancy import tenant_context
from tests.accounts.tiering.book import figures, save_policy
from tests.conftest import bearer, key_for, login
from tests.factories import make_account

# Every test here reads the tenant's today (expiry dates, the default expiry, the timeline).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


# --- fixture: the hand-computed book of tests/accounts/tiering/test_services.py -----------------------------


@pytest.fixture
def book(tenant_a):
    """Policy v1: revenue 40, frequency 20, growth 10, strategic 20, credit 10 (share and margin
    switched off); cut-offs 80 / 60 / 40, margin 5.

    X = 100 (strategic), Y = 50 (important), W = 72 (key). Z has no tier row (created after the
    run): its live score is 4 (only "not rated" credit: 40 points × 10 %).
    """
    x = make_account(tenant_a, "Xenon Co", strategic_value=5, credit_rating="A")
    y = make_account(tenant_a, "Yarrow Co", strategic_value=3, credit_rating="B")
    w = make_account(tenant_a, "Walnut Co", strategic_value=3, credit_rating="C")
    with tenant_context(tenant_a):
        save_policy()
        figures(x, revenue="1000", orders=10, growth="0.25", share="0.9")
        figures(y, revenue="500", orders=5, growth="0.05")
        figures(w, revenue="1000", orders=10, growth=None)
    tier_recompute(tenant_id=tenant_a.pk)
    z = make_account(tenant_a, "Zephyr Co", strategic_value=1, credit_rating="")
    return {"X": x, "Y": y, "W": w, "Z": z}


def page(client, account: Account, **headers) -> str:
    response = client.get(reverse("accounts:account-detail", args=[account.pk]), **(headers or EN))
    assert response.status_code == 200
    return response.content.decode()


def panel(body: str) -> str:
    match = re.search(r'<article id="tier".*?</article>', body, re.S)
    assert match, "no tier panel"
    return match.group(0)


def row(html: str, criterion: str) -> list[str]:
    match = re.search(rf'<tr[^>]*data-criterion="{criterion}"[^>]*>(.*?)</tr>', html, re.S)
    assert match, criterion
    return [re.sub(r"\s+", " ", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.S)]


def tier_rows(account: Account) -> list[tuple]:
    """The account's tier state and history, for "nothing changed" checks."""
    state = list(AccountTier.unscoped_all_tenants.filter(account_id=account.pk).values_list())
    changes = list(TierChange.unscoped_all_tenants.filter(account_id=account.pk)
                   .order_by("seq").values_list())
    return [*state, *changes]


def state_of(account: Account) -> AccountTier:
    return AccountTier.unscoped_all_tenants.get(account_id=account.pk)


def override_url(account: Account) -> str:
    return reverse("accounts:account-tier-override", args=[account.pk])


def end_url(account: Account) -> str:
    return reverse("accounts:account-tier-override-end", args=[account.pk])


def in_days(tenant, days: int) -> datetime.date:
    return clock.today(tenant) + datetime.timedelta(days=days)


# --- the panel ------------------------------------------------------------------------------------


def test_panel_shows_the_hand_computed_breakdown(client, admin_a, book):
    login(client, admin_a)
    html = panel(page(client, book["W"]))
    assert 'data-tier="key"' in html and ">Key</span>" in html
    assert "score 72.00" in html
    assert "computed:" not in html  # no override
    # criterion: value, points, weight, contribution
    assert row(html, "revenue") == ["Revenue, last 12 months", "CNY 1,000", "100.00", "40 %",
                                    "40.00"]
    assert row(html, "frequency") == ["Orders, last 12 months", "10 orders", "100.00", "20 %",
                                      "20.00"]
    assert row(html, "growth") == ["Revenue growth vs the previous 12 months (%)", "—", "0.00",
                                   "10 %", "0.00"]
    assert row(html, "strategic") == ["Strategic value (1–5)", "3 / 5", "50.00", "20 %", "10.00"]
    assert row(html, "credit") == ["Credit rating", "C", "20.00", "10 %", "2.00"]
    # Switched off: greyed, "not used".
    assert row(html, "share") == ["Share of your company&#x27;s revenue (%)", "0.00 %", "not used"]
    assert row(html, "margin") == ["Gross margin (%)", "0.00 %", "not used"]
    assert len(re.findall(r'<tr class="kam-inactive"', html)) == 2
    assert re.search(r"<strong data-tier-total>72.00</strong>", html)
    # 80 − 72 up; down: the floor is 60 − 5 = 55; losing 72 − 55 = 17 keeps key, more moves down.
    assert "8.00 points to Strategic" in html
    assert "Can lose 17.00 points before moving to Important" in html
    assert "Policy v1." in html
    assert "Not tiered yet" not in html and "data-tier-stale" not in html


def test_panel_of_the_top_and_a_not_rated_account(client, admin_a, book):
    login(client, admin_a)
    html = panel(page(client, book["X"]))
    assert 'data-tier="strategic"' in html and "score 100.00" in html
    assert "In the top tier." in html
    assert "Can lose 25.00 points before moving to Key" in html  # 100 − (80 − 5)
    assert row(html, "share")[1:] == ["90.00 %", "not used"]
    assert row(html, "growth")[1] == "25.00 %"


def test_not_tiered_yet_still_shows_the_live_breakdown(client, admin_a, book):
    login(client, admin_a)
    html = panel(page(client, book["Z"]))
    assert "Not tiered yet — tiers are computed nightly." in html
    assert "The breakdown below is what the next run will give: General (score 4.00)." in html
    assert row(html, "credit") == ["Credit rating", "not rated", "40.00", "10 %", "4.00"]
    assert row(html, "frequency")[1] == "0 orders"
    assert row(html, "strategic")[1:] == ["1 / 5", "0.00", "20 %", "0.00"]
    assert "In the lowest tier." in html and "36.00 points to Important" in html


def test_figures_changed_since_the_run(client, admin_a, book):
    with tenant_context(admin_a.tenant):
        figures(book["W"], revenue="1000", orders=10, growth="0.25")  # 72 + 10 = 82
    login(client, admin_a)
    html = panel(page(client, book["W"]))
    assert 'data-tier="key"' in html and "score 72.00" in html  # stored: the last run
    assert ("The figures changed since the last run: the next run gives Strategic "
            "(score 82.00).") in html
    assert re.search(r"<strong data-tier-total>82.00</strong>", html)


def test_data_as_of_in_the_tenants_time_zone(client, admin_a, book):
    tenant = admin_a.tenant
    tenant.time_zone = "America/New_York"
    tenant.save(update_fields=["time_zone"])
    login(client, admin_a)
    assert "Tiers: the nightly job has not run yet." in page(client, book["W"])
    tiering = run_job("tiering", tenant)
    figures_run = run_job("figures", tenant)
    assert tiering.outcome == figures_run.outcome == "succeeded"
    body = page(client, book["W"])
    new_york = clock.zone("America/New_York")
    with translation.override("en"):
        when = formats.date_format(tiering.finished_at.astimezone(new_york),
                                   "SHORT_DATETIME_FORMAT")
        figures_when = formats.date_format(figures_run.finished_at.astimezone(new_york),
                                           "SHORT_DATETIME_FORMAT")
    assert f"Tiers: data as of {when}." in panel(body)
    assert f"Figures: data as of {figures_when}." in body
    listing = client.get(reverse("accounts:account-list"), **EN).content.decode()
    assert f"Tiers as of {when}." in listing


def test_zh_hans_render_shows_the_chinese_tier(client, admin_a, book):
    login(client, admin_a)
    body = page(client, book["X"], HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert ">战略</span>" in panel(body)
    listing = client.get(reverse("accounts:account-list"), HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "战略" in listing and "关键" in listing and "重点" in listing


def test_override_buttons_only_for_those_allowed(client, admin_a, exec_a, manager_a, book):
    account = book["W"]
    with tenant_context(admin_a.tenant):
        Account.objects.filter(pk=account.pk).update(owner=manager_a)
    for who, allowed in ((admin_a, True), (exec_a, True), (manager_a, False)):
        login(client, who)
        html = panel(page(client, account))
        assert (override_url(account) in html) is allowed, who
        assert end_url(account) not in html  # no override to end


# --- overrides ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["exec_a", "admin_a"])
def test_override_set_and_shown(client, request, book, who):
    member = request.getfixturevalue(who)
    tenant = member.tenant
    account = book["W"]
    login(client, member)
    form = client.get(override_url(account), **EN)
    assert form.status_code == 200
    assert form.context["form"].initial["until"] == in_days(tenant, 90)
    assert form.context["form"].initial["tier"] == "key"  # the computed tier
    assert 'value="' + in_days(tenant, 90).isoformat() + '"' in form.content.decode()
    until = in_days(tenant, 30)
    response = client.post(override_url(account), {
        "tier": "strategic", "reason": "Board-level partnership", "until": until.isoformat()},
        **EN)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:account-detail", args=[account.pk]) + "#tier"
    state = state_of(account)
    assert (state.tier, state.computed_tier, state.override_tier) == ("strategic", "key",
                                                                     "strategic")
    assert (state.override_reason, state.override_until, state.override_by_id) == (
        "Board-level partnership", until, member.pk)
    change = TierChange.unscoped_all_tenants.filter(account_id=account.pk).latest("seq")
    assert (change.from_tier, change.to_tier, change.source, change.changed_by_id) == (
        "key", "strategic", "override", member.pk)
    assert change.reason == "Board-level partnership"
    body = client.get(response["Location"], **EN).content.decode()
    assert "is now Strategic until" in body  # the message
    html = panel(body)
    assert 'data-tier="strategic"' in html and "computed: Key" in html
    assert "Board-level partnership" in html and member.display_name in html
    with translation.override("en"):
        assert formats.date_format(until, "SHORT_DATE_FORMAT") in html
    assert end_url(account) in html and "Change the override" in html


def test_override_of_an_account_not_tiered_yet_scores_it_first(client, exec_a, book):
    account = book["Z"]
    login(client, exec_a)
    response = client.post(override_url(account), {
        "tier": "important", "reason": "New flagship distributor",
        "until": in_days(exec_a.tenant, 10).isoformat()})
    assert response.status_code == 302
    state = state_of(account)
    assert (state.tier, state.computed_tier, state.score) == ("important", "general",
                                                              Decimal("4.00"))
    assert list(TierChange.unscoped_all_tenants.filter(account_id=account.pk).order_by("seq")
                .values_list("from_tier", "to_tier", "source")) == [
        ("", "general", "computed"), ("general", "important", "override")]


def test_manager_and_read_key_cannot_override(client, manager_a, book):
    account = book["W"]
    with tenant_context(manager_a.tenant):
        Account.objects.filter(pk=account.pk).update(owner=manager_a)  # even the owner
    before = tier_rows(account)
    body = {"tier": "strategic", "reason": "mine", "until": in_days(manager_a.tenant, 5)}
    login(client, manager_a)
    for url in (override_url(account), end_url(account)):
        assert client.get(url).status_code == 403
        assert client.post(url, body).status_code == 403
    client.logout()
    raw = key_for(manager_a.tenant, ["read", "write"])
    for url in (override_url(account), end_url(account)):  # pages ignore API keys
        for method in ("get", "post"):
            response = getattr(client, method)(url, body, HTTP_AUTHORIZATION=f"Bearer {raw}")
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("kam:login"))
    assert tier_rows(account) == before


@pytest.mark.parametrize("data,field", [
    ({"tier": "emperor"}, "tier"),
    ({"tier": ""}, "tier"),
    ({"reason": ""}, "reason"),
    ({"reason": "   "}, "reason"),
    ({"reason": "x" * 501}, "reason"),
    ({"until": "not-a-date"}, "until"),
    ({"until": "2020-01-01"}, "until"),  # in the past: the service's rule
    ({"until": "2999-01-01"}, "until"),  # more than three years
    ({"until": ""}, "until"),
])
def test_invalid_override_is_400_and_changes_nothing(client, admin_a, book, data, field):
    account = book["W"]
    before = tier_rows(account)
    login(client, admin_a)
    body = {"tier": "strategic", "reason": "Valid reason",
            "until": in_days(admin_a.tenant, 30).isoformat(), **data}
    response = client.post(override_url(account), body, **EN)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert "nothing was saved" in response.content.decode()
    assert tier_rows(account) == before


def test_end_override_confirmation_and_post(client, admin_a, exec_a, book):
    account = book["W"]
    with tenant_context(admin_a.tenant):
        tier_override_set(account=Account.objects.get(pk=account.pk), tier="strategic",
                          reason="Pilot", until=in_days(admin_a.tenant, 20), by=admin_a)
    login(client, exec_a)
    confirm = client.get(end_url(account), **EN)
    assert confirm.status_code == 200
    text = confirm.content.decode()
    assert "The account returns to its computed tier Key (score 72.00)." in text
    assert state_of(account).override_tier == "strategic"  # GET changes nothing
    response = client.post(end_url(account))
    assert response.status_code == 302
    assert response["Location"].endswith("#tier")
    state = state_of(account)
    assert (state.tier, state.override_tier, state.override_until) == ("key", "", None)
    change = TierChange.unscoped_all_tenants.filter(account_id=account.pk).latest("seq")
    assert (change.from_tier, change.to_tier, change.source, change.changed_by_id) == (
        "strategic", "key", "override_ended", exec_a.pk)
    # Nothing left to end: the page says so, a POST changes nothing.
    before = tier_rows(account)
    assert "has no tier override" in client.get(end_url(account), **EN).content.decode()
    assert client.post(end_url(account)).status_code == 302
    assert tier_rows(account) == before


def test_outsider_gets_404_everywhere_and_changes_nothing(client, admin_a, admin_b, book):
    account = book["W"]
    with tenant_context(admin_a.tenant):
        tier_override_set(account=Account.objects.get(pk=account.pk), tier="strategic",
                          reason="Pilot", until=in_days(admin_a.tenant, 20), by=admin_a)
    before = tier_rows(account)
    login(client, admin_b)
    body = {"tier": "general", "reason": "stolen", "until": in_days(admin_b.tenant, 5)}
    for url in (override_url(account), end_url(account),
                reverse("accounts:account-detail", args=[account.pk])):
        assert client.get(url).status_code == 404, url
        assert client.post(url, body).status_code == 404, url
    assert tier_rows(account) == before
    # Tenant B's own list has no tier of tenant A.
    listing = client.get(reverse("accounts:account-list"), {"tier": "strategic"}).content.decode()
    assert "Walnut Co" not in listing and "Xenon Co" not in listing


# --- the timeline ---------------------------------------------------------------------------------


def test_timeline_shows_every_kind_of_tier_change(client, admin_a, exec_a, book):
    tenant = admin_a.tenant
    account = book["W"]
    with tenant_context(tenant):
        figures(account, revenue="1000", orders=10, growth="0.25")  # 82 → strategic
    tier_recompute(tenant_id=tenant.pk)
    login(client, exec_a)
    client.post(override_url(account), {"tier": "general", "reason": "Payment dispute",
                                        "until": in_days(tenant, 3).isoformat()})
    client.post(end_url(account))
    client.post(override_url(account), {"tier": "important", "reason": "Trial",
                                        "until": in_days(tenant, 3).isoformat()})
    with tenant_context(tenant):  # let it expire: the next run ends it
        AccountTier.objects.filter(account=account).update(
            override_until=in_days(tenant, -1))
    tier_recompute(tenant_id=tenant.pk)
    response = client.get(reverse("accounts:account-timeline", args=[account.pk]), **EN)
    tier_entries = [e for e in response.context["page"].entries if e.kind.startswith("tier-")]
    assert [e.title for e in tier_entries] == [
        "Override ended (expired): Important → Strategic",
        "Override: Strategic → Important, set by exec_a",
        "Override ended (removed by exec_a): General → Strategic",
        "Override: Strategic → General, set by exec_a",
        "Tier: Key → Strategic (score 82.00, policy v1, computed)",
        "Tiered as Key",
    ]
    assert tier_entries[3].detail == "Reason: Payment dispute"
    assert tier_entries[-1].detail == "Score 72.00, policy v1"
    body = response.content.decode()
    assert "Tier: Key → Strategic (score 82.00, policy v1, computed)" in body
    assert 'class="kam-tl-tier"' in body
    # Translated.
    zh = client.get(reverse("accounts:account-timeline-recent", args=[account.pk]),
                    HTTP_ACCEPT_LANGUAGE="zh-CN").context["page"].entries
    assert any("关键" in e.title and "战略" in e.title for e in zh)


def test_timeline_source_is_one_query_and_respects_the_window(admin_a, book):
    account = book["W"]
    actor = Actor(tenant=admin_a.tenant, membership=admin_a)
    with tenant_context(admin_a.tenant):
        for i in range(5):
            tier_override_set(account=account, tier=("strategic", "key")[i % 2],
                              reason=f"r{i}", until=in_days(admin_a.tenant, 5), by=admin_a)
        with CaptureQueriesContext(connection) as ctx:
            entries = tier_changes_source(actor=actor, account=account, since=None, until=None)
        assert len(ctx.captured_queries) == 1
        assert len(entries) == 6
        today = clock.today(admin_a.tenant)
        assert tier_changes_source(actor=actor, account=account, since=today, until=today)
        assert not tier_changes_source(actor=actor, account=account,
                                       since=today + datetime.timedelta(days=1), until=None)
        assert not tier_changes_source(actor=actor, account=account, since=None,
                                       until=today - datetime.timedelta(days=1))


# --- the account list -----------------------------------------------------------------------------


def test_list_tier_column_and_filter(client, admin_a, book):
    login(client, admin_a)
    body = client.get(reverse("accounts:account-list"), **EN).content.decode()
    rows = {name: re.search(rf"{name}</a>.*?</tr>", body, re.S).group(0)
            for name in ("Xenon Co", "Yarrow Co", "Walnut Co", "Zephyr Co")}
    assert 'kam-tier-strategic">Strategic<' in rows["Xenon Co"]
    assert 'kam-tier-important">Important<' in rows["Yarrow Co"]
    assert 'kam-tier-key">Key<' in rows["Walnut Co"]
    assert "kam-tier-" not in rows["Zephyr Co"] and "—" in rows["Zephyr Co"]
    for tier, expected in (("strategic", ["Xenon Co"]), ("key", ["Walnut Co"]),
                           ("important", ["Yarrow Co"]), ("general", [])):
        response = client.get(reverse("accounts:account-list"), {"tier": tier})
        assert response.status_code == 200
        assert [a.name for a in response.context["page"].items] == expected, tier
    # The effective tier: an override counts.
    with tenant_context(admin_a.tenant):
        tier_override_set(account=book["Y"], tier="key", reason="r",
                          until=in_days(admin_a.tenant, 5), by=admin_a)
    keyed = client.get(reverse("accounts:account-list"), {"tier": "key"}, **EN)
    assert [a.name for a in keyed.context["page"].items] == ["Walnut Co", "Yarrow Co"]
    assert "(manual)" in keyed.content.decode()


@pytest.mark.parametrize("value", ["emperor", "KEY", "1"])
def test_list_invalid_tier_is_the_filter_error(client, admin_a, book, value):
    login(client, admin_a)
    response = client.get(reverse("accounts:account-list"), {"tier": value}, **EN)
    assert response.status_code == 400
    assert "Some filters are not valid" in response.content.decode()
    assert response.context["page"].items == []


def test_api_tier_filter(api, admin_a, admin_b, book):
    bearer(api, key_for(admin_a.tenant, ["read"]))
    response = api.get("/api/v1/accounts/", {"tier": "key"})
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [book["W"].pk]
    assert api.get("/api/v1/accounts/", {"tier": "emperor"}).status_code == 400
    # Tenant B's key sees none of tenant A's tiered accounts.
    other = bearer(api, key_for(admin_b.tenant, ["read"], name="b"))
    assert other.get("/api/v1/accounts/", {"tier": "key"}).json()["results"] == []


def test_list_query_count_stays_constant_with_tiers(client, admin_a, book):
    login(client, admin_a)
    client.get(reverse("accounts:account-list"))  # the first request stores the tenant in the session

    def count(**params) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("accounts:account-list"), params)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    few, few_filtered = count(), count(tier="key")
    for i in range(30):
        make_account(admin_a.tenant, f"More {i:02d}", strategic_value=5, credit_rating="A")
    tier_recompute(tenant_id=admin_a.tenant.pk)
    assert count() == few == 7  # see tests/accounts/account/test_pages.py
    assert count(tier="key") == few_filtered


def test_360_page_query_count_does_not_depend_on_the_tier(client, admin_a, book):
    with tenant_context(admin_a.tenant):
        tier_override_set(account=book["X"], tier="key", reason="r",
                          until=in_days(admin_a.tenant, 5), by=admin_a)
    login(client, admin_a)
    client.get(reverse("accounts:account-list"))

    def count(account: Account) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("accounts:account-detail", args=[account.pk])).status_code == 200
        return len(ctx.captured_queries)

    # Not tiered, tiered: the same; overridden: one more, the override's author (prefetched, so
    # it costs nothing where there is no override).
    assert count(book["Z"]) == count(book["W"]) == count(book["X"]) - 1


@pytest.mark.clock("2026-03-31T23:30:00+00:00")
def test_now_is_used_for_the_default_expiry(client, admin_a, book):
    # 23:30 UTC is already the next day in Shanghai (the tenant's zone).
    login(client, admin_a)
    form = client.get(override_url(book["W"]))
    assert form.context["form"].initial["until"] == datetime.date(2026, 4, 1) + datetime.timedelta(
        days=90)


def test_tier_pages_keep_the_strict_csp(client, admin_a, book):
    from tests.kam.test_security import assert_csp_clean_page, assert_strict_csp, inline_code

    with tenant_context(admin_a.tenant):
        tier_override_set(account=book["W"], tier="strategic", reason="r",
                          until=in_days(admin_a.tenant, 5), by=admin_a)
    login(client, admin_a)
    for url in (reverse("accounts:account-detail", args=[book["W"].pk]),
                reverse("accounts:account-detail", args=[book["Z"].pk]),
                override_url(book["W"]), end_url(book["W"]), end_url(book["X"]),
                reverse("accounts:account-list") + "?tier=strategic"):
        assert_csp_clean_page(client.get(url), url)
    invalid = client.post(override_url(book["W"]), {"tier": "emperor"})
    assert invalid.status_code == 400
    assert_strict_csp(invalid)
    assert not inline_code(invalid.content.decode())

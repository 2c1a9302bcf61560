"""Pages of the tiering policy (分级标准) and the service standards (服务标准): roles, outsiders, the
what-if preview (matrix counts computed by hand, nothing written), saving a version (only the
previewed values, only on top of the version the form started from), invalid policies, the
standards' defaults / save / invalid save, query counts, Chinese, strict CSP."""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.crypto import salted_hmac

from accounts.models import AccountTier, TierChange, TierPolicy
from accounts.standards.models import DEFAULT_STANDARDS, STANDARD_FIELDS, ServiceStandard
from accounts.standards.selectors import service_standards
from accounts.standards.services import service_standards_save
from accounts.tiering import forms as tiering_forms
from accounts.tiering import services as tiering_services
from accounts.tiering import views as tiering_views
from accounts.tiering.policy import policy_validate
from accounts.tiering.services import tier_policy_save, tier_recompute
from kam.jobs import run_job
from kam.tenancy import tenant_context
from tests.accounts.tiering.book import figures, policy_criteria
from tests.conftest import login, make_member
from tests.factories import make_account
from tests.kam.test_security import assert_csp_clean_page

TODAY = datetime.date(2026, 6, 30)
POLICY = reverse("accounts:tiering-policy")
EDIT = reverse("accounts:tiering-policy-edit")
STANDARDS = reverse("accounts:service-standards")
STANDARDS_EDIT = reverse("accounts:service-standards-edit")


def version_url(version: int) -> str:
    return reverse("accounts:tiering-policy-version", args=[version])


@pytest.fixture
def web() -> Client:
    """A browser that asks for English (tenant A's default language is Chinese)."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


# --- the fixture: the engine tests' policy and accounts (tests/accounts/tiering/test_services.py) ----------






@pytest.fixture
def book(tenant_a, admin_a):
    """Version 1 of tenant A's policy and four tiered accounts (scores as in test_tiering.py):
    X 100 strategic, W 72 key, Y 50 important, Z 4 general; V is not tiered yet (30 points with
    this policy: strategic value 5 → 100 × 20 % + credit A 100 × 10 %)."""
    x = make_account(tenant_a, "X Corp", strategic_value=5, credit_rating="A")
    y = make_account(tenant_a, "Y Corp", strategic_value=3, credit_rating="B")
    z = make_account(tenant_a, "Z Corp", strategic_value=1, credit_rating="")
    w = make_account(tenant_a, "W Corp", strategic_value=3, credit_rating="C")
    with tenant_context(tenant_a):
        tier_policy_save(criteria=policy_criteria(), cutoff_strategic=80, cutoff_key=60,
                         cutoff_important=40, hysteresis=5, note="qz-note-of-A",
                         created_by=admin_a)
        figures(x, revenue="1000", orders=10, growth="0.25", share="0.9")
        figures(y, revenue="500", orders=5, growth="0.05")
        figures(w, revenue="1000", orders=10, growth=None)
    tier_recompute(tenant_id=tenant_a.pk, today=TODAY)
    v = make_account(tenant_a, "V Corp", strategic_value=5, credit_rating="A")
    return {"X": x, "Y": y, "Z": z, "W": w, "V": v}


def form_data(criteria: dict | None = None, *, action: str = "preview", cutoff_strategic="80",
              cutoff_key="60", cutoff_important="40", hysteresis="5", note="") -> dict:
    """The policy form's POST body for ``criteria`` (blank rows up to the form's six)."""
    criteria = criteria or policy_criteria()
    data = {"action": action, "cutoff_strategic": cutoff_strategic, "cutoff_key": cutoff_key,
            "cutoff_important": cutoff_important, "hysteresis": hysteresis, "note": note}
    for key, spec in criteria.items():
        if spec["enabled"]:
            data[f"{key}-enabled"] = "on"
        data[f"{key}-weight"] = str(spec["weight"])
        if key == "credit":
            for grade, points in spec["points"].items():
                data[f"credit-{grade or 'none'}"] = str(points)
            continue
        for i in range(tiering_forms.THRESHOLD_ROWS):
            value, points = spec["thresholds"][i] if i < len(spec["thresholds"]) else ("", "")
            data[f"{key}-t{i}-value"], data[f"{key}-t{i}-points"] = str(value), str(points)
    return data


def tier_rows(tenant) -> list[tuple]:
    with tenant_context(tenant):
        return list(AccountTier.objects.order_by("account_id").values_list(
            "account_id", "tier", "computed_tier", "score", "policy_id"))


def versions(tenant) -> list[int]:
    with tenant_context(tenant):
        return list(TierPolicy.objects.order_by("version").values_list("version", flat=True))


def hidden(html: str, name: str) -> str | None:
    found = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)">', html)
    return found.group(1) if found else None


def previewed(web: Client, data: dict) -> dict:
    """Preview ``data`` the way the page does, and return the body of its Save button: the same
    values with the preview's ``base_version`` and ``preview_digest``."""
    response = web.post(EDIT, {**data, "action": "preview"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "kam-tiering-matrix" in html and 'name="action" value="save"' in html
    digest, base = hidden(html, "preview_digest"), hidden(html, "base_version")
    assert digest and base is not None
    return {**data, "action": "save", "base_version": base, "preview_digest": digest}


def cell(html: str, from_tier: str, to_tier: str) -> int:
    found = re.search(rf'data-cell="{from_tier}:{to_tier}">(\d+)<', html)
    assert found, (from_tier, to_tier)
    return int(found.group(1))


# --- roles -------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["admin_a", "exec_a", "manager_a"])
def test_every_member_reads_the_policy_versions_and_standards(web, request, book, who):
    login(web, request.getfixturevalue(who))
    for url in (POLICY, version_url(1), STANDARDS):
        response = web.get(url)
        assert response.status_code == 200, url
    body = web.get(POLICY).content.decode()
    assert "Current version: 1" in body
    assert "qz-note-of-A" in body
    assert "≥ 1,000 → 100 points" in body  # revenue's second threshold
    assert "Off" in body  # share and margin are switched off
    # The edit link is for administrators only.
    assert (EDIT in body) is (who == "admin_a")


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["exec_a", "manager_a"])
def test_only_admins_edit(web, request, book, who):
    login(web, request.getfixturevalue(who))
    before_tiers, before_versions = tier_rows(book["X"].tenant), versions(book["X"].tenant)
    before_standards = standard_rows(book["X"].tenant)
    assert web.get(EDIT).status_code == 403
    assert web.get(STANDARDS_EDIT).status_code == 403
    assert web.post(EDIT, form_data(action="save", cutoff_key="45")).status_code == 403
    assert web.post(EDIT, form_data(action="preview")).status_code == 403
    values = {f"{t}-{f}": v for t, d in DEFAULT_STANDARDS.items() for f, v in d.items()}
    assert web.post(STANDARDS_EDIT, values).status_code == 403
    assert versions(book["X"].tenant) == before_versions
    assert tier_rows(book["X"].tenant) == before_tiers
    assert standard_rows(book["X"].tenant) == before_standards


@pytest.mark.django_db
def test_admin_gets_the_edit_pages_prefilled(web, admin_a, book):
    login(web, admin_a)
    body = web.get(EDIT).content.decode()
    assert 'name="revenue-t1-value"' in body and 'value="1000"' in body
    assert 'name="revenue-t5-value"' in body  # six rows
    assert 'name="credit-none"' in body
    # No Save button before a preview; the form remembers the version it starts from.
    assert "Save as version 2" not in body and 'value="save"' not in body
    assert "The Save button appears with the preview." in body
    assert hidden(body, "base_version") == "1" and hidden(body, "preview_digest") is None
    preview = web.post(EDIT, form_data()).content.decode()
    assert "Save as version 2" in preview and hidden(preview, "base_version") == "1"
    assert web.get(STANDARDS_EDIT).status_code == 200


def test_anonymous_is_sent_to_login(web, db):
    for url in (POLICY, EDIT, version_url(1), STANDARDS, STANDARDS_EDIT):
        response = web.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


# --- outsiders ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_outsider_sees_nothing_of_tenant_a(web, admin_a, admin_b, book):
    with tenant_context(admin_a.tenant):
        tier_policy_save(criteria=policy_criteria(), cutoff_strategic=85, cutoff_key=60,
                         cutoff_important=40, hysteresis=5, note="qz-second-of-A")
        service_standards_save(values={t: {**d, "business_visits_per_year": 11}
                                       for t, d in DEFAULT_STANDARDS.items()})
    login(web, admin_b)
    # Tenant A has versions 1 and 2; tenant B none: A's version numbers are 404 for B.
    assert web.get(version_url(2)).status_code == 404
    assert web.get(version_url(1)).status_code == 404
    body = web.get(POLICY).content.decode()
    assert "Built-in default, not saved yet" in body
    assert "qz-note-of-A" not in body and "qz-second-of-A" not in body
    for name in ("X Corp", "W Corp"):
        assert name not in body
    # B has no accounts: every count of the distribution is 0.
    assert re.findall(r'data-tier="\w+">(\d+)<', body) == ["0"] * 5
    standards = web.get(STANDARDS).content.decode()
    row = re.search(r"Business visits per year</th>(.*?)</tr>", standards, re.S).group(1)
    assert re.findall(r"<td>([^<]*)</td>", row)[0] == "12 · monthly"  # B's default, not A's 11


@pytest.mark.django_db
def test_outsider_posts_change_nothing_of_tenant_a(web, admin_a, admin_b, book):
    tenant_a, tenant_b = admin_a.tenant, admin_b.tenant
    before_tiers, before_versions = tier_rows(tenant_a), versions(tenant_a)
    before_standards = standard_rows(tenant_a)
    login(web, admin_b)
    preview = web.post(EDIT, form_data(cutoff_strategic="70", cutoff_key="45",
                                       cutoff_important="10"))
    assert preview.status_code == 200
    assert "X Corp" not in preview.content.decode()  # B's preview covers B's accounts only
    assert hidden(preview.content.decode(), "base_version") == "0"  # B has no version yet
    assert web.post(EDIT, previewed(web, form_data())).status_code == 302
    values = {f"{t}-{f}": v for t, d in DEFAULT_STANDARDS.items() for f, v in d.items()}
    assert web.post(STANDARDS_EDIT, values).status_code == 302
    assert versions(tenant_a) == before_versions
    assert tier_rows(tenant_a) == before_tiers
    assert standard_rows(tenant_a) == before_standards
    # …and B's own writes landed in B.
    assert versions(tenant_b) == [1]
    with tenant_context(tenant_b):
        assert ServiceStandard.objects.count() == 4


# --- the policy page --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_policy_page_without_any_version(web, admin_a):
    login(web, admin_a)
    body = web.get(POLICY).content.decode()
    assert "Built-in default, not saved yet" in body
    assert "Data as of: not computed yet" in body
    assert "≥ 500,000 → 20 points" in body  # the built-in revenue thresholds
    with tenant_context(admin_a.tenant):
        assert not TierPolicy.objects.exists()  # reading saved nothing


@pytest.mark.django_db
def test_policy_page_shows_distribution_and_data_as_of(web, admin_a, book):
    run = run_job("tiering", admin_a.tenant)  # V gets tiered too: 30 points → general
    login(web, admin_a)
    body = web.get(POLICY).content.decode()
    counts = dict(re.findall(r'data-tier="(\w+)">(\d+)<', body))
    assert counts == {"strategic": "1", "key": "1", "important": "1", "general": "2",
                      "none": "0"}
    assert "Data as of" in body and "not computed yet" not in body
    assert run.finished_at is not None
    assert "Strategic" in body and "≥ 80" in body and "&lt; 40" in body
    assert "Move-down margin (hysteresis): 5 points" in body


@pytest.mark.django_db
def test_version_page_and_404s(web, admin_a, book):
    with tenant_context(admin_a.tenant):
        tier_policy_save(criteria=policy_criteria(), cutoff_strategic=90, cutoff_key=60,
                         cutoff_important=40, hysteresis=5, note="stricter")
    login(web, admin_a)
    first = web.get(version_url(1)).content.decode()
    assert "version 1" in first and "≥ 80" in first and 'kam-badge">current<' not in first
    second = web.get(version_url(2)).content.decode()
    assert "≥ 90" in second and "stricter" in second and 'kam-badge">current<' in second
    assert web.get(version_url(3)).status_code == 404
    assert web.get("/tiering/versions/99999999999999999999/").status_code == 404


@pytest.mark.django_db
def test_version_list_is_paginated_newest_first(web, admin_a, tenant_a):
    with tenant_context(tenant_a):
        for i in range(tiering_views.VERSION_PAGE_SIZE + 3):
            tier_policy_save(criteria=policy_criteria(), cutoff_strategic=80, cutoff_key=60,
                             cutoff_important=40, hysteresis=5, note=f"change {i + 1}")
    login(web, admin_a)
    body = web.get(POLICY).content.decode()
    shown = [int(v) for v in re.findall(r'/tiering/versions/(\d+)/', body)]
    assert shown == list(range(23, 3, -1))  # 23 … 4
    cursor = re.search(r'cursor=([^"&]+)', body).group(1)
    rest = web.get(POLICY, {"cursor": cursor}).content.decode()
    assert [int(v) for v in re.findall(r'/tiering/versions/(\d+)/', rest)] == [3, 2, 1]
    assert "Current version: 23" in rest
    assert web.get(POLICY, {"cursor": "!!!"}).status_code == 200  # a tampered cursor: page 1


@pytest.mark.django_db
def test_policy_page_and_version_list_query_counts(web, admin_a, tenant_a, book,
                                                   django_assert_max_num_queries):
    login(web, admin_a)
    web.get(POLICY)  # the first request stores the tenant in the session

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert web.get(POLICY).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    with tenant_context(tenant_a):
        for i in range(30):
            tier_policy_save(criteria=policy_criteria(), cutoff_strategic=80, cutoff_key=60,
                             cutoff_important=40, hysteresis=5, note=f"v{i}")
            make_account(tenant_a, f"More {i}")
    tier_recompute(tenant_id=tenant_a.pk, today=TODAY)
    assert count() == small  # more versions, accounts and tiers: the same queries
    # 1 session, 2 user, 3 memberships with their tenants, 4 the versions' total count,
    # 5 the page of versions (saved-by member and user joined; the first is the current policy),
    # 6 the tier distribution (one GROUP BY), 7 "data as of" (the last tiering run).
    with django_assert_max_num_queries(7):
        web.get(POLICY)
    cursor = re.search(r'cursor=([^"&]+)', web.get(POLICY).content.decode()).group(1)
    # The second page of versions: 1–3 as above, 4 the cursor row's sort value, 5 count, 6 the
    # page, 7 the current policy (not on this page), 8 distribution, 9 data as of.
    with django_assert_max_num_queries(9):
        assert web.get(POLICY, {"cursor": cursor}).status_code == 200
    # The version page: 1–3 as above, 4 the version (saved-by joined), 5 the newest number.
    with django_assert_max_num_queries(5):
        assert web.get(version_url(3)).status_code == 200


# --- preview ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_preview_shows_the_hand_computed_matrix_and_writes_nothing(web, admin_a, book):
    tenant = admin_a.tenant
    before_tiers, before_versions = tier_rows(tenant), versions(tenant)
    with tenant_context(tenant):
        before_changes = TierChange.objects.count()
    login(web, admin_a)
    response = web.post(EDIT, form_data(cutoff_strategic="70", cutoff_key="45",
                                        cutoff_important="10"))
    assert response.status_code == 200
    html = response.content.decode()
    # Same scores, lower cut-offs 70 / 45 / 10: X 100 stays strategic, W 72 key → strategic,
    # Y 50 important → key, Z 4 stays general, V (not tiered) 30 → important.
    expected = {("strategic", "strategic"): 1, ("key", "strategic"): 1, ("important", "key"): 1,
                ("general", "general"): 1, ("none", "important"): 1}
    for from_tier in ("strategic", "key", "important", "general", "none"):
        for to_tier in ("strategic", "key", "important", "general"):
            assert cell(html, from_tier, to_tier) == expected.get((from_tier, to_tier), 0)
    assert "Accounts that would change tier: 3 of 5" in html
    # The diagonal is marked (styled apart); moves off it too.
    assert 'kam-tiering-stay" data-cell="strategic:strategic"' in html
    assert 'kam-tiering-move" data-cell="key:strategic"' in html
    # Movers, highest new score first, with links to the accounts.
    movers = re.findall(r'<a href="/accounts/(\d+)/">([^<]+)</a>', html)
    assert movers == [(str(book["W"].pk), "W Corp"), (str(book["Y"].pk), "Y Corp"),
                      (str(book["V"].pk), "V Corp")]
    assert "Key → Strategic" in html and "Not tiered yet → Important" in html
    assert "72.00 → 72.00" in html and "— → 30.00" in html
    assert "more." not in html
    # Nothing written.
    assert tier_rows(tenant) == before_tiers
    assert versions(tenant) == before_versions
    with tenant_context(tenant):
        assert TierChange.objects.count() == before_changes
    # The form comes back with what was typed.
    assert 'name="cutoff_key" value="45"' in html


@pytest.mark.django_db
def test_preview_caps_the_movers(web, admin_a, book, monkeypatch):
    monkeypatch.setattr(tiering_views, "PREVIEW_LIMIT", 2)
    login(web, admin_a)
    html = web.post(EDIT, form_data(cutoff_strategic="70", cutoff_key="45",
                                    cutoff_important="10")).content.decode()
    assert len(re.findall(r'<a href="/accounts/\d+/">', html)) == 2
    assert "… and 1 more." in html


# --- save -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_save_creates_the_next_version_and_the_next_run_uses_it(web, admin_a, book):
    tenant = admin_a.tenant
    before_tiers = tier_rows(tenant)
    login(web, admin_a)
    body = previewed(web, form_data(cutoff_strategic="70", cutoff_key="45",
                                    cutoff_important="10", hysteresis="2.5",
                                    note="lower the bar"))
    assert versions(tenant) == [1]  # previewing saved nothing
    response = web.post(EDIT, body)
    assert response.status_code == 302 and response["Location"] == POLICY
    assert versions(tenant) == [1, 2]
    assert tier_rows(tenant) == before_tiers  # the tiers change at the next run, not now
    with tenant_context(tenant):
        v2 = TierPolicy.objects.get(version=2)
    assert (v2.cutoff_strategic, v2.cutoff_key, v2.cutoff_important, v2.hysteresis) == (
        Decimal(70), Decimal(45), Decimal(10), Decimal("2.5"))
    assert v2.note == "lower the bar" and v2.created_by == admin_a
    assert v2.criteria["revenue"] == {"enabled": True, "weight": 40,
                                      "thresholds": [[100, 50], [1000, 100]]}
    page = web.get(POLICY).content.decode()
    assert "Version 2 of the tiering policy was saved" in page
    assert "manage.py run_nightly --job tiering" in page
    assert "Current version: 2" in page
    tier_recompute(tenant_id=tenant.pk, today=TODAY)
    with tenant_context(tenant):
        states = {t.account.name: (t.tier, t.policy_id) for t in
                  AccountTier.objects.select_related("account")}
    assert states == {"X Corp": ("strategic", v2.pk), "W Corp": ("strategic", v2.pk),
                      "Y Corp": ("key", v2.pk), "Z Corp": ("general", v2.pk),
                      "V Corp": ("important", v2.pk)}


CHANGED = "These values have changed since the preview: check the preview below, then save."


def assert_shown_again(response, tenant, before_versions: list[int]) -> str:
    """Nothing saved; the page is a fresh preview with a Save button and a new digest."""
    assert response.status_code == 200
    html = response.content.decode()
    assert versions(tenant) == before_versions
    assert "kam-tiering-matrix" in html and 'name="action" value="save"' in html
    assert hidden(html, "preview_digest")
    return html


@pytest.mark.django_db
def test_save_without_a_preview_saves_nothing_and_shows_the_preview(web, admin_a, book):
    tenant = admin_a.tenant
    before_tiers = tier_rows(tenant)
    login(web, admin_a)
    data = form_data(cutoff_strategic="70", cutoff_key="45", cutoff_important="10")
    for body in ({**data, "action": "save"},  # the old form: no digest, no base version
                 {**data, "action": "save", "base_version": "1"},
                 {**data, "action": "save", "base_version": "1", "preview_digest": ""}):
        html = assert_shown_again(web.post(EDIT, body), tenant, [1])
        assert CHANGED in html
        assert cell(html, "key", "strategic") == 1  # the preview of the submitted values
        assert 'name="cutoff_key" value="45"' in html
        assert hidden(html, "base_version") == "1"
    assert tier_rows(tenant) == before_tiers
    # The page's own Save button now saves exactly these values.
    html = web.post(EDIT, {**data, "action": "save"}).content.decode()
    response = web.post(EDIT, {**data, "action": "save", "base_version": "1",
                               "preview_digest": hidden(html, "preview_digest")})
    assert response.status_code == 302 and versions(tenant) == [1, 2]
    with tenant_context(tenant):
        assert TierPolicy.objects.get(version=2).cutoff_key == Decimal(45)


@pytest.mark.django_db
def test_values_changed_after_the_preview_are_not_saved(web, admin_a, book):
    tenant = admin_a.tenant
    login(web, admin_a)
    body = previewed(web, form_data(cutoff_strategic="70", cutoff_key="45",
                                    cutoff_important="10"))
    changes = {"a cut-off": {"cutoff_important": "30"},
               "a threshold": {"revenue-t1-value": "900"},
               "a weight (and another, still 100)": {"revenue-weight": "30",
                                                     "growth-weight": "20"},
               "a criterion switched off": {"credit-enabled": "", "revenue-weight": "50"},
               "the margin": {"hysteresis": "4"},
               "a new threshold row": {"strategic-t2-value": "6", "strategic-t2-points": "100"}}
    for what, change in changes.items():
        changed = {k: v for k, v in {**body, **change}.items() if v != ""}
        html = assert_shown_again(web.post(EDIT, changed), tenant, [1])
        assert CHANGED in html, what
        assert hidden(html, "preview_digest") != body["preview_digest"], what
    # Cut-off 30 instead of 10: V (30 points, not tiered) still becomes important, Y (50) key.
    html = web.post(EDIT, {**body, "cutoff_important": "30"}).content.decode()
    assert 'name="cutoff_important" value="30"' in html
    assert cell(html, "none", "important") == 1 and cell(html, "important", "key") == 1
    # The same numbers written differently, or another note (not part of the policy), are the
    # values that were previewed: saved.
    same = {**body, "cutoff_strategic": "70.00", "hysteresis": "5.0", "note": "typed later"}
    response = web.post(EDIT, same)
    assert response.status_code == 302 and versions(tenant) == [1, 2]
    with tenant_context(tenant):
        v2 = TierPolicy.objects.get(version=2)
    assert (v2.cutoff_strategic, v2.cutoff_important, v2.note) == (Decimal(70), Decimal(10),
                                                                  "typed later")


@pytest.mark.django_db
def test_a_version_saved_meanwhile_is_not_overwritten(web, admin_a, tenant_a, book):
    other = make_member(tenant_a, "admin2_a", "admin")
    tenant = admin_a.tenant
    login(web, admin_a)
    mine = previewed(web, form_data(cutoff_strategic="70", cutoff_key="45",
                                    cutoff_important="10"))
    assert mine["base_version"] == "1"
    # Meanwhile the other administrator previews and saves version 2.
    theirs = Client(HTTP_ACCEPT_LANGUAGE="en")
    login(theirs, other)
    assert theirs.post(EDIT, previewed(theirs, form_data(cutoff_strategic="90"))).status_code == 302
    assert versions(tenant) == [1, 2]
    # My save (from version 1, with a good digest) does not land on top of theirs.
    html = assert_shown_again(web.post(EDIT, mine), tenant, [1, 2])
    assert ("Someone saved version 2 while you were editing. Review the preview against it, "
            "then save.") in html
    assert version_url(2) in html  # a link to what they saved
    assert CHANGED not in html
    assert 'name="cutoff_key" value="45"' in html and 'name="cutoff_strategic" value="70"' in html
    assert hidden(html, "base_version") == "2" and "Save as version 3" in html
    # The old digest is no good with the new base either.
    html = assert_shown_again(web.post(EDIT, {**mine, "base_version": "2"}), tenant, [1, 2])
    assert CHANGED in html
    # A preview from the old version warns too; an invalid post keeps the old base version.
    bad = web.post(EDIT, {**mine, "action": "preview", "cutoff_key": "x"})
    assert bad.status_code == 400 and hidden(bad.content.decode(), "base_version") == "1"
    preview = web.post(EDIT, {**mine, "action": "preview"}).content.decode()
    assert "Someone saved version 2" in preview and hidden(preview, "base_version") == "2"
    # Saving from the fresh preview: version 3, with my values.
    response = web.post(EDIT, {**mine, "base_version": "2",
                               "preview_digest": hidden(html, "preview_digest")})
    assert response.status_code == 302 and versions(tenant) == [1, 2, 3]
    with tenant_context(tenant):
        v2, v3 = TierPolicy.objects.get(version=2), TierPolicy.objects.get(version=3)
    assert v2.cutoff_strategic == Decimal(90) and v2.created_by == other
    assert (v3.cutoff_strategic, v3.cutoff_key) == (Decimal(70), Decimal(45))


@pytest.mark.django_db
def test_a_save_racing_the_check_is_caught_under_the_lock(web, admin_a, tenant_a, book,
                                                          monkeypatch):
    """Another version saved after the page read the current version but before the save: the
    check under the versions' lock refuses it too."""
    login(web, admin_a)
    mine = previewed(web, form_data(cutoff_key="45"))
    with tenant_context(tenant_a):
        stale = TierPolicy.objects.get(version=1)
        tier_policy_save(criteria=policy_criteria(), cutoff_strategic=90, cutoff_key=60,
                         cutoff_important=40, hysteresis=5)
    real = tiering_views.current_policy
    calls = []

    def first_stale() -> TierPolicy:
        calls.append(1)
        return stale if len(calls) == 1 else real()

    monkeypatch.setattr(tiering_views, "current_policy", first_stale)
    # The save service read the same stale version: only the check under the lock is left.
    monkeypatch.setattr(tiering_services, "current_policy", lambda: stale)
    html = assert_shown_again(web.post(EDIT, mine), tenant_a, [1, 2])
    assert "Someone saved version 2" in html and hidden(html, "base_version") == "2"


@pytest.mark.django_db
def test_a_forged_digest_saves_nothing(web, admin_a, admin_b, tenant_b, book, settings):
    tenant = admin_a.tenant
    login(web, admin_a)
    data = form_data(cutoff_strategic="70", cutoff_key="45", cutoff_important="10")
    body = previewed(web, data)
    clean = policy_validate(criteria=policy_criteria(), cutoff_strategic="70", cutoff_key="45",
                            cutoff_important="10", hysteresis="5")
    payload = json.dumps({"policy": clean, "base_version": 1, "tenant": tenant.pk},
                         sort_keys=True, separators=(",", ":"), default=tiering_services._canonical)
    # The page's digest is the helper's (so the forgeries below differ only in what they forge).
    assert body["preview_digest"] == tiering_services.policy_digest(clean, base_version=1,
                                                                 tenant_id=tenant.pk)
    forged = {
        "zeros": "0" * 64,
        "plain sha256 of the values": hashlib.sha256(payload.encode()).hexdigest(),
        "HMAC with another key": salted_hmac(tiering_services.PREVIEW_SALT, payload,
                                             secret="not-the-secret-key",
                                             algorithm="sha256").hexdigest(),
        "another tenant's digest": tiering_services.policy_digest(clean, base_version=1,
                                                               tenant_id=tenant_b.pk),
        "another base version's": tiering_services.policy_digest(clean, base_version=0,
                                                              tenant_id=tenant.pk),
        "truncated": body["preview_digest"][:-1],
        "garbage": "'; DROP TABLE x; --\x00",
    }
    for what, digest in forged.items():
        html = assert_shown_again(web.post(EDIT, {**body, "preview_digest": digest}), tenant, [1])
        assert CHANGED in html, what
    # Tenant B's admin previewing the same values gets a digest that is no good in tenant A
    # (and, posted in B with A's base version, saves nothing in B either).
    b_web = Client(HTTP_ACCEPT_LANGUAGE="en")
    login(b_web, admin_b)
    b_body = previewed(b_web, data)
    html = assert_shown_again(web.post(EDIT, {**body, "preview_digest": b_body["preview_digest"]}),
                              tenant, [1])
    assert CHANGED in html
    assert versions(tenant_b) == []
    # A base version from the future, with the digest made for it, is refused too.
    future = tiering_services.policy_digest(clean, base_version=7, tenant_id=tenant.pk)
    html = assert_shown_again(web.post(EDIT, {**body, "base_version": "7",
                                              "preview_digest": future}), tenant, [1])
    assert CHANGED in html and hidden(html, "base_version") == "1"
    for junk in ("abc", "-1", "99999999999999999999", ""):
        html = assert_shown_again(web.post(EDIT, {**body, "base_version": junk}), tenant, [1])
        assert CHANGED in html, junk
    # The genuine body still saves.
    assert web.post(EDIT, body).status_code == 302 and versions(tenant) == [1, 2]


def _with(criteria_change=None, **fields) -> dict:
    criteria = policy_criteria()
    if criteria_change:
        criteria_change(criteria)
    return form_data(criteria, action="save", **fields)


def _set(key: str, **values):
    def change(criteria: dict) -> None:
        criteria[key].update(values)
    return change


INVALID = {
    "weights not 100": (lambda: _with(_set("revenue", weight=50)),
                        "The weights of the criteria in use add up to 110; they must add up "
                        "to 100."),
    "cut-offs out of order": (lambda: _with(cutoff_key="85"),
                              "Cut-offs must rise from important to key to strategic"),
    "negative threshold": (lambda: _with(_set("frequency", thresholds=[[-1, 50], [10, 100]])),
                           "Orders, last 12 months: thresholds cannot be negative."),
    "abc in a number": (lambda: {**_with(), "revenue-weight": "abc"},
                        "Revenue, last 12 months: weight: Enter a number."),
    "a weight of 1.5": (lambda: {**_with(), "growth-weight": "1.5"},
                        "the weight must be a whole number from 0 to 100."),
    "half a threshold row": (lambda: {**_with(), "growth-t4-value": "50"},
                             "Revenue growth vs the previous 12 months (%): the points must be a "
                             "number."),
    "thresholds out of order": (lambda: _with(_set("growth", thresholds=[[20, 50], [0, 100]])),
                                "thresholds must be in increasing order"),
    "points above 100": (lambda: {**_with(), "credit-A": "101"},
                         "points must be from 0 to 100."),
    "no thresholds": (lambda: _with(_set("margin", thresholds=[])), "give 1 to 10 thresholds"),
    "margin above 50": (lambda: _with(hysteresis="60"),
                        "The move-down margin can be at most 50 points."),
    "huge number": (lambda: {**_with(), "revenue-t0-value": "1e999999"},
                    "Ensure that there are no more than"),
    "not a number": (lambda: {**_with(), "cutoff_strategic": "NaN"}, "Enter a number."),
    "infinity": (lambda: {**_with(), "hysteresis": "Infinity"}, "Enter a number."),
    "empty cut-off": (lambda: {**_with(), "cutoff_key": ""}, "This field is required."),
}


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["save", "preview"])
@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_policy_is_a_400_with_the_reason_and_saves_nothing(web, admin_a, book, case,
                                                                   action):
    data, message = INVALID[case]
    body = {**data(), "action": action}
    tenant = admin_a.tenant
    before_tiers = tier_rows(tenant)
    login(web, admin_a)
    response = web.post(EDIT, body)
    assert response.status_code == 400
    html = response.content.decode()
    assert "nothing was saved" in html
    assert message in html.replace("&#x27;", "'"), html[html.find("kam-tiering-errors"):][:1500]
    assert "kam-tiering-matrix" not in html  # no preview of an invalid policy
    assert versions(tenant) == [1]
    assert tier_rows(tenant) == before_tiers


@pytest.mark.django_db
def test_garbage_never_breaks_the_form(web, admin_a):
    login(web, admin_a)
    for body in ({}, {"action": "save"}, {"action": "nonsense", "revenue-weight": "\x00"},
                 {"action": "save", "revenue-t99-value": "1", "credit-A": "[]"}):
        assert web.post(EDIT, body).status_code == 400
    with tenant_context(admin_a.tenant):
        assert not TierPolicy.objects.exists()


# --- service standards ----------------------------------------------------------------------------


def standard_rows(tenant) -> list[tuple]:
    """Every stored value of the tenant's standards, their update times included."""
    with tenant_context(tenant):
        return list(ServiceStandard.objects.order_by("tier").values_list())



def standards_form(**overrides) -> dict:
    data = {}
    for tier, values in DEFAULT_STANDARDS.items():
        for name, value in values.items():
            if name == "executive_sponsor_required":
                if value:
                    data[f"{tier}-{name}"] = "on"
            else:
                data[f"{tier}-{name}"] = str(value)
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.django_db
def test_defaults_are_shown_before_any_save_and_nothing_is_written(web, manager_a):
    login(web, manager_a)
    body = web.get(STANDARDS).content.decode()
    assert "built-in defaults" in body
    # Strategic: business monthly, technical quarterly, leadership twice a year, surveys monthly,
    # 2 h / 24 h, sponsor required.
    row = re.search(r"Business visits per year</th>(.*?)</tr>", body, re.S).group(1)
    assert re.findall(r"<td>([^<]*)</td>", row) == ["12 · monthly", "6 · every 2 months",
                                                     "4 · quarterly", "2 · twice a year"]
    row = re.search(r"Leadership visits per year</th>(.*?)</tr>", body, re.S).group(1)
    assert re.findall(r"<td>([^<]*)</td>", row) == ["2 · twice a year", "1 · yearly",
                                                     "1 · yearly", "none"]
    row = re.search(r"Resolution within \(hours\)</th>(.*?)</tr>", body, re.S).group(1)
    assert re.findall(r"<td>([^<]*)</td>", row) == ["24 h", "48 h", "72 h", "120 h"]
    row = re.search(r"Executive sponsor required</th>(.*?)</tr>", body, re.S).group(1)
    assert re.findall(r"<td>([^<]*)</td>", row) == ["Required", "Required", "Not required",
                                                     "Not required"]
    with tenant_context(manager_a.tenant):
        # Stored from the tenant's creation (set-based SQL of later apps joins them).
        assert ServiceStandard.objects.count() == 4
        standards = service_standards()
    assert [s.tier for s in standards] == ["strategic", "key", "important", "general"]
    assert all(s.pk is not None for s in standards)
    assert [(s.first_response_hours, s.resolution_hours) for s in standards] == [
        (2, 24), (4, 48), (8, 72), (24, 120)]


@pytest.mark.django_db
def test_standards_save_and_show(web, admin_a, exec_a):
    login(web, admin_a)
    response = web.post(STANDARDS_EDIT, standards_form(**{
        "key-business_visits_per_year": "12", "general-executive_sponsor_required": "on",
        "important-first_response_hours": "6"}))
    assert response.status_code == 302 and response["Location"] == STANDARDS
    with tenant_context(admin_a.tenant):
        rows = {s.tier: s for s in ServiceStandard.objects.all()}
        assert [s.pk is not None for s in service_standards()] == [True] * 4
    assert rows["key"].business_visits_per_year == 12
    assert rows["general"].executive_sponsor_required is True
    assert rows["important"].first_response_hours == 6
    assert rows["strategic"].resolution_hours == 24
    assert "The service standards were saved." in web.get(STANDARDS).content.decode()
    login(web, exec_a)
    body = web.get(STANDARDS).content.decode()
    row = re.search(r"Business visits per year</th>(.*?)</tr>", body, re.S).group(1)
    assert re.findall(r"<td>([^<]*)</td>", row)[1] == "12 · monthly"
    assert "built-in defaults" not in body
    # Saving again updates the same four rows.
    login(web, admin_a)
    web.post(STANDARDS_EDIT, standards_form())
    with tenant_context(admin_a.tenant):
        assert ServiceStandard.objects.count() == 4
        assert ServiceStandard.objects.get(tier="key").business_visits_per_year == 6


@pytest.mark.django_db
@pytest.mark.parametrize("overrides, message", [
    ({"key-resolution_hours": "3"},
     "The resolution target cannot be shorter than the first-response target."),
    ({"strategic-business_visits_per_year": "400"},
     "Ensure this value is less than or equal to 365."),
    ({"general-first_response_hours": "0"}, "Ensure this value is greater than or equal to 1."),
    ({"important-surveys_per_year": "abc"}, "Enter a whole number."),
    ({"important-surveys_per_year": "-1"}, "Ensure this value is greater than or equal to 0."),
    ({"key-technical_visits_per_year": None}, "This field is required."),
])
def test_invalid_standards_are_a_400_and_save_nothing(web, admin_a, overrides, message):
    login(web, admin_a)
    before = standard_rows(admin_a.tenant)
    response = web.post(STANDARDS_EDIT, standards_form(**overrides))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and "nothing was saved" in html
    assert standard_rows(admin_a.tenant) == before


@pytest.mark.django_db
def test_invalid_save_keeps_the_previous_standards(tenant_a):
    with tenant_context(tenant_a):
        service_standards_save(values=DEFAULT_STANDARDS)
        bad = {t: dict(v) for t, v in DEFAULT_STANDARDS.items()}
        bad["strategic"]["business_visits_per_year"] = 1  # would be fine…
        bad["general"]["resolution_hours"] = 1  # …but this is not: nothing is saved
        with pytest.raises(ValidationError) as exc:
            service_standards_save(values=bad)
        assert "general-resolution_hours" in exc.value.message_dict
        assert ServiceStandard.objects.get(tier="strategic").business_visits_per_year == 12
        with pytest.raises(ValidationError) as exc:
            service_standards_save(values={"strategic": DEFAULT_STANDARDS["strategic"]})
        assert set(exc.value.message_dict) == {"key", "important", "general"}
        assert set(STANDARD_FIELDS) == set(DEFAULT_STANDARDS["key"])


# --- language, navigation, CSP ----------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_in_chinese(client, admin_a, book):
    login(client, admin_a)
    body = client.get(POLICY, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for word in ("战略", "关键", "重点", "一般", "分级"):
        assert word in body, word
    standards = client.get(STANDARDS, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "服务标准" in standards and "每月" in standards


@pytest.mark.django_db
def test_nav_link_is_current_on_tiering_pages(web, manager_a):
    login(web, manager_a)
    link = f'<a href="{POLICY}" aria-current="page">Tiering</a>'
    assert link in web.get(POLICY).content.decode()
    assert link in web.get(STANDARDS).content.decode()
    assert link not in web.get(reverse("accounts:account-list")).content.decode()
    assert f'<a href="{POLICY}" >Tiering</a>' in web.get(reverse("accounts:account-list")).content.decode()


@pytest.mark.django_db
def test_pages_have_no_inline_code(web, admin_a, book):
    login(web, admin_a)
    for url in (POLICY, version_url(1), EDIT, STANDARDS, STANDARDS_EDIT):
        assert_csp_clean_page(web.get(url), url)
    preview = web.post(EDIT, form_data(cutoff_strategic="70", cutoff_key="45",
                                       cutoff_important="10"))
    assert_csp_clean_page(preview, "preview")
    notice = web.post(EDIT, {**form_data(action="save"), "base_version": "0"})
    assert "Someone saved version 1" in notice.content.decode()
    assert_csp_clean_page(notice, "a save refused: the fresh preview with its notice")

"""Which company a user who belongs to several lands in after logging in: the one used last, else
the one whose default language the browser asks for, else the first by name (kam.middleware)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kam.models import Membership
from kam.roles import Role
from kam.tenancy import tenant_context
from tests.conftest import PASSWORD, make_member

pytestmark = pytest.mark.django_db

CHINESE_BROWSER = "zh-CN,zh;q=0.9,en;q=0.8"
ENGLISH_BROWSER = "en-US,en;q=0.9"


@pytest.fixture
def executive(tenant_a, tenant_b) -> Membership:
    """An executive of both companies: 华东精密 (Chinese) and Pacific Components (English, and
    first by name)."""
    member = make_member(tenant_a, "both_exec", Role.EXECUTIVE)
    with tenant_context(tenant_b):
        Membership.objects.create(tenant=tenant_b, user=member.user, role=Role.EXECUTIVE)
    return member


def log_in(client, username: str, browser: str | None) -> object:
    """Log in through the login page, then open the first page as that browser would."""
    headers = {"HTTP_ACCEPT_LANGUAGE": browser} if browser else {}
    response = client.post(reverse("kam:login"), {"username": username, "password": PASSWORD},
                           **headers)
    assert response.status_code == 302
    return client.get(reverse("accounts:account-list"), **headers).context["current_tenant"]


def test_a_chinese_browser_lands_in_the_chinese_company(client, executive, tenant_a):
    assert log_in(client, "both_exec", CHINESE_BROWSER) == tenant_a


def test_an_english_browser_lands_in_the_english_company(client, executive, tenant_b):
    assert log_in(client, "both_exec", ENGLISH_BROWSER) == tenant_b


def test_without_a_language_the_first_company_by_name(client, executive, tenant_b):
    assert log_in(client, "both_exec", None) == tenant_b  # "Pacific…" sorts before "华东…"


def test_the_language_chosen_in_the_menu_counts_before_the_browsers(client, executive, tenant_a):
    client.cookies["django_language"] = "zh-hans"
    assert log_in(client, "both_exec", ENGLISH_BROWSER) == tenant_a


def test_the_company_used_last_wins_across_logins(client, executive, tenant_a, tenant_b):
    assert log_in(client, "both_exec", CHINESE_BROWSER) == tenant_a
    assert client.post(reverse("kam:tenant-switch"), {"tenant": tenant_b.pk}).status_code == 302
    client.post(reverse("kam:logout"))
    # Back with the Chinese browser: where they worked last, not where the language points.
    assert log_in(client, "both_exec", CHINESE_BROWSER) == tenant_b
    client.post(reverse("kam:tenant-switch"), {"tenant": tenant_a.pk})
    client.post(reverse("kam:logout"))
    assert log_in(client, "both_exec", ENGLISH_BROWSER) == tenant_a


def test_landing_is_remembered_too(client, executive, tenant_a):
    """Landing by language counts as using that company: the next login lands there whatever
    the browser."""
    assert log_in(client, "both_exec", CHINESE_BROWSER) == tenant_a
    client.post(reverse("kam:logout"))
    assert log_in(client, "both_exec", ENGLISH_BROWSER) == tenant_a


def test_remembering_is_not_an_audited_change_and_stays_in_its_company(client, executive,
                                                                        tenant_a, tenant_b):
    events = _event_count()
    log_in(client, "both_exec", CHINESE_BROWSER)
    client.post(reverse("kam:tenant-switch"), {"tenant": tenant_b.pk})
    assert _event_count() == events  # touched, not changed: no audit row
    used = dict(Membership.unscoped_all_tenants.filter(user=executive.user)
                .values_list("tenant_id", "last_used_at"))
    assert used[tenant_a.pk] is not None and used[tenant_b.pk] is not None
    assert used[tenant_b.pk] > used[tenant_a.pk]


def test_a_member_of_one_company_writes_nothing_on_login(client, admin_a):
    log_in(client, "admin_a", CHINESE_BROWSER)
    admin_a.refresh_from_db()
    assert admin_a.last_used_at is None  # nothing to choose between, nothing to remember


def _event_count() -> int:
    return Membership.pgh_event_model.objects.count()  # type: ignore[attr-defined]  # pghistory

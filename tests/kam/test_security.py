"""Hardening (issue 4): login lockout, password validators, session rotation, deactivated members,
Content-Security-Policy, Cache-Control: no-store, the API rate limit, production cookie settings and
no personal data in logs."""

from __future__ import annotations

import datetime
import json
import logging
import re
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db.models import F
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import Contact, Contract, Transaction
from kam import services
from kam.lockout import client_ip
from kam.models import ApiKey, Membership
from kam.roles import Role
from kam.services import api_key_authenticate
from kam.tenancy import tenant_context
from tests.conftest import PASSWORD, bearer, key_for, login, make_member
from tests.factories import make_account
from tests.kam.test_deploy import clean_env, run_python

pytestmark = pytest.mark.django_db

LOCKOUT_TEXT = {"en": "Too many failed login attempts", "zh-hans": "登录失败次数过多"}


def post_login(client, username: str, password: str, ip: str = "203.0.113.7", lang: str = "en"):
    client.cookies["django_language"] = lang
    return client.post(reverse("kam:login"), {"username": username, "password": password},
                       REMOTE_ADDR=ip)


def logged_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


# --- 1. login lockout ---------------------------------------------------------------------------


def test_five_failures_lock_that_user_at_that_address_for_15_minutes(client, manager_a):
    for _ in range(4):
        response = post_login(client, "manager_a", "wrong-password")
        assert response.status_code == 200  # the form again, with its error
        assert logged_in_user_id(client) is None
    response = post_login(client, "manager_a", "wrong-password")
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert LOCKOUT_TEXT["en"] in response.content.decode()

    # The right password is refused from that address while the lock holds ...
    response = post_login(client, "manager_a", PASSWORD)
    assert response.status_code == 429
    assert logged_in_user_id(client) is None

    # ... but the user logs in from their own address: an attacker cannot lock them out.
    other = client.__class__()
    response = post_login(other, "manager_a", PASSWORD, ip="198.51.100.20")
    assert response.status_code == 302
    assert logged_in_user_id(other) == str(manager_a.user.pk)

    # After the cool-off (moved back in the database, not slept) the first address works again.
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=16))
    response = post_login(client, "manager_a", PASSWORD)
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(manager_a.user.pk)


def test_lockout_is_per_username_and_address_pair(client, manager_a, manager2_a):
    for _ in range(5):
        post_login(client, "manager_a", "wrong-password")
    # Another user at the same address is not affected.
    response = post_login(client, "manager2_a", PASSWORD)
    assert response.status_code == 302


def test_a_successful_login_resets_the_count(client, manager_a):
    for _ in range(4):
        post_login(client, "manager_a", "wrong-password")
    assert post_login(client, "manager_a", PASSWORD).status_code == 302
    client.post(reverse("kam:logout"))
    for _ in range(4):  # four more: still below the limit, because success reset the count
        assert post_login(client, "manager_a", "wrong-password").status_code == 200
    assert post_login(client, "manager_a", PASSWORD).status_code == 302


def test_a_failure_during_the_lock_restarts_it(client, manager_a):
    for _ in range(5):
        post_login(client, "manager_a", "wrong-password")
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=10))
    assert post_login(client, "manager_a", "wrong-password").status_code == 429
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=10))
    # 20 minutes after the fifth failure, but only 10 after the last one: still locked.
    assert post_login(client, "manager_a", PASSWORD).status_code == 429


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_the_lockout_page_is_bilingual_and_says_when_to_retry(client, manager_a, lang):
    for _ in range(5):
        response = post_login(client, "manager_a", "wrong-password", lang=lang)
    body = response.content.decode()
    assert response.status_code == 429
    assert LOCKOUT_TEXT[lang] in body
    assert ("15 minutes" if lang == "en" else "15 分钟") in body
    assert "203.0.113.7" not in body  # the address is not echoed


def test_the_admin_login_is_locked_too(client, manager_a):
    for _ in range(5):
        response = client.post(reverse("admin:login"),
                               {"username": "manager_a", "password": "wrong-password"},
                               REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 429


def test_client_address_behind_trusted_proxies(settings):
    rf = RequestFactory()
    settings.KAM_TRUSTED_PROXY_COUNT = 0
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(request) == "10.0.0.2"  # no proxy trusted: a forwarded header is ignored

    settings.KAM_TRUSTED_PROXY_COUNT = 1
    # The proxy appended the real client; the left entries are the client's own (forgeable) claim.
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert client_ip(request) == "203.0.113.9"
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="not-an-address")
    assert client_ip(request) == "10.0.0.2"
    request = rf.get("/", REMOTE_ADDR="10.0.0.2")
    assert client_ip(request) == "10.0.0.2"


def test_a_forged_forwarded_header_does_not_escape_the_lock(client, settings, manager_a):
    settings.KAM_TRUSTED_PROXY_COUNT = 1
    for i in range(6):
        response = client.post(reverse("kam:login"), {"username": "manager_a", "password": "nope"},
                               REMOTE_ADDR="10.0.0.2",
                               HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 203.0.113.7")
    assert response.status_code == 429


# --- 2. password validators wherever a password is set -------------------------------------------


@pytest.mark.parametrize(("username", "password"), [
    ("short.pw", "kx9!a"),                       # MinimumLengthValidator
    ("common.pw", "qwertyuiop"),                 # CommonPasswordValidator
    ("numeric.pw", "73915286401937"),            # NumericPasswordValidator
    ("liu.yang.sales", "liu.yang.sales1"),       # UserAttributeSimilarityValidator
])
def test_a_weak_password_for_a_new_member_is_a_form_error(client, admin_a, username, password):
    login(client, admin_a)
    users_before = get_user_model().objects.count()
    response = client.post(reverse("kam:member-add"), {"username": username, "role": "manager",
                                                    "password": password})
    assert response.status_code == 400
    assert response.context["member_form"].errors["password"]
    assert get_user_model().objects.count() == users_before
    assert not Membership.unscoped_all_tenants.filter(user__username=username).exists()


def test_a_weak_password_in_the_superuser_admin_is_refused(client):
    root = get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    client.force_login(root)
    response = client.post(reverse("admin:auth_user_add"), {
        "username": "weakling", "password1": "12345678", "password2": "12345678",
        "usable_password": "true"})
    assert response.status_code == 200  # the form again
    assert not get_user_model().objects.filter(username="weakling").exists()


# --- 3. sessions and keys ------------------------------------------------------------------------


def test_the_session_is_rotated_at_login(client, manager_a):
    session = client.session
    session["probe"] = "before login"
    session.save()
    before = client.cookies["sessionid"].value
    response = post_login(client, "manager_a", PASSWORD)
    assert response.status_code == 302
    after = client.cookies["sessionid"].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()


def test_a_deactivated_members_session_stops_working_at_once(client, api, admin_a, manager_a):
    login(client, manager_a)
    login(api, manager_a)
    assert client.get(reverse("accounts:account-list")).status_code == 200
    assert api.get("/api/v1/accounts/").status_code == 200

    admin = client.__class__()
    login(admin, admin_a)
    response = admin.post(reverse("kam:member-update", args=[manager_a.pk]), {"role": "manager"})
    assert response.status_code == 302
    manager_a.refresh_from_db()
    assert manager_a.is_active is False

    # The very next request, same session, no restart and no cache to expire.
    assert client.get(reverse("accounts:account-list")).status_code == 403
    assert api.get("/api/v1/accounts/").status_code == 403


def make_key_by(membership: Membership, name: str = "erp") -> tuple[ApiKey, str]:
    with tenant_context(membership.tenant):
        return services.api_key_create(name=name, scopes=["read"], created_by=membership.user)


def test_a_deactivated_members_api_keys_stop_working_at_once(api, admin_a):
    admin2 = make_member(admin_a.tenant, "admin2_a", Role.ADMIN)
    _key, raw = make_key_by(admin2)
    bearer(api, raw)
    assert api.get("/api/v1/accounts/").status_code == 200

    with tenant_context(admin_a.tenant):
        services.member_update(membership_id=admin2.pk, role=Role.ADMIN, is_active=False,
                               acting_membership=admin_a)
    response = api.get("/api/v1/accounts/")
    assert response.status_code == 401
    assert response.json() == {"message": "Invalid or revoked API key."}

    with tenant_context(admin_a.tenant):  # reactivated: the key works again
        services.member_update(membership_id=admin2.pk, role=Role.ADMIN, is_active=True,
                               acting_membership=admin_a)
    assert api.get("/api/v1/accounts/").status_code == 200


def test_a_key_needs_its_creators_membership_in_the_keys_own_tenant(api, admin_a, admin_b):
    _key, raw = make_key_by(admin_a)
    # admin_a joins tenant B too, then leaves tenant A: a membership elsewhere does not count.
    with tenant_context(admin_b.tenant):
        Membership.objects.create(tenant=admin_b.tenant, user=admin_a.user, role=Role.ADMIN)
    with tenant_context(admin_a.tenant):
        Membership.objects.filter(pk=admin_a.pk).update(is_active=False)
    assert bearer(api, raw).get("/api/v1/accounts/").status_code == 401


def test_a_deactivated_user_account_disables_their_keys(api, admin_a):
    _key, raw = make_key_by(admin_a)
    get_user_model().objects.filter(pk=admin_a.user_id).update(is_active=False)
    assert bearer(api, raw).get("/api/v1/accounts/").status_code == 401


def test_keys_without_a_creator_belong_to_the_tenant(api, tenant_a):
    raw = key_for(tenant_a, ["read"])  # as the create_api_key command makes them
    assert bearer(api, raw).get("/api/v1/accounts/").status_code == 200


def test_key_lookup_is_one_query(admin_a, django_assert_num_queries):
    key, raw = make_key_by(admin_a)
    with django_assert_num_queries(1):
        assert api_key_authenticate(raw=raw).pk == key.pk


# --- 4. Content-Security-Policy ------------------------------------------------------------------


class InlineCodeFinder(HTMLParser):
    """Everything a CSP without 'unsafe-inline' would block. A ``<script type="application/json">``
    (Django's json_script: data for a script file, never executed) is not code and is allowed."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = {name.lower() for name, _value in attrs}
        script_type = (dict(attrs).get("type") or "").strip().lower()
        if tag == "script" and "src" not in names and script_type != "application/json":
            self.problems.append("<script> without src")
        if tag == "style":
            self.problems.append("<style> element")
        if "style" in names:
            self.problems.append(f'style="" on <{tag}>')
        handlers = sorted(n for n in names if n.startswith("on"))
        if handlers:
            self.problems.append(f"{handlers} on <{tag}>")
        for name, value in attrs:
            if name.lower() in {"href", "src", "action"} and (value or "").strip().lower(
                    ).startswith("javascript:"):
                self.problems.append(f"javascript: URL on <{tag}>")


def inline_code(html: str) -> list[str]:
    finder = InlineCodeFinder()
    finder.feed(html)
    return finder.problems


EXPECTED_CSP = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def assert_strict_csp(response) -> None:
    header = response["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header, header
    directives = dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    assert directives == EXPECTED_CSP, header


def assert_csp_clean_page(response, url: str) -> None:
    """A 200 page under the strict policy, with nothing inline the policy would block."""
    assert response.status_code == 200, url
    assert_strict_csp(response)
    problems = inline_code(response.content.decode())
    assert not problems, (url, problems)


@pytest.fixture
def profile_a(admin_a, manager_a):
    """An account of tenant A with a contact, a contract and a transaction, so pages show rows."""
    tenant = admin_a.tenant
    account = make_account(tenant, "华东精密客户", owner=manager_a)
    with tenant_context(tenant):
        Contact.objects.create(tenant=tenant, account=account, name="张伟", email="zw@example.com",
                               phone="13800000000")
        Contract.objects.create(tenant=tenant, account=account, number="HT-1", title="Supply",
                                start_date=datetime.date(2025, 1, 1),
                                end_date=datetime.date(2025, 12, 31), value=Decimal("1000.00"),
                                status="active")
        Transaction.objects.create(tenant=tenant, account=account, date=datetime.date(2025, 3, 1),
                                   amount=Decimal("500.00"))
    return account


def member_pages(account) -> list[str]:
    return [
        reverse("kam:home"),
        reverse("accounts:account-list"),
        reverse("accounts:account-list") + "?q=华东",
        reverse("accounts:account-detail", args=[account.pk]),
        reverse("accounts:account-edit", args=[account.pk]),
        reverse("accounts:contact-list"),
        reverse("accounts:contact-create"),
        reverse("accounts:contract-list"),
        reverse("accounts:contract-list") + "?renewal_due=1",
        reverse("accounts:transaction-list"),
        reverse("accounts:import-list"),
        reverse("accounts:import-upload"),
        reverse("kam:settings"),
        reverse("api:docs"),
    ]


def test_every_page_has_a_strict_csp_and_no_inline_code(client, admin_a, profile_a):
    login(client, admin_a)
    for url in member_pages(profile_a):
        response = client.get(url, follow=True)
        assert_csp_clean_page(response, url)


def test_anonymous_pages_have_a_strict_csp_and_no_inline_code(client, manager_a):
    pages = [reverse("kam:login"), reverse("admin:login"), reverse("api:docs")]
    for url in pages:
        response = client.get(url)
        assert_csp_clean_page(response, url)
    for _ in range(5):  # the lockout page, and the login form with its error
        response = post_login(client, "manager_a", "wrong-password")
        assert_strict_csp(response)
        assert not inline_code(response.content.decode())
    assert response.status_code == 429


def test_api_docs_load_their_script_from_a_url(client):
    response = client.get(reverse("api:docs"))
    html = response.content.decode()
    assert "<style" not in html
    script_url = re.search(r'<script src="([^"]*script=[^"]*)"', html)
    assert script_url, html
    script = client.get(script_url.group(1).replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_htmx_is_told_not_to_inject_styles_or_eval(client, admin_a):
    login(client, admin_a)
    html = client.get(reverse("accounts:account-list")).content.decode()
    assert ("<meta name=\"htmx-config\" content='{\"includeIndicatorStyles\":false,"
            "\"allowEval\":false}'>") in html


def test_superuser_admin_pages_have_no_inline_code(client, admin_a):
    root = get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    client.force_login(root)
    pages = [reverse("admin:index"), reverse("admin:kam_tenant_changelist"),
             reverse("admin:kam_tenant_change", args=[admin_a.tenant_id]),
             reverse("admin:auth_user_add")]
    for url in pages:
        response = client.get(url)
        assert_csp_clean_page(response, url)


# --- 5. Cache-Control: no-store -------------------------------------------------------------------


def test_pages_api_and_redirects_are_no_store(client, api, admin_a, profile_a):
    # 200, 302, 200
    anonymous = [reverse("kam:login"), reverse("accounts:account-list"), reverse("kam:healthz")]
    for url in anonymous:
        response = client.get(url)
        assert "no-store" in response["Cache-Control"], url
    login(client, admin_a)
    for url in [*member_pages(profile_a), reverse("accounts:export-contacts") + "?format=csv"]:
        response = client.get(url)
        assert "no-store" in response["Cache-Control"], url
        assert "public" not in response["Cache-Control"], url
    bearer(api, key_for(admin_a.tenant, ["read"]))
    for url in ["/api/v1/accounts/", "/api/v1/contacts/", f"/api/v1/accounts/{profile_a.pk}/",
                "/api/v1/accounts/999999999/"]:
        response = api.get(url)
        assert response.status_code in {200, 404}
        assert "no-store" in response["Cache-Control"], url


def test_static_files_stay_cacheable(client):
    response = client.get("/static/kam/kam.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


# --- 7. API rate limit per key --------------------------------------------------------------------


def test_a_key_over_its_limit_gets_429_and_another_key_does_not(api, settings, tenant_a):
    settings.KAM_API_RATE = "3/min"
    first = key_for(tenant_a, ["read"], name="erp-1")
    second = key_for(tenant_a, ["read"], name="erp-2")
    bearer(api, first)
    for _ in range(3):
        assert api.get("/api/v1/accounts/").status_code == 200
    response = api.get("/api/v1/accounts/")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert set(response.json()) == {"message"} and response.json()["message"]
    assert "no-store" in response["Cache-Control"]

    bearer(api, second)  # another key of the same tenant has its own budget
    assert api.get("/api/v1/accounts/").status_code == 200


def test_session_users_are_limited_per_user(api, settings, admin_a, manager_a):
    settings.KAM_API_RATE = "2/min"
    login(api, manager_a)
    assert [api.get("/api/v1/accounts/").status_code for _ in range(3)] == [200, 200, 429]
    login(api, admin_a)
    assert api.get("/api/v1/accounts/").status_code == 200


def test_the_rate_limit_counts_in_the_redis_cache(settings):
    from django.core.cache import cache

    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    location = settings.CACHES["default"]["LOCATION"]
    assert location != settings.REDIS_URL
    assert location.endswith(("?db=1", "/1"))
    cache.set("probe", "ok", 5)
    assert cache.get("probe") == "ok"


def test_redis_url_helpers():
    from kam.settings import redis_db, redis_url_with_db

    assert redis_url_with_db("redis://redis:6379/0", 1) == "redis://redis:6379/1"
    assert redis_url_with_db("redis://:pw@redis:6379", 2) == "redis://:pw@redis:6379/2"
    assert redis_url_with_db("unix:///run/redis.sock", 1) == "unix:///run/redis.sock?db=1"
    assert redis_url_with_db("unix:///run/redis.sock?db=0", 1) == "unix:///run/redis.sock?db=1"
    assert redis_db("redis://redis:6379/3") == 3
    assert redis_db("unix:///run/redis.sock") == 0
    assert redis_db("unix:///run/redis.sock?db=2") == 2


# --- 6. production settings -----------------------------------------------------------------------

_DUMP = """
import json, django
django.setup()
from django.conf import settings as s
print("SETTINGS=" + json.dumps({
    "SESSION_COOKIE_SAMESITE": s.SESSION_COOKIE_SAMESITE, "CSRF_COOKIE_SAMESITE": s.CSRF_COOKIE_SAMESITE,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE, "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": s.SESSION_COOKIE_HTTPONLY, "SECURE_HSTS_SECONDS": s.SECURE_HSTS_SECONDS,
    "KAM_TRUSTED_PROXY_COUNT": s.KAM_TRUSTED_PROXY_COUNT, "CACHE": s.CACHES["default"]["LOCATION"],
}))
"""


def production_env(**overrides: str) -> dict[str, str]:
    """Production settings load without connecting to anything: placeholder servers will do."""
    return clean_env(**{"KAM_ENV": "production", "DJANGO_SECRET_KEY": "k" * 64,
                        "DJANGO_ALLOWED_HOSTS": "kam.example.com",
                        "DATABASE_URL": "postgres://kam:pw@db.invalid:5432/kam",
                        "REDIS_URL": "redis://redis:6379/0",
                        "EMAIL_URL": "smtp://mail.invalid:25", **overrides})


def test_production_cookies_are_secure_same_site_and_hsts_is_on():
    result = run_python("-c", _DUMP, env=production_env())
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("SETTINGS="))
    values = json.loads(line.removeprefix("SETTINGS="))
    assert values == {
        "SESSION_COOKIE_SAMESITE": "Lax", "CSRF_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True, "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
        "KAM_TRUSTED_PROXY_COUNT": 1, "CACHE": "redis://redis:6379/1",
    }


@pytest.mark.parametrize(("name", "value"), [("KAM_API_RATE", "lots"),
                                             ("KAM_CACHE_REDIS_DB", "0")])
def test_production_refuses_bad_rate_or_cache_settings(name, value):
    result = run_python("-c", "import django; django.setup()",
                        env=production_env(**{name: value}))
    assert result.returncode != 0
    assert name in result.stderr


# --- 8. no personal data in URLs or logs -----------------------------------------------------------


def test_gunicorn_access_log_has_no_query_string():
    from tests.kam.test_deploy import command, option

    cmd = command("web")
    fmt = option(cmd, "--access-logformat")
    assert "%(U)s" in fmt
    for leaky in ("%(r)s", "%(q)s", "%(f)s", "%(a)s", "%(h)s"):  # request line, query, referer, UA, IP
        assert leaky not in fmt
    dockerfile = (Path(__file__).resolve().parents[2] / "Dockerfile").read_text()
    assert f'"--access-logformat", "{fmt}"' in dockerfile


def test_request_logs_carry_no_query_strings_or_bodies(client, admin_a, caplog):
    login(client, admin_a)
    with caplog.at_level(logging.DEBUG):
        client.get(reverse("accounts:contact-list") + "?q=张伟&x=zw%40example.com")
        client.get("/accounts/999999999/?q=张伟")  # a 404: django.request logs it
        client.post(reverse("kam:member-add"), {"username": "张伟", "password": "13800000000",
                                            "role": "manager"})
        client.__class__().post(reverse("kam:login"), {"username": "张伟", "password": "13800000000"})
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Not Found" in logged  # the 404 was logged, by path only
    for secret in ("张伟", "zw@example.com", "zw%40example.com", "13800000000"):
        assert secret not in logged

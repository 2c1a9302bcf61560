"""Resolve the tenant of a browser request and hold it for the request's duration."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_cache_control

from kam import clock, services
from kam.models import Membership
from kam.roles import Actor
from kam.tenancy import request_scope, set_current_tenant, system_read

if TYPE_CHECKING:
    from kam.models import Tenant

SESSION_TENANT_KEY = "kam_tenant_id"


class KamRequest(HttpRequest):
    """The type of a browser request once :class:`TenantMiddleware` has run (for annotations and
    ``cast`` only: the middleware sets these attributes on Django's own request object). They are
    None / empty for an anonymous user or one without an active membership; otherwise ``tenant``,
    ``membership`` and ``actor`` are set together. The API-key authentication
    (kam.authentication) sets ``tenant`` and ``actor`` (a key's actor has no membership)."""

    tenant: Tenant | None
    membership: Membership | None
    memberships: list[Membership]
    actor: Actor | None


def active_memberships(user) -> list[Membership]:
    """All active memberships of a user, across tenants (one query)."""
    # Cross-tenant by nature: this is how we learn which tenants the user may enter.
    with system_read("which tenants may this user enter"):
        memberships = list(
            Membership.unscoped_all_tenants.select_related("tenant")
            .filter(user=user, is_active=True, tenant__is_active=True)
            .order_by("tenant__name")
        )
    for membership in memberships:  # the request's user: no second read of auth_user
        membership.user = user
    return memberships


class TenantMiddleware:
    """Sets request.tenant / request.membership / request.actor and the tenant ContextVar.

    The ContextVar is reset when the response leaves, whatever set it inside (this middleware
    or the API-key authentication), so a worker thread never carries a tenant into the next request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with request_scope():
            try:
                self._resolve(cast(KamRequest, request))
                return self.get_response(request)
            finally:
                clock.deactivate()  # a worker thread carries no tenant's zone into the next request

    def _resolve(self, request: KamRequest) -> None:
        request.tenant = None
        request.membership = None
        request.memberships = []
        request.actor = None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return
        memberships = active_memberships(user)
        request.memberships = memberships
        if not memberships:
            return
        wanted = request.session.get(SESSION_TENANT_KEY)
        membership = next((m for m in memberships if m.tenant_id == wanted), None)
        if membership is None:  # a new session (a login), or the user left that company
            membership = landing_membership(memberships, languages=requested_languages(request))
            request.session[SESSION_TENANT_KEY] = membership.tenant_id
            # Remembered for the next login (one UPDATE), unless there is no choice to remember
            # or it was already the last one used.
            if len(memberships) > 1 and membership is not last_used(memberships):
                services.membership_mark_used(membership=membership)
        request.tenant = membership.tenant
        request.membership = membership
        request.actor = Actor(tenant=membership.tenant, membership=membership)
        set_current_tenant(membership.tenant)
        clock.activate(membership.tenant)  # pages, forms and the API show the tenant's times
        if not requested_languages(request):
            translation.activate(membership.tenant.default_language)
            request.LANGUAGE_CODE = translation.get_language()


def requested_languages(request: HttpRequest) -> list[str]:
    """The languages KAM offers that the user asked for, most wanted first: the one chosen in the
    language menu (its cookie), then the browser's Accept-Language ones ("zh-CN" → "zh-hans")."""
    from django.utils.translation.trans_real import parse_accept_lang_header

    candidates = [request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) or ""]
    candidates += [code for code, _q in parse_accept_lang_header(
        request.META.get("HTTP_ACCEPT_LANGUAGE", "")) if code != "*"]
    found: list[str] = []
    for code in candidates:
        try:
            variant = translation.get_supported_language_variant(code) if code else ""
        except LookupError:
            continue
        if variant and variant not in found:
            found.append(variant)
    return found


def last_used(memberships: list[Membership]) -> Membership | None:
    """The membership the user entered most recently; None if they never entered one."""
    used = [(m.last_used_at, m) for m in memberships if m.last_used_at is not None]
    return max(used, key=lambda pair: pair[0])[1] if used else None


def landing_membership(memberships: list[Membership], *, languages: list[str]) -> Membership:
    """Where a user with no company in their session lands (``memberships``: by company name):
    the company they used last; else the first whose default language is the most wanted of
    ``languages``; else the first by name."""
    if (membership := last_used(memberships)) is not None:
        return membership
    for language in languages:
        for membership in memberships:
            if membership.tenant.default_language == language:
                return membership
    return memberships[0]


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every response that is not a static file.

    Pages and API responses carry customer data; no browser, proxy or shared cache may keep them.
    Static files are served by WhiteNoise before this middleware runs; /static/ paths that reach
    Django anyway (development) are left alone too. Sits right after WhiteNoise, so it also covers
    responses other middleware produces (CSRF failure, login lockout, redirects).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.static_prefix = "/" + settings.STATIC_URL.lstrip("/")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(self.static_prefix):
            patch_cache_control(response, no_store=True, private=True)
        return response

"""Resolve the tenant of a browser request and hold it for the request's duration."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_cache_control

from kam import clock
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
        membership = next((m for m in memberships if m.tenant_id == wanted), memberships[0])
        if wanted != membership.tenant_id:  # write the session only when it changes
            request.session[SESSION_TENANT_KEY] = membership.tenant_id
        request.tenant = membership.tenant
        request.membership = membership
        request.actor = Actor(tenant=membership.tenant, membership=membership)
        set_current_tenant(membership.tenant)
        clock.activate(membership.tenant)  # pages, forms and the API show the tenant's times
        if not request.COOKIES.get("django_language") and not _browser_language_supported(request):
            translation.activate(membership.tenant.default_language)
            request.LANGUAGE_CODE = translation.get_language()


def _browser_language_supported(request: HttpRequest) -> bool:
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    if not header:
        return False
    from django.utils.translation.trans_real import (
        get_supported_language_variant,
        parse_accept_lang_header,
    )

    for code, _q in parse_accept_lang_header(header):
        if code == "*":
            continue
        try:
            get_supported_language_variant(code)
        except LookupError:
            continue
        return True
    return False


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

"""API authentication: tenant API keys (Bearer) and the browser session."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from kam import clock
from kam.roles import Actor
from kam.services import api_key_authenticate, api_key_touch
from kam.tenancy import set_current_tenant

if TYPE_CHECKING:
    from kam.middleware import KamRequest


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if not parts or parts[0] != self.keyword:  # a blank header is no credential, not a 500
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Invalid Authorization header: use 'Bearer <key>'.")
        key = api_key_authenticate(raw=parts[1])
        if key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        api_key_touch(key=key)
        actor = Actor(tenant=key.tenant, api_key=key)
        # Reset by kam.middleware.TenantMiddleware when the response leaves.
        set_current_tenant(key.tenant)
        clock.activate(key.tenant)  # datetimes in the answer: the tenant's zone
        http_request = cast("KamRequest", request._request)
        http_request.actor = actor
        http_request.tenant = key.tenant
        return (None, actor)

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class TenantSessionAuthentication(authentication.SessionAuthentication):
    """Browser session; the tenant was resolved by the middleware. CSRF enforced."""

    def authenticate(self, request: Request):
        result = super().authenticate(request)
        if result is None:
            return None
        actor = getattr(request._request, "actor", None)
        if actor is None:
            raise exceptions.PermissionDenied("You are not a member of any active tenant.")
        return (result[0], actor)


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "kam.authentication.ApiKeyAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A tenant API key: `Authorization: Bearer kam_<prefix>_<secret>`.",
        }


class TenantSessionAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "kam.authentication.TenantSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}

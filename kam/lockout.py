"""Login lockout (django-axes): the client address and the lockout page.

Settings: ``AXES_CLIENT_IP_CALLABLE`` and ``AXES_LOCKOUT_CALLABLE`` in kam/settings.py. Lockout is
per (username, client address) for ``AXES_COOLOFF_TIME``.
"""

from __future__ import annotations

import ipaddress
import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: the socket's, or behind ``KAM_TRUSTED_PROXY_COUNT`` proxies the
    X-Forwarded-For entry the outermost of them appended (entries left of it are the client's own
    claims and can be forged). Malformed values fall back to the socket's address."""
    remote = _valid_ip(request.META.get("REMOTE_ADDR", "") or "")
    count = settings.KAM_TRUSTED_PROXY_COUNT
    if count > 0:
        forwarded = [p for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= count:
            return _valid_ip(forwarded[-count]) or remote
    return remote


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict | None = None) -> HttpResponse:
    """429 with Retry-After and a page saying when to try again (the lock restarts with every
    further failure, so "now + cool-off" is exact)."""
    cool_off = settings.AXES_COOLOFF_TIME
    minutes = math.ceil(cool_off.total_seconds() / 60)
    # Rendered now: a middleware (AxesMiddleware) returns it, past the template-response phase.
    response = render(request, "registration/lockout.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response

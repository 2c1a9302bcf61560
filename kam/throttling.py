"""API rate limit: one budget per API key (session users: per user), in the Django cache (Redis).

The rate is ``settings.KAM_API_RATE`` (env ``KAM_API_RATE``, default ``600/min``), read on every
request so it can be changed per test. Over the limit DRF raises ``Throttled``: 429 with a
``Retry-After`` header and our JSON error body (kam.api.exception_handler).

Without Redis the limit fails open: the request is served unthrottled and the outage is logged
(at most once a minute per process). Reads and writes keep working while Redis is down; only the
rate limit is off until it is back.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from kam.lockout import client_ip
from kam.roles import Actor

log = logging.getLogger(__name__)
_last_warning = [0.0]


class ApiKeyRateThrottle(SimpleRateThrottle):
    scope = "api"
    cache_format = "throttle:%(scope)s:%(ident)s"

    def allow_request(self, request: Request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception as exc:  # noqa: BLE001 - the cache client's errors vary; fail open
            if time.monotonic() - _last_warning[0] > 60:
                _last_warning[0] = time.monotonic()
                log.warning("API rate limit off: its cache cannot be reached (%s: %s)",
                            type(exc).__name__, exc)
            return True

    def get_rate(self) -> str:
        return settings.KAM_API_RATE

    def get_cache_key(self, request: Request, view) -> str | None:
        actor = request.auth
        if isinstance(actor, Actor) and actor.api_key is not None:
            ident = f"key:{actor.api_key.pk}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:  # anonymous (the schema and docs): per client address
            address = client_ip(request._request)
            if address is None:
                return None
            ident = f"ip:{address}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

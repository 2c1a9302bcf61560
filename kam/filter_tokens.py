"""Opaque tokens for list filters that may hold personal data (issue 4: no personal data in URLs).

A search for a person ("张伟", "zw@example.com") must not end up in a URL, where browser history,
proxies, referers and access logs would keep it. The list page's form POSTs the search; the view
stores it in the user's session under a random token and redirects to ``?f=<token>``. The pager and
export links carry the token, never the term. A token belongs to one session, one tenant and one
list; it lapses after ``TOKEN_TTL`` seconds or when the session ends, and a session keeps at most
``MAX_TOKENS`` of them (the oldest go first).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping

from django.http import HttpRequest

SESSION_KEY = "kam_filter_tokens"
FILTER_PARAM = "f"
TOKEN_TTL = 8 * 3600
MAX_TOKENS = 20
MAX_TOKEN_LENGTH = 64


def _tenant_id(request: HttpRequest) -> int | None:
    actor = getattr(request, "actor", None)
    return actor.tenant.pk if actor is not None else None


def _live(request: HttpRequest) -> dict[str, dict]:
    stored = request.session.get(SESSION_KEY)
    if not isinstance(stored, dict):
        return {}
    now = time.time()
    return {token: entry for token, entry in stored.items()
            if isinstance(entry, dict) and now - entry.get("at", 0) < TOKEN_TTL}


def filter_token_store(request: HttpRequest, *, list_name: str, params: Mapping[str, str]) -> str:
    """A token for ``params`` on ``list_name`` in this session (the same one again for the same
    search). Writes the session."""
    tenant_id = _tenant_id(request)
    params = dict(params)
    tokens = _live(request)
    token = next((t for t, e in tokens.items() if e.get("list") == list_name
                  and e.get("tenant") == tenant_id and e.get("params") == params), None)
    if token is None:
        token = secrets.token_urlsafe(16)
    tokens[token] = {"list": list_name, "tenant": tenant_id, "params": params, "at": time.time()}
    newest = sorted(tokens.items(), key=lambda item: item[1]["at"])[-MAX_TOKENS:]
    request.session[SESSION_KEY] = dict(newest)
    return token


def filter_token_load(request: HttpRequest, *, list_name: str, token: str
                      ) -> dict[str, str] | None:
    """The params stored under ``token`` for ``list_name``, or None when the token is unknown to
    this session, expired, of another tenant or another list. Reads the session only."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    entry = _live(request).get(token)
    if entry is None or entry.get("list") != list_name or entry.get("tenant") != _tenant_id(request):
        return None
    params = entry.get("params")
    if not isinstance(params, dict):
        return None
    return {str(k): str(v) for k, v in params.items()}

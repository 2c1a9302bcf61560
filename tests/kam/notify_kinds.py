"""An event kind for the notification tests (kam.notify): its renderers use strings the catalog
has long had ("Accounts" = 客户, "Contracts" = 合同), so a test can tell the languages apart."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext

from kam.notify import register_event_kind

PING = "tests.ping"


def ping_title(data: dict[str, Any]) -> str:
    return f"{gettext('Accounts')}: {data['name']}"


def ping_body(data: dict[str, Any]) -> str:
    return f"{gettext('Contracts')} #{data['n']}"


def ping_url(data: dict[str, Any]) -> str:
    return reverse("accounts:account-list") + f"?n={data['n']}"


def ping_subject(data: dict[str, Any]) -> str:
    return f"tests.thing:{data['n']}"


def register_ping() -> str:
    register_event_kind(PING, title=ping_title, body=ping_body, url=ping_url, subject=ping_subject)
    return PING

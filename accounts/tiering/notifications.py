"""What tiering tells people (kam.notify): the owner of an account whose tier the nightly run
changed — "华东精密：关键 → 战略". The event's data holds codes and numbers; these renderers
write them in the reader's language."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from accounts.tiering.models import TierChangeSource, tier_label
from kam.notify import register_event_kind

TIER_CHANGED = "accounts.tier_changed"


def _names(data: dict[str, Any]) -> dict[str, str]:
    return {"account": data["account_name"], "from": tier_label(data["from_tier"]),
            "to": tier_label(data["to_tier"]),
            "score": formats.number_format(Decimal(str(data["score"])), 2)}


def tier_changed_title(data: dict[str, Any]) -> str:
    return _("%(account)s: %(from)s → %(to)s") % _names(data)


def tier_changed_body(data: dict[str, Any]) -> str:
    if data.get("source") == TierChangeSource.OVERRIDE_ENDED:
        return _("The manual tier of this account expired: it is back to its computed tier "
                 "(score %(score)s). Its service standards follow the new tier.") % _names(data)
    return _("Last night's tiering moved this account from %(from)s to %(to)s (score "
             "%(score)s). Its service standards follow the new tier.") % _names(data)


def tier_changed_url(data: dict[str, Any]) -> str:
    return reverse("accounts:account-detail", args=[data["account_id"]])


def tier_changed_subject(data: dict[str, Any]) -> str:
    return f"accounts.account:{data['account_id']}"


def register() -> None:
    register_event_kind(TIER_CHANGED, title=tier_changed_title, body=tier_changed_body,
                        url=tier_changed_url, subject=tier_changed_subject)

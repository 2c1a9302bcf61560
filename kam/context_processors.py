from __future__ import annotations

from django.http import HttpRequest

from kam.roles import Perm


def tenancy(request: HttpRequest) -> dict:
    actor = getattr(request, "actor", None)
    return {
        "current_tenant": getattr(request, "tenant", None),
        "current_membership": getattr(request, "membership", None),
        "user_memberships": getattr(request, "memberships", []),
        "can_manage_settings": bool(actor and actor.can(Perm.SETTINGS_MANAGE)),
        "can_create_accounts": bool(actor and actor.can(Perm.ACCOUNT_CREATE)),
    }

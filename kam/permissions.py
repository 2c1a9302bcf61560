from __future__ import annotations

from rest_framework import permissions

from kam.roles import Actor


class IsTenantActor(permissions.BasePermission):
    """Authenticated as a member or key of a tenant; read-only keys may only read."""

    message = "This API key is read-only."

    def has_permission(self, request, view) -> bool:
        actor = request.auth
        if not isinstance(actor, Actor):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return actor.can_write

"""Who may do what: one table, read by services, views, the API and the role tests.

An *actor* is whoever makes a request: a member (user + role in the tenant) or an API key.
API keys act for the tenant's integrations: they see every account of the tenant and may write
with the ``write`` scope; they never manage settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from kam.models import ApiKey, Membership, Tenant


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    EXECUTIVE = "executive", _("Executive")
    MANAGER = "manager", _("Account manager")


class Perm:
    ACCOUNT_VIEW_ALL = "account.view_all"  # see every account, not only one's own
    ACCOUNT_CREATE = "account.create"
    ACCOUNT_CHANGE = "account.change"  # edit accounts one can see
    ACCOUNT_ASSIGN_OWNER = "account.assign_owner"  # make someone else the owner
    ACCOUNT_DELETE = "account.delete"
    SETTINGS_MANAGE = "settings.manage"  # members, roles, API keys


ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset({
        Perm.ACCOUNT_VIEW_ALL, Perm.ACCOUNT_CREATE, Perm.ACCOUNT_CHANGE,
        Perm.ACCOUNT_ASSIGN_OWNER, Perm.ACCOUNT_DELETE, Perm.SETTINGS_MANAGE,
    }),
    Role.EXECUTIVE: frozenset({Perm.ACCOUNT_VIEW_ALL}),
    Role.MANAGER: frozenset({Perm.ACCOUNT_CREATE, Perm.ACCOUNT_CHANGE}),
}

# What an API key may do, by scope. Keys are created by admins for integrations.
SCOPE_PERMISSIONS: dict[str, frozenset[str]] = {
    "read": frozenset({Perm.ACCOUNT_VIEW_ALL}),
    "write": frozenset({
        Perm.ACCOUNT_VIEW_ALL, Perm.ACCOUNT_CREATE, Perm.ACCOUNT_CHANGE,
        Perm.ACCOUNT_ASSIGN_OWNER, Perm.ACCOUNT_DELETE,
    }),
}


@dataclass(frozen=True)
class Actor:
    tenant: Tenant
    membership: Membership | None = None
    api_key: ApiKey | None = None

    @property
    def permissions(self) -> frozenset[str]:
        if self.membership is not None:
            return ROLE_PERMISSIONS[self.membership.role]
        if self.api_key is not None:
            perms: set[str] = set()
            for scope in self.api_key.scopes:
                perms |= SCOPE_PERMISSIONS.get(scope, frozenset())
            return frozenset(perms)
        return frozenset()

    def can(self, perm: str) -> bool:
        return perm in self.permissions

    @property
    def can_write(self) -> bool:
        if self.api_key is not None:
            return "write" in self.api_key.scopes
        return True

    @property
    def label(self) -> str:
        if self.membership is not None:
            return self.membership.user.get_username()
        if self.api_key is not None:
            return f"api-key:{self.api_key.prefix}"
        return "system"

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
    # Make someone else an account's owner, and staff the team of any account one can see.
    ACCOUNT_ASSIGN_OWNER = "account.assign_owner"
    TEAM_MANAGE_OWN = "team.manage_own"  # add to and remove from the team of one's own accounts
    ACCOUNT_DELETE = "account.delete"
    SETTINGS_MANAGE = "settings.manage"  # members, roles, API keys, the company's settings
    AUDIT_READ = "audit.read"  # the change history (kam.audit) of any account one can see
    AUDIT_READ_OWN = "audit.read_own"  # the change history of one's own accounts
    DATA_SUBJECT = "contact.data_subject"  # export / erase everything about one contact
    STANDARDS_MANAGE = "standards.manage"  # tiering policy and service standards (edit, preview)
    TIER_OVERRIDE = "tier.override"  # set / end an account's manual tier
    # Read the working calendar (kam.calendar: working week, public holidays, the years without
    # an official schedule); changing it is SETTINGS_MANAGE.
    CALENDAR_VIEW = "calendar.view"


# "One's own accounts" are those one owns (Account.owner), not those one is on the team of: the
# owner answers for the account, so a manager staffs the team of, and reads the change history of,
# the accounts they own; a team member works on an account without re-staffing its team (else any
# member could remove the others) or reading its history. Who may do a thing on every account one
# can see may also do it on one's own (…_OWN is granted with its every-account row): the check is
# Actor.can_on_account.
#
# Who may do what: THE table. One row per permission, one column per role and per API-key scope;
# Y = allowed. ROLE_PERMISSIONS and SCOPE_PERMISSIONS below are read off it, and everything asks
# them through Actor.can(). tests/kam/test_roles_matrix.py sends, for every cell, requests that need
# that permission and expects what the cell says.
Y, N = True, False
ROLES: tuple[str, ...] = (Role.ADMIN, Role.EXECUTIVE, Role.MANAGER)
SCOPES: tuple[str, ...] = ("read", "write")  # API keys, created by admins for integrations

PERMISSION_TABLE: dict[str, tuple[bool, ...]] = {
    #                          ----------- roles ----------   --- API key scopes ---
    #                          admin   executive   manager     read        write
    Perm.ACCOUNT_VIEW_ALL:     (Y,     Y,          N,          Y,          Y),
    Perm.ACCOUNT_CREATE:       (Y,     N,          Y,          N,          Y),
    Perm.ACCOUNT_CHANGE:       (Y,     N,          Y,          N,          Y),
    Perm.ACCOUNT_ASSIGN_OWNER: (Y,     N,          N,          N,          Y),
    Perm.TEAM_MANAGE_OWN:      (Y,     N,          Y,          N,          Y),
    Perm.ACCOUNT_DELETE:       (Y,     N,          N,          N,          Y),
    Perm.SETTINGS_MANAGE:      (Y,     N,          N,          N,          N),
    Perm.AUDIT_READ:           (Y,     Y,          N,          Y,          Y),
    Perm.AUDIT_READ_OWN:       (Y,     Y,          Y,          Y,          Y),
    Perm.DATA_SUBJECT:         (Y,     N,          N,          N,          N),
    Perm.STANDARDS_MANAGE:     (Y,     N,          N,          N,          N),
    Perm.TIER_OVERRIDE:        (Y,     Y,          N,          N,          N),
    Perm.CALENDAR_VIEW:        (Y,     Y,          N,          N,          N),
}


def _column(index: int) -> frozenset[str]:
    return frozenset(perm for perm, row in PERMISSION_TABLE.items() if row[index])


ROLE_PERMISSIONS: dict[str, frozenset[str]] = {role: _column(i) for i, role in enumerate(ROLES)}
SCOPE_PERMISSIONS: dict[str, frozenset[str]] = {
    scope: _column(len(ROLES) + i) for i, scope in enumerate(SCOPES)
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

    def can_on_account(self, perm: str, *, own: str, owner_id: int | None) -> bool:
        """``perm`` on one account (the caller has it from a visible queryset): granted on every
        account, or ``own`` — the same on one's own accounts — and the actor owns this one."""
        if self.can(perm):
            return True
        return (self.can(own) and self.membership is not None
                and owner_id == self.membership.pk)

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

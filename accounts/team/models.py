"""The account team (交叉工作组): members of the tenant working on an account, in a team role."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.audit import audited
from kam.tenancy import TenantForeignKeyField, TenantOwned


class TeamRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    SALES = "sales", _("Sales")
    TECHNICAL_SUPPORT = "technical_support", _("Technical support")
    SERVICE = "service", _("Service")
    EXECUTIVE_SPONSOR = "executive_sponsor", _("Executive sponsor")


@audited(model_name="AccountTeamMemberEvent", indexes=[
    models.Index(fields=["tenant", "account", "pgh_created_at", "pgh_id"],
                 name="teamevent_history_idx")])
class AccountTeamMember(TenantOwned):
    """交叉工作组: a member of the tenant working on an account, in a team role."""

    account = TenantForeignKeyField("accounts.Account", on_delete=models.CASCADE, related_name="team",
                                verbose_name=_("account"))
    membership = TenantForeignKeyField("kam.Membership", on_delete=models.CASCADE,
                                   related_name="account_teams", verbose_name=_("member"))
    team_role = models.CharField(_("team role"), max_length=20, choices=TeamRole.choices)
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("account team member")
        verbose_name_plural = _("account team")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "account", "membership"],
                                    name="team_tenant_account_member_uniq"),
        ]
        indexes = [models.Index(fields=["tenant", "membership"], name="team_member_idx")]

    def __str__(self) -> str:
        return f"{self.membership} ({self.get_team_role_display()})"

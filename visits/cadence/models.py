"""An account's visit cadence per level (拜访节奏), as the nightly ``cadence`` job last computed it
(visits.cadence.sql: the rule is written there). One row per (tenant, account, level); the job
writes only rows that change, and a visit reported, cancelled or rescheduled recomputes its
account's three rows right after its transaction commits (visits.cadence.services)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.contacts.models import ContactLevel
from accounts.tiering.models import Tier
from kam.tenancy import TenantForeignKeyField, TenantOwned


class CadenceState(models.TextChoices):
    """One state per account and level, the first that applies, in this order: an inactive
    lifecycle, nothing required, no owner, then by the next due date."""

    INACTIVE = "inactive", pgettext_lazy("cadence state", "Inactive account")
    NOT_REQUIRED = "not_required", pgettext_lazy("cadence state", "Not required")
    NO_OWNER = "no_owner", pgettext_lazy("cadence state", "No owner")
    OVERDUE = "overdue", pgettext_lazy("cadence state", "Overdue")
    DUE_SOON = "due_soon", pgettext_lazy("cadence state", "Due soon")
    ON_TRACK = "on_track", pgettext_lazy("cadence state", "On track")


# The levels in the order pages show them (the standards page's order: leadership first).
LEVELS: tuple[str, ...] = (ContactLevel.LEADERSHIP, ContactLevel.TECHNICAL, ContactLevel.BUSINESS)
# Lifecycle statuses that owe no visits (listed as such, never skipped).
INACTIVE_LIFECYCLES: tuple[str, ...] = ("prospect", "churned")


class CadenceStatus(TenantOwned):
    """Where an account stands at one level against its tier's standard."""

    account = TenantForeignKeyField("accounts.Account", on_delete=models.CASCADE,
                                    related_name="cadence_rows", verbose_name=_("account"))
    level = models.CharField(_("level"), max_length=12, choices=ContactLevel.choices)
    # The account's tier when computed ("" before its first tier) and what its standard asks.
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, blank=True)
    required_per_year = models.PositiveSmallIntegerField(_("visits required per year"))
    last_visit_on = models.DateField(_("last visit"), null=True, blank=True)
    # None when nothing is required.
    next_due_on = models.DateField(_("next visit due"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=CadenceState.choices)
    # The rolling 12 months (from the day the account got its tier, if later): completed visits,
    # visits the standard asked for in that window, and completed ÷ required (capped at 100 %).
    completed_12m = models.PositiveIntegerField(_("visits in the last 12 months"))
    required_12m = models.PositiveIntegerField(_("visits required in the last 12 months"))
    compliance_pct = models.PositiveSmallIntegerField(_("compliance (%)"), null=True, blank=True)
    # Active contacts of the account at this level (none: a gap in the relationship).
    contact_count = models.PositiveIntegerField(_("contacts at the level"))

    class Meta:
        verbose_name = _("visit cadence")
        verbose_name_plural = _("visit cadences")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "account", "level"],
                                    name="cadencestatus_account_level_uniq"),
        ]
        indexes = [
            # The coverage list: most overdue first (per level, or all levels).
            models.Index(fields=["tenant", "next_due_on", "id"], name="cadence_due_idx"),
            models.Index(fields=["tenant", "level", "next_due_on", "id"],
                         name="cadence_level_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} · {self.get_level_display()} · {self.get_state_display()}"

    @property
    def is_gap(self) -> bool:
        """Owed visits at this level with no active contact there, or none in the 12 months."""
        return self.required_per_year > 0 and (self.contact_count == 0 or self.completed_12m == 0)

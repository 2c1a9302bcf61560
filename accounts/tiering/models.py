"""Tiering (分级): the models.

* ``TierPolicy`` — a tenant's criteria, weights, thresholds, cut-offs and hysteresis. Immutable:
  every change saves a new version; an account's tier records the version it was computed with.
* ``AccountTier`` — one row per tiered account: the effective tier, the computed tier and score,
  and a manual override (tier, reason, expiry). Kept by the nightly job (accounts.tiering.sql).
* ``TierChange`` — every change of an account's effective tier; ``(tenant, account, seq)`` is
  unique, so a duplicated run cannot record the same change twice.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kam.tenancy import TenantForeignKeyField, TenantOneToOneField, TenantOwned


class Tier(models.TextChoices):
    STRATEGIC = "strategic", _("Strategic")
    KEY = "key", _("Key")
    IMPORTANT = "important", _("Important")
    GENERAL = "general", _("General")


# Highest first. RANK: a bigger number is a higher tier (0 = not tiered yet).
TIERS_DESC: tuple[str, ...] = (Tier.STRATEGIC, Tier.KEY, Tier.IMPORTANT, Tier.GENERAL)
TIER_RANK: dict[str, int] = {tier: 4 - i for i, tier in enumerate(TIERS_DESC)}


class Criterion(models.TextChoices):
    REVENUE = "revenue", _("Revenue, last 12 months")
    SHARE = "share", _("Share of your company's revenue (%)")
    FREQUENCY = "frequency", _("Orders, last 12 months")
    MARGIN = "margin", _("Gross margin (%)")
    GROWTH = "growth", _("Revenue growth vs the previous 12 months (%)")
    STRATEGIC = "strategic", _("Strategic value (1–5)")
    CREDIT = "credit", _("Credit rating")


class TierPolicy(TenantOwned):
    """One version of a tenant's tiering policy. Never edited: a change saves version n + 1.

    ``criteria`` maps each ``Criterion`` to ``{"enabled": bool, "weight": int, ...}`` plus, for the
    numeric criteria, ``"thresholds": [[min_value, points], …]`` (ascending; a raw value at or above
    ``min_value`` earns ``points``, the highest step reached counts, below the first step 0 points)
    and, for the credit rating, ``"points": {"A": …, "B": …, "C": …, "D": …, "": …}`` ("" = not
    rated). Validated by ``accounts.tiering.policy_validate``: enabled weights sum to 100.
    """

    version = models.PositiveIntegerField(_("version"))
    criteria = models.JSONField(_("criteria"))
    cutoff_strategic = models.DecimalField(_("strategic from"), max_digits=5, decimal_places=2)
    cutoff_key = models.DecimalField(_("key from"), max_digits=5, decimal_places=2)
    cutoff_important = models.DecimalField(_("important from"), max_digits=5, decimal_places=2)
    hysteresis = models.DecimalField(
        _("move-down margin"), max_digits=5, decimal_places=2, default=5,
        help_text=_("An account moves down only when its score falls this many points below "
                    "its tier's cut-off."))
    note = models.CharField(_("what changed and why"), max_length=300, blank=True)
    created_by = TenantForeignKeyField("kam.Membership", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("saved by"))
    created_at = models.DateTimeField(_("saved"), auto_now_add=True)

    class Meta:
        verbose_name = _("tiering policy")
        verbose_name_plural = _("tiering policies")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "version"],
                                    name="tierpolicy_tenant_version_uniq"),
            models.CheckConstraint(
                condition=Q(cutoff_important__gt=0, cutoff_key__gt=F("cutoff_important"),
                            cutoff_strategic__gt=F("cutoff_key"), cutoff_strategic__lte=100),
                name="tierpolicy_cutoffs_ordered"),
            models.CheckConstraint(condition=Q(hysteresis__gte=0, hysteresis__lte=50),
                                   name="tierpolicy_hysteresis_range"),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"

    def cutoff(self, tier: str):
        return {Tier.STRATEGIC: self.cutoff_strategic, Tier.KEY: self.cutoff_key,
                Tier.IMPORTANT: self.cutoff_important}.get(tier, 0)


class AccountTier(TenantOwned):
    """An account's tier: effective (override if active, else computed), computed, score."""

    account = TenantOneToOneField("accounts.Account", on_delete=models.CASCADE, primary_key=True,
                                   related_name="tier_state")
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)
    computed_tier = models.CharField(_("computed tier"), max_length=10, choices=Tier.choices)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2)
    policy = TenantForeignKeyField(TierPolicy, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("policy version"))
    computed_at = models.DateTimeField(_("computed"))
    override_tier = models.CharField(_("override"), max_length=10, choices=Tier.choices,
                                     blank=True)
    override_reason = models.CharField(_("reason for the override"), max_length=500, blank=True)
    override_until = models.DateField(_("override expires"), null=True, blank=True)
    override_by = TenantForeignKeyField("kam.Membership", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("overridden by"))
    override_at = models.DateTimeField(_("overridden"), null=True, blank=True)
    change_seq = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("account tier")
        verbose_name_plural = _("account tiers")
        constraints = [
            models.CheckConstraint(
                condition=Q(override_tier="") | Q(override_until__isnull=False),
                name="accounttier_override_expires"),
        ]
        indexes = [models.Index(fields=["tenant", "tier"], name="accounttier_tenant_tier_idx")]

    @property
    def is_overridden(self) -> bool:
        return bool(self.override_tier)


class TierChangeSource(models.TextChoices):
    COMPUTED = "computed", _("Computed")
    OVERRIDE = "override", _("Override")
    OVERRIDE_ENDED = "override_ended", _("Override ended")


class TierChange(TenantOwned):
    """One change of an account's effective tier. ``seq`` numbers an account's changes."""

    account = TenantForeignKeyField("accounts.Account", on_delete=models.CASCADE,
                                related_name="tier_changes")
    seq = models.PositiveIntegerField()
    from_tier = models.CharField(_("from"), max_length=10, choices=Tier.choices, blank=True)
    to_tier = models.CharField(_("to"), max_length=10, choices=Tier.choices)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2)
    policy = TenantForeignKeyField(TierPolicy, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("policy version"))
    source = models.CharField(_("source"), max_length=14, choices=TierChangeSource.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    changed_at = models.DateTimeField(_("changed"))
    job_run = TenantForeignKeyField("kam.JobRun", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    changed_by = TenantForeignKeyField("kam.Membership", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("changed by"))

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["-changed_at", "-id"]
        constraints = [
            # A duplicated run (second beat, redelivered message) cannot record a change twice.
            models.UniqueConstraint(fields=["tenant", "account", "seq"],
                                    name="tierchange_account_seq_uniq"),
        ]
        indexes = [
            models.Index(fields=["tenant", "changed_at", "id"], name="tierchange_since_idx"),
        ]



def tier_label(tier: str) -> str:
    """The translated label of a tier value ("" → "—")."""
    if tier in Tier.values:
        return str(Tier(tier).label)
    return "—"

"""The account (客户): a customer company, the heart of the 客户档案, and its choices."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.account.validators import validate_uscc
from kam.audit import audited
from kam.models import NAME_COLLATION
from kam.tenancy import TenantForeignKeyField, TenantOwned


class Industry(models.TextChoices):
    MANUFACTURING = "manufacturing", _("Manufacturing")
    AUTOMOTIVE = "automotive", _("Automotive")
    ELECTRONICS = "electronics", _("Electronics & semiconductors")
    MACHINERY = "machinery", _("Machinery & equipment")
    ENERGY = "energy", _("Energy & utilities")
    CHEMICALS = "chemicals", _("Chemicals & materials")
    CONSTRUCTION = "construction", _("Construction & real estate")
    HEALTHCARE = "healthcare", _("Healthcare & pharmaceuticals")
    RETAIL = "retail", _("Retail & consumer goods")
    FOOD = "food", _("Food & agriculture")
    LOGISTICS = "logistics", _("Logistics & transport")
    TELECOM = "telecom", _("IT & telecommunications")
    FINANCE = "finance", _("Finance & insurance")
    PUBLIC = "public", _("Government & public sector")
    EDUCATION = "education", _("Education")
    OTHER = "other", _("Other")


class RevenueBand(models.TextChoices):
    UNDER_10M = "lt10m", _("Under 10 million")
    FROM_10M = "10m-100m", _("10–100 million")
    FROM_100M = "100m-1b", _("100 million – 1 billion")
    FROM_1B = "1b-10b", _("1–10 billion")
    OVER_10B = "gt10b", _("Over 10 billion")


class DevelopmentStage(models.TextChoices):
    GROWTH = "growth", _("Growth")
    MATURE = "mature", _("Mature")
    DECLINING = "declining", _("Declining")


class LifecycleStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    ACTIVE = "active", _("Active")
    AT_RISK = "at_risk", _("At risk")
    CHURNED = "churned", _("Churned")


class AccountLanguage(models.TextChoices):
    """The account's language: which festivals its contacts are greeted on (care reminders)."""

    CHINESE = "zh", _("Chinese")
    OTHER = "other", _("Another language")


class CreditRating(models.TextChoices):
    A = "A", _("A – excellent")
    B = "B", _("B – good")
    C = "C", _("C – watch")
    D = "D", _("D – poor")


# Audited (kam.audit): every create/update/delete is copied by triggers into <model>event tables.
@audited(model_name="AccountEvent", exclude=("updated_at",), indexes=[
    models.Index(fields=["tenant", "pgh_obj", "pgh_created_at", "pgh_id"],
                 name="accountevent_history_idx")])
class Account(TenantOwned):
    """A customer company: the heart of the 客户档案."""

    # Sorted by pinyin where the server has ICU (kam/migrations/0010): the list's order, its keyset
    # comparisons and its index all follow the column's collation.
    name = models.CharField(_("name"), max_length=200, db_collation=NAME_COLLATION)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    unified_social_credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, validators=[validate_uscc],
        help_text=_("18 characters, checked against GB 32100-2015."),
    )
    industry = models.CharField(_("industry"), max_length=30, choices=Industry.choices,
                                blank=True)
    province = models.CharField(_("province"), max_length=50, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    employee_count = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    annual_revenue_band = models.CharField(_("annual revenue"), max_length=10,
                                           choices=RevenueBand.choices, blank=True)
    business_scope = models.TextField(_("business scope"), blank=True)
    development_stage = models.CharField(_("development stage"), max_length=10,
                                         choices=DevelopmentStage.choices, blank=True)
    parent = TenantForeignKeyField("self", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="children", verbose_name=_("parent account"))
    owner = TenantForeignKeyField("kam.Membership", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="owned_accounts", verbose_name=_("owner"))
    lifecycle_status = models.CharField(_("lifecycle status"), max_length=10,
                                        choices=LifecycleStatus.choices,
                                        default=LifecycleStatus.ACTIVE)
    strategic_value = models.PositiveSmallIntegerField(
        _("strategic value"), default=3, validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 (low) to 5 (high)."),
    )
    credit_rating = models.CharField(_("credit rating"), max_length=1,
                                     choices=CreditRating.choices, blank=True)
    language = models.CharField(
        _("language"), max_length=5, choices=AccountLanguage.choices, blank=True,
        help_text=_("Chinese-language accounts are greeted on Chinese festivals, others on your "
                    "company's festival list. Empty: your company's default language."))
    notes = models.TextField(_("notes"), blank=True)
    external_id = models.CharField(_("external ID"), max_length=100, blank=True,
                                   help_text=_("The account's id in your ERP, for sync."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "unified_social_credit_code"],
                condition=~Q(unified_social_credit_code=""),
                name="account_tenant_uscc_uniq",
                violation_error_message=_(
                    "Another account already has this unified social credit code."),
            ),
            models.UniqueConstraint(
                fields=["tenant", "external_id"], condition=~Q(external_id=""),
                name="account_tenant_external_id_uniq",
                violation_error_message=_("Another account already has this external ID."),
            ),
            models.CheckConstraint(
                condition=Q(strategic_value__gte=1, strategic_value__lte=5),
                name="account_strategic_value_1_5",
            ),
            models.CheckConstraint(condition=~Q(parent=models.F("id")),
                                   name="account_not_own_parent"),
        ]
        indexes = [
            models.Index(fields=["tenant", "name"], name="account_tenant_name_idx"),
            # The list sorted by strategic value (kam.lists keyset: value, name, id).
            models.Index(fields=["tenant", "strategic_value", "name", "id"],
                         name="account_tenant_value_idx"),
            models.Index(fields=["tenant", "owner"], name="account_tenant_owner_idx"),
            models.Index(fields=["tenant", "parent"], name="account_tenant_parent_idx"),
        ]

    def __str__(self) -> str:
        return self.name

"""Contracts of an account, with their renewal notice."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kam.audit import audited
from kam.tenancy import TenantForeignKeyField, TenantOwned


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated")


@audited(model_name="ContractEvent", exclude=("updated_at",), indexes=[
    models.Index(fields=["tenant", "account", "pgh_created_at", "pgh_id"],
                 name="contractevent_history_idx")])
class Contract(TenantOwned):
    account = TenantForeignKeyField("accounts.Account", on_delete=models.CASCADE, related_name="contracts",
                                verbose_name=_("account"))
    number = models.CharField(_("contract number"), max_length=50)
    title = models.CharField(_("title"), max_length=200)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    value = models.DecimalField(_("value"), max_digits=16, decimal_places=2,
                                validators=[MinValueValidator(0)])
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=30)
    status = models.CharField(_("status"), max_length=12, choices=ContractStatus.choices,
                              default=ContractStatus.DRAFT)
    renewal_notice_days = models.PositiveSmallIntegerField(_("renewal notice (days)"), default=60)
    notes = models.TextField(_("notes"), blank=True)
    external_id = models.CharField(_("external ID"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["end_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="contract_tenant_number_uniq"),
            models.UniqueConstraint(fields=["tenant", "external_id"], condition=~Q(external_id=""),
                                    name="contract_tenant_external_id_uniq"),
            models.CheckConstraint(condition=Q(end_date__gt=models.F("start_date")),
                                   name="contract_end_after_start"),
            models.CheckConstraint(condition=Q(value__gte=0), name="contract_value_not_negative"),
        ]
        indexes = [models.Index(fields=["tenant", "status", "end_date"], name="contract_renewal_idx")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

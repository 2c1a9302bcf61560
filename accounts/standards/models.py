"""Service standards (服务标准): what each tier is owed — visits per level, surveys, request SLAs and
the executive-sponsor rule. One row per (tenant, tier), stored from the tenant's creation
(``accounts.standards.services.standards_seed``), so set-based SQL of later apps can join them."""

from __future__ import annotations

from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.tiering.models import Tier
from kam.audit import audited
from kam.tenancy import TenantOwned


def _per_year(label: str):
    return models.PositiveSmallIntegerField(
        label, validators=[MaxValueValidator(365)], help_text=_("Times per year; 0 = none."))


@audited(model_name="ServiceStandardEvent", exclude=("updated_at",))
class ServiceStandard(TenantOwned):
    """What a tier is owed (服务标准). One row per (tenant, tier); missing rows mean the defaults."""

    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)
    leadership_visits_per_year = _per_year(_("leadership visits per year"))
    technical_visits_per_year = _per_year(_("technical visits per year"))
    business_visits_per_year = _per_year(_("business visits per year"))
    surveys_per_year = _per_year(_("satisfaction surveys per year"))
    first_response_hours = models.PositiveSmallIntegerField(
        _("first response within (hours)"), validators=[MinValueValidator(1),
                                                        MaxValueValidator(720)])
    resolution_hours = models.PositiveSmallIntegerField(
        _("resolution within (hours)"), validators=[MinValueValidator(1), MaxValueValidator(2160)])
    executive_sponsor_required = models.BooleanField(_("executive sponsor required"),
                                                     default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("service standard")
        verbose_name_plural = _("service standards")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "tier"], name="servicestandard_tier_uniq"),
            models.CheckConstraint(
                condition=Q(resolution_hours__gte=F("first_response_hours"),
                            first_response_hours__gte=1),
                name="servicestandard_resolution_after_response"),
        ]

    def __str__(self) -> str:
        return str(self.get_tier_display())


# The editable fields, in the order pages show them.
STANDARD_FIELDS: tuple[str, ...] = (
    "business_visits_per_year", "technical_visits_per_year", "leadership_visits_per_year",
    "surveys_per_year", "first_response_hours", "resolution_hours", "executive_sponsor_required",
)

# Defaults from common KAM practice: strategic accounts get monthly business visits, quarterly
# technical visits and leadership meetings twice a year, a monthly survey and a 2 h / 24 h SLA.
DEFAULT_STANDARDS: dict[str, dict[str, Any]] = {
    Tier.STRATEGIC: {"business_visits_per_year": 12, "technical_visits_per_year": 4,
                     "leadership_visits_per_year": 2, "surveys_per_year": 12,
                     "first_response_hours": 2, "resolution_hours": 24,
                     "executive_sponsor_required": True},
    Tier.KEY: {"business_visits_per_year": 6, "technical_visits_per_year": 4,
               "leadership_visits_per_year": 1, "surveys_per_year": 12,
               "first_response_hours": 4, "resolution_hours": 48,
               "executive_sponsor_required": True},
    Tier.IMPORTANT: {"business_visits_per_year": 4, "technical_visits_per_year": 2,
                     "leadership_visits_per_year": 1, "surveys_per_year": 4,
                     "first_response_hours": 8, "resolution_hours": 72,
                     "executive_sponsor_required": False},
    Tier.GENERAL: {"business_visits_per_year": 2, "technical_visits_per_year": 1,
                   "leadership_visits_per_year": 0, "surveys_per_year": 1,
                   "first_response_hours": 24, "resolution_hours": 120,
                   "executive_sponsor_required": False},
}

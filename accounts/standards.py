"""Service standards (服务标准): what each tier is owed — visits per level, surveys, request SLAs and
the executive-sponsor rule.

* ``service_standards()`` (selector): the current tenant's four standards, highest tier first — the
  saved row of a tier, or an unsaved row with the built-in defaults when the tenant has none. One
  query, never writes. Later apps (visits, SLA, surveys) read it.
* ``service_standards_save(values=…)`` (service): validates all four tiers and upserts them in one
  transaction; any problem raises ``ValidationError`` and saves nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from accounts.tier_models import TIERS_DESC, ServiceStandard, Tier

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


def default_standard(tier: str) -> ServiceStandard:
    """An unsaved row with the built-in defaults of ``tier``."""
    return ServiceStandard(tier=tier, **DEFAULT_STANDARDS[tier])


def service_standards() -> list[ServiceStandard]:
    """The current tenant's standards for the four tiers, highest first: saved rows, or unsaved
    defaults (``pk is None``) for tiers without one. One query; writes nothing."""
    saved = {row.tier: row for row in ServiceStandard.objects.all()}
    return [saved.get(tier) or default_standard(tier) for tier in TIERS_DESC]


def service_standard_for(tier: str) -> ServiceStandard:
    """One tier's standard (saved or default). One query."""
    return ServiceStandard.objects.filter(tier=tier).first() or default_standard(tier)


@transaction.atomic
def service_standards_save(*, values: dict[str, dict[str, Any]]) -> list[ServiceStandard]:
    """Validate and save the standards of all four tiers (``values[tier][field]`` for every tier
    and every field of ``STANDARD_FIELDS``), creating or updating one row per tier.

    Raises ``ValidationError`` keyed ``"<tier>-<field>"`` (or ``"<tier>"`` when a tier is missing)
    with every problem, and then saves nothing."""
    errors: dict[str, list[str]] = {}
    with connection.cursor() as cursor:  # one save at a time per tenant: no duplicate inserts
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('accounts.service_standards'), "
                       "kam_current_tenant()::int)")
    current = {row.tier: row for row in ServiceStandard.objects.all()}
    rows: list[ServiceStandard] = []
    for tier in TIERS_DESC:
        data = values.get(tier) if isinstance(values, dict) else None
        if not isinstance(data, dict) or not set(STANDARD_FIELDS) <= set(data):
            errors[tier] = [_("Give every value for the %(tier)s tier.") % {
                "tier": Tier(tier).label}]
            continue
        row = current.get(tier) or ServiceStandard(tier=tier)
        for name in STANDARD_FIELDS:
            setattr(row, name, data[name])
        try:
            # The tenant is set on save; (tenant, tier) is kept unique by the upsert itself.
            row.full_clean(exclude=["tenant"], validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(f"{tier}-{name}", []).extend(messages)
            continue
        if row.resolution_hours < row.first_response_hours:
            errors.setdefault(f"{tier}-resolution_hours", []).append(
                _("The resolution target cannot be shorter than the first-response target."))
            continue
        rows.append(row)
    if errors:
        raise ValidationError(errors)
    for row in rows:
        row.save()
    return rows

"""Reads of the service standards: what each tier is owed. Later apps (visits, SLA, surveys) read
them here, or join the rows in SQL (every tenant has one per tier from its creation)."""

from __future__ import annotations

from accounts.standards.models import DEFAULT_STANDARDS, STANDARD_FIELDS, ServiceStandard
from accounts.tiering.models import TIERS_DESC


def default_standard(tier: str) -> ServiceStandard:
    """An unsaved row with the built-in defaults of ``tier``."""
    return ServiceStandard(tier=tier, **DEFAULT_STANDARDS[tier])


def is_default(standard: ServiceStandard) -> bool:
    """The row holds the built-in values of its tier (nobody changed them)."""
    return all(getattr(standard, name) == DEFAULT_STANDARDS[standard.tier][name]
               for name in STANDARD_FIELDS)


def service_standards() -> list[ServiceStandard]:
    """The current tenant's standards for the four tiers, highest first. One query; writes
    nothing. (A tier without a row — a tenant made outside ``tenant_create`` — reads as its
    built-in defaults, unsaved.)"""
    saved = {row.tier: row for row in ServiceStandard.objects.all()}
    return [saved.get(tier) or default_standard(tier) for tier in TIERS_DESC]


def service_standard_for(tier: str) -> ServiceStandard:
    """One tier's standard. One query."""
    return ServiceStandard.objects.filter(tier=tier).first() or default_standard(tier)

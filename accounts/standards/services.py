"""Writes of the service standards (服务标准): the rows every tenant gets when it is created
(``standards_seed``, registered as a tenant set-up step) and the admins' save of all four tiers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from accounts.standards.models import DEFAULT_STANDARDS, STANDARD_FIELDS, ServiceStandard
from accounts.tiering.models import TIERS_DESC, Tier
from kam import clock
from kam.tenancy import get_current_tenant

_SEED_COLUMNS = ("tier", *DEFAULT_STANDARDS[Tier.STRATEGIC])


def standards_seed() -> int:
    """The built-in standards of the four tiers for the current tenant, where a tier has none
    yet (one INSERT … ON CONFLICT DO NOTHING; idempotent). Returns the rows created. Runs when a
    tenant is created (kam.services.tenant_create) and in migration accounts/0009 for the tenants
    created before."""
    tenant = get_current_tenant()
    rows = [[tenant.pk, tier, *(DEFAULT_STANDARDS[tier][c] for c in _SEED_COLUMNS[1:]),
             clock.now()] for tier in TIERS_DESC]
    columns = ", ".join(("tenant_id", *_SEED_COLUMNS, "updated_at"))
    values = ", ".join(["(" + ", ".join(["%s"] * (len(_SEED_COLUMNS) + 2)) + ")"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO accounts_servicestandard ({columns}) VALUES {values} "  # noqa: S608 - our columns
                       "ON CONFLICT (tenant_id, tier) DO NOTHING",
                       [v for row in rows for v in row])
        return cursor.rowcount


def _standards_rows(values: dict[str, dict[str, Any]]
                    ) -> tuple[list[ServiceStandard], dict[str, list[str]]]:
    """The rows ``values`` make of the stored ones (not saved) and every error, keyed
    ``"<tier>-<field>"`` (or ``"<tier>"`` when a tier is missing). A value None is "unknown" (a
    page's field that did not parse): its null check names it, and its tier's rule comparing two
    values is not judged."""
    errors: dict[str, list[str]] = {}
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
    return rows, errors


def service_standards_check(*, values: dict[str, dict[str, Any]]) -> None:
    """The rules of ``service_standards_save`` without saving: ``ValidationError`` with every
    error (a value None is unknown: see ``_standards_rows``)."""
    _rows, errors = _standards_rows(values)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def service_standards_save(*, values: dict[str, dict[str, Any]]) -> list[ServiceStandard]:
    """Validate and save the standards of all four tiers (``values[tier][field]`` for every tier
    and every field of ``STANDARD_FIELDS``), creating or updating one row per tier.

    Raises ``ValidationError`` keyed ``"<tier>-<field>"`` (or ``"<tier>"`` when a tier is missing)
    with every problem, and then saves nothing."""
    with connection.cursor() as cursor:  # one save at a time per tenant: no duplicate inserts
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('accounts.service_standards'), "
                       "kam_current_tenant()::int)")
    rows, errors = _standards_rows(values)
    if errors:
        raise ValidationError(errors)
    for row in rows:
        row.save()
    return rows

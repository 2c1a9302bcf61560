"""Every tenant has its service standards as rows from its creation (kam.services.tenant_create
runs accounts.standards.services.standards_seed); this gives the tenants created before that the
same rows, with the built-in values of the time (frozen here, as a migration must be)."""

from django.db import migrations

DEFAULTS = {
    "strategic": (12, 4, 2, 12, 2, 24, True),
    "key": (6, 4, 1, 12, 4, 48, True),
    "important": (4, 2, 1, 4, 8, 72, False),
    "general": (2, 1, 0, 1, 24, 120, False),
}
COLUMNS = ("business_visits_per_year", "technical_visits_per_year", "leadership_visits_per_year",
           "surveys_per_year", "first_response_hours", "resolution_hours",
           "executive_sponsor_required")


def seed(apps, schema_editor) -> None:
    from kam.tenancy import tenant_context  # row-level security: each tenant's rows as itself

    Tenant = apps.get_model("kam", "Tenant")
    sql = (f"INSERT INTO accounts_servicestandard (tenant_id, tier, {', '.join(COLUMNS)}, updated_at)"
           f" VALUES (%s, %s, {', '.join(['%s'] * len(COLUMNS))}, now())"
           " ON CONFLICT (tenant_id, tier) DO NOTHING")
    for tenant in Tenant.objects.all():
        with tenant_context(tenant), schema_editor.connection.cursor() as cursor:
            for tier, values in DEFAULTS.items():
                cursor.execute(sql, [tenant.pk, tier, *values])


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0008_tiering"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]

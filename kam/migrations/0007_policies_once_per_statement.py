"""Row-level-security policies that read the current tenant once per statement: every tenant
table's ``tenant_isolation``, ``system_read`` and ``system_read_no_update`` conditions call
``kam_current_tenant()`` / ``kam_system_read()`` through a scalar subquery (an init plan) instead of
once per row (kam.db.operations.rls_sql, which tables created later use). It runs after the accounts
app's latest migration so that it finds all of today's tables."""

from django.db import migrations

from kam.db.operations import alter_policies_sql


class Migration(migrations.Migration):

    dependencies = [
        ('kam', '0006_tenant_primary_keys'),
        ('accounts', '0011_search_broad_terms'),
    ]

    operations = [
        migrations.RunSQL(
            alter_policies_sql("tenant_id = (SELECT kam_current_tenant())",
                               "(SELECT kam_system_read())"),
            alter_policies_sql("tenant_id = kam_current_tenant()", "kam_system_read()"),
        ),
    ]

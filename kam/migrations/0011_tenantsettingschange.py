"""The company's settings changes (kam.models.TenantSettingsChange): a tenant table, keyed and
secured like every other, append-only for the application role (kam.db.grants)."""

import django.db.models.deletion
from django.db import migrations, models

from kam.db.operations import EnableTenantRLS, TenantPrimaryKey


class Migration(migrations.Migration):
    dependencies = [("kam", "0010_language_landing")]

    operations = [
        migrations.CreateModel(
            name="TenantSettingsChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("changed_at", models.DateTimeField(verbose_name="changed")),
                ("context", models.JSONField(blank=True, null=True)),
                ("changes", models.JSONField()),
                ("tenant", models.ForeignKey(editable=False,
                                             on_delete=django.db.models.deletion.PROTECT,
                                             related_name="+", to="kam.tenant")),
            ],
            options={
                "verbose_name": "settings change",
                "verbose_name_plural": "settings changes",
                "ordering": ["-changed_at", "-id"],
                "indexes": [models.Index(fields=["tenant", "-changed_at"],
                                         name="settingschange_recent_idx")],
            },
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("unscoped_all_tenants", django.db.models.manager.Manager()),
            ],
        ),
        TenantPrimaryKey("kam_tenantsettingschange"),
        EnableTenantRLS("kam_tenantsettingschange"),
    ]

from django.db import migrations, models
import django.db.models.deletion

from kam.db.operations import EnableTenantRLS


class Migration(migrations.Migration):
    dependencies = [("kam", "0003_audit")]

    operations = [
        migrations.CreateModel(
            name="JobRun",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("job", models.CharField(max_length=50, verbose_name="job")),
                ("started_at", models.DateTimeField(verbose_name="started")),
                ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="finished")),
                ("examined", models.PositiveIntegerField(default=0, verbose_name="rows examined")),
                ("changed", models.PositiveIntegerField(default=0, verbose_name="rows changed")),
                ("outcome", models.CharField(choices=[("running", "Running"), ("succeeded", "Succeeded"),
                                                      ("failed", "Failed")],
                                             default="running", max_length=10, verbose_name="outcome")),
                ("error", models.TextField(blank=True, verbose_name="error")),
                ("tenant", models.ForeignKey(editable=False,
                                             on_delete=django.db.models.deletion.PROTECT,
                                             related_name="+", to="kam.tenant")),
            ],
            options={
                "verbose_name": "job run",
                "verbose_name_plural": "job runs",
                "ordering": ["-started_at", "-id"],
                "indexes": [models.Index(fields=["tenant", "job", "-started_at"], name="jobrun_last_idx")],
                "constraints": [models.UniqueConstraint(fields=("tenant", "id"), name="jobrun_tenant_id_uniq")],
            },
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("unscoped_all_tenants", django.db.models.manager.Manager()),
            ],
        ),
        EnableTenantRLS("kam_jobrun"),
    ]

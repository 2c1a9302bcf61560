"""A member's calendar feed (kam.feed): the link's prefix and hashed secret, its optional sources."""

import django.db.models.deletion
import django.db.models.manager
from django.db import migrations, models

from kam.db.operations import EnableTenantRLS, TenantForeignKey, TenantPrimaryKey


class Migration(migrations.Migration):

    dependencies = [
        ('kam', '0016_tenant_cadence_due_soon_days'),
    ]

    operations = [
        migrations.CreateModel(
            name='CalendarFeed',
            fields=[
                ('membership', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='calendar_feed', serialize=False, to='kam.membership')),
                ('prefix', models.CharField(editable=False, max_length=8)),
                ('hashed_token', models.CharField(editable=False, max_length=64)),
                ('optional', models.JSONField(blank=True, default=list, verbose_name='also in the feed')),
                ('created_at', models.DateTimeField(verbose_name='link created')),
                ('last_fetched_at', models.DateTimeField(blank=True, null=True, verbose_name='last read by a calendar')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='kam.tenant')),
            ],
            options={
                'verbose_name': 'calendar feed',
                'verbose_name_plural': 'calendar feeds',
                'indexes': [models.Index(fields=['prefix'], name='calendarfeed_prefix_idx')],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('unscoped_all_tenants', django.db.models.manager.Manager()),
            ],
        ),
        TenantPrimaryKey("kam_calendarfeed", column="membership_id"),
        TenantForeignKey("calendarfeed", "membership"),
        EnableTenantRLS("kam_calendarfeed"),
    ]

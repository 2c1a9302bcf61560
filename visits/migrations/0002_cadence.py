"""Visit cadence per account and level (visits.cadence): its table, keyed and guarded like every
tenant table ((tenant_id, id) key, composite foreign key to the account, forced RLS)."""

import django.db.models.deletion
import django.db.models.manager
from django.db import migrations, models

from kam.db.operations import EnableTenantRLS, TenantForeignKey, TenantPrimaryKey


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0014_names_in_pinyin_order_and_sort_indexes'),
        ('kam', '0014_notifications'),
        ('visits', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='CadenceStatus',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('level', models.CharField(choices=[('leadership', 'Leadership'), ('technical', 'Technical'), ('business', 'Business')], max_length=12, verbose_name='level')),
                ('tier', models.CharField(blank=True, choices=[('strategic', 'Strategic'), ('key', 'Key'), ('important', 'Important'), ('general', 'General')], max_length=10, verbose_name='tier')),
                ('required_per_year', models.PositiveSmallIntegerField(verbose_name='visits required per year')),
                ('last_visit_on', models.DateField(blank=True, null=True, verbose_name='last visit')),
                ('next_due_on', models.DateField(blank=True, null=True, verbose_name='next visit due')),
                ('state', models.CharField(choices=[('inactive', 'Inactive account'), ('not_required', 'Not required'), ('no_owner', 'No owner'), ('overdue', 'Overdue'), ('due_soon', 'Due soon'), ('on_track', 'On track')], max_length=12, verbose_name='state')),
                ('completed_12m', models.PositiveIntegerField(verbose_name='visits in the last 12 months')),
                ('required_12m', models.PositiveIntegerField(verbose_name='visits required in the last 12 months')),
                ('compliance_pct', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='compliance (%)')),
                ('contact_count', models.PositiveIntegerField(verbose_name='contacts at the level')),
                ('account', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='cadence_rows', to='accounts.account', verbose_name='account')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='kam.tenant')),
            ],
            options={
                'verbose_name': 'visit cadence',
                'verbose_name_plural': 'visit cadences',
                'indexes': [models.Index(fields=['tenant', 'next_due_on', 'id'], name='cadence_due_idx'), models.Index(fields=['tenant', 'level', 'next_due_on', 'id'], name='cadence_level_due_idx')],
                'constraints': [models.UniqueConstraint(fields=('tenant', 'account', 'level'), name='cadencestatus_account_level_uniq')],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('unscoped_all_tenants', django.db.models.manager.Manager()),
            ],
        ),
        TenantPrimaryKey('visits_cadencestatus'),
        TenantForeignKey('cadencestatus', 'account'),
        EnableTenantRLS('visits_cadencestatus'),
    ]

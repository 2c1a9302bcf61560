"""The company's customer care settings: how many days ahead birthdays and contract
anniversaries are reminded of (one row per company, written on the first change)."""

import django.core.validators
import django.db.models.deletion
import django.db.models.manager
import pghistory.utils
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models

from kam.db.operations import EnableTenantRLS, TenantPrimaryKey


class Migration(migrations.Migration):

    dependencies = [
        ('care', '0001_initial'),
        ('kam', '0014_notifications'),
    ]

    operations = [
        migrations.CreateModel(
            name='CareSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('birthday_lead_days', models.PositiveSmallIntegerField(default=3, validators=[django.core.validators.MaxValueValidator(60)], verbose_name='birthdays: days ahead')),
                ('anniversary_lead_days', models.PositiveSmallIntegerField(default=3, validators=[django.core.validators.MaxValueValidator(60)], verbose_name='contract anniversaries: days ahead')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='kam.tenant')),
            ],
            options={
                'verbose_name': 'customer care settings',
                'verbose_name_plural': 'customer care settings',
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('unscoped_all_tenants', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='CareSettingsEvent',
            fields=[
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('pgh_id', models.BigAutoField(primary_key=True, serialize=False)),
                ('pgh_context', pghistory.utils.JSONField(null=True)),
                ('pgh_context_id', models.UUIDField(null=True)),
                ('id', models.BigIntegerField()),
                ('birthday_lead_days', models.PositiveSmallIntegerField(default=3, validators=[django.core.validators.MaxValueValidator(60)], verbose_name='birthdays: days ahead')),
                ('anniversary_lead_days', models.PositiveSmallIntegerField(default=3, validators=[django.core.validators.MaxValueValidator(60)], verbose_name='contract anniversaries: days ahead')),
                ('pgh_obj', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='audit_events', related_query_name='audit_event', to='care.caresettings')),
                ('tenant', models.ForeignKey(db_constraint=False, editable=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='kam.tenant')),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.AddConstraint(
            model_name='caresettings',
            constraint=models.UniqueConstraint(fields=('tenant',), name='caresettings_tenant_uniq'),
        ),
        migrations.AddConstraint(
            model_name='caresettings',
            constraint=models.CheckConstraint(condition=models.Q(('anniversary_lead_days__lte', 60), ('birthday_lead_days__lte', 60)), name='caresettings_lead_in_range'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='caresettings',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "care_caresettingsevent" ("anniversary_lead_days", "birthday_lead_days", "id", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "tenant_id") SELECT new_values."anniversary_lead_days", new_values."birthday_lead_days", new_values."id", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'insert\', new_values."id", new_values."tenant_id" FROM ( SELECT new_values.* FROM new_values  ) AS new_values; RETURN NULL;', hash='e2b8ce8e2c64fa2e46a5d57cc441cfa0c4c81ccb', level='STATEMENT', operation='INSERT', pgid='pgtrigger_insert_insert_77d87', referencing='REFERENCING NEW TABLE AS new_values ', table='care_caresettings', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='caresettings',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "care_caresettingsevent" ("anniversary_lead_days", "birthday_lead_days", "id", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "tenant_id") SELECT new_values."anniversary_lead_days", new_values."birthday_lead_days", new_values."id", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'update\', new_values."id", new_values."tenant_id" FROM ( SELECT new_values.* FROM old_values JOIN new_values ON (old_values."id") = (new_values."id") WHERE (old_values."anniversary_lead_days" IS DISTINCT FROM (new_values."anniversary_lead_days") OR old_values."birthday_lead_days" IS DISTINCT FROM (new_values."birthday_lead_days") OR old_values."id" IS DISTINCT FROM (new_values."id") OR old_values."tenant_id" IS DISTINCT FROM (new_values."tenant_id")) ) AS new_values; RETURN NULL;', hash='6d98b3fb8a632d852083720884ee0658f830bdcd', level='STATEMENT', operation='UPDATE', pgid='pgtrigger_update_update_f15d7', referencing='REFERENCING OLD TABLE AS old_values  NEW TABLE AS new_values ', table='care_caresettings', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='caresettings',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "care_caresettingsevent" ("anniversary_lead_days", "birthday_lead_days", "id", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "tenant_id") SELECT old_values."anniversary_lead_days", old_values."birthday_lead_days", old_values."id", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'delete\', old_values."id", old_values."tenant_id" FROM ( SELECT old_values.* FROM old_values  ) AS old_values; RETURN NULL;', hash='e25f96e4424e0ce799b4eebbc6fb72db5a123106', level='STATEMENT', operation='DELETE', pgid='pgtrigger_delete_delete_374d6', referencing='REFERENCING OLD TABLE AS old_values ', table='care_caresettings', when='AFTER')),
        ),
        TenantPrimaryKey('care_caresettings'),
        TenantPrimaryKey('care_caresettingsevent', column='pgh_id'),
        EnableTenantRLS('care_caresettings'),
        EnableTenantRLS('care_caresettingsevent'),
    ]

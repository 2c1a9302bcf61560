"""Customer care (care): the companies' festivals and the care reminders — their tables, audit
trail and tenancy; every existing company gets the default festivals (care.services.festivals_seed
does it for the companies created later)."""

import django.core.validators
import django.db.models.deletion
import django.db.models.manager
import pghistory.utils
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models

from kam.db.operations import EnableTenantRLS, TenantForeignKey, TenantPrimaryKey

# The default festivals (frozen here, as a migration must be): name in the company's default
# language, month, day, days ahead.
DEFAULT_FESTIVALS = {
    "zh": (("元旦", 1, 1, 3), ("圣诞节", 12, 25, 7)),
    "en": (("New Year's Day", 1, 1, 3), ("Christmas", 12, 25, 7)),
}


def seed(apps, schema_editor) -> None:
    from kam.tenancy import tenant_context  # row-level security: each tenant's rows as itself

    Tenant = apps.get_model("kam", "Tenant")
    sql = ("INSERT INTO care_festival (tenant_id, name, calendar, month, day, lead_days, "
           "is_active, created_at, updated_at) VALUES (%s, %s, 'solar', %s, %s, %s, true, now(), "
           "now()) ON CONFLICT DO NOTHING")
    for tenant in Tenant.objects.all():
        names = DEFAULT_FESTIVALS["zh" if tenant.default_language.startswith("zh") else "en"]
        with tenant_context(tenant), schema_editor.connection.cursor() as cursor:
            for name, month, day, lead in names:
                cursor.execute(sql, [tenant.pk, name, month, day, lead])


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0015_care_fields'),
        ('kam', '0014_notifications'),
        ('visits', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='CareReminder',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('occasion', models.CharField(choices=[('birthday', 'Birthday'), ('anniversary', 'Contract anniversary'), ('spring_festival', 'Spring Festival'), ('lantern_festival', 'Lantern Festival'), ('dragon_boat', 'Dragon Boat Festival'), ('mid_autumn', 'Mid-Autumn Festival'), ('double_ninth', 'Double Ninth Festival'), ('new_year', "New Year's Day"), ('national_day', 'National Day'), ('festival', 'Festival')], max_length=20, verbose_name='occasion')),
                ('occurs_on', models.DateField(verbose_name='date')),
                ('year', models.PositiveSmallIntegerField(verbose_name='year')),
                ('status', models.CharField(choices=[('open', 'Open'), ('dismissed', 'Dismissed'), ('followed_up', 'Followed up')], default='open', max_length=12, verbose_name='status')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='closed at')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                ('account', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='care_reminders', to='accounts.account', verbose_name='account')),
                ('closed_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='kam.membership', verbose_name='closed by')),
                ('contact', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='care_reminders', to='accounts.contact', verbose_name='contact')),
                ('contract', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='care_reminders', to='accounts.contract', verbose_name='contract')),
                ('follow_up', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='visits.followup', verbose_name='follow-up')),
                ('owner', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='care_reminders', to='kam.membership', verbose_name='owner')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='kam.tenant')),
            ],
            options={
                'verbose_name': 'care reminder',
                'verbose_name_plural': 'care reminders',
                'ordering': ['occurs_on', 'id'],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('unscoped_all_tenants', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='Festival',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, verbose_name='name')),
                ('calendar', models.CharField(choices=[('solar', 'Solar calendar'), ('lunar', 'Lunar calendar')], default='solar', max_length=5, verbose_name='calendar')),
                ('month', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(12)], verbose_name='month')),
                ('day', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(31)], verbose_name='day')),
                ('lead_days', models.PositiveSmallIntegerField(default=3, help_text='How many days before the festival its reminders come.', validators=[django.core.validators.MaxValueValidator(60)], verbose_name='days ahead')),
                ('is_active', models.BooleanField(default=True, verbose_name='on')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='kam.tenant')),
            ],
            options={
                'verbose_name': 'festival',
                'verbose_name_plural': 'festivals',
                'ordering': ['month', 'day', 'id'],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('unscoped_all_tenants', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='CareReminderEvent',
            fields=[
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('pgh_id', models.BigAutoField(primary_key=True, serialize=False)),
                ('pgh_context', pghistory.utils.JSONField(null=True)),
                ('pgh_context_id', models.UUIDField(null=True)),
                ('id', models.BigIntegerField()),
                ('occasion', models.CharField(choices=[('birthday', 'Birthday'), ('anniversary', 'Contract anniversary'), ('spring_festival', 'Spring Festival'), ('lantern_festival', 'Lantern Festival'), ('dragon_boat', 'Dragon Boat Festival'), ('mid_autumn', 'Mid-Autumn Festival'), ('double_ninth', 'Double Ninth Festival'), ('new_year', "New Year's Day"), ('national_day', 'National Day'), ('festival', 'Festival')], max_length=20, verbose_name='occasion')),
                ('occurs_on', models.DateField(verbose_name='date')),
                ('year', models.PositiveSmallIntegerField(verbose_name='year')),
                ('status', models.CharField(choices=[('open', 'Open'), ('dismissed', 'Dismissed'), ('followed_up', 'Followed up')], default='open', max_length=12, verbose_name='status')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='closed at')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('account', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='accounts.account', verbose_name='account')),
                ('closed_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='kam.membership', verbose_name='closed by')),
                ('contact', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='accounts.contact', verbose_name='contact')),
                ('contract', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='accounts.contract', verbose_name='contract')),
                ('follow_up', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='visits.followup', verbose_name='follow-up')),
                ('owner', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='kam.membership', verbose_name='owner')),
                ('pgh_obj', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='audit_events', related_query_name='audit_event', to='care.carereminder')),
                ('tenant', models.ForeignKey(db_constraint=False, editable=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='kam.tenant')),
                ('festival', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='care.festival', verbose_name='festival')),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.AddField(
            model_name='carereminder',
            name='festival',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='reminders', to='care.festival', verbose_name='festival'),
        ),
        migrations.CreateModel(
            name='FestivalEvent',
            fields=[
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('pgh_id', models.BigAutoField(primary_key=True, serialize=False)),
                ('pgh_context', pghistory.utils.JSONField(null=True)),
                ('pgh_context_id', models.UUIDField(null=True)),
                ('id', models.BigIntegerField()),
                ('name', models.CharField(max_length=100, verbose_name='name')),
                ('calendar', models.CharField(choices=[('solar', 'Solar calendar'), ('lunar', 'Lunar calendar')], default='solar', max_length=5, verbose_name='calendar')),
                ('month', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(12)], verbose_name='month')),
                ('day', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(31)], verbose_name='day')),
                ('lead_days', models.PositiveSmallIntegerField(default=3, help_text='How many days before the festival its reminders come.', validators=[django.core.validators.MaxValueValidator(60)], verbose_name='days ahead')),
                ('is_active', models.BooleanField(default=True, verbose_name='on')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('pgh_obj', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='audit_events', related_query_name='audit_event', to='care.festival')),
                ('tenant', models.ForeignKey(db_constraint=False, editable=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='kam.tenant')),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.AddConstraint(
            model_name='festival',
            constraint=models.UniqueConstraint(fields=('tenant', 'name'), name='festival_tenant_name_uniq', violation_error_message='Your company already has a festival of this name.'),
        ),
        migrations.AddConstraint(
            model_name='festival',
            constraint=models.CheckConstraint(condition=models.Q(('day__gte', 1), ('day__lte', 31), ('lead_days__lte', 60), ('month__gte', 1), ('month__lte', 12)), name='festival_date_in_range'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='festival',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "care_festivalevent" ("calendar", "created_at", "day", "id", "is_active", "lead_days", "month", "name", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "tenant_id") SELECT new_values."calendar", new_values."created_at", new_values."day", new_values."id", new_values."is_active", new_values."lead_days", new_values."month", new_values."name", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'insert\', new_values."id", new_values."tenant_id" FROM ( SELECT new_values.* FROM new_values  ) AS new_values; RETURN NULL;', hash='873f5adea5c6240f461d68399047c1d846550247', level='STATEMENT', operation='INSERT', pgid='pgtrigger_insert_insert_442b8', referencing='REFERENCING NEW TABLE AS new_values ', table='care_festival', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='festival',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "care_festivalevent" ("calendar", "created_at", "day", "id", "is_active", "lead_days", "month", "name", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "tenant_id") SELECT new_values."calendar", new_values."created_at", new_values."day", new_values."id", new_values."is_active", new_values."lead_days", new_values."month", new_values."name", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'update\', new_values."id", new_values."tenant_id" FROM ( SELECT new_values.* FROM old_values JOIN new_values ON (old_values."id") = (new_values."id") WHERE (old_values."calendar" IS DISTINCT FROM (new_values."calendar") OR old_values."created_at" IS DISTINCT FROM (new_values."created_at") OR old_values."day" IS DISTINCT FROM (new_values."day") OR old_values."id" IS DISTINCT FROM (new_values."id") OR old_values."is_active" IS DISTINCT FROM (new_values."is_active") OR old_values."lead_days" IS DISTINCT FROM (new_values."lead_days") OR old_values."month" IS DISTINCT FROM (new_values."month") OR old_values."name" IS DISTINCT FROM (new_values."name") OR old_values."tenant_id" IS DISTINCT FROM (new_values."tenant_id")) ) AS new_values; RETURN NULL;', hash='1f07e6a12ae8b4998b9c861bcd3456de8454a972', level='STATEMENT', operation='UPDATE', pgid='pgtrigger_update_update_296d8', referencing='REFERENCING OLD TABLE AS old_values  NEW TABLE AS new_values ', table='care_festival', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='festival',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "care_festivalevent" ("calendar", "created_at", "day", "id", "is_active", "lead_days", "month", "name", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "tenant_id") SELECT old_values."calendar", old_values."created_at", old_values."day", old_values."id", old_values."is_active", old_values."lead_days", old_values."month", old_values."name", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'delete\', old_values."id", old_values."tenant_id" FROM ( SELECT old_values.* FROM old_values  ) AS old_values; RETURN NULL;', hash='33deede556b0bdd727569e613053cc947d6d313e', level='STATEMENT', operation='DELETE', pgid='pgtrigger_delete_delete_72d9f', referencing='REFERENCING OLD TABLE AS old_values ', table='care_festival', when='AFTER')),
        ),
        migrations.AddIndex(
            model_name='carereminderevent',
            index=models.Index(fields=['tenant', 'account', 'pgh_created_at', 'pgh_id'], name='carereminderevent_history_idx'),
        ),
        migrations.AddIndex(
            model_name='carereminder',
            index=models.Index(fields=['tenant', 'owner', 'occurs_on', 'id'], name='carereminder_owner_idx'),
        ),
        migrations.AddIndex(
            model_name='carereminder',
            index=models.Index(fields=['tenant', 'occurs_on', 'id'], name='carereminder_date_idx'),
        ),
        migrations.AddIndex(
            model_name='carereminder',
            index=models.Index(fields=['tenant', 'account', 'occurs_on', 'id'], name='carereminder_account_idx'),
        ),
        migrations.AddConstraint(
            model_name='carereminder',
            constraint=models.UniqueConstraint(condition=models.Q(('contact__isnull', False)), fields=('tenant', 'contact', 'occasion', 'festival', 'year'), name='carereminder_contact_uniq', nulls_distinct=False),
        ),
        migrations.AddConstraint(
            model_name='carereminder',
            constraint=models.UniqueConstraint(condition=models.Q(('contract__isnull', False)), fields=('tenant', 'contract', 'occasion', 'year'), name='carereminder_contract_uniq'),
        ),
        migrations.AddConstraint(
            model_name='carereminder',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('contact__isnull', False), ('contract__isnull', True)), models.Q(('contact__isnull', True), ('contract__isnull', False)), _connector='OR'), name='carereminder_contact_or_contract'),
        ),
        migrations.AddConstraint(
            model_name='carereminder',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('festival__isnull', False), ('occasion', 'festival')), models.Q(models.Q(('occasion', 'festival'), _negated=True), ('festival__isnull', True)), _connector='OR'), name='carereminder_festival_named'),
        ),
        migrations.AddConstraint(
            model_name='carereminder',
            constraint=models.CheckConstraint(condition=models.Q(('status', 'open'), ('closed_at__isnull', False), _connector='OR'), name='carereminder_closed_has_time'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='carereminder',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "care_carereminderevent" ("account_id", "closed_at", "closed_by_id", "contact_id", "contract_id", "created_at", "festival_id", "follow_up_id", "id", "occasion", "occurs_on", "owner_id", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "status", "tenant_id", "year") SELECT new_values."account_id", new_values."closed_at", new_values."closed_by_id", new_values."contact_id", new_values."contract_id", new_values."created_at", new_values."festival_id", new_values."follow_up_id", new_values."id", new_values."occasion", new_values."occurs_on", new_values."owner_id", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'insert\', new_values."id", new_values."status", new_values."tenant_id", new_values."year" FROM ( SELECT new_values.* FROM new_values  ) AS new_values; RETURN NULL;', hash='dcac58dd5686eaa45c5ecdb08ce5eb55736c6ba8', level='STATEMENT', operation='INSERT', pgid='pgtrigger_insert_insert_374f9', referencing='REFERENCING NEW TABLE AS new_values ', table='care_carereminder', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='carereminder',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "care_carereminderevent" ("account_id", "closed_at", "closed_by_id", "contact_id", "contract_id", "created_at", "festival_id", "follow_up_id", "id", "occasion", "occurs_on", "owner_id", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "status", "tenant_id", "year") SELECT new_values."account_id", new_values."closed_at", new_values."closed_by_id", new_values."contact_id", new_values."contract_id", new_values."created_at", new_values."festival_id", new_values."follow_up_id", new_values."id", new_values."occasion", new_values."occurs_on", new_values."owner_id", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'update\', new_values."id", new_values."status", new_values."tenant_id", new_values."year" FROM ( SELECT new_values.* FROM old_values JOIN new_values ON (old_values."id") = (new_values."id") WHERE (old_values."account_id" IS DISTINCT FROM (new_values."account_id") OR old_values."closed_at" IS DISTINCT FROM (new_values."closed_at") OR old_values."closed_by_id" IS DISTINCT FROM (new_values."closed_by_id") OR old_values."contact_id" IS DISTINCT FROM (new_values."contact_id") OR old_values."contract_id" IS DISTINCT FROM (new_values."contract_id") OR old_values."created_at" IS DISTINCT FROM (new_values."created_at") OR old_values."festival_id" IS DISTINCT FROM (new_values."festival_id") OR old_values."follow_up_id" IS DISTINCT FROM (new_values."follow_up_id") OR old_values."id" IS DISTINCT FROM (new_values."id") OR old_values."occasion" IS DISTINCT FROM (new_values."occasion") OR old_values."occurs_on" IS DISTINCT FROM (new_values."occurs_on") OR old_values."owner_id" IS DISTINCT FROM (new_values."owner_id") OR old_values."status" IS DISTINCT FROM (new_values."status") OR old_values."tenant_id" IS DISTINCT FROM (new_values."tenant_id") OR old_values."year" IS DISTINCT FROM (new_values."year")) ) AS new_values; RETURN NULL;', hash='e55950f914061a3d8dc1dd13b895fd0774ba5ff5', level='STATEMENT', operation='UPDATE', pgid='pgtrigger_update_update_72d6c', referencing='REFERENCING OLD TABLE AS old_values  NEW TABLE AS new_values ', table='care_carereminder', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='carereminder',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "care_carereminderevent" ("account_id", "closed_at", "closed_by_id", "contact_id", "contract_id", "created_at", "festival_id", "follow_up_id", "id", "occasion", "occurs_on", "owner_id", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "status", "tenant_id", "year") SELECT old_values."account_id", old_values."closed_at", old_values."closed_by_id", old_values."contact_id", old_values."contract_id", old_values."created_at", old_values."festival_id", old_values."follow_up_id", old_values."id", old_values."occasion", old_values."occurs_on", old_values."owner_id", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'delete\', old_values."id", old_values."status", old_values."tenant_id", old_values."year" FROM ( SELECT old_values.* FROM old_values  ) AS old_values; RETURN NULL;', hash='6828d94cb59bcaf627406045a77155dcabc836ae', level='STATEMENT', operation='DELETE', pgid='pgtrigger_delete_delete_26660', referencing='REFERENCING OLD TABLE AS old_values ', table='care_carereminder', when='AFTER')),
        ),
        # Tenancy (kam.db.operations; README "Tenancy"): keys that lead with the tenant, composite
        # foreign keys between tenant tables, forced row-level security on every table.
        TenantPrimaryKey('care_festival'),
        TenantPrimaryKey('care_carereminder'),
        TenantPrimaryKey('care_festivalevent', column='pgh_id'),
        TenantPrimaryKey('care_carereminderevent', column='pgh_id'),
        TenantForeignKey('carereminder', 'account'),
        TenantForeignKey('carereminder', 'contact'),
        TenantForeignKey('carereminder', 'contract'),
        TenantForeignKey('carereminder', 'festival'),
        TenantForeignKey('carereminder', 'owner'),
        TenantForeignKey('carereminder', 'follow_up'),
        TenantForeignKey('carereminder', 'closed_by'),
        EnableTenantRLS('care_festival'),
        EnableTenantRLS('care_carereminder'),
        # The audit trail of tenant data is tenant data: the same row-level security (kam.audit).
        EnableTenantRLS('care_festivalevent'),
        EnableTenantRLS('care_carereminderevent'),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]

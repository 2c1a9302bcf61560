"""Visits and follow-ups (visits.visit, visits.followups): their tables, audit trail and tenancy."""

import django.core.validators
import django.db.models.deletion
import django.db.models.manager
import pghistory.utils
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models

from kam.db.operations import EnableTenantRLS, TenantForeignKey, TenantPrimaryKey


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0014_names_in_pinyin_order_and_sort_indexes'),
        ('kam', '0012_name_collation'),
    ]

    operations = [
        migrations.CreateModel(
            name='FollowUp',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=300, verbose_name='what')),
                ('notes', models.TextField(blank=True, verbose_name='notes')),
                ('due_on', models.DateField(verbose_name='due date')),
                ('status', models.CharField(choices=[('open', 'Open'), ('done', 'Done'), ('cancelled', 'Cancelled')], default='open', max_length=10, verbose_name='status')),
                ('source', models.CharField(choices=[('visit', 'A visit'), ('manual', 'Entered by hand'), ('request', 'A service request'), ('survey', 'A survey'), ('risk', 'A risk alert')], default='manual', max_length=10, verbose_name='source')),
                ('source_ref', models.CharField(blank=True, max_length=64, verbose_name='source reference')),
                ('recurrence', models.CharField(choices=[('none', 'Does not repeat'), ('from_due', 'Repeats from the due date'), ('from_done', 'Repeats from the day it is done')], default='none', max_length=10, verbose_name='repeats')),
                ('recurrence_interval', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(365)], verbose_name='every')),
                ('recurrence_unit', models.CharField(blank=True, choices=[('days', 'days'), ('weeks', 'weeks'), ('months', 'months')], max_length=6, verbose_name='unit')),
                ('done_at', models.DateTimeField(blank=True, null=True, verbose_name='done at')),
                ('cancelled_at', models.DateTimeField(blank=True, null=True, verbose_name='cancelled at')),
                ('cancel_reason', models.TextField(blank=True, verbose_name='reason for cancelling')),
                ('overdue_since', models.DateField(blank=True, null=True, verbose_name='overdue since')),
                ('escalated_on', models.DateField(blank=True, null=True, verbose_name='escalated on')),
                ('external_id', models.CharField(blank=True, help_text="The follow-up's id in another system, for sync.", max_length=100, verbose_name='external ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                ('account', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='follow_ups', to='accounts.account', verbose_name='account')),
                ('cancelled_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='kam.membership', verbose_name='cancelled by')),
                ('done_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='kam.membership', verbose_name='done by')),
                ('owner', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='follow_ups', to='kam.membership', verbose_name='owner')),
                ('previous', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='visits.followup', verbose_name='follows')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='kam.tenant')),
            ],
            options={
                'verbose_name': 'follow-up',
                'verbose_name_plural': 'follow-ups',
                'ordering': ['due_on', 'id'],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('unscoped_all_tenants', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='Visit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('level', models.CharField(choices=[('leadership', 'Leadership'), ('technical', 'Technical'), ('business', 'Business')], max_length=12, verbose_name='level')),
                ('channel', models.CharField(choices=[('on_site', 'On site'), ('video', 'Video call'), ('phone', 'Phone call')], default='on_site', max_length=10, verbose_name='channel')),
                ('planned_start', models.DateTimeField(verbose_name='start')),
                ('duration_minutes', models.PositiveSmallIntegerField(default=60, validators=[django.core.validators.MinValueValidator(5), django.core.validators.MaxValueValidator(1440)], verbose_name='duration (minutes)')),
                ('location', models.CharField(blank=True, max_length=200, verbose_name='location')),
                ('objective', models.CharField(max_length=300, verbose_name='objective')),
                ('status', models.CharField(choices=[('planned', 'Planned'), ('completed', 'Completed'), ('cancelled', 'Cancelled'), ('missed', 'Missed')], default='planned', max_length=10, verbose_name='status')),
                ('reschedule_count', models.PositiveSmallIntegerField(default=0, verbose_name='times rescheduled')),
                ('cancel_reason', models.TextField(blank=True, verbose_name='reason for cancelling')),
                ('cancelled_at', models.DateTimeField(blank=True, null=True, verbose_name='cancelled at')),
                ('missed_at', models.DateTimeField(blank=True, null=True, verbose_name='marked missed at')),
                ('summary', models.TextField(blank=True, verbose_name='summary')),
                ('discussed', models.TextField(blank=True, verbose_name='what was discussed')),
                ('customer_commitments', models.TextField(blank=True, verbose_name="the customer's commitments")),
                ('sentiment', models.CharField(blank=True, choices=[('positive', 'Positive'), ('neutral', 'Neutral'), ('negative', 'Negative')], max_length=10, verbose_name='sentiment')),
                ('next_visit_on', models.DateField(blank=True, null=True, verbose_name='next visit proposed for')),
                ('completed_at', models.DateTimeField(blank=True, null=True, verbose_name='reported at')),
                ('checkin_latitude', models.DecimalField(blank=True, decimal_places=6, max_digits=9, null=True, verbose_name='check-in latitude')),
                ('checkin_longitude', models.DecimalField(blank=True, decimal_places=6, max_digits=9, null=True, verbose_name='check-in longitude')),
                ('checkin_accuracy_m', models.PositiveIntegerField(blank=True, null=True, verbose_name='check-in accuracy (metres)')),
                ('checked_in_at', models.DateTimeField(blank=True, null=True, verbose_name='checked in at')),
                ('external_id', models.CharField(blank=True, help_text="The visit's id in another system, for sync.", max_length=100, verbose_name='external ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                ('account', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='visits', to='accounts.account', verbose_name='account')),
                ('cancelled_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='kam.membership', verbose_name='cancelled by')),
                ('completed_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='kam.membership', verbose_name='reported by')),
                ('owner', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='owned_visits', to='kam.membership', verbose_name='owner')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='kam.tenant')),
            ],
            options={
                'verbose_name': 'visit',
                'verbose_name_plural': 'visits',
                'ordering': ['-planned_start', '-id'],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('unscoped_all_tenants', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='FollowUpEvent',
            fields=[
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('pgh_id', models.BigAutoField(primary_key=True, serialize=False)),
                ('pgh_context', pghistory.utils.JSONField(null=True)),
                ('pgh_context_id', models.UUIDField(null=True)),
                ('id', models.BigIntegerField()),
                ('title', models.CharField(max_length=300, verbose_name='what')),
                ('notes', models.TextField(blank=True, verbose_name='notes')),
                ('due_on', models.DateField(verbose_name='due date')),
                ('status', models.CharField(choices=[('open', 'Open'), ('done', 'Done'), ('cancelled', 'Cancelled')], default='open', max_length=10, verbose_name='status')),
                ('source', models.CharField(choices=[('visit', 'A visit'), ('manual', 'Entered by hand'), ('request', 'A service request'), ('survey', 'A survey'), ('risk', 'A risk alert')], default='manual', max_length=10, verbose_name='source')),
                ('source_ref', models.CharField(blank=True, max_length=64, verbose_name='source reference')),
                ('recurrence', models.CharField(choices=[('none', 'Does not repeat'), ('from_due', 'Repeats from the due date'), ('from_done', 'Repeats from the day it is done')], default='none', max_length=10, verbose_name='repeats')),
                ('recurrence_interval', models.PositiveSmallIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(365)], verbose_name='every')),
                ('recurrence_unit', models.CharField(blank=True, choices=[('days', 'days'), ('weeks', 'weeks'), ('months', 'months')], max_length=6, verbose_name='unit')),
                ('done_at', models.DateTimeField(blank=True, null=True, verbose_name='done at')),
                ('cancelled_at', models.DateTimeField(blank=True, null=True, verbose_name='cancelled at')),
                ('cancel_reason', models.TextField(blank=True, verbose_name='reason for cancelling')),
                ('overdue_since', models.DateField(blank=True, null=True, verbose_name='overdue since')),
                ('escalated_on', models.DateField(blank=True, null=True, verbose_name='escalated on')),
                ('external_id', models.CharField(blank=True, help_text="The follow-up's id in another system, for sync.", max_length=100, verbose_name='external ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('account', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='accounts.account', verbose_name='account')),
                ('cancelled_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='kam.membership', verbose_name='cancelled by')),
                ('done_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='kam.membership', verbose_name='done by')),
                ('owner', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='kam.membership', verbose_name='owner')),
                ('pgh_obj', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='audit_events', related_query_name='audit_event', to='visits.followup')),
                ('previous', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='visits.followup', verbose_name='follows')),
                ('tenant', models.ForeignKey(db_constraint=False, editable=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='kam.tenant')),
                ('visit', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='visits.visit', verbose_name='visit')),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.AddField(
            model_name='followup',
            name='visit',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='follow_ups', to='visits.visit', verbose_name='visit'),
        ),
        migrations.CreateModel(
            name='VisitAttendee',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('membership', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='visits_attended', to='kam.membership', verbose_name='member')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='kam.tenant')),
                ('visit', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='attendee_rows', to='visits.visit', verbose_name='visit')),
            ],
            options={
                'verbose_name': 'our attendee',
                'verbose_name_plural': 'our attendees',
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('unscoped_all_tenants', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='VisitAttendeeEvent',
            fields=[
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('pgh_id', models.BigAutoField(primary_key=True, serialize=False)),
                ('pgh_context', pghistory.utils.JSONField(null=True)),
                ('pgh_context_id', models.UUIDField(null=True)),
                ('id', models.BigIntegerField()),
                ('membership', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='kam.membership', verbose_name='member')),
                ('pgh_obj', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='audit_events', related_query_name='audit_event', to='visits.visitattendee')),
                ('tenant', models.ForeignKey(db_constraint=False, editable=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='kam.tenant')),
                ('visit', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='visits.visit', verbose_name='visit')),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='VisitContact',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('level', models.CharField(choices=[('leadership', 'Leadership'), ('technical', 'Technical'), ('business', 'Business')], max_length=12, verbose_name='level')),
                ('contact', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='visits_attended', to='accounts.contact', verbose_name='contact')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='kam.tenant')),
                ('visit', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='contact_rows', to='visits.visit', verbose_name='visit')),
            ],
            options={
                'verbose_name': 'customer attendee',
                'verbose_name_plural': 'customer attendees',
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('unscoped_all_tenants', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='VisitContactEvent',
            fields=[
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('pgh_id', models.BigAutoField(primary_key=True, serialize=False)),
                ('pgh_context', pghistory.utils.JSONField(null=True)),
                ('pgh_context_id', models.UUIDField(null=True)),
                ('id', models.BigIntegerField()),
                ('level', models.CharField(choices=[('leadership', 'Leadership'), ('technical', 'Technical'), ('business', 'Business')], max_length=12, verbose_name='level')),
                ('contact', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='accounts.contact', verbose_name='contact')),
                ('pgh_obj', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='audit_events', related_query_name='audit_event', to='visits.visitcontact')),
                ('tenant', models.ForeignKey(db_constraint=False, editable=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='kam.tenant')),
                ('visit', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='visits.visit', verbose_name='visit')),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='VisitEvent',
            fields=[
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('pgh_id', models.BigAutoField(primary_key=True, serialize=False)),
                ('pgh_context', pghistory.utils.JSONField(null=True)),
                ('pgh_context_id', models.UUIDField(null=True)),
                ('id', models.BigIntegerField()),
                ('level', models.CharField(choices=[('leadership', 'Leadership'), ('technical', 'Technical'), ('business', 'Business')], max_length=12, verbose_name='level')),
                ('channel', models.CharField(choices=[('on_site', 'On site'), ('video', 'Video call'), ('phone', 'Phone call')], default='on_site', max_length=10, verbose_name='channel')),
                ('planned_start', models.DateTimeField(verbose_name='start')),
                ('duration_minutes', models.PositiveSmallIntegerField(default=60, validators=[django.core.validators.MinValueValidator(5), django.core.validators.MaxValueValidator(1440)], verbose_name='duration (minutes)')),
                ('location', models.CharField(blank=True, max_length=200, verbose_name='location')),
                ('objective', models.CharField(max_length=300, verbose_name='objective')),
                ('status', models.CharField(choices=[('planned', 'Planned'), ('completed', 'Completed'), ('cancelled', 'Cancelled'), ('missed', 'Missed')], default='planned', max_length=10, verbose_name='status')),
                ('reschedule_count', models.PositiveSmallIntegerField(default=0, verbose_name='times rescheduled')),
                ('cancel_reason', models.TextField(blank=True, verbose_name='reason for cancelling')),
                ('cancelled_at', models.DateTimeField(blank=True, null=True, verbose_name='cancelled at')),
                ('missed_at', models.DateTimeField(blank=True, null=True, verbose_name='marked missed at')),
                ('summary', models.TextField(blank=True, verbose_name='summary')),
                ('discussed', models.TextField(blank=True, verbose_name='what was discussed')),
                ('customer_commitments', models.TextField(blank=True, verbose_name="the customer's commitments")),
                ('sentiment', models.CharField(blank=True, choices=[('positive', 'Positive'), ('neutral', 'Neutral'), ('negative', 'Negative')], max_length=10, verbose_name='sentiment')),
                ('next_visit_on', models.DateField(blank=True, null=True, verbose_name='next visit proposed for')),
                ('completed_at', models.DateTimeField(blank=True, null=True, verbose_name='reported at')),
                ('checkin_latitude', models.DecimalField(blank=True, decimal_places=6, max_digits=9, null=True, verbose_name='check-in latitude')),
                ('checkin_longitude', models.DecimalField(blank=True, decimal_places=6, max_digits=9, null=True, verbose_name='check-in longitude')),
                ('checkin_accuracy_m', models.PositiveIntegerField(blank=True, null=True, verbose_name='check-in accuracy (metres)')),
                ('checked_in_at', models.DateTimeField(blank=True, null=True, verbose_name='checked in at')),
                ('external_id', models.CharField(blank=True, help_text="The visit's id in another system, for sync.", max_length=100, verbose_name='external ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('account', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='accounts.account', verbose_name='account')),
                ('cancelled_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='kam.membership', verbose_name='cancelled by')),
                ('completed_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='kam.membership', verbose_name='reported by')),
                ('owner', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='kam.membership', verbose_name='owner')),
                ('pgh_obj', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='audit_events', related_query_name='audit_event', to='visits.visit')),
                ('tenant', models.ForeignKey(db_constraint=False, editable=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='kam.tenant')),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.AddIndex(
            model_name='visit',
            index=models.Index(fields=['tenant', 'planned_start', 'id'], name='visit_start_idx'),
        ),
        migrations.AddIndex(
            model_name='visit',
            index=models.Index(fields=['tenant', 'owner', 'planned_start', 'id'], name='visit_owner_start_idx'),
        ),
        migrations.AddIndex(
            model_name='visit',
            index=models.Index(fields=['tenant', 'account', 'planned_start', 'id'], name='visit_account_start_idx'),
        ),
        migrations.AddIndex(
            model_name='visit',
            index=models.Index(condition=models.Q(('status', 'planned')), fields=['tenant', 'planned_start'], name='visit_planned_start_idx'),
        ),
        migrations.AddIndex(
            model_name='visit',
            index=models.Index(condition=models.Q(('status', 'completed')), fields=['tenant', 'account', 'level', 'planned_start'], name='visit_completed_idx'),
        ),
        migrations.AddConstraint(
            model_name='visit',
            constraint=models.UniqueConstraint(condition=models.Q(('external_id', ''), _negated=True), fields=('tenant', 'external_id'), name='visit_tenant_external_id_uniq'),
        ),
        migrations.AddConstraint(
            model_name='visit',
            constraint=models.CheckConstraint(condition=models.Q(('duration_minutes__gte', 5), ('duration_minutes__lte', 1440)), name='visit_duration_range'),
        ),
        migrations.AddConstraint(
            model_name='visit',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'completed'), _negated=True), ('completed_at__isnull', False), _connector='OR'), name='visit_completed_has_time'),
        ),
        migrations.AddConstraint(
            model_name='visit',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'cancelled'), _negated=True), models.Q(('cancelled_at__isnull', False), models.Q(('cancel_reason', ''), _negated=True)), _connector='OR'), name='visit_cancelled_has_reason'),
        ),
        migrations.AddConstraint(
            model_name='visit',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('checkin_latitude__isnull', True), ('checkin_longitude__isnull', True)), models.Q(('checked_in_at__isnull', False), ('checkin_latitude__gte', -90), ('checkin_latitude__lte', 90), ('checkin_longitude__gte', -180), ('checkin_longitude__lte', 180)), _connector='OR'), name='visit_checkin_position'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='visit',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "visits_visitevent" ("account_id", "cancel_reason", "cancelled_at", "cancelled_by_id", "channel", "checked_in_at", "checkin_accuracy_m", "checkin_latitude", "checkin_longitude", "completed_at", "completed_by_id", "created_at", "customer_commitments", "discussed", "duration_minutes", "external_id", "id", "level", "location", "missed_at", "next_visit_on", "objective", "owner_id", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "planned_start", "reschedule_count", "sentiment", "status", "summary", "tenant_id") SELECT new_values."account_id", new_values."cancel_reason", new_values."cancelled_at", new_values."cancelled_by_id", new_values."channel", new_values."checked_in_at", new_values."checkin_accuracy_m", new_values."checkin_latitude", new_values."checkin_longitude", new_values."completed_at", new_values."completed_by_id", new_values."created_at", new_values."customer_commitments", new_values."discussed", new_values."duration_minutes", new_values."external_id", new_values."id", new_values."level", new_values."location", new_values."missed_at", new_values."next_visit_on", new_values."objective", new_values."owner_id", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'insert\', new_values."id", new_values."planned_start", new_values."reschedule_count", new_values."sentiment", new_values."status", new_values."summary", new_values."tenant_id" FROM ( SELECT new_values.* FROM new_values  ) AS new_values; RETURN NULL;', hash='5e291a6bad0d24e4149358a224624b8e1bf7df1a', level='STATEMENT', operation='INSERT', pgid='pgtrigger_insert_insert_9d6da', referencing='REFERENCING NEW TABLE AS new_values ', table='visits_visit', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='visit',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "visits_visitevent" ("account_id", "cancel_reason", "cancelled_at", "cancelled_by_id", "channel", "checked_in_at", "checkin_accuracy_m", "checkin_latitude", "checkin_longitude", "completed_at", "completed_by_id", "created_at", "customer_commitments", "discussed", "duration_minutes", "external_id", "id", "level", "location", "missed_at", "next_visit_on", "objective", "owner_id", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "planned_start", "reschedule_count", "sentiment", "status", "summary", "tenant_id") SELECT new_values."account_id", new_values."cancel_reason", new_values."cancelled_at", new_values."cancelled_by_id", new_values."channel", new_values."checked_in_at", new_values."checkin_accuracy_m", new_values."checkin_latitude", new_values."checkin_longitude", new_values."completed_at", new_values."completed_by_id", new_values."created_at", new_values."customer_commitments", new_values."discussed", new_values."duration_minutes", new_values."external_id", new_values."id", new_values."level", new_values."location", new_values."missed_at", new_values."next_visit_on", new_values."objective", new_values."owner_id", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'update\', new_values."id", new_values."planned_start", new_values."reschedule_count", new_values."sentiment", new_values."status", new_values."summary", new_values."tenant_id" FROM ( SELECT new_values.* FROM old_values JOIN new_values ON (old_values."id") = (new_values."id") WHERE (old_values."account_id" IS DISTINCT FROM (new_values."account_id") OR old_values."cancel_reason" IS DISTINCT FROM (new_values."cancel_reason") OR old_values."cancelled_at" IS DISTINCT FROM (new_values."cancelled_at") OR old_values."cancelled_by_id" IS DISTINCT FROM (new_values."cancelled_by_id") OR old_values."channel" IS DISTINCT FROM (new_values."channel") OR old_values."checked_in_at" IS DISTINCT FROM (new_values."checked_in_at") OR old_values."checkin_accuracy_m" IS DISTINCT FROM (new_values."checkin_accuracy_m") OR old_values."checkin_latitude" IS DISTINCT FROM (new_values."checkin_latitude") OR old_values."checkin_longitude" IS DISTINCT FROM (new_values."checkin_longitude") OR old_values."completed_at" IS DISTINCT FROM (new_values."completed_at") OR old_values."completed_by_id" IS DISTINCT FROM (new_values."completed_by_id") OR old_values."created_at" IS DISTINCT FROM (new_values."created_at") OR old_values."customer_commitments" IS DISTINCT FROM (new_values."customer_commitments") OR old_values."discussed" IS DISTINCT FROM (new_values."discussed") OR old_values."duration_minutes" IS DISTINCT FROM (new_values."duration_minutes") OR old_values."external_id" IS DISTINCT FROM (new_values."external_id") OR old_values."id" IS DISTINCT FROM (new_values."id") OR old_values."level" IS DISTINCT FROM (new_values."level") OR old_values."location" IS DISTINCT FROM (new_values."location") OR old_values."missed_at" IS DISTINCT FROM (new_values."missed_at") OR old_values."next_visit_on" IS DISTINCT FROM (new_values."next_visit_on") OR old_values."objective" IS DISTINCT FROM (new_values."objective") OR old_values."owner_id" IS DISTINCT FROM (new_values."owner_id") OR old_values."planned_start" IS DISTINCT FROM (new_values."planned_start") OR old_values."reschedule_count" IS DISTINCT FROM (new_values."reschedule_count") OR old_values."sentiment" IS DISTINCT FROM (new_values."sentiment") OR old_values."status" IS DISTINCT FROM (new_values."status") OR old_values."summary" IS DISTINCT FROM (new_values."summary") OR old_values."tenant_id" IS DISTINCT FROM (new_values."tenant_id")) ) AS new_values; RETURN NULL;', hash='1d4363824ce02ad6bd306195864eb48c826c8be8', level='STATEMENT', operation='UPDATE', pgid='pgtrigger_update_update_41cf1', referencing='REFERENCING OLD TABLE AS old_values  NEW TABLE AS new_values ', table='visits_visit', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='visit',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "visits_visitevent" ("account_id", "cancel_reason", "cancelled_at", "cancelled_by_id", "channel", "checked_in_at", "checkin_accuracy_m", "checkin_latitude", "checkin_longitude", "completed_at", "completed_by_id", "created_at", "customer_commitments", "discussed", "duration_minutes", "external_id", "id", "level", "location", "missed_at", "next_visit_on", "objective", "owner_id", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "planned_start", "reschedule_count", "sentiment", "status", "summary", "tenant_id") SELECT old_values."account_id", old_values."cancel_reason", old_values."cancelled_at", old_values."cancelled_by_id", old_values."channel", old_values."checked_in_at", old_values."checkin_accuracy_m", old_values."checkin_latitude", old_values."checkin_longitude", old_values."completed_at", old_values."completed_by_id", old_values."created_at", old_values."customer_commitments", old_values."discussed", old_values."duration_minutes", old_values."external_id", old_values."id", old_values."level", old_values."location", old_values."missed_at", old_values."next_visit_on", old_values."objective", old_values."owner_id", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'delete\', old_values."id", old_values."planned_start", old_values."reschedule_count", old_values."sentiment", old_values."status", old_values."summary", old_values."tenant_id" FROM ( SELECT old_values.* FROM old_values  ) AS old_values; RETURN NULL;', hash='980d8e35fca1427a33d389952444c8c3eb9bf8a4', level='STATEMENT', operation='DELETE', pgid='pgtrigger_delete_delete_a3dfb', referencing='REFERENCING OLD TABLE AS old_values ', table='visits_visit', when='AFTER')),
        ),
        migrations.AddIndex(
            model_name='followupevent',
            index=models.Index(fields=['tenant', 'account', 'pgh_created_at', 'pgh_id'], name='followupevent_history_idx'),
        ),
        migrations.AddIndex(
            model_name='followup',
            index=models.Index(condition=models.Q(('status', 'open')), fields=['tenant', 'due_on', 'id'], name='followup_open_due_idx'),
        ),
        migrations.AddIndex(
            model_name='followup',
            index=models.Index(fields=['tenant', 'owner', 'due_on', 'id'], name='followup_owner_due_idx'),
        ),
        migrations.AddIndex(
            model_name='followup',
            index=models.Index(fields=['tenant', 'account', 'due_on', 'id'], name='followup_account_due_idx'),
        ),
        migrations.AddIndex(
            model_name='followup',
            index=models.Index(fields=['tenant', 'visit'], name='followup_visit_idx'),
        ),
        migrations.AddIndex(
            model_name='followup',
            index=models.Index(fields=['tenant', 'due_on', 'id'], name='followup_due_idx'),
        ),
        migrations.AddConstraint(
            model_name='followup',
            constraint=models.UniqueConstraint(condition=models.Q(('external_id', ''), _negated=True), fields=('tenant', 'external_id'), name='followup_tenant_external_id_uniq'),
        ),
        migrations.AddConstraint(
            model_name='followup',
            constraint=models.UniqueConstraint(condition=models.Q(('previous__isnull', False)), fields=('tenant', 'previous'), name='followup_one_next_uniq'),
        ),
        migrations.AddConstraint(
            model_name='followup',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('recurrence', 'none'), ('recurrence_interval__isnull', True), ('recurrence_unit', '')), models.Q(models.Q(('recurrence', 'none'), _negated=True), ('recurrence_interval__gte', 1), ('recurrence_interval__lte', 365), models.Q(('recurrence_unit', ''), _negated=True)), _connector='OR'), name='followup_recurrence_complete'),
        ),
        migrations.AddConstraint(
            model_name='followup',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'done'), _negated=True), ('done_at__isnull', False), _connector='OR'), name='followup_done_has_time'),
        ),
        migrations.AddConstraint(
            model_name='followup',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'cancelled'), _negated=True), ('cancelled_at__isnull', False), _connector='OR'), name='followup_cancelled_has_time'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='followup',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "visits_followupevent" ("account_id", "cancel_reason", "cancelled_at", "cancelled_by_id", "created_at", "done_at", "done_by_id", "due_on", "escalated_on", "external_id", "id", "notes", "overdue_since", "owner_id", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "previous_id", "recurrence", "recurrence_interval", "recurrence_unit", "source", "source_ref", "status", "tenant_id", "title", "visit_id") SELECT new_values."account_id", new_values."cancel_reason", new_values."cancelled_at", new_values."cancelled_by_id", new_values."created_at", new_values."done_at", new_values."done_by_id", new_values."due_on", new_values."escalated_on", new_values."external_id", new_values."id", new_values."notes", new_values."overdue_since", new_values."owner_id", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'insert\', new_values."id", new_values."previous_id", new_values."recurrence", new_values."recurrence_interval", new_values."recurrence_unit", new_values."source", new_values."source_ref", new_values."status", new_values."tenant_id", new_values."title", new_values."visit_id" FROM ( SELECT new_values.* FROM new_values  ) AS new_values; RETURN NULL;', hash='a2e73ba6a2264ed03e56ca901716110679848e84', level='STATEMENT', operation='INSERT', pgid='pgtrigger_insert_insert_ef51d', referencing='REFERENCING NEW TABLE AS new_values ', table='visits_followup', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='followup',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "visits_followupevent" ("account_id", "cancel_reason", "cancelled_at", "cancelled_by_id", "created_at", "done_at", "done_by_id", "due_on", "escalated_on", "external_id", "id", "notes", "overdue_since", "owner_id", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "previous_id", "recurrence", "recurrence_interval", "recurrence_unit", "source", "source_ref", "status", "tenant_id", "title", "visit_id") SELECT new_values."account_id", new_values."cancel_reason", new_values."cancelled_at", new_values."cancelled_by_id", new_values."created_at", new_values."done_at", new_values."done_by_id", new_values."due_on", new_values."escalated_on", new_values."external_id", new_values."id", new_values."notes", new_values."overdue_since", new_values."owner_id", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'update\', new_values."id", new_values."previous_id", new_values."recurrence", new_values."recurrence_interval", new_values."recurrence_unit", new_values."source", new_values."source_ref", new_values."status", new_values."tenant_id", new_values."title", new_values."visit_id" FROM ( SELECT new_values.* FROM old_values JOIN new_values ON (old_values."id") = (new_values."id") WHERE (old_values."account_id" IS DISTINCT FROM (new_values."account_id") OR old_values."cancel_reason" IS DISTINCT FROM (new_values."cancel_reason") OR old_values."cancelled_at" IS DISTINCT FROM (new_values."cancelled_at") OR old_values."cancelled_by_id" IS DISTINCT FROM (new_values."cancelled_by_id") OR old_values."created_at" IS DISTINCT FROM (new_values."created_at") OR old_values."done_at" IS DISTINCT FROM (new_values."done_at") OR old_values."done_by_id" IS DISTINCT FROM (new_values."done_by_id") OR old_values."due_on" IS DISTINCT FROM (new_values."due_on") OR old_values."escalated_on" IS DISTINCT FROM (new_values."escalated_on") OR old_values."external_id" IS DISTINCT FROM (new_values."external_id") OR old_values."id" IS DISTINCT FROM (new_values."id") OR old_values."notes" IS DISTINCT FROM (new_values."notes") OR old_values."overdue_since" IS DISTINCT FROM (new_values."overdue_since") OR old_values."owner_id" IS DISTINCT FROM (new_values."owner_id") OR old_values."previous_id" IS DISTINCT FROM (new_values."previous_id") OR old_values."recurrence" IS DISTINCT FROM (new_values."recurrence") OR old_values."recurrence_interval" IS DISTINCT FROM (new_values."recurrence_interval") OR old_values."recurrence_unit" IS DISTINCT FROM (new_values."recurrence_unit") OR old_values."source" IS DISTINCT FROM (new_values."source") OR old_values."source_ref" IS DISTINCT FROM (new_values."source_ref") OR old_values."status" IS DISTINCT FROM (new_values."status") OR old_values."tenant_id" IS DISTINCT FROM (new_values."tenant_id") OR old_values."title" IS DISTINCT FROM (new_values."title") OR old_values."visit_id" IS DISTINCT FROM (new_values."visit_id")) ) AS new_values; RETURN NULL;', hash='863cf4cf6531bc2092cdc17386054b0becc20789', level='STATEMENT', operation='UPDATE', pgid='pgtrigger_update_update_1baa2', referencing='REFERENCING OLD TABLE AS old_values  NEW TABLE AS new_values ', table='visits_followup', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='followup',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "visits_followupevent" ("account_id", "cancel_reason", "cancelled_at", "cancelled_by_id", "created_at", "done_at", "done_by_id", "due_on", "escalated_on", "external_id", "id", "notes", "overdue_since", "owner_id", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "previous_id", "recurrence", "recurrence_interval", "recurrence_unit", "source", "source_ref", "status", "tenant_id", "title", "visit_id") SELECT old_values."account_id", old_values."cancel_reason", old_values."cancelled_at", old_values."cancelled_by_id", old_values."created_at", old_values."done_at", old_values."done_by_id", old_values."due_on", old_values."escalated_on", old_values."external_id", old_values."id", old_values."notes", old_values."overdue_since", old_values."owner_id", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'delete\', old_values."id", old_values."previous_id", old_values."recurrence", old_values."recurrence_interval", old_values."recurrence_unit", old_values."source", old_values."source_ref", old_values."status", old_values."tenant_id", old_values."title", old_values."visit_id" FROM ( SELECT old_values.* FROM old_values  ) AS old_values; RETURN NULL;', hash='fa8a538c47afd75876591fbde8968059c29da96b', level='STATEMENT', operation='DELETE', pgid='pgtrigger_delete_delete_23d5d', referencing='REFERENCING OLD TABLE AS old_values ', table='visits_followup', when='AFTER')),
        ),
        migrations.AddIndex(
            model_name='visitattendee',
            index=models.Index(fields=['tenant', 'membership', 'visit'], name='visitattendee_member_idx'),
        ),
        migrations.AddConstraint(
            model_name='visitattendee',
            constraint=models.UniqueConstraint(fields=('tenant', 'visit', 'membership'), name='visitattendee_uniq'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='visitattendee',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "visits_visitattendeeevent" ("id", "membership_id", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "tenant_id", "visit_id") SELECT new_values."id", new_values."membership_id", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'insert\', new_values."id", new_values."tenant_id", new_values."visit_id" FROM ( SELECT new_values.* FROM new_values  ) AS new_values; RETURN NULL;', hash='ea1316eb23bd4f5c8ef1ea8afb9b9a0d412474bc', level='STATEMENT', operation='INSERT', pgid='pgtrigger_insert_insert_dcf3f', referencing='REFERENCING NEW TABLE AS new_values ', table='visits_visitattendee', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='visitattendee',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "visits_visitattendeeevent" ("id", "membership_id", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "tenant_id", "visit_id") SELECT new_values."id", new_values."membership_id", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'update\', new_values."id", new_values."tenant_id", new_values."visit_id" FROM ( SELECT new_values.* FROM old_values JOIN new_values ON (old_values."id") = (new_values."id") WHERE (old_values.* IS DISTINCT FROM new_values.*) ) AS new_values; RETURN NULL;', hash='9f2511fc11cb6adea64167d929e8eebd3979c6b8', level='STATEMENT', operation='UPDATE', pgid='pgtrigger_update_update_e51f3', referencing='REFERENCING OLD TABLE AS old_values  NEW TABLE AS new_values ', table='visits_visitattendee', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='visitattendee',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "visits_visitattendeeevent" ("id", "membership_id", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "tenant_id", "visit_id") SELECT old_values."id", old_values."membership_id", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'delete\', old_values."id", old_values."tenant_id", old_values."visit_id" FROM ( SELECT old_values.* FROM old_values  ) AS old_values; RETURN NULL;', hash='e31b6ebde3aa7c10efb247a8f3696dd5171f81a6', level='STATEMENT', operation='DELETE', pgid='pgtrigger_delete_delete_12235', referencing='REFERENCING OLD TABLE AS old_values ', table='visits_visitattendee', when='AFTER')),
        ),
        migrations.AddIndex(
            model_name='visitattendeeevent',
            index=models.Index(fields=['tenant', 'visit', 'pgh_created_at', 'pgh_id'], name='visitattendeeevent_idx'),
        ),
        migrations.AddIndex(
            model_name='visitcontact',
            index=models.Index(fields=['tenant', 'contact', 'visit'], name='visitcontact_contact_idx'),
        ),
        migrations.AddConstraint(
            model_name='visitcontact',
            constraint=models.UniqueConstraint(fields=('tenant', 'visit', 'contact'), name='visitcontact_uniq'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='visitcontact',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "visits_visitcontactevent" ("contact_id", "id", "level", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "tenant_id", "visit_id") SELECT new_values."contact_id", new_values."id", new_values."level", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'insert\', new_values."id", new_values."tenant_id", new_values."visit_id" FROM ( SELECT new_values.* FROM new_values  ) AS new_values; RETURN NULL;', hash='581e74a2c2c0abe7fd0ecdd7d66653c53099eaf3', level='STATEMENT', operation='INSERT', pgid='pgtrigger_insert_insert_0d75c', referencing='REFERENCING NEW TABLE AS new_values ', table='visits_visitcontact', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='visitcontact',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "visits_visitcontactevent" ("contact_id", "id", "level", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "tenant_id", "visit_id") SELECT new_values."contact_id", new_values."id", new_values."level", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'update\', new_values."id", new_values."tenant_id", new_values."visit_id" FROM ( SELECT new_values.* FROM old_values JOIN new_values ON (old_values."id") = (new_values."id") WHERE (old_values.* IS DISTINCT FROM new_values.*) ) AS new_values; RETURN NULL;', hash='79363a3b01a45983cf59425d8f21a5ab4bf2d451', level='STATEMENT', operation='UPDATE', pgid='pgtrigger_update_update_bb6af', referencing='REFERENCING OLD TABLE AS old_values  NEW TABLE AS new_values ', table='visits_visitcontact', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='visitcontact',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "visits_visitcontactevent" ("contact_id", "id", "level", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "tenant_id", "visit_id") SELECT old_values."contact_id", old_values."id", old_values."level", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'delete\', old_values."id", old_values."tenant_id", old_values."visit_id" FROM ( SELECT old_values.* FROM old_values  ) AS old_values; RETURN NULL;', hash='b82a49251144b9d9a0d8ad384a4c0be231abef52', level='STATEMENT', operation='DELETE', pgid='pgtrigger_delete_delete_c600f', referencing='REFERENCING OLD TABLE AS old_values ', table='visits_visitcontact', when='AFTER')),
        ),
        migrations.AddIndex(
            model_name='visitcontactevent',
            index=models.Index(fields=['tenant', 'visit', 'pgh_created_at', 'pgh_id'], name='visitcontactevent_idx'),
        ),
        migrations.AddIndex(
            model_name='visitevent',
            index=models.Index(fields=['tenant', 'account', 'pgh_created_at', 'pgh_id'], name='visitevent_history_idx'),
        ),
        # Tenancy (kam.db.operations; README "Tenancy"): keys that lead with the tenant, composite
        # foreign keys between tenant tables, forced row-level security on every table.
        TenantPrimaryKey('visits_visit'),
        TenantPrimaryKey('visits_visitattendee'),
        TenantPrimaryKey('visits_visitcontact'),
        TenantPrimaryKey('visits_followup'),
        TenantPrimaryKey('visits_visitevent', column='pgh_id'),
        TenantPrimaryKey('visits_visitattendeeevent', column='pgh_id'),
        TenantPrimaryKey('visits_visitcontactevent', column='pgh_id'),
        TenantPrimaryKey('visits_followupevent', column='pgh_id'),
        TenantForeignKey('visit', 'account'),
        TenantForeignKey('visit', 'owner'),
        TenantForeignKey('visit', 'cancelled_by'),
        TenantForeignKey('visit', 'completed_by'),
        TenantForeignKey('visitattendee', 'visit'),
        TenantForeignKey('visitattendee', 'membership'),
        TenantForeignKey('visitcontact', 'visit'),
        TenantForeignKey('visitcontact', 'contact'),
        TenantForeignKey('followup', 'account'),
        TenantForeignKey('followup', 'owner'),
        TenantForeignKey('followup', 'visit'),
        TenantForeignKey('followup', 'previous'),
        TenantForeignKey('followup', 'done_by'),
        TenantForeignKey('followup', 'cancelled_by'),
        EnableTenantRLS('visits_visit'),
        EnableTenantRLS('visits_visitattendee'),
        EnableTenantRLS('visits_visitcontact'),
        EnableTenantRLS('visits_followup'),
        # The audit trail of tenant data is tenant data: the same row-level security (kam.audit).
        EnableTenantRLS('visits_visitevent'),
        EnableTenantRLS('visits_visitattendeeevent'),
        EnableTenantRLS('visits_visitcontactevent'),
        EnableTenantRLS('visits_followupevent'),
    ]

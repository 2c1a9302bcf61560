"""Service requests and their SLA policies and clocks (satisfaction.requests, satisfaction.sla):
their tables, audit trail and tenancy."""

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
        ('accounts', '0015_care_fields'),
        ('kam', '0017_calendar_feed'),
        ('visits', '0003_followup_source_care'),
    ]

    operations = [
        migrations.CreateModel(
            name='ServiceRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('request_type', models.CharField(choices=[('inquiry', 'Inquiry'), ('service', 'Service request'), ('complaint', 'Complaint'), ('quality', 'Quality claim'), ('return', 'Return')], default='service', max_length=15, verbose_name='type')),
                ('priority', models.CharField(choices=[('urgent', 'Urgent'), ('high', 'High'), ('normal', 'Normal'), ('low', 'Low')], default='normal', max_length=10, verbose_name='priority')),
                ('channel', models.CharField(choices=[('phone', 'Phone'), ('email', 'Email'), ('web', 'Web'), ('api', 'Integration'), ('visit', 'At a visit')], default='phone', max_length=10, verbose_name='channel')),
                ('subject', models.CharField(max_length=300, verbose_name='subject')),
                ('description', models.TextField(blank=True, verbose_name='description')),
                ('status', models.CharField(choices=[('new', 'New'), ('in_progress', 'In progress'), ('waiting', 'Waiting on the customer'), ('resolved', 'Resolved'), ('closed', 'Closed')], default='new', max_length=12, verbose_name='status')),
                ('received_at', models.DateTimeField(verbose_name='received')),
                ('first_replied_at', models.DateTimeField(blank=True, null=True, verbose_name='first reply')),
                ('resolved_at', models.DateTimeField(blank=True, null=True, verbose_name='resolved')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='closed')),
                ('times_reopened', models.PositiveSmallIntegerField(default=0, verbose_name='times reopened')),
                ('rule_position', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='SLA rule')),
                ('tier', models.CharField(blank=True, max_length=10, verbose_name='tier when measured')),
                ('calendar_stamp', models.UUIDField(blank=True, null=True, verbose_name='working calendar version')),
                ('external_id', models.CharField(blank=True, help_text="The request's id in another system, for sync.", max_length=100, verbose_name='external ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='entered')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                ('account', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='service_requests', to='accounts.account', verbose_name='account')),
                ('assignee', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='assigned_requests', to='kam.membership', verbose_name='assignee')),
                ('created_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='kam.membership', verbose_name='entered by')),
                ('requester', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='service_requests', to='accounts.contact', verbose_name='raised by')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='kam.tenant')),
                ('visit', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='service_requests', to='visits.visit', verbose_name='visit')),
            ],
            options={
                'verbose_name': 'service request',
                'verbose_name_plural': 'service requests',
                'ordering': ['-received_at', '-id'],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('unscoped_all_tenants', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='SlaClock',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('metric', models.CharField(choices=[('first_response', 'First response'), ('resolution', 'Resolution'), ('update', 'Regular update')], max_length=15, verbose_name='metric')),
                ('hours', models.CharField(choices=[('working', 'Working hours'), ('always', 'Around the clock (24×7)')], default='working', max_length=10, verbose_name='counted in')),
                ('target_seconds', models.PositiveIntegerField(verbose_name='target (seconds)')),
                ('state', models.CharField(choices=[('running', 'Running'), ('paused', 'Paused'), ('stopped', 'Stopped')], default='running', max_length=10, verbose_name='state')),
                ('started_at', models.DateTimeField(verbose_name='started')),
                ('elapsed_seconds', models.PositiveIntegerField(default=0, verbose_name='counted before the last start')),
                ('running_since', models.DateTimeField(blank=True, null=True, verbose_name='running since')),
                ('deadline', models.DateTimeField(blank=True, null=True, verbose_name='deadline')),
                ('warn_at', models.DateTimeField(blank=True, null=True, verbose_name='warning due')),
                ('owner_at', models.DateTimeField(blank=True, null=True, verbose_name='account owner told at')),
                ('executives_at', models.DateTimeField(blank=True, null=True, verbose_name='executives told at')),
                ('next_step_at', models.DateTimeField(blank=True, null=True, verbose_name='next step due')),
                ('warned_at', models.DateTimeField(blank=True, null=True, verbose_name='warning sent')),
                ('breach_notified_at', models.DateTimeField(blank=True, null=True, verbose_name='breach sent')),
                ('owner_notified_at', models.DateTimeField(blank=True, null=True, verbose_name='account owner told')),
                ('executives_notified_at', models.DateTimeField(blank=True, null=True, verbose_name='executives told')),
                ('stopped_at', models.DateTimeField(blank=True, null=True, verbose_name='stopped')),
                ('breached_at', models.DateTimeField(blank=True, null=True, verbose_name='breached at')),
                ('cycle', models.PositiveIntegerField(default=1, verbose_name='cycle')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                ('request', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='clocks', to='satisfaction.servicerequest', verbose_name='request')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='kam.tenant')),
            ],
            options={
                'verbose_name': 'SLA clock',
                'verbose_name_plural': 'SLA clocks',
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('unscoped_all_tenants', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='ClockEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('started', 'Started'), ('paused', 'Paused'), ('resumed', 'Resumed'), ('stopped', 'Stopped'), ('restarted', 'Started again'), ('recomputed', 'Deadline recomputed')], max_length=12, verbose_name='what')),
                ('at', models.DateTimeField(verbose_name='when')),
                ('reason', models.CharField(blank=True, max_length=300, verbose_name='why')),
                ('elapsed_seconds', models.PositiveIntegerField(verbose_name='counted so far (seconds)')),
                ('deadline', models.DateTimeField(blank=True, null=True, verbose_name='deadline after')),
                ('by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='kam.membership', verbose_name='by')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='kam.tenant')),
                ('clock', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='events', to='satisfaction.slaclock', verbose_name='clock')),
            ],
            options={
                'verbose_name': 'SLA clock event',
                'verbose_name_plural': 'SLA clock events',
                'ordering': ['at', 'id'],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('unscoped_all_tenants', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='SlaPolicy',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(verbose_name='version')),
                ('warn_percent', models.PositiveSmallIntegerField(default=75, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(99)], verbose_name='warn at (percent of the target used)')),
                ('warn_minutes_left', models.PositiveIntegerField(default=60, validators=[django.core.validators.MaxValueValidator(129600)], verbose_name='warn when this many minutes are left')),
                ('owner_after_minutes', models.PositiveIntegerField(default=0, validators=[django.core.validators.MaxValueValidator(129600)], verbose_name='tell the account owner this many minutes after a breach')),
                ('executives_after_minutes', models.PositiveIntegerField(default=240, validators=[django.core.validators.MaxValueValidator(129600)], verbose_name='tell the executives this many minutes after a breach')),
                ('reopen_days', models.PositiveSmallIntegerField(default=7, validators=[django.core.validators.MaxValueValidator(365)], verbose_name='a resolved request can be reopened for (days)')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='saved')),
                ('created_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='kam.membership', verbose_name='saved by')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='kam.tenant')),
            ],
            options={
                'verbose_name': 'SLA policy',
                'verbose_name_plural': 'SLA policies',
                'ordering': ['-version'],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('unscoped_all_tenants', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='ServiceRequestEvent',
            fields=[
                ('pgh_created_at', models.DateTimeField(auto_now_add=True)),
                ('pgh_label', models.TextField(help_text='The event label.')),
                ('pgh_id', models.BigAutoField(primary_key=True, serialize=False)),
                ('pgh_context', pghistory.utils.JSONField(null=True)),
                ('pgh_context_id', models.UUIDField(null=True)),
                ('id', models.BigIntegerField()),
                ('request_type', models.CharField(choices=[('inquiry', 'Inquiry'), ('service', 'Service request'), ('complaint', 'Complaint'), ('quality', 'Quality claim'), ('return', 'Return')], default='service', max_length=15, verbose_name='type')),
                ('priority', models.CharField(choices=[('urgent', 'Urgent'), ('high', 'High'), ('normal', 'Normal'), ('low', 'Low')], default='normal', max_length=10, verbose_name='priority')),
                ('channel', models.CharField(choices=[('phone', 'Phone'), ('email', 'Email'), ('web', 'Web'), ('api', 'Integration'), ('visit', 'At a visit')], default='phone', max_length=10, verbose_name='channel')),
                ('subject', models.CharField(max_length=300, verbose_name='subject')),
                ('description', models.TextField(blank=True, verbose_name='description')),
                ('status', models.CharField(choices=[('new', 'New'), ('in_progress', 'In progress'), ('waiting', 'Waiting on the customer'), ('resolved', 'Resolved'), ('closed', 'Closed')], default='new', max_length=12, verbose_name='status')),
                ('received_at', models.DateTimeField(verbose_name='received')),
                ('first_replied_at', models.DateTimeField(blank=True, null=True, verbose_name='first reply')),
                ('resolved_at', models.DateTimeField(blank=True, null=True, verbose_name='resolved')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='closed')),
                ('times_reopened', models.PositiveSmallIntegerField(default=0, verbose_name='times reopened')),
                ('rule_position', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='SLA rule')),
                ('tier', models.CharField(blank=True, max_length=10, verbose_name='tier when measured')),
                ('calendar_stamp', models.UUIDField(blank=True, null=True, verbose_name='working calendar version')),
                ('external_id', models.CharField(blank=True, help_text="The request's id in another system, for sync.", max_length=100, verbose_name='external ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='entered')),
                ('account', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='accounts.account', verbose_name='account')),
                ('assignee', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='kam.membership', verbose_name='assignee')),
                ('created_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='kam.membership', verbose_name='entered by')),
                ('pgh_obj', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='audit_events', related_query_name='audit_event', to='satisfaction.servicerequest')),
                ('requester', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='accounts.contact', verbose_name='raised by')),
                ('tenant', models.ForeignKey(db_constraint=False, editable=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='kam.tenant')),
                ('visit', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='visits.visit', verbose_name='visit')),
                ('policy', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', related_query_name='+', to='satisfaction.slapolicy', verbose_name='SLA policy')),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.AddField(
            model_name='servicerequest',
            name='policy',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='satisfaction.slapolicy', verbose_name='SLA policy'),
        ),
        migrations.CreateModel(
            name='SlaRule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveSmallIntegerField(verbose_name='order')),
                ('tier', models.CharField(blank=True, choices=[('strategic', 'Strategic'), ('key', 'Key'), ('important', 'Important'), ('general', 'General')], max_length=10, verbose_name='tier')),
                ('request_type', models.CharField(blank=True, choices=[('inquiry', 'Inquiry'), ('service', 'Service request'), ('complaint', 'Complaint'), ('quality', 'Quality claim'), ('return', 'Return')], max_length=15, verbose_name='type')),
                ('priority', models.CharField(blank=True, choices=[('urgent', 'Urgent'), ('high', 'High'), ('normal', 'Normal'), ('low', 'Low')], max_length=10, verbose_name='priority')),
                ('first_response_minutes', models.PositiveIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(129600)], verbose_name='first response within (minutes)')),
                ('resolution_minutes', models.PositiveIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(129600)], verbose_name='resolution within (minutes)')),
                ('update_minutes', models.PositiveIntegerField(blank=True, null=True, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(129600)], verbose_name='an update at least every (minutes)')),
                ('hours', models.CharField(choices=[('working', 'Working hours'), ('always', 'Around the clock (24×7)')], default='working', max_length=10, verbose_name='counted in')),
                ('policy', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='rules', to='satisfaction.slapolicy', verbose_name='policy')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='kam.tenant')),
            ],
            options={
                'verbose_name': 'SLA rule',
                'verbose_name_plural': 'SLA rules',
                'ordering': ['policy', 'position'],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('unscoped_all_tenants', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='RequestComment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('is_reply', models.BooleanField(default=False, verbose_name='reply to the customer')),
                ('body', models.TextField(verbose_name='text')),
                ('created_at', models.DateTimeField(verbose_name='written')),
                ('author', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='kam.membership', verbose_name='author')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='kam.tenant')),
                ('request', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='comments', to='satisfaction.servicerequest', verbose_name='request')),
            ],
            options={
                'verbose_name': 'comment',
                'verbose_name_plural': 'comments',
                'ordering': ['created_at', 'id'],
                'indexes': [models.Index(fields=['tenant', 'request', 'created_at'], name='requestcomment_request_idx')],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('unscoped_all_tenants', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='RequestActivity',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('created', 'Request received'), ('status', 'Status changed'), ('assigned', 'Assigned'), ('priority', 'Priority changed'), ('changed', 'Details changed'), ('note', 'Internal note'), ('reply', 'Reply to the customer'), ('reopened', 'Reopened'), ('clock', 'SLA clock')], max_length=10, verbose_name='what')),
                ('at', models.DateTimeField(verbose_name='when')),
                ('data', models.JSONField(blank=True, default=dict, verbose_name='details')),
                ('account', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.account', verbose_name='account')),
                ('by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='kam.membership', verbose_name='by')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='kam.tenant')),
                ('request', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='activities', to='satisfaction.servicerequest', verbose_name='request')),
            ],
            options={
                'verbose_name': 'request activity',
                'verbose_name_plural': 'request activities',
                'ordering': ['at', 'id'],
                'indexes': [models.Index(fields=['tenant', 'request', 'at', 'id'], name='requestactivity_req_idx'), models.Index(fields=['tenant', 'account', 'at', 'id'], name='requestactivity_acct_idx')],
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('unscoped_all_tenants', django.db.models.manager.Manager()),
            ],
        ),
        migrations.AddIndex(
            model_name='slaclock',
            index=models.Index(condition=models.Q(('next_step_at__isnull', False)), fields=['next_step_at'], name='slaclock_next_step_idx'),
        ),
        migrations.AddIndex(
            model_name='slaclock',
            index=models.Index(condition=models.Q(('state', 'running')), fields=['tenant', 'deadline'], name='slaclock_running_deadline_idx'),
        ),
        migrations.AddConstraint(
            model_name='slaclock',
            constraint=models.UniqueConstraint(fields=('tenant', 'request', 'metric'), name='slaclock_metric_uniq'),
        ),
        migrations.AddConstraint(
            model_name='slaclock',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('deadline__isnull', False), ('running_since__isnull', False), ('state', 'running')), models.Q(models.Q(('state', 'running'), _negated=True), ('next_step_at__isnull', True), ('running_since__isnull', True)), _connector='OR'), name='slaclock_running_has_deadline'),
        ),
        migrations.AddConstraint(
            model_name='slaclock',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('state', 'stopped'), _negated=True), ('stopped_at__isnull', False), _connector='OR'), name='slaclock_stopped_has_time'),
        ),
        migrations.AddIndex(
            model_name='clockevent',
            index=models.Index(fields=['tenant', 'clock', 'at'], name='clockevent_clock_idx'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='clockevent',
            trigger=pgtrigger.compiler.Trigger(name='clockevent_no_update', sql=pgtrigger.compiler.UpsertTriggerSql(func="RAISE EXCEPTION 'pgtrigger: Cannot update rows from % table', TG_TABLE_NAME;", hash='0e66330b61fc2edf4761068e81e0f58bcd02a448', operation='UPDATE', pgid='pgtrigger_clockevent_no_update_caa4d', table='satisfaction_clockevent', when='BEFORE')),
        ),
        migrations.AddConstraint(
            model_name='slapolicy',
            constraint=models.UniqueConstraint(fields=('tenant', 'version'), name='slapolicy_version_uniq'),
        ),
        migrations.AddConstraint(
            model_name='slapolicy',
            constraint=models.CheckConstraint(condition=models.Q(('warn_percent__gte', 1), ('warn_percent__lte', 99)), name='slapolicy_warn_percent_range'),
        ),
        migrations.AddConstraint(
            model_name='slapolicy',
            constraint=models.CheckConstraint(condition=models.Q(('executives_after_minutes__gte', models.F('owner_after_minutes'))), name='slapolicy_executives_after_owner'),
        ),
        migrations.AddIndex(
            model_name='servicerequestevent',
            index=models.Index(fields=['tenant', 'account', 'pgh_created_at', 'pgh_id'], name='servicerequestevent_hist_idx'),
        ),
        migrations.AddIndex(
            model_name='servicerequest',
            index=models.Index(fields=['tenant', 'received_at', 'id'], name='servicerequest_recv_idx'),
        ),
        migrations.AddIndex(
            model_name='servicerequest',
            index=models.Index(fields=['tenant', 'account', 'received_at', 'id'], name='servicerequest_account_idx'),
        ),
        migrations.AddIndex(
            model_name='servicerequest',
            index=models.Index(fields=['tenant', 'assignee', 'received_at', 'id'], name='servicerequest_assignee_idx'),
        ),
        migrations.AddIndex(
            model_name='servicerequest',
            index=models.Index(fields=['tenant', 'status', 'received_at', 'id'], name='servicerequest_status_idx'),
        ),
        migrations.AddConstraint(
            model_name='servicerequest',
            constraint=models.UniqueConstraint(condition=models.Q(('external_id', ''), _negated=True), fields=('tenant', 'external_id'), name='servicerequest_external_id_uniq'),
        ),
        migrations.AddConstraint(
            model_name='servicerequest',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status__in', ['resolved', 'closed']), _negated=True), ('resolved_at__isnull', False), _connector='OR'), name='servicerequest_resolved_has_time'),
        ),
        migrations.AddConstraint(
            model_name='servicerequest',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'closed'), _negated=True), ('closed_at__isnull', False), _connector='OR'), name='servicerequest_closed_has_time'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='servicerequest',
            trigger=pgtrigger.compiler.Trigger(name='insert_insert', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "satisfaction_servicerequestevent" ("account_id", "assignee_id", "calendar_stamp", "channel", "closed_at", "created_at", "created_by_id", "description", "external_id", "first_replied_at", "id", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "policy_id", "priority", "received_at", "request_type", "requester_id", "resolved_at", "rule_position", "status", "subject", "tenant_id", "tier", "times_reopened", "visit_id") SELECT new_values."account_id", new_values."assignee_id", new_values."calendar_stamp", new_values."channel", new_values."closed_at", new_values."created_at", new_values."created_by_id", new_values."description", new_values."external_id", new_values."first_replied_at", new_values."id", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'insert\', new_values."id", new_values."policy_id", new_values."priority", new_values."received_at", new_values."request_type", new_values."requester_id", new_values."resolved_at", new_values."rule_position", new_values."status", new_values."subject", new_values."tenant_id", new_values."tier", new_values."times_reopened", new_values."visit_id" FROM ( SELECT new_values.* FROM new_values  ) AS new_values; RETURN NULL;', hash='5b5b8869ef713272e3eb26cac42ee634f366a683', level='STATEMENT', operation='INSERT', pgid='pgtrigger_insert_insert_bb46e', referencing='REFERENCING NEW TABLE AS new_values ', table='satisfaction_servicerequest', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='servicerequest',
            trigger=pgtrigger.compiler.Trigger(name='update_update', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "satisfaction_servicerequestevent" ("account_id", "assignee_id", "calendar_stamp", "channel", "closed_at", "created_at", "created_by_id", "description", "external_id", "first_replied_at", "id", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "policy_id", "priority", "received_at", "request_type", "requester_id", "resolved_at", "rule_position", "status", "subject", "tenant_id", "tier", "times_reopened", "visit_id") SELECT new_values."account_id", new_values."assignee_id", new_values."calendar_stamp", new_values."channel", new_values."closed_at", new_values."created_at", new_values."created_by_id", new_values."description", new_values."external_id", new_values."first_replied_at", new_values."id", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'update\', new_values."id", new_values."policy_id", new_values."priority", new_values."received_at", new_values."request_type", new_values."requester_id", new_values."resolved_at", new_values."rule_position", new_values."status", new_values."subject", new_values."tenant_id", new_values."tier", new_values."times_reopened", new_values."visit_id" FROM ( SELECT new_values.* FROM old_values JOIN new_values ON (old_values."id") = (new_values."id") WHERE (old_values."account_id" IS DISTINCT FROM (new_values."account_id") OR old_values."assignee_id" IS DISTINCT FROM (new_values."assignee_id") OR old_values."calendar_stamp" IS DISTINCT FROM (new_values."calendar_stamp") OR old_values."channel" IS DISTINCT FROM (new_values."channel") OR old_values."closed_at" IS DISTINCT FROM (new_values."closed_at") OR old_values."created_at" IS DISTINCT FROM (new_values."created_at") OR old_values."created_by_id" IS DISTINCT FROM (new_values."created_by_id") OR old_values."description" IS DISTINCT FROM (new_values."description") OR old_values."external_id" IS DISTINCT FROM (new_values."external_id") OR old_values."first_replied_at" IS DISTINCT FROM (new_values."first_replied_at") OR old_values."id" IS DISTINCT FROM (new_values."id") OR old_values."policy_id" IS DISTINCT FROM (new_values."policy_id") OR old_values."priority" IS DISTINCT FROM (new_values."priority") OR old_values."received_at" IS DISTINCT FROM (new_values."received_at") OR old_values."request_type" IS DISTINCT FROM (new_values."request_type") OR old_values."requester_id" IS DISTINCT FROM (new_values."requester_id") OR old_values."resolved_at" IS DISTINCT FROM (new_values."resolved_at") OR old_values."rule_position" IS DISTINCT FROM (new_values."rule_position") OR old_values."status" IS DISTINCT FROM (new_values."status") OR old_values."subject" IS DISTINCT FROM (new_values."subject") OR old_values."tenant_id" IS DISTINCT FROM (new_values."tenant_id") OR old_values."tier" IS DISTINCT FROM (new_values."tier") OR old_values."times_reopened" IS DISTINCT FROM (new_values."times_reopened") OR old_values."visit_id" IS DISTINCT FROM (new_values."visit_id")) ) AS new_values; RETURN NULL;', hash='6f55ff963b436a54b26f5813826445d22aa5624b', level='STATEMENT', operation='UPDATE', pgid='pgtrigger_update_update_48bc5', referencing='REFERENCING OLD TABLE AS old_values  NEW TABLE AS new_values ', table='satisfaction_servicerequest', when='AFTER')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='servicerequest',
            trigger=pgtrigger.compiler.Trigger(name='delete_delete', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO "satisfaction_servicerequestevent" ("account_id", "assignee_id", "calendar_stamp", "channel", "closed_at", "created_at", "created_by_id", "description", "external_id", "first_replied_at", "id", "pgh_context", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "policy_id", "priority", "received_at", "request_type", "requester_id", "resolved_at", "rule_position", "status", "subject", "tenant_id", "tier", "times_reopened", "visit_id") SELECT old_values."account_id", old_values."assignee_id", old_values."calendar_stamp", old_values."channel", old_values."closed_at", old_values."created_at", old_values."created_by_id", old_values."description", old_values."external_id", old_values."first_replied_at", old_values."id", COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_metadata\', TRUE), \'\'), NULL)::JSONB, COALESCE(NULLIF(CURRENT_SETTING(\'pghistory.context_id\', TRUE), \'\'), NULL)::UUID, NOW(), \'delete\', old_values."id", old_values."policy_id", old_values."priority", old_values."received_at", old_values."request_type", old_values."requester_id", old_values."resolved_at", old_values."rule_position", old_values."status", old_values."subject", old_values."tenant_id", old_values."tier", old_values."times_reopened", old_values."visit_id" FROM ( SELECT old_values.* FROM old_values  ) AS old_values; RETURN NULL;', hash='c73af0e3d782f461b802c78fb6b3be9477da411c', level='STATEMENT', operation='DELETE', pgid='pgtrigger_delete_delete_f9541', referencing='REFERENCING OLD TABLE AS old_values ', table='satisfaction_servicerequest', when='AFTER')),
        ),
        migrations.AddConstraint(
            model_name='slarule',
            constraint=models.UniqueConstraint(fields=('tenant', 'policy', 'position'), name='slarule_position_uniq'),
        ),
        # Tenancy (kam.db.operations; README "Tenancy"): keys that lead with the tenant, composite
        # foreign keys between tenant tables, forced row-level security on every table.
        TenantPrimaryKey('satisfaction_slapolicy'),
        TenantPrimaryKey('satisfaction_slarule'),
        TenantPrimaryKey('satisfaction_servicerequest'),
        TenantPrimaryKey('satisfaction_slaclock'),
        TenantPrimaryKey('satisfaction_clockevent'),
        TenantPrimaryKey('satisfaction_requestcomment'),
        TenantPrimaryKey('satisfaction_requestactivity'),
        TenantPrimaryKey('satisfaction_servicerequestevent', column='pgh_id'),
        TenantForeignKey('slapolicy', 'created_by'),
        TenantForeignKey('slarule', 'policy'),
        TenantForeignKey('servicerequest', 'account'),
        TenantForeignKey('servicerequest', 'requester'),
        TenantForeignKey('servicerequest', 'assignee'),
        TenantForeignKey('servicerequest', 'policy'),
        TenantForeignKey('servicerequest', 'visit'),
        TenantForeignKey('servicerequest', 'created_by'),
        TenantForeignKey('slaclock', 'request'),
        TenantForeignKey('clockevent', 'clock'),
        TenantForeignKey('clockevent', 'by'),
        TenantForeignKey('requestcomment', 'request'),
        TenantForeignKey('requestcomment', 'author'),
        TenantForeignKey('requestactivity', 'request'),
        TenantForeignKey('requestactivity', 'account'),
        TenantForeignKey('requestactivity', 'by'),
        EnableTenantRLS('satisfaction_slapolicy'),
        EnableTenantRLS('satisfaction_slarule'),
        EnableTenantRLS('satisfaction_servicerequest'),
        EnableTenantRLS('satisfaction_slaclock'),
        EnableTenantRLS('satisfaction_clockevent'),
        EnableTenantRLS('satisfaction_requestcomment'),
        EnableTenantRLS('satisfaction_requestactivity'),
        # The audit trail of tenant data is tenant data: the same row-level security (kam.audit).
        EnableTenantRLS('satisfaction_servicerequestevent'),
    ]

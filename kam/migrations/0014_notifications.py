"""Notifications (kam.notify): events, one notification per recipient, members' notification
settings — tenant tables keyed, referenced and secured like every other — and the date of each
company's last daily digest."""

import django.core.serializers.json
import django.db.models.deletion
import django.db.models.manager
from django.db import migrations, models

from kam.db.operations import EnableTenantRLS, TenantForeignKey, TenantPrimaryKey


class Migration(migrations.Migration):

    dependencies = [
        ('kam', '0013_calendar'),
    ]

    operations = [
        migrations.AddField(
            model_name='tenant',
            name='digest_dispatched_for',
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.CreateModel(
            name='Event',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=64, verbose_name='kind')),
                ('key', models.CharField(max_length=200, verbose_name='key')),
                ('subject', models.CharField(blank=True, max_length=100, verbose_name='about')),
                ('data', models.JSONField(default=dict, encoder=django.core.serializers.json.DjangoJSONEncoder, verbose_name='data')),
                ('occurred_at', models.DateTimeField(verbose_name='happened')),
                ('created_at', models.DateTimeField(verbose_name='recorded')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='kam.tenant')),
            ],
            options={
                'verbose_name': 'event',
                'verbose_name_plural': 'events',
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('unscoped_all_tenants', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='Notification',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(verbose_name='created')),
                ('read_at', models.DateTimeField(blank=True, null=True, verbose_name='read')),
                ('email_state', models.CharField(choices=[('pending', 'Email on its way'), ('for_digest', 'Waiting for the daily digest'), ('sent', 'Emailed'), ('in_digest', 'Sent in the daily digest'), ('not_wanted', 'No email'), ('failed', 'Email failed')], max_length=10, verbose_name='email')),
                ('email_at', models.DateTimeField(verbose_name='email state since')),
                ('email_error', models.CharField(blank=True, max_length=300, verbose_name='email error')),
                ('event', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='kam.event')),
                ('recipient', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='kam.membership')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='kam.tenant')),
            ],
            options={
                'verbose_name': 'notification',
                'verbose_name_plural': 'notifications',
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('unscoped_all_tenants', django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name='NotificationSettings',
            fields=[
                ('membership', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='notification_settings', serialize=False, to='kam.membership')),
                ('email', models.CharField(choices=[('immediately', 'Immediately, one email per notification'), ('digest', 'Once a day, in a digest at 08:00'), ('never', 'Never (only in KAM)')], default='digest', max_length=12, verbose_name='Email me')),
                ('language', models.CharField(blank=True, choices=[('zh-hans', '简体中文'), ('en', 'English')], max_length=10, verbose_name='Language of the emails')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='kam.tenant')),
            ],
            options={
                'verbose_name': 'notification settings',
                'verbose_name_plural': 'notification settings',
            },
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('unscoped_all_tenants', django.db.models.manager.Manager()),
            ],
        ),
        migrations.AddIndex(
            model_name='event',
            index=models.Index(fields=['tenant', 'subject'], name='event_subject_idx'),
        ),
        migrations.AddConstraint(
            model_name='event',
            constraint=models.UniqueConstraint(fields=('tenant', 'key'), name='event_tenant_key_uniq'),
        ),
        migrations.AddIndex(
            model_name='notification',
            index=models.Index(fields=['tenant', 'recipient', 'id'], name='notification_inbox_idx'),
        ),
        migrations.AddIndex(
            model_name='notification',
            index=models.Index(condition=models.Q(('read_at__isnull', True)), fields=['tenant', 'recipient', 'id'], name='notification_unread_idx'),
        ),
        migrations.AddIndex(
            model_name='notification',
            index=models.Index(condition=models.Q(('email_state', 'for_digest')), fields=['tenant', 'recipient'], name='notification_digest_idx'),
        ),
        migrations.AddConstraint(
            model_name='notification',
            constraint=models.UniqueConstraint(fields=('tenant', 'event', 'recipient'), name='notification_event_recipient_uniq'),
        ),
        TenantPrimaryKey("kam_event"),
        TenantPrimaryKey("kam_notification"),
        TenantPrimaryKey("kam_notificationsettings", column="membership_id"),
        TenantForeignKey("notification", "event"),
        TenantForeignKey("notification", "recipient"),
        TenantForeignKey("notificationsettings", "membership"),
        EnableTenantRLS("kam_event"),
        EnableTenantRLS("kam_notification"),
        EnableTenantRLS("kam_notificationsettings"),
    ]

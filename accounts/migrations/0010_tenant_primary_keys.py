"""Keys a distributed PostgreSQL accepts (Citus, distributed by tenant_id): every tenant table's
primary key is (tenant_id, id) — (tenant_id, account_id) for the one-row-per-account tables,
(tenant_id, pgh_id) for the audit events — and every foreign key between tenant tables is the
composite (tenant_id, …) one; Django's single-column foreign keys are dropped (the models declare
them db_constraint=False). The (tenant_id, id) unique constraints the composite keys used to
reference are the new primary keys (state: removed from the models)."""

import django.db.models.deletion
from django.db import migrations, models

from kam.db.operations import TenantPrimaryKey


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0009_seed_service_standards'),
        ('kam', '0005_nightly_dispatch'),
    ]

    operations = [
        # 1. Django's own single-column foreign keys between tenant tables go.
        migrations.AlterField(
            model_name='account',
            name='owner',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='owned_accounts', to='kam.membership', verbose_name='owner'),
        ),
        migrations.AlterField(
            model_name='account',
            name='parent',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='children', to='accounts.account', verbose_name='parent account'),
        ),
        migrations.AlterField(
            model_name='accountfigures',
            name='account',
            field=models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='figures', serialize=False, to='accounts.account'),
        ),
        migrations.AlterField(
            model_name='accountteammember',
            name='account',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='team', to='accounts.account', verbose_name='account'),
        ),
        migrations.AlterField(
            model_name='accountteammember',
            name='membership',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='account_teams', to='kam.membership', verbose_name='member'),
        ),
        migrations.AlterField(
            model_name='accounttier',
            name='account',
            field=models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='tier_state', serialize=False, to='accounts.account'),
        ),
        migrations.AlterField(
            model_name='accounttier',
            name='override_by',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='kam.membership', verbose_name='overridden by'),
        ),
        migrations.AlterField(
            model_name='accounttier',
            name='policy',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.tierpolicy', verbose_name='policy version'),
        ),
        migrations.AlterField(
            model_name='contact',
            name='account',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='contacts', to='accounts.account', verbose_name='account'),
        ),
        migrations.AlterField(
            model_name='contract',
            name='account',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='contracts', to='accounts.account', verbose_name='account'),
        ),
        migrations.AlterField(
            model_name='importjob',
            name='created_by',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='imports', to='kam.membership', verbose_name='created by'),
        ),
        migrations.AlterField(
            model_name='tierchange',
            name='account',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='tier_changes', to='accounts.account'),
        ),
        migrations.AlterField(
            model_name='tierchange',
            name='changed_by',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='kam.membership', verbose_name='changed by'),
        ),
        migrations.AlterField(
            model_name='tierchange',
            name='job_run',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='kam.jobrun'),
        ),
        migrations.AlterField(
            model_name='tierchange',
            name='policy',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.tierpolicy', verbose_name='policy version'),
        ),
        migrations.AlterField(
            model_name='tierpolicy',
            name='created_by',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='kam.membership', verbose_name='saved by'),
        ),
        migrations.AlterField(
            model_name='transaction',
            name='account',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='transactions', to='accounts.account', verbose_name='account'),
        ),
        migrations.AlterField(
            model_name='transaction',
            name='refund_of',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='refunds', to='accounts.transaction', verbose_name='refund of'),
        ),
        # 2. The primary keys lead with the tenant; the composite keys are recreated on them.
        TenantPrimaryKey('accounts_account', unique_name='account_tenant_id_uniq'),
        TenantPrimaryKey('accounts_contact', unique_name='contact_tenant_id_uniq'),
        TenantPrimaryKey('accounts_accountteammember', unique_name='team_tenant_id_uniq'),
        TenantPrimaryKey('accounts_transaction', unique_name='transaction_tenant_id_uniq'),
        TenantPrimaryKey('accounts_contract', unique_name='contract_tenant_id_uniq'),
        TenantPrimaryKey('accounts_importjob', unique_name='importjob_tenant_id_uniq'),
        TenantPrimaryKey('accounts_tierpolicy', unique_name='tierpolicy_tenant_id_uniq'),
        TenantPrimaryKey('accounts_tierchange', unique_name='tierchange_tenant_id_uniq'),
        TenantPrimaryKey('accounts_servicestandard'),
        TenantPrimaryKey('accounts_accountfigures', column='account_id',
                         unique_name='figures_tenant_account_uniq'),
        TenantPrimaryKey('accounts_accounttier', column='account_id',
                         unique_name='accounttier_tenant_uniq'),
        TenantPrimaryKey('accounts_accountevent', column='pgh_id'),
        TenantPrimaryKey('accounts_contactevent', column='pgh_id'),
        TenantPrimaryKey('accounts_accountteammemberevent', column='pgh_id'),
        TenantPrimaryKey('accounts_transactionevent', column='pgh_id'),
        TenantPrimaryKey('accounts_contractevent', column='pgh_id'),
        TenantPrimaryKey('accounts_servicestandardevent', column='pgh_id'),
        # 3. The unique constraints the primary keys replace, in the models' state only.
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.RemoveConstraint(
                model_name='account',
                name='account_tenant_id_uniq',
            ),
            migrations.RemoveConstraint(
                model_name='accountfigures',
                name='figures_tenant_account_uniq',
            ),
            migrations.RemoveConstraint(
                model_name='accountteammember',
                name='team_tenant_id_uniq',
            ),
            migrations.RemoveConstraint(
                model_name='accounttier',
                name='accounttier_tenant_uniq',
            ),
            migrations.RemoveConstraint(
                model_name='contact',
                name='contact_tenant_id_uniq',
            ),
            migrations.RemoveConstraint(
                model_name='contract',
                name='contract_tenant_id_uniq',
            ),
            migrations.RemoveConstraint(
                model_name='importjob',
                name='importjob_tenant_id_uniq',
            ),
            migrations.RemoveConstraint(
                model_name='tierchange',
                name='tierchange_tenant_id_uniq',
            ),
            migrations.RemoveConstraint(
                model_name='tierpolicy',
                name='tierpolicy_tenant_id_uniq',
            ),
            migrations.RemoveConstraint(
                model_name='transaction',
                name='transaction_tenant_id_uniq',
            ),
        ]),
    ]

"""Keys a distributed PostgreSQL accepts (Citus, by tenant_id): kam's tenant tables get the primary
key (tenant_id, id) — (tenant_id, pgh_id) for their audit events. The (tenant_id, id) unique
constraints the composite foreign keys used to reference are the new primary keys (state only:
removed from the models). See accounts/0010 for the accounts app's tables.

It runs after accounts/0010, the one place kam's migrations name an app: the accounts tables'
single-column foreign keys to kam_membership and kam_jobrun must be gone before those tables' key
changes (and, migrating back, come back only after it is undone)."""

from django.db import migrations

from kam.db.operations import TenantPrimaryKey


class Migration(migrations.Migration):

    dependencies = [
        ('kam', '0005_nightly_dispatch'),
        ('accounts', '0010_tenant_primary_keys'),
    ]

    operations = [
        TenantPrimaryKey('kam_membership', unique_name='membership_tenant_id_uniq'),
        TenantPrimaryKey('kam_jobrun', unique_name='jobrun_tenant_id_uniq'),
        TenantPrimaryKey('kam_apikey'),
        TenantPrimaryKey('kam_membershipevent', column='pgh_id'),
        TenantPrimaryKey('kam_apikeyevent', column='pgh_id'),
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.RemoveConstraint(model_name='jobrun', name='jobrun_tenant_id_uniq'),
            migrations.RemoveConstraint(model_name='membership', name='membership_tenant_id_uniq'),
        ]),
    ]

"""A child row can only point at a parent of its own tenant (composite foreign keys on the
``(tenant_id, id)`` unique keys every parent already has), and row-level security on every table."""

from django.db import migrations

from kam.db.operations import EnableTenantRLS, TenantForeignKey


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_account_search_index"),
        ("kam", "0002_rls"),
    ]

    operations = [
        TenantForeignKey("account", "parent"),
        TenantForeignKey("account", "owner"),
        TenantForeignKey("contact", "account"),
        TenantForeignKey("accountteammember", "account"),
        TenantForeignKey("accountteammember", "membership"),
        TenantForeignKey("transaction", "account"),
        TenantForeignKey("transaction", "refund_of"),
        TenantForeignKey("contract", "account"),
        TenantForeignKey("accountfigures", "account"),
        TenantForeignKey("importjob", "created_by"),
        EnableTenantRLS("accounts_account"),
        EnableTenantRLS("accounts_contact"),
        EnableTenantRLS("accounts_accountteammember"),
        EnableTenantRLS("accounts_transaction"),
        EnableTenantRLS("accounts_contract"),
        EnableTenantRLS("accounts_accountfigures"),
        EnableTenantRLS("accounts_importjob"),
    ]

"""Row-level security on kam's tenant-owned tables, and the two functions every policy uses."""

from django.db import migrations

from kam.db.operations import EnableTenantRLS, InstallTenantFunctions


class Migration(migrations.Migration):
    dependencies = [("kam", "0001_initial")]

    operations = [
        InstallTenantFunctions(),
        EnableTenantRLS("kam_membership"),
        EnableTenantRLS("kam_apikey"),
    ]

"""Account and contact names in the names' collation (``kam_name``, kam/migrations/0010: pinyin
where the server has ICU), and an index for each order a list can be sorted by (kam.lists). The
name columns change collation in place (no table rewrite; their indexes are rebuilt with it); the
new indexes are built concurrently, as a plain CREATE INDEX on a large table would block every write
while it runs. The transactions' date index gains the id (the list's order is date, id)."""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('accounts', '0013_importjob_language'),
        ('kam', '0012_name_collation'),
    ]

    operations = [
        migrations.AlterField(
            model_name='account',
            name='name',
            field=models.CharField(db_collation='kam_name', max_length=200, verbose_name='name'),
        ),
        migrations.AlterField(
            model_name='accountevent',
            name='name',
            field=models.CharField(db_collation='kam_name', max_length=200, verbose_name='name'),
        ),
        migrations.AlterField(
            model_name='contact',
            name='name',
            field=models.CharField(db_collation='kam_name', max_length=100, verbose_name='name'),
        ),
        migrations.AlterField(
            model_name='contactevent',
            name='name',
            field=models.CharField(db_collation='kam_name', max_length=100, verbose_name='name'),
        ),
        AddIndexConcurrently(
            model_name='account',
            index=models.Index(fields=['tenant', 'strategic_value', 'name', 'id'], name='account_tenant_value_idx'),
        ),
        AddIndexConcurrently(
            model_name='contact',
            index=models.Index(fields=['tenant', 'name', 'id'], name='contact_tenant_name_idx'),
        ),
        AddIndexConcurrently(
            model_name='contact',
            index=models.Index(fields=['tenant', 'relationship_strength', 'name', 'id'], name='contact_tenant_strength_idx'),
        ),
        # The new index first, so the transactions are never without one by date.
        AddIndexConcurrently(
            model_name='transaction',
            index=models.Index(fields=['tenant', 'date', 'id'], name='transaction_tenant_date_id_idx'),
        ),
        RemoveIndexConcurrently(
            model_name='transaction',
            name='transaction_tenant_date_idx',
        ),
    ]

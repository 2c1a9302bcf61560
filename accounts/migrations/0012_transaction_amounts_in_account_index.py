"""The account/date index of transactions carries the amount, the refund link and the id, so the
360° page's sums by month (chart, timeline) are index-only scans. Built concurrently: on a large
table a plain CREATE INDEX would block every transaction write while it runs."""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('accounts', '0011_search_broad_terms'),
        ('kam', '0009_outbox'),
    ]

    operations = [
        # The new index first, so the account's transactions are never without one.
        AddIndexConcurrently(
            model_name='transaction',
            index=models.Index(fields=['tenant', 'account', 'date'],
                               include=('amount', 'refund_of', 'id'),
                               name='transaction_account_date_inc'),
        ),
        RemoveIndexConcurrently(
            model_name='transaction',
            name='transaction_account_date_idx',
        ),
    ]

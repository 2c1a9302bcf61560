"""The company setting of visit cadence: how many days ahead a visit is "due soon" (default 7)."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('kam', '0015_visit_follow_up_settings'),
    ]

    operations = [
        migrations.AddField(
            model_name='tenant',
            name='cadence_due_soon_days',
            field=models.PositiveSmallIntegerField(default=7, help_text="An account's next visit at a level shows as due soon this many days ahead.", validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(90)], verbose_name='visits are due soon within (days)'),
        ),
    ]

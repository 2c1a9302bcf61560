"""The Celery app and the beat schedule."""

from __future__ import annotations

import os

from celery import Celery, signals
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")

app = Celery("kam")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "clear-expired-sessions": {
        "task": "kam.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=10),
        "options": {"expires": 3600},
    },
    "dispatch-account-figures": {
        "task": "accounts.tasks.dispatch_figures",
        "schedule": crontab(hour=2, minute=30),
        "options": {"expires": 3600},
    },
}


@signals.worker_init.connect
def refuse_a_role_that_bypasses_rls(**_kwargs) -> None:
    """A worker whose database role could bypass row-level security does not start."""
    from kam.db.checks import check_now

    check_now()

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
    # Every minute: task messages the broker refused when their work was committed (kam.outbox).
    "flush-outbox": {
        "task": "kam.tasks.flush_outbox",
        "schedule": crontab(),
        "options": {"expires": 50},
    },
    # Every 10 minutes: tenants whose local time has passed 02:00 get their nightly run
    # (figures, then tiering, …) once per local date (kam.tasks.dispatch_nightly).
    "dispatch-nightly": {
        "task": "kam.tasks.dispatch_nightly",
        "schedule": crontab(minute="*/10"),
        "options": {"expires": 540},
    },
    # Every 10 minutes: companies whose local time has passed 08:00 get their members' daily
    # notification digests once per local date (kam.notify_mail.dispatch_digests).
    "dispatch-digests": {
        "task": "kam.notify_mail.dispatch_digests",
        "schedule": crontab(minute="*/10"),
        "options": {"expires": 540},
    },
}


@signals.worker_init.connect
def refuse_a_role_that_bypasses_rls(**_kwargs) -> None:
    """A worker whose database role could bypass row-level security does not start.

    Celery logs and swallows an ``Exception`` raised by a signal handler (the worker would start
    anyway), so the refusal is a ``SystemExit``, which it does not catch."""
    import sys

    from django.core.exceptions import ImproperlyConfigured

    from kam.db.base import set_session_kind
    from kam.db.checks import check_now

    set_session_kind("worker")  # before the first connection: the worker's session limits
    try:
        check_now()
    except ImproperlyConfigured as exc:
        print(exc, file=sys.stderr, flush=True)
        raise SystemExit(1) from exc

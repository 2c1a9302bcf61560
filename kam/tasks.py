"""Periodic tasks: the nightly dispatcher and the per-tenant nightly task (kam.jobs), sessions."""

from __future__ import annotations

import datetime
import functools
import logging

from celery import shared_task
from django.contrib.sessions.models import Session
from django.db import InterfaceError, OperationalError, transaction

from kam import clock
from kam.jobs import job_names, run_job
from kam.models import JobOutcome, Tenant
from kam.tenancy import get_current_tenant, with_tenant

log = logging.getLogger(__name__)

NIGHTLY_LOCAL_TIME = datetime.time(2, 0)  # each tenant's nightly jobs start at 02:00 local time
NIGHTLY_TASK_EXPIRES = 6 * 3600  # a run not started within 6 h is dropped; the next night's replaces it
# Errors worth another try: the database or the network went away for a moment (connection
# loss, failover, serialization failure, deadlock). Anything else is a bug or bad data: recorded
# on the JobRun, not retried.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)


@shared_task(acks_late=True)
def clear_expired_sessions() -> int:
    """Delete expired browser sessions (one statement). Returns how many were removed."""
    deleted, _ = Session.objects.filter(expire_date__lt=clock.now()).delete()
    return deleted


def tenants_due(now: datetime.datetime) -> list[tuple[int, datetime.date]]:
    """Active tenants whose local clock has passed 02:00 on a date not dispatched yet."""
    due = []
    for tenant_id, tz, dispatched in Tenant.objects.filter(is_active=True).values_list(
            "pk", "time_zone", "nightly_dispatched_for"):
        local = now.astimezone(clock.zone(tz))
        if local.time() >= NIGHTLY_LOCAL_TIME and (dispatched is None or dispatched < local.date()):
            due.append((tenant_id, local.date()))
    return due


@shared_task(acks_late=True)
def dispatch_nightly(now: str | None = None) -> int:
    """Beat runs this every few minutes. Each tenant whose local time has passed 02:00 and whose
    local date has not been dispatched yet is claimed with a conditional UPDATE (a second beat or
    a duplicated message finds it claimed) and gets one ``run_tenant_nightly`` task, enqueued on
    commit with an expiry. A beat that was down at 02:00 catches up when it comes back."""
    moment = datetime.datetime.fromisoformat(now) if now else clock.now()  # ``now``: tests
    claimed = 0
    with transaction.atomic():
        for tenant_id, local_date in tenants_due(moment):
            updated = Tenant.objects.filter(pk=tenant_id).exclude(
                nightly_dispatched_for__gte=local_date).update(nightly_dispatched_for=local_date)
            if updated:
                claimed += 1
                transaction.on_commit(functools.partial(_enqueue_nightly, tenant_id, local_date))
    return claimed


def _enqueue_nightly(tenant_id: int, local_date: datetime.date) -> None:
    """Send one tenant's nightly task; if the broker cannot take it, give the claimed date back so
    the next beat (ten minutes later) tries again, instead of losing the tenant's night."""
    try:
        run_tenant_nightly.apply_async(kwargs={"tenant_id": tenant_id},
                                       expires=NIGHTLY_TASK_EXPIRES)
    except Exception:  # the broker's errors vary by transport; logged, then retried by beat
        log.exception("could not enqueue the nightly run of tenant %s; unclaimed", tenant_id)
        Tenant.objects.filter(pk=tenant_id, nightly_dispatched_for=local_date).update(
            nightly_dispatched_for=local_date - datetime.timedelta(days=1))


# autoretry_for covers a transient error anywhere in the task — the tenant lookup, writing the
# JobRun row, or a job (re-raised below after run_job recorded it): 60, 120, 240 s, then it fails.
@shared_task(bind=True, acks_late=True, max_retries=3, autoretry_for=TRANSIENT_ERRORS,
             retry_backoff=60, retry_backoff_max=3600, retry_jitter=False)
@with_tenant
def run_tenant_nightly(self, *, tenant_id: int, jobs: list[str] | None = None) -> dict[str, str]:
    """Every nightly job (or ``jobs``) for one tenant, in order, each recorded as a JobRun.

    A transient database error retries the task with backoff (the jobs are idempotent, so the
    ones that already succeeded change nothing the second time); other failures are recorded
    and the remaining jobs still run."""
    outcomes: dict[str, str] = {}
    for job in jobs or job_names():
        run = run_job(job, get_current_tenant())
        outcomes[job] = run.outcome
        if run.outcome == JobOutcome.FAILED and isinstance(run.exception, TRANSIENT_ERRORS):
            raise run.exception
    return outcomes

"""Periodic tasks: the nightly dispatcher and the per-tenant nightly task (kam.jobs), sessions."""

from __future__ import annotations

import datetime
import functools
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from celery import shared_task
from django.contrib.sessions.models import Session
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q

from kam import clock
from kam.jobs import close_abandoned_runs, job_names, run_jobs
from kam.models import JobOutcome, Tenant
from kam.tenancy import get_current_tenant, with_tenant

log = logging.getLogger(__name__)

NIGHTLY_LOCAL_TIME = datetime.time(2, 0)  # each tenant's nightly jobs start at 02:00 local time
# A message not started within 6 h is dropped (and sent again by the sweep below). It is shorter
# than Redis' visibility_timeout (settings: 12 h), so a message Redis restores after a dead worker
# has always expired: the sweep's new message, not the old one, reruns the night.
NIGHTLY_TASK_EXPIRES = 6 * 3600
# A tenant's night that was sent and never finished is sent again at most this often per night.
NIGHTLY_MAX_ATTEMPTS = 3
# How long a nightly task waits for the tenant's night lock held by another (or a dying) run.
NIGHTLY_LOCK_WAIT = 60.0
NIGHTLY_LOCK_KEY = "kam.nightly"
# Errors worth another try: the database or the network went away for a moment (connection
# loss, failover, serialization failure, deadlock). Anything else is a bug or bad data: recorded
# on the JobRun, not retried.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)


@shared_task(acks_late=True)
def clear_expired_sessions() -> int:
    """Delete expired browser sessions (one statement). Returns how many were removed."""
    deleted, _ = Session.objects.filter(expire_date__lt=clock.now()).delete()
    return deleted


@shared_task(acks_late=True)
def flush_outbox() -> int:
    """Send the task messages the broker refused when their work was committed (kam.outbox)."""
    from kam import outbox

    return outbox.flush()


def tenants_due(now: datetime.datetime, *, local_time: datetime.time = NIGHTLY_LOCAL_TIME,
                dispatched_field: str = "nightly_dispatched_for") -> list[tuple[int, datetime.date]]:
    """Active tenants whose local clock has passed ``local_time`` (02:00: the night) on a date
    not dispatched yet (``dispatched_field`` of the tenant: the last date dispatched)."""
    due = []
    for tenant_id, tz, dispatched in Tenant.objects.filter(is_active=True).values_list(
            "pk", "time_zone", dispatched_field):
        local = now.astimezone(clock.zone(tz))
        if local.time() >= local_time and (dispatched is None or dispatched < local.date()):
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
                nightly_dispatched_for__gte=local_date).update(
                nightly_dispatched_for=local_date, nightly_enqueued_at=moment, nightly_attempts=0)
            if updated:
                claimed += 1
                transaction.on_commit(functools.partial(_enqueue_nightly, tenant_id, local_date))
    sweep_nights(moment)
    return claimed


def _enqueue_nightly(tenant_id: int, local_date: datetime.date, *, again: bool = False) -> None:
    """Send one tenant's nightly task. If the broker cannot take it, the night stays claimed and
    forgets that it was sent: the next beat's sweep sends it (a failed send is no attempt)."""
    try:
        run_tenant_nightly.apply_async(
            kwargs={"tenant_id": tenant_id, "night": local_date.isoformat()},
            expires=NIGHTLY_TASK_EXPIRES)
    except Exception:  # the broker's errors vary by transport; logged, then retried by beat
        log.exception("could not enqueue the nightly run of tenant %s; sent again later", tenant_id)
        Tenant.objects.filter(pk=tenant_id, nightly_dispatched_for=local_date).update(
            nightly_enqueued_at=None)
    else:
        if again:
            Tenant.objects.filter(pk=tenant_id).update(nightly_attempts=F("nightly_attempts") + 1)


def _night_is_running(tenant_id: int) -> bool:
    """Whether a nightly task holds the tenant's night lock. Inside a transaction a free lock is
    taken until it ends, so no run can start between the probe and what the caller does next."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT NOT pg_try_advisory_xact_lock(hashtext(%s), %s)",
                       [NIGHTLY_LOCK_KEY, tenant_id])
        return bool(cursor.fetchone()[0])


def sweep_nights(moment: datetime.datetime) -> int:
    """Find nights that were dispatched and never finished, and send them again.

    A night is lost when its task started and is no longer running (the worker was killed: the
    night lock is free, the tenant's runs left *running* are closed as *abandoned*), or when its
    message never started within its expiry (the broker lost it, or it expired in a backlog). A
    message still waiting in the queue is left alone. At most ``NIGHTLY_MAX_ATTEMPTS`` sends again
    per night; each send is claimed with a conditional UPDATE, so two sweeps send it once. Runs
    every time beat dispatches (every 10 minutes). Returns how many nights were sent again."""
    sent = 0
    unfinished = (Tenant.objects.filter(is_active=True, nightly_dispatched_for__isnull=False)
                  .filter(Q(nightly_done_for__isnull=True)
                          | Q(nightly_done_for__lt=F("nightly_dispatched_for"))))
    expired_before = moment - datetime.timedelta(seconds=NIGHTLY_TASK_EXPIRES)
    for tenant in unfinished:
        night = tenant.nightly_dispatched_for
        assert night is not None  # filtered above; for the type checker
        with transaction.atomic():
            if _night_is_running(tenant.pk):
                continue
            close_abandoned_runs(tenant)
            started = tenant.nightly_started_for == night
            lost = tenant.nightly_enqueued_at is None or tenant.nightly_enqueued_at <= expired_before
            if not (started or lost):
                continue  # still waiting in the queue
            if tenant.nightly_attempts >= NIGHTLY_MAX_ATTEMPTS:
                log.error("the nightly run of tenant %s for %s was lost %s times; not sent again",
                          tenant.pk, night, tenant.nightly_attempts)
                continue
            if Tenant.objects.filter(pk=tenant.pk, nightly_dispatched_for=night,
                                     nightly_enqueued_at=tenant.nightly_enqueued_at).update(
                    nightly_enqueued_at=moment, nightly_started_for=None):
                sent += 1
                log.warning("the nightly run of tenant %s for %s did not finish; sent again",
                            tenant.pk, night)
                transaction.on_commit(functools.partial(_enqueue_nightly, tenant.pk, night,
                                                        again=True))
    return sent


def _waiting_for_retry(tenant_id: int) -> None:
    """Before a retry: the night is queued again (its retry message), not dead, for the sweep."""
    try:
        Tenant.objects.filter(pk=tenant_id).update(nightly_started_for=None,
                                                   nightly_enqueued_at=clock.now())
    except DatabaseError:  # the database is what failed; the sweep may then send it once more
        log.warning("could not mark the night of tenant %s as waiting for its retry", tenant_id)


@contextmanager
def night_lock(tenant_id: int, *, wait: float) -> Iterator[bool]:
    """The tenant's night lock (a session-level advisory lock) for the block, waiting up to
    ``wait`` seconds for a run that holds it — or for the database to end the session of a run
    whose worker died (``client_connection_check_interval``, kam.db). Yields whether it got it."""
    tries = max(1, int(wait / 0.5))  # counted, not timed: a frozen or faked clock cannot stall it
    with connection.cursor() as cursor:
        for attempt in range(tries):
            cursor.execute("SELECT pg_try_advisory_lock(hashtext(%s), %s)",
                           [NIGHTLY_LOCK_KEY, tenant_id])
            if cursor.fetchone()[0]:
                break
            if attempt + 1 == tries:
                yield False
                return
            time.sleep(0.5)
    try:
        yield True
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtext(%s), %s)",
                               [NIGHTLY_LOCK_KEY, tenant_id])
        except DatabaseError:  # the connection is gone, and the lock with it
            log.warning("could not release the night lock of tenant %s", tenant_id)


# autoretry_for covers a transient error anywhere in the task — the tenant lookup, writing the
# JobRun row, or a job (re-raised below after run_job recorded it): 60, 120, 240 s, then it fails.
@shared_task(bind=True, acks_late=True, max_retries=3, autoretry_for=TRANSIENT_ERRORS,
             retry_backoff=60, retry_backoff_max=3600, retry_jitter=False)
@with_tenant
def run_tenant_nightly(self, *, tenant_id: int, jobs: list[str] | None = None,
                       night: str | None = None) -> dict[str, str]:
    """Every nightly job (or ``jobs``) for one tenant, in order, each recorded as a JobRun; a job
    whose prerequisite did not succeed is *blocked* (kam.jobs.run_jobs).

    ``night``: the tenant-local date dispatched (default: its today). The task holds the tenant's
    night lock while it runs (the sweep's sign of life), marks the night started and, when every
    job ran (none skipped), done; a message for a night already done does nothing. A transient
    database error retries the task with backoff (the jobs are idempotent, so the ones that
    already succeeded change nothing the second time); other failures are recorded and the
    remaining jobs still run."""
    tenant = get_current_tenant()
    day = datetime.date.fromisoformat(night) if night else clock.today(tenant)

    def done() -> bool:
        return jobs is None and Tenant.objects.filter(pk=tenant_id, nightly_done_for__gte=day).exists()

    if done():
        return {}
    with night_lock(tenant_id, wait=NIGHTLY_LOCK_WAIT) as locked:
        if not locked:  # another run has it; if that one is dead, the sweep sends this again
            log.warning("the night of tenant %s is held by another run; not run twice", tenant_id)
            return {"night": "busy"}
        if done():
            return {}
        with transaction.atomic():
            close_abandoned_runs(tenant)  # e.g. the run of a pool child killed a moment ago
        if jobs is None:
            Tenant.objects.filter(pk=tenant_id).update(nightly_started_for=day)
        runs = run_jobs(jobs or job_names(), tenant, stop=lambda run: (
            run.outcome == JobOutcome.FAILED and isinstance(run.exception, TRANSIENT_ERRORS)))
        for run in runs.values():
            if run.outcome == JobOutcome.FAILED and isinstance(run.exception, TRANSIENT_ERRORS):
                _waiting_for_retry(tenant_id)
                raise run.exception
        if jobs is None and all(run.outcome != JobOutcome.SKIPPED for run in runs.values()):
            Tenant.objects.filter(pk=tenant_id).update(nightly_done_for=day)
        return {job: str(run.outcome) for job, run in runs.items()}

"""Nightly jobs: a registry, and the one way to run a job for one tenant (``run_job``).

A job is a function ``(tenant_id, run) -> JobResult`` registered with ``@nightly_job("name")``;
it does its work set-based (one or a few SQL statements) and is idempotent. Jobs run in the order
they were registered (figures before tiering: tiers read the figures). ``run_job`` sets the
tenant, records a ``kam.JobRun`` (started, finished, rows examined/changed, outcome, error) and
keeps the record even when the job fails: the job's own work is rolled back (its transaction), the
run row is written outside it. Inside the job's transaction it takes
``pg_try_advisory_xact_lock`` per (job, tenant): a run that finds it taken does nothing and is
recorded as *skipped*. Celery tasks, ``manage.py run_nightly`` and tests all go through it.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction

from kam import clock
from kam.models import JobOutcome, JobRun, Tenant
from kam.tenancy import tenant_context

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobResult:
    examined: int
    changed: int


JobFunc = Callable[[int, JobRun], JobResult]
_JOBS: dict[str, JobFunc] = {}


def nightly_job(name: str) -> Callable[[JobFunc], JobFunc]:
    def register(func: JobFunc) -> JobFunc:
        if name in _JOBS and _JOBS[name] is not func:
            raise ValueError(f"nightly job {name!r} is registered twice")
        _JOBS[name] = func
        return func

    return register


def job_names() -> list[str]:
    """Every registered job, in the order they run (registration order)."""
    return list(_JOBS)


class _Skipped(Exception):
    """Another run of the same job for the same tenant holds the lock."""


def _try_lock(job: str, tenant_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s), %s)",
                       [f"kam.job:{job}", tenant_id])
        return bool(cursor.fetchone()[0])


def run_job(job: str, tenant: Tenant) -> JobRun:
    """Run one job for one tenant and record it. Never raises for the job's own errors; the
    exception (if any) is on ``run.exception`` for callers that retry transient ones."""
    if job not in _JOBS:
        raise KeyError(f"unknown nightly job {job!r}; known: {', '.join(job_names())}")
    with tenant_context(tenant):
        run = JobRun.objects.create(job=job, started_at=clock.now())
        run.exception = None
        try:
            with transaction.atomic():
                if not _try_lock(job, tenant.pk):
                    raise _Skipped
                result = _JOBS[job](tenant.pk, run)
        except _Skipped:
            run.outcome = JobOutcome.SKIPPED
        except Exception as exc:  # recorded on the run, then logged
            run.exception = exc
            log.exception("nightly job %s failed for tenant %s", job, tenant.pk)
            run.outcome = JobOutcome.FAILED
            run.error = f"{type(exc).__name__}: {exc}"[:2000]
        else:
            run.outcome = JobOutcome.SUCCEEDED
            run.examined, run.changed = result.examined, result.changed
        run.finished_at = clock.now()
        run.save(update_fields=["outcome", "error", "examined", "changed", "finished_at"])
    return run


def data_as_of(job: str) -> datetime.datetime | None:
    """When the current tenant's last successful run of ``job`` finished (the "data as of" time of
    pages that show what the job computes), or None if it never ran. One query."""
    return (JobRun.objects.filter(job=job, outcome=JobOutcome.SUCCEEDED)
            .order_by("-started_at").values_list("finished_at", flat=True).first())

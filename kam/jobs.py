"""Nightly jobs: a registry, and the one way to run a job for one tenant (``run_job``).

A job is a function ``(tenant_id) -> JobResult`` registered with ``@nightly_job("name")``; it does
its work set-based (one or a few SQL statements) and is idempotent. ``run_job`` sets the tenant,
records a ``kam.JobRun`` (started, finished, rows examined/changed, outcome, error) and keeps the
record even when the job fails: the job's own work is rolled back (its transaction), the run row
is written outside it. Celery tasks, ``manage.py run_nightly`` and tests all go through it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from kam.models import JobOutcome, JobRun, Tenant
from kam.tenancy import tenant_context

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobResult:
    examined: int
    changed: int


JobFunc = Callable[[int], JobResult]
_JOBS: dict[str, JobFunc] = {}


def nightly_job(name: str) -> Callable[[JobFunc], JobFunc]:
    def register(func: JobFunc) -> JobFunc:
        if name in _JOBS and _JOBS[name] is not func:
            raise ValueError(f"nightly job {name!r} is registered twice")
        _JOBS[name] = func
        return func

    return register


def job_names() -> list[str]:
    return sorted(_JOBS)


def run_job(job: str, tenant: Tenant) -> JobRun:
    """Run one job for one tenant and record it. Never raises for the job's own errors."""
    if job not in _JOBS:
        raise KeyError(f"unknown nightly job {job!r}; known: {', '.join(job_names())}")
    with tenant_context(tenant):
        run = JobRun.objects.create(job=job, started_at=timezone.now())
        try:
            with transaction.atomic():
                result = _JOBS[job](tenant.pk)
        except Exception as exc:  # recorded on the run, then logged
            log.exception("nightly job %s failed for tenant %s", job, tenant.pk)
            run.outcome = JobOutcome.FAILED
            run.error = f"{type(exc).__name__}: {exc}"[:2000]
        else:
            run.outcome = JobOutcome.SUCCEEDED
            run.examined, run.changed = result.examined, result.changed
        run.finished_at = timezone.now()
        run.save(update_fields=["outcome", "error", "examined", "changed", "finished_at"])
    return run

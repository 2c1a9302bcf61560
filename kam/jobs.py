"""Nightly jobs: a registry, and the one way to run a job for one tenant (``run_job``).

A job is a function ``(tenant_id, run) -> JobResult`` registered with
``@nightly_job("name", after=(...))``; it does its work set-based (one or a few SQL statements)
for the day ``run.as_of`` (the tenant's today unless the run is "as of" another day) and is
idempotent. Jobs run after the jobs they name in ``after`` (tiering after figures: tiers read the
figures): ``job_names()`` is a topological order of the registry, ties in registration order.
``run_job`` sets the tenant, records a ``kam.JobRun`` (started, finished, rows examined/changed,
outcome, error) and keeps the record even when the job fails: the job's own work is rolled back
(its transaction), the run row is written outside it. Inside the job's transaction it takes
``pg_try_advisory_xact_lock`` per (job, tenant) — the only lock a run takes for that: a job takes
no second lock of its own inside it, so "skipped" always means another run of the same job —
and a run that finds it taken does nothing and is recorded as *skipped*. ``run_jobs`` runs several
in order and never runs a job on a prerequisite that did not succeed (*blocked*). Celery tasks,
``manage.py run_nightly`` and tests all go through them.
"""

from __future__ import annotations

import datetime
import graphlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _

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
_AFTER: dict[str, tuple[str, ...]] = {}
_LABELS: dict[str, Any] = {}


def nightly_job(name: str, *, after: tuple[str, ...] = (), label: Any = None
                ) -> Callable[[JobFunc], JobFunc]:
    """Register a nightly job that runs after the jobs named in ``after``; ``label`` is what the
    job-runs page calls it (a lazy translation)."""
    def register(func: JobFunc) -> JobFunc:
        if name in _JOBS and (_JOBS[name] is not func or _AFTER[name] != tuple(after)):
            raise ValueError(f"nightly job {name!r} is registered twice")
        _JOBS[name] = func
        _AFTER[name] = tuple(after)
        _LABELS[name] = label or name
        return func

    return register


def job_label(name: str) -> str:
    """The job's name for people (its registry name if it has none, or is unknown)."""
    return str(_LABELS.get(name, name))


def job_order(after: dict[str, tuple[str, ...]]) -> list[str]:
    """The jobs of ``after`` (job → the jobs it runs after) in an order that runs every job after
    its prerequisites; independent jobs keep their order in ``after``. ``ValueError`` for a cycle or
    an unknown prerequisite."""
    for name, needs in after.items():
        unknown = [n for n in needs if n not in after]
        if unknown:
            raise ValueError(f"nightly job {name!r} runs after unknown jobs: {', '.join(unknown)}")
    sorter = graphlib.TopologicalSorter({name: set(needs) for name, needs in after.items()})
    position = {name: i for i, name in enumerate(after)}
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        raise ValueError(f"nightly jobs run after each other in a cycle: {exc.args[1]}") from exc
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=position.__getitem__)
        order.extend(ready)
        sorter.done(*ready)
    return order


def job_names() -> list[str]:
    """Every registered job, in the order they run (each after its prerequisites)."""
    return job_order(_AFTER)


def job_prerequisites(name: str) -> tuple[str, ...]:
    return _AFTER[name]


class _Skipped(Exception):
    """Another run of the same job for the same tenant holds the lock."""


def _try_lock(job: str, tenant_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s), %s)",
                       [job_lock_key(job), tenant_id])
        return bool(cursor.fetchone()[0])


def run_job(job: str, tenant: Tenant, *, as_of: datetime.date | None = None) -> JobRun:
    """Run one job for one tenant and record it. Never raises for the job's own errors; the
    exception (if any) is on ``run.exception`` for callers that retry transient ones.

    ``as_of``: the day the run is for (``run.as_of``, read by the job): the tenant's today by
    default; a past day reads only data dated on or before it."""
    if job not in _JOBS:
        raise KeyError(f"unknown nightly job {job!r}; known: {', '.join(job_names())}")
    with tenant_context(tenant):
        run = JobRun.objects.create(job=job, started_at=clock.now())
        run.exception = None
        run.as_of = as_of or clock.today(tenant)
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


def _blocked(job: str, tenant: Tenant, reasons: list[str]) -> JobRun:
    """Record that ``job`` did not run because a job it runs after did not succeed."""
    with tenant_context(tenant):
        moment = clock.now()
        run = JobRun.objects.create(job=job, started_at=moment, finished_at=moment,
                                    outcome=JobOutcome.BLOCKED, error="; ".join(reasons)[:2000])
    run.exception = None
    return run


def _succeeded_today(job: str, tenant: Tenant) -> str | None:
    """None if the tenant's latest run of ``job`` succeeded and started on its today; otherwise
    what it was (for the blocked run's record)."""
    with tenant_context(tenant):
        latest = (JobRun.objects.filter(job=job).order_by("-started_at", "-id")
                  .values_list("outcome", "started_at").first())
        if latest is None or clock.local_date(latest[1], tenant) != clock.today(tenant):
            return str(_("did not run today"))
        if latest[0] != JobOutcome.SUCCEEDED:
            return str(JobOutcome(latest[0]).label)
    return None


def _reason(job: str, what: str) -> str:
    """"Account figures — Skipped: another run was in progress" (in the tenant's language)."""
    return _("%(job)s — %(what)s") % {"job": job_label(job), "what": what}


def run_jobs(jobs: list[str], tenant: Tenant, *, as_of: datetime.date | None = None,
             stop: Callable[[JobRun], bool] | None = None) -> dict[str, JobRun]:
    """Run ``jobs`` (in the registry's order) for one tenant, never one on a prerequisite that did
    not succeed: a job whose ``after=`` job failed, was skipped or was blocked in this sequence —
    or, when that job is not part of the sequence, did not succeed today — is recorded as
    *blocked*, naming which, and does not run. ``stop(run)`` true ends the sequence after that
    run (a transient error the caller retries). Everything else as ``run_job``."""
    wanted = set(jobs)
    unknown = wanted - set(_JOBS)
    if unknown:
        raise KeyError(f"unknown nightly jobs {sorted(unknown)}; known: {', '.join(job_names())}")
    runs: dict[str, JobRun] = {}
    ordered = [name for name in job_names() if name in wanted]
    for job in ordered + [name for name in jobs if name not in ordered]:
        reasons = []
        with translation.override(tenant.default_language):  # the record's words: the admins'
            for needed in _AFTER.get(job, ()):
                if needed in runs:
                    if runs[needed].outcome != JobOutcome.SUCCEEDED:
                        reasons.append(_reason(needed, str(JobOutcome(runs[needed].outcome).label)))
                elif (why := _succeeded_today(needed, tenant)) is not None:
                    reasons.append(_reason(needed, why))
        runs[job] = _blocked(job, tenant, reasons) if reasons else run_job(job, tenant, as_of=as_of)
        if stop is not None and stop(runs[job]):
            break
    return runs


def job_lock_key(job: str) -> str:
    return f"kam.job:{job}"


def close_abandoned_runs(tenant: Tenant) -> int:
    """Close the tenant's runs still marked *running* whose job nobody runs any more (its lock is
    free: the process and its database session are gone) as *abandoned*. Call it in a
    transaction: each probe takes the job's lock until that transaction ends. Returns how many."""
    closed = 0
    with tenant_context(tenant):
        for run in JobRun.objects.filter(outcome=JobOutcome.RUNNING).only("job", "started_at"):
            if _try_lock(run.job, tenant.pk):
                closed += JobRun.objects.filter(pk=run.pk, outcome=JobOutcome.RUNNING).update(
                    outcome=JobOutcome.ABANDONED, finished_at=clock.now())
    if closed:
        log.warning("closed %s abandoned job run(s) of tenant %s", closed, tenant.pk)
    return closed


def data_as_of(job: str) -> datetime.datetime | None:
    """When the current tenant's last successful run of ``job`` finished (the "data as of" time of
    pages that show what the job computes), or None if it never ran. One query."""
    return (JobRun.objects.filter(job=job, outcome=JobOutcome.SUCCEEDED)
            .order_by("-started_at").values_list("finished_at", flat=True).first())


def data_as_of_each(*jobs: str) -> dict[str, datetime.datetime | None]:
    """``data_as_of`` of several jobs, in one query (each job's newest successful run)."""
    found = dict(JobRun.objects.filter(job__in=jobs, outcome=JobOutcome.SUCCEEDED)
                 .order_by("job", "-started_at").distinct("job").values_list("job", "finished_at"))
    return {job: found.get(job) for job in jobs}

"""Nightly job framework: run_job records a JobRun per (job, tenant), run_nightly, a real worker."""

from __future__ import annotations

import datetime
import time
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.management import CommandError, call_command
from django.db import connections

from accounts.models import Account, Transaction
from kam import clock, jobs
from kam.celery import app
from kam.jobs import JobResult, run_job
from kam.models import JobOutcome, JobRun
from kam.tasks import run_tenant_nightly
from kam.tenancy import tenant_context
from tests.factories import make_account


def _with_sales(tenant, names: list[str]) -> None:
    for name in names:
        account = make_account(tenant, name)
        with tenant_context(tenant):
            Transaction.objects.create(account=account, amount=Decimal("100.00"),
                                       date=clock.today(tenant) - datetime.timedelta(days=3))


@pytest.mark.django_db
def test_run_nightly_records_one_run_per_tenant_and_is_idempotent(tenant_a, tenant_b):
    _with_sales(tenant_a, ["A1", "A2", "A3"])
    _with_sales(tenant_b, ["B1"])
    call_command("run_nightly", "--job", "figures")
    with tenant_context(tenant_a):
        (run,) = JobRun.objects.all()
        assert (run.job, run.outcome, run.examined, run.changed) == ("figures", "succeeded", 3, 3)
        assert run.finished_at >= run.started_at and run.error == ""
    with tenant_context(tenant_b):
        (run_b,) = JobRun.objects.all()  # tenant B sees its own run only
        assert (run_b.examined, run_b.changed) == (1, 1)
    call_command("run_nightly", "--tenant", tenant_a.slug)
    with tenant_context(tenant_a):
        latest = JobRun.objects.filter(job="figures").first()
        assert (latest.examined, latest.changed) == (3, 0)  # second run: nothing to change
        tiering = JobRun.objects.get(job="tiering")  # every job, figures first
        assert (tiering.examined, tiering.changed) == (3, 3)
        assert tiering.started_at >= latest.finished_at
        assert JobRun.objects.count() == 1 + len(jobs.job_names())  # figures, then every job
    with tenant_context(tenant_b):
        assert JobRun.objects.count() == 1


@pytest.mark.django_db
def test_run_nightly_rejects_unknown_jobs_and_tenants(tenant_a):
    with pytest.raises(CommandError, match="Unknown job"):
        call_command("run_nightly", "--job", "nope")
    with pytest.raises(CommandError, match="No active tenant"):
        call_command("run_nightly", "--tenant", "nope")
    with tenant_context(tenant_a):
        assert JobRun.objects.count() == 0


@pytest.mark.django_db
def test_a_failing_job_is_recorded_and_its_writes_are_rolled_back(tenant_a, monkeypatch):
    make_account(tenant_a, "Before")

    def half_done(tenant_id: int, run) -> JobResult:
        Account.objects.update(name="half-done")
        raise RuntimeError("boom in the middle")

    monkeypatch.setitem(jobs._JOBS, "half_done", half_done)
    run = run_job("half_done", tenant_a)
    assert run.outcome == JobOutcome.FAILED and "boom in the middle" in run.error
    with tenant_context(tenant_a):
        assert list(Account.objects.values_list("name", flat=True)) == ["Before"]
        assert JobRun.objects.get(pk=run.pk).outcome == JobOutcome.FAILED


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_dispatch_through_a_real_worker_records_the_runs(tenant_a, tenant_b):
    _with_sales(tenant_a, ["A1", "A2"])
    _with_sales(tenant_b, ["B1"])
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        for tenant in (tenant_a, tenant_b):
            run_tenant_nightly.delay(tenant_id=tenant.pk, jobs=["figures"])
        deadline = time.monotonic() + 30
        while True:
            with tenant_context(tenant_a):
                done_a = JobRun.objects.filter(outcome=JobOutcome.SUCCEEDED).count()
            with tenant_context(tenant_b):
                done_b = JobRun.objects.filter(outcome=JobOutcome.SUCCEEDED).count()
            if done_a and done_b:
                break
            assert time.monotonic() < deadline, "the worker did not run the jobs"
            time.sleep(0.1)
    with tenant_context(tenant_a):
        assert JobRun.objects.get().changed == 2
    connections.close_all()


# --- the order of the nightly jobs -----------------------------------------------------------------


def test_jobs_run_after_their_prerequisites_and_independent_ones_keep_their_order():
    after = {"risk": ("figures", "surveys"), "figures": (), "dashboards": ("risk", "tiering"),
             "tiering": ("figures",), "surveys": (), "visits": ()}
    order = jobs.job_order(after)
    assert sorted(order) == sorted(after)
    for job, needs in after.items():
        assert all(order.index(need) < order.index(job) for need in needs), (job, order)
    # Ready at the same time, jobs keep the order they were registered in.
    assert order == ["figures", "surveys", "visits", "risk", "tiering", "dashboards"]


@pytest.mark.parametrize("after,message", [
    ({"a": ("b",), "b": ("a",)}, "cycle"),
    ({"a": ("a",)}, "cycle"),
    ({"a": ("nowhere",)}, "unknown jobs: nowhere"),
])
def test_a_cycle_or_an_unknown_prerequisite_is_refused(after, message):
    with pytest.raises(ValueError, match=message):
        jobs.job_order(after)


def test_the_registered_jobs_run_figures_before_tiering():
    names = jobs.job_names()
    assert {"figures", "tiering"} <= set(names)
    assert "figures" in jobs.job_prerequisites("tiering")
    assert names.index("figures") < names.index("tiering")


def test_a_job_name_cannot_be_registered_twice_with_another_function():
    original = jobs.job_prerequisites("tiering")

    def impostor(tenant, *, today):  # pragma: no cover - never runs
        raise AssertionError

    with pytest.raises(ValueError, match="registered twice"):
        jobs.nightly_job("tiering", after=())(impostor)
    assert jobs.job_prerequisites("tiering") == original

"""Nights that are never lost: the sweep that sends a dead or lost night again
(kam.tasks.sweep_nights), runs of dead processes closed as abandoned, no job on a prerequisite that
did not succeed (kam.jobs.run_jobs), the session limits of worker connections (kam.db) — and, with
real worker processes killed mid-run, every tenant's night recovered row for row."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection, connections

from accounts.models import AccountFigures, AccountTier
from kam import clock, jobs
from kam import tasks as kam_tasks
from kam.celery import app
from kam.db import base as db_base
from kam.jobs import JobResult, run_job, run_jobs
from kam.models import JobOutcome, JobRun, Tenant
from kam.tasks import (
    NIGHTLY_MAX_ATTEMPTS,
    NIGHTLY_TASK_EXPIRES,
    dispatch_nightly,
    run_tenant_nightly,
    sweep_nights,
)
from kam.tenancy import tenant_context
from tests.factories import make_account
from tests.kam.test_nightly import (
    BASE_DIR,
    WORKER_COMMAND,
    book,
    run_counts,
    tiers,
    wait_for,
    worker_env,
)

NIGHT = datetime.date(2026, 7, 1)
DISPATCHED = datetime.datetime(2026, 7, 1, 2, 0, tzinfo=clock.zone("Asia/Shanghai"))


@pytest.fixture
def sent(monkeypatch) -> list[dict]:
    """What the sweep hands to the broker (observed, not sent)."""
    calls: list[dict] = []
    monkeypatch.setattr(run_tenant_nightly, "apply_async",
                        lambda *args, **kwargs: calls.append(kwargs["kwargs"]))
    return calls


def outcomes(**these: str) -> dict[str, str]:
    """A night's outcome per job: ``these``, and every other registered job (the visits' jobs,
    which need neither figures nor tiering) succeeded."""
    return {**{job: "succeeded" for job in jobs.job_names()}, **these}


def night(tenant: Tenant, **fields) -> None:
    """The tenant's night of 1 July, dispatched at 02:00 Shanghai time, in the state ``fields``."""
    Tenant.objects.filter(pk=tenant.pk).update(nightly_dispatched_for=NIGHT,
                                               nightly_enqueued_at=DISPATCHED, **fields)


def sweep(captured, minutes_after: float) -> int:
    with captured(execute=True):
        return sweep_nights(DISPATCHED + datetime.timedelta(minutes=minutes_after))


def state(tenant: Tenant) -> tuple:
    return Tenant.objects.values_list("nightly_started_for", "nightly_done_for",
                                      "nightly_attempts").get(pk=tenant.pk)


def a_running_run(tenant: Tenant, job: str = "figures") -> JobRun:
    with tenant_context(tenant):
        return JobRun.objects.create(job=job, started_at=DISPATCHED)


# --- the sweep -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_night_whose_worker_died_is_sent_again_and_its_run_closed_as_abandoned(
        tenant_a, tenant_b, sent, django_capture_on_commit_callbacks):
    night(tenant_a, nightly_started_for=NIGHT)  # started, not done, nobody holds its lock: dead
    dead = a_running_run(tenant_a)
    night(tenant_b, nightly_started_for=NIGHT, nightly_done_for=NIGHT)  # finished
    assert sweep(django_capture_on_commit_callbacks, 10) == 1
    assert sent == [{"tenant_id": tenant_a.pk, "night": "2026-07-01"}]
    with tenant_context(tenant_a):
        dead.refresh_from_db()
    assert dead.outcome == JobOutcome.ABANDONED and dead.finished_at is not None
    # Sent again: not started yet, so the next sweeps leave it to the queue.
    assert state(tenant_a) == (None, None, 1)
    assert sweep(django_capture_on_commit_callbacks, 20) == 0
    assert sweep(django_capture_on_commit_callbacks, 30) == 0 and len(sent) == 1


@pytest.mark.django_db
def test_a_night_still_running_is_left_alone(tenant_a, sent, other_session,
                                             django_capture_on_commit_callbacks):
    night(tenant_a, nightly_started_for=NIGHT)
    running = a_running_run(tenant_a)
    with other_session.cursor() as cursor:  # the live run's night lock (another worker's session)
        cursor.execute("SELECT pg_advisory_lock(hashtext(%s), %s)",
                       [kam_tasks.NIGHTLY_LOCK_KEY, tenant_a.pk])
    assert sweep(django_capture_on_commit_callbacks, 10) == 0
    assert sent == []
    with tenant_context(tenant_a):
        assert JobRun.objects.get(pk=running.pk).outcome == JobOutcome.RUNNING


@pytest.mark.django_db
def test_a_run_of_a_live_process_is_not_abandoned(tenant_a, sent, other_session,
                                                  django_capture_on_commit_callbacks):
    """A manual run (no night lock) still holds its job's lock: its row stays running."""
    night(tenant_a, nightly_started_for=NIGHT)
    running = a_running_run(tenant_a)
    with other_session.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtext('kam.job:figures'), %s)", [tenant_a.pk])
    sweep(django_capture_on_commit_callbacks, 10)
    with tenant_context(tenant_a):
        assert JobRun.objects.get(pk=running.pk).outcome == JobOutcome.RUNNING


@pytest.mark.django_db
def test_a_queued_night_waits_until_its_message_expired(tenant_a, sent,
                                                        django_capture_on_commit_callbacks):
    night(tenant_a)  # sent, never started: in the queue, or lost with the broker
    expiry = NIGHTLY_TASK_EXPIRES / 60
    assert sweep(django_capture_on_commit_callbacks, expiry - 1) == 0
    assert sent == []
    assert sweep(django_capture_on_commit_callbacks, expiry) == 1  # expired: it will never run
    assert sent == [{"tenant_id": tenant_a.pk, "night": "2026-07-01"}]


@pytest.mark.django_db
def test_a_night_is_sent_again_a_bounded_number_of_times(tenant_a, sent,
                                                         django_capture_on_commit_callbacks):
    for attempt in range(NIGHTLY_MAX_ATTEMPTS + 2):
        Tenant.objects.filter(pk=tenant_a.pk).update(nightly_started_for=NIGHT)  # died again
        if attempt == 0:
            night(tenant_a, nightly_started_for=NIGHT)
        sweep(django_capture_on_commit_callbacks, 10 * (attempt + 1))
    assert len(sent) == NIGHTLY_MAX_ATTEMPTS
    assert state(tenant_a)[2] == NIGHTLY_MAX_ATTEMPTS


@pytest.mark.django_db
def test_beat_runs_the_sweep(tenant_a, sent, django_capture_on_commit_callbacks):
    night(tenant_a, nightly_started_for=NIGHT)
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch_nightly(now=(DISPATCHED + datetime.timedelta(minutes=10)).isoformat()) == 0
    assert sent == [{"tenant_id": tenant_a.pk, "night": "2026-07-01"}]


# --- the task: one run per night, never on a skipped prerequisite ---------------------------------


def runs(tenant: Tenant) -> list[tuple[str, str]]:
    with tenant_context(tenant):
        return list(JobRun.objects.order_by("started_at", "id").values_list("job", "outcome"))


@pytest.mark.django_db
def test_a_night_runs_every_job_and_is_done_once(tenant_a, frozen_clock):
    make_account(tenant_a, "A1")
    today = clock.today(tenant_a)
    night(tenant_a)
    result = run_tenant_nightly.apply(kwargs={"tenant_id": tenant_a.pk,
                                              "night": today.isoformat()})
    assert result.get() == outcomes(figures="succeeded", tiering="succeeded")
    assert state(tenant_a)[:2] == (today, today)
    # A second message for the same night (redelivered, or sent by a sweep meanwhile): nothing.
    assert run_tenant_nightly.apply(kwargs={"tenant_id": tenant_a.pk,
                                            "night": today.isoformat()}).get() == {}
    assert runs(tenant_a) == [(job, "succeeded") for job in jobs.job_names()]  # each once


@pytest.mark.django_db
def test_a_skipped_prerequisite_blocks_the_job_and_leaves_the_night_unfinished(
        tenant_a, other_session, frozen_clock):
    make_account(tenant_a, "A1")
    today = clock.today(tenant_a)
    with other_session.cursor() as cursor:  # a dead run's backend still holds the figures lock
        cursor.execute("SELECT pg_advisory_lock(hashtext('kam.job:figures'), %s)", [tenant_a.pk])
    result = run_tenant_nightly.apply(kwargs={"tenant_id": tenant_a.pk, "night": today.isoformat()})
    assert result.get() == outcomes(figures="skipped", tiering="blocked", cadence="blocked")
    with tenant_context(tenant_a):
        blocked = JobRun.objects.get(job="tiering")
        assert not AccountTier.objects.exists()  # no tiers on stale figures
    # In the tenant's language (the demo tenant's is Chinese): which job, and how it ended.
    assert tenant_a.default_language == "zh-hans"
    assert blocked.error == "客户指标 — 已跳过：另一次运行正在进行"
    assert state(tenant_a)[:2] == (today, None)  # not done: the sweep sends it again


@pytest.mark.django_db
def test_a_failed_prerequisite_blocks_the_job_and_the_night_is_done(tenant_a, monkeypatch,
                                                                   frozen_clock):
    def broken(tenant_id: int, run) -> JobResult:
        raise ValueError("bad data")

    monkeypatch.setitem(jobs._JOBS, "figures", broken)
    today = clock.today(tenant_a)
    result = run_tenant_nightly.apply(kwargs={"tenant_id": tenant_a.pk, "night": today.isoformat()})
    assert result.get() == outcomes(figures="failed", tiering="blocked", cadence="blocked")
    assert state(tenant_a)[:2] == (today, today)  # a bug: recorded, not rerun all night


@pytest.mark.django_db
def test_a_job_run_alone_needs_its_prerequisite_to_have_succeeded_today(tenant_a, frozen_clock):
    make_account(tenant_a, "A1")
    assert run_jobs(["tiering"], tenant_a)["tiering"].outcome == JobOutcome.BLOCKED
    assert runs(tenant_a)[-1] == ("tiering", "blocked")
    assert run_job("figures", tenant_a).outcome == JobOutcome.SUCCEEDED
    assert run_jobs(["tiering"], tenant_a)["tiering"].outcome == JobOutcome.SUCCEEDED
    frozen_clock.shift(datetime.timedelta(days=1))  # yesterday's figures are not today's
    with tenant_context(tenant_a):
        assert JobRun.objects.filter(job="figures", outcome="succeeded").exists()
    assert run_jobs(["tiering"], tenant_a)["tiering"].outcome == JobOutcome.BLOCKED
    with pytest.raises(KeyError):
        run_jobs(["nonsense"], tenant_a)


@pytest.mark.django_db
def test_a_night_held_by_another_run_is_not_run_twice(tenant_a, other_session, monkeypatch,
                                                      frozen_clock):
    monkeypatch.setattr(kam_tasks, "NIGHTLY_LOCK_WAIT", 0.5)
    with other_session.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtext(%s), %s)",
                       [kam_tasks.NIGHTLY_LOCK_KEY, tenant_a.pk])
    result = run_tenant_nightly.apply(kwargs={"tenant_id": tenant_a.pk})
    assert result.get() == {"night": "busy"}
    assert runs(tenant_a) == []


@pytest.mark.django_db
def test_the_run_of_a_killed_pool_child_is_closed_when_the_night_reruns(tenant_a, frozen_clock):
    make_account(tenant_a, "A1")
    dead = a_running_run(tenant_a)  # its backend is gone: the job's lock is free
    run_tenant_nightly.apply(kwargs={"tenant_id": tenant_a.pk}).get()
    with tenant_context(tenant_a):
        assert JobRun.objects.get(pk=dead.pk).outcome == JobOutcome.ABANDONED


# --- worker sessions have limits -------------------------------------------------------------------


def _session_settings() -> dict[str, str]:
    names = ("statement_timeout", "idle_in_transaction_session_timeout",
             "client_connection_check_interval")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, setting || coalesce(unit, '') FROM pg_settings "
                       "WHERE name = ANY(%s)", [list(names)])
        return dict(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_application_sessions_carry_the_limits_of_their_process(settings):
    before = db_base._session_kind  # an in-process test worker (start_worker) may have set it
    connection.close()
    db_base.set_session_kind("web")
    try:
        assert _session_settings() == {"statement_timeout": "60000ms",
                                       "idle_in_transaction_session_timeout": "300000ms",
                                       "client_connection_check_interval": "5000ms"}
        connection.close()
        db_base.set_session_kind("worker")
        assert _session_settings()["statement_timeout"] == "1800000ms"
    finally:
        connection.close()
        db_base.set_session_kind(before)
    with pytest.raises(ValueError):
        db_base.set_session_kind("nonsense")
    with connection.as_owner():  # migrate: no limits
        assert _session_settings()["statement_timeout"] == "0ms"


@pytest.mark.django_db(transaction=True)
def test_the_owner_can_end_a_stuck_application_session(other_session):
    """The operator's way (README): pg_terminate_backend as the owner role."""
    with other_session.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        stuck = cursor.fetchone()[0]
    with connection.as_owner(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE usename = %s AND pid = %s", [connection.app_user, stuck])
        assert cursor.fetchone()[0] is True


# --- real workers, killed mid-run ----------------------------------------------------------------


def _lock_an_account(tenant: Tenant, account_id: int):
    """An open transaction holding ``account_id``'s row lock: the figures job's write of that
    account's row waits for it (its foreign-key check), so the run stops there, deterministically."""
    holder = connections.create_connection("default")
    holder.ensure_connection()
    holder.set_autocommit(False)
    with tenant_context(tenant), holder.cursor() as cursor:
        cursor.execute("SELECT id FROM accounts_account WHERE id = %s FOR UPDATE", [account_id])
    return holder


def _blocked_backend(holder) -> int | None:
    """The pid of the backend waiting for ``holder``'s lock, if any. (Asked on the test's own
    connection: inside ``holder``'s transaction, pg_stat_activity would stay as first read.)"""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                       [holder.connection.get_backend_pid()])
        row = cursor.fetchone()
    return row[0] if row else None


def _backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return bool(cursor.fetchone()[0])


def _start_worker(log: Path, pool: str, name: str) -> subprocess.Popen:
    command = [*WORKER_COMMAND, "-Q", app.conf.task_default_queue, "--loglevel", "INFO",
               "-n", f"{name}-{os.getpid()}@%h"]
    if pool != "solo":
        command[command.index("solo")] = pool
    with log.open("a") as out:
        return subprocess.Popen(command, cwd=BASE_DIR, env=worker_env(),  # noqa: S603
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(worker.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    worker.wait(timeout=5)


def _pool_child(worker: subprocess.Popen) -> int:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(worker.pid)],  # noqa: S603, S607
                         capture_output=True, text=True, check=False).stdout.split()
    assert len(out) == 1, f"one pool child expected: {out}"
    return int(out[0])


BOOKS = {"X": (5, "2000"), "Y": (3, "2000"), "Z": (1, "0")}
EXPECTED = {"X": "strategic", "Y": "key", "Z": "general"}


def _uninterrupted_changes(tenant: Tenant) -> dict[str, int]:
    """What an uninterrupted run would change now: nothing, if the recovered night left every
    row as an uninterrupted run leaves it."""
    return {job: run.changed
            for job, run in run_jobs(["figures", "tiering", "cadence"], tenant).items()}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kill", ["worker", "pool child"])
def test_a_worker_killed_mid_night_loses_no_tenants_night(tenant_a, tenant_b, kill):
    """Three tenants' nights; the worker (or only its pool child) is killed with SIGKILL while
    the second tenant's figures wait on a lock this test holds; a new worker (or the pool's next
    child) and the sweep finish every night, row for row as an uninterrupted run."""
    Tenant.objects.create(name="Zeta", slug="zeta")
    Tenant.objects.update(time_zone="Asia/Shanghai", nightly_dispatched_for=None)
    tenants = list(Tenant.objects.order_by("name"))  # the order the dispatcher sends them in
    assert len(tenants) == 3 and tenant_a in tenants and tenant_b in tenants
    victim = tenants[1]
    ids = {t.pk: book(t, BOOKS) for t in tenants}
    now = datetime.datetime(2026, 7, 1, 12, 0, tzinfo=datetime.UTC)  # 20:00 in Shanghai: due
    app.control.purge()
    log = Path(tempfile.mkstemp(prefix="kam-kill-", suffix=".log")[1])
    holder = _lock_an_account(victim, ids[victim.pk]["X"])
    workers = [_start_worker(log, "solo" if kill == "worker" else "prefork", "kill-test")]
    try:
        deadline = time.monotonic() + 90
        dispatch_nightly.delay(now=now.isoformat())
        wait_for(lambda: _blocked_backend(holder) is not None,
                 "the victim's figures never waited on the test's lock", log, deadline)
        dead_backend = _blocked_backend(holder)
        assert run_counts(victim) == {("figures", "running"): 1}
        if kill == "worker":
            os.killpg(workers[0].pid, signal.SIGKILL)
            workers[0].wait(timeout=10)
        else:
            os.kill(_pool_child(workers[0]), signal.SIGKILL)
        # The dead client's backend ends by itself while the lock is still held (it would
        # otherwise hold the night's locks until the statement finished).
        wait_for(lambda: not _backend_alive(dead_backend),
                 "the killed worker's backend kept running", log, time.monotonic() + 20)
        holder.rollback()
        if kill == "worker":
            workers.append(_start_worker(log, "solo", "kill-test-2"))
            # The next beat (ten minutes later): its sweep finds the victim's night dead.
            dispatch_nightly.delay(now=(now + datetime.timedelta(minutes=10)).isoformat())

        def all_done() -> bool:
            assert workers[-1].poll() is None, f"the worker exited:\n{log.read_text()[-4000:]}"
            done = Tenant.objects.filter(pk__in=[t.pk for t in tenants],
                                         nightly_done_for__isnull=False).count()
            return done == len(tenants)

        wait_for(all_done, "not every tenant's night finished", log, deadline)
        for tenant in tenants:
            counts = run_counts(tenant)
            assert counts.get(("figures", "succeeded")) == 1, (tenant.name, counts)
            assert counts.get(("tiering", "succeeded")) == 1, (tenant.name, counts)
            assert ("figures", "running") not in counts and ("tiering", "blocked") not in counts
            assert tiers(tenant, ids[tenant.pk]) == EXPECTED
            with tenant_context(tenant):
                assert AccountFigures.objects.count() == len(BOOKS)
        assert run_counts(victim)[("figures", "abandoned")] == 1
        for tenant in tenants:
            assert _uninterrupted_changes(tenant) == {"figures": 0, "tiering": 0,
                                                      "cadence": 0}, tenant.name
    finally:
        holder.close()
        for worker in workers:
            _stop(worker)
        log.unlink(missing_ok=True)

"""The nightly job framework end to end: the 02:00-local dispatcher (kam.tasks.dispatch_nightly),
retries of the per-tenant task, the per-(job, tenant) advisory lock, the broker settings, a real
Celery worker *process* fed through Redis, and the admins' job-run page (kam.job_views)."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import signals
from celery.schedules import crontab
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AccountTier, TierChange, Transaction
from accounts.tiering.policy import default_criteria
from accounts.tiering.services import tier_policy_save
from kam import clock, jobs
from kam import tasks as kam_tasks
from kam.celery import app
from kam.jobs import JobResult, job_names, run_job
from kam.models import JobOutcome, JobRun, Tenant
from kam.tasks import NIGHTLY_TASK_EXPIRES, dispatch_nightly, run_tenant_nightly, tenants_due
from kam.tenancy import tenant_context
from tests.conftest import login
from tests.factories import make_account
from tests.kam.test_security import assert_csp_clean_page, assert_strict_csp, inline_code

BASE_DIR = Path(__file__).resolve().parents[2]
SHANGHAI = clock.zone("Asia/Shanghai")
NEW_YORK = clock.zone("America/New_York")
LOS_ANGELES = clock.zone("America/Los_Angeles")
KOLKATA = clock.zone("Asia/Kolkata")  # UTC+05:30: 02:00 local is 20:30 UTC the day before


def at(zone: datetime.tzinfo, day: int, hour: int, minute: int = 0, month: int = 7) -> str:
    """An ISO moment (what beat-style callers pass as ``now``) at a local time in ``zone``."""
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=zone).isoformat()


# --- the dispatcher ------------------------------------------------------------------------------


@pytest.fixture
def enqueued(monkeypatch) -> list[dict]:
    """What dispatch_nightly hands to the broker: our task's apply_async, observed (not sent), as
    if a worker ran the night at once (so the sweep has nothing to send again)."""
    calls: list[dict] = []

    def send(*args, **kwargs):
        calls.append({"args": args, **kwargs})
        night = datetime.date.fromisoformat(kwargs["kwargs"]["night"])
        Tenant.objects.filter(pk=kwargs["kwargs"]["tenant_id"]).update(
            nightly_started_for=night, nightly_done_for=night)

    monkeypatch.setattr(run_tenant_nightly, "apply_async", send)
    return calls


def dispatch(captured, now: str) -> int:
    """One beat tick at ``now``, its on-commit callbacks run as a commit would run them."""
    with captured(execute=True):
        return dispatch_nightly(now=now)


def dispatched_for(tenant: Tenant) -> datetime.date | None:
    return Tenant.objects.values_list("nightly_dispatched_for", flat=True).get(pk=tenant.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("zone", [SHANGHAI, NEW_YORK, LOS_ANGELES, KOLKATA], ids=str)
def test_a_tenant_is_claimed_once_per_local_date_from_0200_local(
        zone, enqueued, django_capture_on_commit_callbacks):
    tenant = Tenant.objects.create(name="T", slug="t", time_zone=str(zone))

    assert tenants_due(datetime.datetime.fromisoformat(at(zone, 1, 1, 59))) == []
    assert dispatch(django_capture_on_commit_callbacks, at(zone, 1, 1, 59)) == 0
    assert dispatched_for(tenant) is None and enqueued == []

    moment = datetime.datetime.fromisoformat(at(zone, 1, 2, 0))
    assert tenants_due(moment.astimezone(datetime.UTC)) == [(tenant.pk, datetime.date(2026, 7, 1))]
    # Enqueued only when the claim commits, with an expiry.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert dispatch_nightly(now=moment.isoformat()) == 1
    assert enqueued == [] and len(callbacks) == 1
    callbacks[0]()
    assert enqueued == [{"args": (), "kwargs": {"tenant_id": tenant.pk, "night": "2026-07-01"},
                         "expires": NIGHTLY_TASK_EXPIRES}]
    assert dispatched_for(tenant) == datetime.date(2026, 7, 1)

    # A second beat (or a duplicated message) at the same moment, and later that day: claimed.
    assert dispatch(django_capture_on_commit_callbacks, at(zone, 1, 2, 0)) == 0
    assert dispatch(django_capture_on_commit_callbacks, at(zone, 1, 23, 59)) == 0
    assert len(enqueued) == 1
    # The next local day, at 01:59 not yet; at 02:00 once more.
    assert dispatch(django_capture_on_commit_callbacks, at(zone, 2, 1, 59)) == 0
    assert dispatch(django_capture_on_commit_callbacks, at(zone, 2, 2, 0)) == 1
    assert dispatched_for(tenant) == datetime.date(2026, 7, 2)
    assert [call["kwargs"] for call in enqueued] == [
        {"tenant_id": tenant.pk, "night": "2026-07-01"},
        {"tenant_id": tenant.pk, "night": "2026-07-02"}]


@pytest.mark.django_db
def test_each_tenant_follows_its_own_clock(tenant_a, tenant_b, enqueued,
                                           django_capture_on_commit_callbacks):
    Tenant.objects.filter(pk=tenant_b.pk).update(time_zone="America/New_York")
    # 05:00 UTC = 13:00 in Shanghai (due), 01:00 in New York (not yet).
    assert dispatch(django_capture_on_commit_callbacks, "2026-07-01T05:00:00+00:00") == 1
    assert [c["kwargs"]["tenant_id"] for c in enqueued] == [tenant_a.pk]
    assert (dispatched_for(tenant_a), dispatched_for(tenant_b)) == (datetime.date(2026, 7, 1), None)
    # 06:00 UTC = 02:00 in New York: only tenant B now.
    assert dispatch(django_capture_on_commit_callbacks, "2026-07-01T06:00:00+00:00") == 1
    assert [c["kwargs"]["tenant_id"] for c in enqueued] == [tenant_a.pk, tenant_b.pk]
    assert dispatched_for(tenant_b) == datetime.date(2026, 7, 1)
    # 18:00 UTC = 02:00 on 2 July in Shanghai; New York is still on 1 July (14:00).
    assert dispatch(django_capture_on_commit_callbacks, "2026-07-01T18:00:00+00:00") == 1
    assert [c["kwargs"]["tenant_id"] for c in enqueued][-1] == tenant_a.pk
    assert (dispatched_for(tenant_a), dispatched_for(tenant_b)) == (
        datetime.date(2026, 7, 2), datetime.date(2026, 7, 1))


@pytest.mark.django_db
@pytest.mark.clock("2026-07-01T20:30:00+00:00")
def test_beat_reads_the_clock_in_each_tenants_zone(tenant_a, tenant_b, enqueued, frozen_clock,
                                                   django_capture_on_commit_callbacks):
    """Beat passes no moment: the dispatcher asks kam.clock. At 20:30 UTC on 1 July it is 02:00
    on 2 July in Kolkata (due for the 2nd) and 13:30 on 1 July in Los Angeles (already run)."""
    Tenant.objects.filter(pk=tenant_a.pk).update(time_zone="Asia/Kolkata",
                                                 nightly_dispatched_for=datetime.date(2026, 7, 1),
                                                 nightly_done_for=datetime.date(2026, 7, 1))
    Tenant.objects.filter(pk=tenant_b.pk).update(time_zone="America/Los_Angeles",
                                                 nightly_dispatched_for=datetime.date(2026, 7, 1),
                                                 nightly_done_for=datetime.date(2026, 7, 1))
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch_nightly() == 1
    assert [c["kwargs"]["tenant_id"] for c in enqueued] == [tenant_a.pk]
    assert (dispatched_for(tenant_a), dispatched_for(tenant_b)) == (
        datetime.date(2026, 7, 2), datetime.date(2026, 7, 1))
    frozen_clock.shift(datetime.timedelta(hours=12, minutes=59))  # 09:29 UTC: LA is 02:29
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch_nightly() == 1
    assert dispatched_for(tenant_b) == datetime.date(2026, 7, 2)


@pytest.mark.django_db
def test_a_second_beat_that_read_before_the_first_committed_claims_nothing(
        tenant_a, enqueued, monkeypatch, django_capture_on_commit_callbacks):
    """Two beats at once: both read tenant A as due; the claim (a conditional UPDATE, which waits
    for the first beat's row lock and re-checks) lets only the first enqueue."""
    moment = at(SHANGHAI, 1, 2, 10)
    stale = tenants_due(datetime.datetime.fromisoformat(moment))
    assert stale == [(tenant_a.pk, datetime.date(2026, 7, 1))]
    assert dispatch(django_capture_on_commit_callbacks, moment) == 1  # the first beat
    monkeypatch.setattr(kam_tasks, "tenants_due", lambda now: stale)  # the second's early read
    assert dispatch(django_capture_on_commit_callbacks, moment) == 0
    assert len(enqueued) == 1 and dispatched_for(tenant_a) == datetime.date(2026, 7, 1)


@pytest.mark.django_db
def test_an_inactive_tenant_is_never_claimed(enqueued, django_capture_on_commit_callbacks):
    tenant = Tenant.objects.create(name="Gone", slug="gone", is_active=False)
    for now in (at(SHANGHAI, 1, 2), at(SHANGHAI, 1, 12), at(SHANGHAI, 2, 3)):
        assert tenants_due(datetime.datetime.fromisoformat(now)) == []
        assert dispatch(django_capture_on_commit_callbacks, now) == 0
    assert dispatched_for(tenant) is None and enqueued == []


@pytest.mark.django_db
def test_a_beat_that_was_down_at_0200_catches_up_once(tenant_a, enqueued,
                                                      django_capture_on_commit_callbacks):
    Tenant.objects.filter(pk=tenant_a.pk).update(nightly_dispatched_for=datetime.date(2026, 6, 30),
                                                 nightly_done_for=datetime.date(2026, 6, 30))
    # Beat was down from midnight until 09:37 local: that day's run starts when it comes back.
    assert dispatch(django_capture_on_commit_callbacks, at(SHANGHAI, 1, 9, 37)) == 1
    assert dispatched_for(tenant_a) == datetime.date(2026, 7, 1)
    assert dispatch(django_capture_on_commit_callbacks, at(SHANGHAI, 1, 9, 47)) == 0
    # Down for two whole days: one run for today, not one per missed night.
    assert dispatch(django_capture_on_commit_callbacks, at(SHANGHAI, 4, 15, 0)) == 1
    assert dispatched_for(tenant_a) == datetime.date(2026, 7, 4)
    assert len(enqueued) == 2


def test_beat_runs_the_dispatcher_every_few_minutes():
    entry = app.conf.beat_schedule["dispatch-nightly"]
    assert entry["task"] == "kam.tasks.dispatch_nightly" == dispatch_nightly.name
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks
    assert isinstance(entry["schedule"], crontab)
    # A tick not started before the next one is dropped rather than piled up.
    assert entry["options"]["expires"] < 10 * 60


def test_visibility_timeout_outlasts_the_longest_task():
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert timeout > NIGHTLY_TASK_EXPIRES
    assert app.conf.broker_transport_options["visibility_timeout"] == timeout
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost


# --- retries -------------------------------------------------------------------------------------


@pytest.fixture
def retries() -> list:
    """The Retry exceptions Celery's tracer handled (signals.task_retry)."""
    seen: list = []

    def record(sender=None, reason=None, **_kwargs):
        seen.append(reason)

    signals.task_retry.connect(record, weak=False)
    yield seen
    signals.task_retry.disconnect(record)


def runs_of(tenant: Tenant, job: str) -> list[tuple[str, str]]:
    with tenant_context(tenant):
        return list(JobRun.objects.filter(job=job).order_by("started_at", "id")
                    .values_list("outcome", "error"))


@pytest.mark.django_db
def test_a_transient_database_error_is_retried_and_recorded(tenant_a, monkeypatch, retries):
    attempts = []

    def flaky(tenant_id: int, run) -> JobResult:
        attempts.append(tenant_id)
        if len(attempts) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return JobResult(examined=5, changed=1)

    monkeypatch.setitem(jobs._JOBS, "flaky", flaky)
    monkeypatch.setitem(jobs._JOBS, "after", lambda tenant_id, run: JobResult(2, 0))
    result = run_tenant_nightly.apply(kwargs={"tenant_id": tenant_a.pk, "jobs": ["flaky", "after"]})

    (retry,) = retries  # Celery's Retry was raised once, for the database error, with a backoff
    assert isinstance(retry.exc, OperationalError) and retry.when == 60
    assert result.successful() and result.get() == {"flaky": "succeeded", "after": "succeeded"}
    assert attempts == [tenant_a.pk, tenant_a.pk]
    (failed, succeeded) = runs_of(tenant_a, "flaky")
    assert failed == ("failed", "OperationalError: server closed the connection unexpectedly")
    assert succeeded == ("succeeded", "")
    assert runs_of(tenant_a, "after") == [("succeeded", "")]  # ran once, in the retry


@pytest.mark.django_db
def test_a_transient_error_outside_the_job_body_is_retried_too(tenant_a, monkeypatch, retries):
    """Writing the JobRun row itself can meet the database going away: retried, not acked."""
    from kam.models import JobRun as JobRunModel

    real_create = JobRunModel.objects.create
    calls = []

    def create(**kwargs):
        calls.append(kwargs["job"])
        if len(calls) == 1:
            raise OperationalError("terminating connection due to administrator command")
        return real_create(**kwargs)

    monkeypatch.setattr(JobRunModel.objects, "create", create)
    monkeypatch.setitem(jobs._JOBS, "quiet", lambda tenant_id, run: JobResult(1, 0))
    result = run_tenant_nightly.apply(kwargs={"tenant_id": tenant_a.pk, "jobs": ["quiet"]})
    (retry,) = retries
    assert isinstance(retry.exc, OperationalError) and retry.when == 60
    assert result.successful() and runs_of(tenant_a, "quiet") == [("succeeded", "")]


@pytest.mark.django_db
def test_a_broker_failure_keeps_the_night_and_the_next_beat_sends_it(
        tenant_a, monkeypatch, django_capture_on_commit_callbacks):
    """The claim is committed before the task is sent; if Redis refuses it (for as many beats as
    it is down), the night stays claimed and the next beat that reaches Redis sends it."""
    def refuse(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to redis")

    monkeypatch.setattr(run_tenant_nightly, "apply_async", refuse)
    assert dispatch(django_capture_on_commit_callbacks, "2026-07-01T03:00:00+08:00") == 1
    for minute in range(10, 60, 10):  # Redis down for an hour: no attempt is used up
        assert dispatch(django_capture_on_commit_callbacks, f"2026-07-01T03:{minute}:00+08:00") == 0
    assert dispatched_for(tenant_a) == datetime.date(2026, 7, 1)
    assert Tenant.objects.get(pk=tenant_a.pk).nightly_enqueued_at is None
    sent: list = []
    monkeypatch.setattr(run_tenant_nightly, "apply_async",
                        lambda *a, **kw: sent.append(kw["kwargs"]))
    dispatch(django_capture_on_commit_callbacks, "2026-07-01T04:00:00+08:00")
    assert sent == [{"tenant_id": tenant_a.pk, "night": "2026-07-01"}]
    # Sent: the next beats leave it to the queue.
    dispatch(django_capture_on_commit_callbacks, "2026-07-01T04:10:00+08:00")
    assert len(sent) == 1 and dispatched_for(tenant_a) == datetime.date(2026, 7, 1)


@pytest.mark.django_db
def test_transient_retries_are_bounded(tenant_a, monkeypatch, retries):
    def down(tenant_id: int, run) -> JobResult:
        raise OperationalError("could not connect to server")

    monkeypatch.setitem(jobs._JOBS, "down", down)
    result = run_tenant_nightly.apply(kwargs={"tenant_id": tenant_a.pk, "jobs": ["down"]})
    assert [r.when for r in retries] == [60, 120, 240]  # exponential backoff, three retries
    assert result.failed() and isinstance(result.result, OperationalError)
    assert [outcome for outcome, _ in runs_of(tenant_a, "down")] == ["failed"] * 4


@pytest.mark.django_db
def test_a_bug_is_recorded_not_retried_and_the_next_jobs_still_run(tenant_a, monkeypatch,
                                                                   retries):
    def broken(tenant_id: int, run) -> JobResult:
        raise ValueError("a policy with no tiers")

    monkeypatch.setitem(jobs._JOBS, "broken", broken)
    monkeypatch.setitem(jobs._JOBS, "after", lambda tenant_id, run: JobResult(2, 0))
    result = run_tenant_nightly.apply(kwargs={"tenant_id": tenant_a.pk,
                                              "jobs": ["broken", "after"]})
    assert retries == []
    assert result.successful() and result.get() == {"broken": "failed", "after": "succeeded"}
    assert runs_of(tenant_a, "broken") == [("failed", "ValueError: a policy with no tiers")]
    assert runs_of(tenant_a, "after") == [("succeeded", "")]


# --- the advisory lock ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_run_that_finds_the_lock_taken_is_skipped_and_changes_nothing(tenant_a, tenant_b,
                                                                        other_session):
    for name in ("A1", "A2"):
        make_account(tenant_a, name)
    with other_session.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtext('kam.job:tiering'), %s)", [tenant_a.pk])
    try:
        run = run_job("tiering", tenant_a)
        assert (run.outcome, run.examined, run.changed, run.error) == ("skipped", 0, 0, "")
        assert run.finished_at is not None
        with tenant_context(tenant_a):
            assert not AccountTier.objects.exists() and not TierChange.objects.exists()
            assert JobRun.objects.get(pk=run.pk).outcome == JobOutcome.SKIPPED
        # The lock is per (job, tenant): another tenant, or another job, is not held up.
        assert run_job("tiering", tenant_b).outcome == JobOutcome.SUCCEEDED
        assert run_job("figures", tenant_a).outcome == JobOutcome.SUCCEEDED
    finally:
        with other_session.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtext('kam.job:tiering'), %s)",
                           [tenant_a.pk])
    run = run_job("tiering", tenant_a)
    assert (run.outcome, run.examined, run.changed) == ("succeeded", 2, 2)
    with tenant_context(tenant_a):
        assert AccountTier.objects.count() == 2


# --- a real worker process, through Redis ----------------------------------------------------------


def _db_url(user: str, password: str) -> str:
    db = connection.settings_dict
    host = db["HOST"] or ""
    host = quote(host, safe="") if host.startswith("/") else host
    credentials = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}@{host}{port}/{quote(db['NAME'], safe='')}"


def worker_env() -> dict[str, str]:
    """The worker's environment: the *test* database (pytest-django renamed it; kam/settings.py
    reads DATABASE_URL), as the application role, so the worker's RLS start-up check runs for real
    and passes; migrations' owner role as DATABASE_OWNER_URL; the same Redis as this process."""
    db = connection.settings_dict
    env = dict(os.environ)
    env.pop("KAM_ALLOW_RLS_BYPASS", None)
    env.update(
        DATABASE_URL=_db_url(db["APP_USER"], db.get("PASSWORD") or ""),
        DATABASE_OWNER_URL=_db_url(db["OWNER_USER"], db.get("OWNER_PASSWORD") or ""),
        REDIS_URL=settings.REDIS_URL,
        DJANGO_SETTINGS_MODULE="kam.settings",
        PYTHONUNBUFFERED="1",
    )
    return env


def wait_for(condition, what: str, log: Path, deadline: float) -> None:
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within the deadline; worker log:\n{log.read_text()[-4000:]}")
        time.sleep(0.2)


def policy_revenue_and_strategic() -> None:
    """40 points for ≥ 1,000 of revenue in 12 months (the figures job's output), 60 for strategic
    value 5 (30 for ≥ 3); everything else off. Cut-offs 80 / 60 / 40."""
    criteria = default_criteria()
    for spec in criteria.values():
        spec.update(enabled=False, weight=0)
    criteria["revenue"] = {"enabled": True, "weight": 40, "thresholds": [[1000, 100]]}
    criteria["strategic"] = {"enabled": True, "weight": 60, "thresholds": [[3, 50], [5, 100]]}
    tier_policy_save(criteria=criteria, cutoff_strategic=80, cutoff_key=60, cutoff_important=40,
                     hysteresis=5)


def book(tenant: Tenant, accounts: dict[str, tuple[int, str]]) -> dict[str, int]:
    """Accounts {name: (strategic value, revenue of a sale three days ago)} under that policy."""
    ids = {}
    for name, (strategic, revenue) in accounts.items():
        account = make_account(tenant, name, strategic_value=strategic)
        ids[name] = account.pk
        with tenant_context(tenant):
            if Decimal(revenue):
                Transaction.objects.create(account=account, amount=Decimal(revenue),
                                           # The worker process reads the real clock.
                                           date=clock.today(tenant) - datetime.timedelta(days=3))
    with tenant_context(tenant):
        policy_revenue_and_strategic()
    return ids


def tiers(tenant: Tenant, ids: dict[str, int]) -> dict[str, str]:
    with tenant_context(tenant):
        by_id = dict(AccountTier.objects.values_list("account_id", "tier"))
    return {name: by_id.get(pk) for name, pk in ids.items()}


def run_counts(tenant: Tenant) -> dict[tuple[str, str], int]:
    with tenant_context(tenant):
        counts: dict[tuple[str, str], int] = {}
        for job, outcome in JobRun.objects.values_list("job", "outcome"):
            counts[(job, outcome)] = counts.get((job, outcome), 0) + 1
        return counts


def expired_session() -> str:
    store = SessionStore()
    store["k"] = "v"
    store.create()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=clock.now() - datetime.timedelta(days=1))
    return store.session_key


def drained(key: str) -> bool:
    """A clear_expired_sessions sent after other messages has run: the queue before it is done
    (one solo worker, prefetch 1, late acks: messages run one at a time, in order)."""
    return not Session.objects.filter(session_key=key).exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_beat_dispatch_through_redis_and_a_worker_process_tiers_every_tenant(tenant_a, tenant_b):
    from kam.tasks import clear_expired_sessions

    Tenant.objects.filter(pk=tenant_b.pk).update(time_zone="America/New_York")
    ids_a = book(tenant_a, {"X": (5, "2000"), "Y": (3, "2000"), "Z": (1, "0")})
    ids_b = book(tenant_b, {"P": (4, "2000"), "Q": (1, "500")})
    # 12:00 UTC: 20:00 in Shanghai, 08:00 in New York — past 02:00 for both, on 1 July.
    now = "2026-07-01T12:00:00+00:00"
    app.control.purge()  # nothing left over in the queue from an aborted run
    queue = app.conf.task_default_queue
    log = Path(tempfile.mkstemp(prefix="kam-worker-", suffix=".log")[1])
    started = time.monotonic()
    with log.open("w") as out:
        worker = subprocess.Popen(  # noqa: S603 - our interpreter, fixed arguments
            [*WORKER_COMMAND, "-Q", queue, "--loglevel", "INFO",
             "-n", f"nightly-test-{os.getpid()}@%h"],
            cwd=BASE_DIR, env=worker_env(), stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        dispatch_nightly.delay(now=now)

        def done() -> bool:
            assert worker.poll() is None, f"the worker exited:\n{log.read_text()[-4000:]}"
            return all(run_counts(t).get(("tiering", "succeeded")) for t in (tenant_a, tenant_b))

        wait_for(done, "the worker did not run the dispatcher and both tenants' jobs", log,
                 deadline)
        for tenant in (tenant_a, tenant_b):
            assert run_counts(tenant) == {("figures", "succeeded"): 1,
                                          ("tiering", "succeeded"): 1}
            assert dispatched_for(tenant) == datetime.date(2026, 7, 1)
        # Figures first (revenue), then tiers: X 40 + 60 = 100, Y 40 + 30, Z 0; P 40 + 30, Q 0.
        assert tiers(tenant_a, ids_a) == {"X": "strategic", "Y": "key", "Z": "general"}
        assert tiers(tenant_b, ids_b) == {"P": "key", "Q": "general"}
        with tenant_context(tenant_a):
            tiering_run = JobRun.objects.get(job="tiering")
            assert (tiering_run.examined, tiering_run.changed) == (3, 3)
            assert sorted(TierChange.objects.values_list("from_tier", "to_tier", "source",
                                                         "job_run_id")) == sorted(
                [("", "strategic", "computed", tiering_run.pk),
                 ("", "key", "computed", tiering_run.pk),
                 ("", "general", "computed", tiering_run.pk)])
        with tenant_context(tenant_b):
            assert TierChange.objects.count() == 2
        # It wrote to the test database (above) as the application role: the worker's start-up
        # check refuses any role that owns a table or can bypass RLS (next test), and no bypass
        # was allowed (worker_env).
        assert "refuses to run" not in log.read_text()

        # The same beat tick again (a second beat, a redelivered message): nothing new. Two
        # sentinels prove it: the first runs after the dispatch, the second after anything the
        # dispatch could have enqueued.
        dispatch_nightly.delay(now=now)
        first = expired_session()
        clear_expired_sessions.delay()
        wait_for(lambda: drained(first), "the repeated dispatch was not consumed", log, deadline)
        second = expired_session()
        clear_expired_sessions.delay()
        wait_for(lambda: drained(second), "the queue was not drained", log, deadline)
        for tenant in (tenant_a, tenant_b):
            assert run_counts(tenant) == {("figures", "succeeded"): 1,
                                          ("tiering", "succeeded"): 1}
        for tenant, changes in ((tenant_a, 3), (tenant_b, 2)):
            with tenant_context(tenant):
                assert TierChange.objects.count() == changes
        assert time.monotonic() - started < 45, "the integration test should stay fast"
    finally:
        worker.terminate()  # warm shutdown: finishes the task at hand, then exits
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=5)
        try:  # nothing of the worker's session (no pool children) outlives it
            os.killpg(worker.pid, 0)
        except ProcessLookupError:
            stray = False
        else:
            stray = True
            os.killpg(worker.pid, signal.SIGKILL)
        log.unlink(missing_ok=True)
    assert not stray, "the worker left a process behind"
    assert worker.returncode is not None


WORKER_COMMAND = [sys.executable, "-m", "celery", "-A", "kam", "worker", "--pool", "solo",
                  "--concurrency", "1", "--without-gossip", "--without-mingle",
                  "--without-heartbeat"]


@pytest.mark.slow
@pytest.mark.django_db
def test_a_worker_connected_as_the_owner_role_refuses_to_start():
    env = worker_env()
    env["DATABASE_URL"] = env["DATABASE_OWNER_URL"]  # owns every table: would bypass RLS
    try:
        done = subprocess.run(  # noqa: S603 - our interpreter, fixed arguments
            [*WORKER_COMMAND, "-Q", "kam-refusal-test"], cwd=BASE_DIR, env=env,
            capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the worker started anyway: {exc.output}")
    assert done.returncode != 0
    assert "KAM refuses to run" in done.stderr + done.stdout


# --- the job-run page ----------------------------------------------------------------------------

URL = "/settings/jobs/"


def get(client, url: str = URL, lang: str = "en", **params):
    return client.get(url, params, HTTP_ACCEPT_LANGUAGE=lang)


def failing_job(monkeypatch, message: str) -> None:
    def broken(tenant_id: int, run) -> JobResult:
        raise ValueError(message)

    monkeypatch.setitem(jobs._JOBS, "tiering", broken)


@pytest.mark.django_db
def test_admins_see_last_runs_outcomes_and_last_success(client, admin_a, monkeypatch):
    make_account(admin_a.tenant, "A1")
    run_job("figures", admin_a.tenant)
    ok = run_job("tiering", admin_a.tenant)
    with monkeypatch.context() as patch:
        failing_job(patch, "x" * 300 + " the end")
        failed = run_job("tiering", admin_a.tenant)
    login(client, admin_a)
    assert reverse("kam:job-runs") == URL
    settings_page = get(client, reverse("kam:settings")).content.decode()
    assert f'href="{URL}"' in settings_page and "Nightly jobs" in settings_page

    response = get(client)
    assert_csp_clean_page(response, URL)
    body = response.content.decode()
    summaries = {s.name: s for s in response.context["summaries"]}
    assert list(summaries) == job_names()
    assert summaries["tiering"].last.pk == failed.pk
    assert summaries["tiering"].last_success == ok.finished_at
    assert summaries["figures"].last.outcome == "succeeded"
    assert 'kam-job-failed">Failed<' in body and 'kam-job-succeeded">Succeeded<' in body
    assert "Last success" in body and "Tiering" in body and "Account figures" in body
    assert "ValueError: xxxx" in body and " the end</span>" not in body  # shortened on the page
    assert [run.pk for run in response.context["page"].items][:2] == [failed.pk, ok.pk]


@pytest.mark.django_db
def test_skipped_and_running_runs_are_labelled(client, admin_a):
    tenant = admin_a.tenant
    with tenant_context(tenant):
        JobRun.objects.create(job="tiering", started_at=clock.now(), outcome="skipped",
                              finished_at=clock.now())
        JobRun.objects.create(job="figures", started_at=clock.now())  # still running
    login(client, admin_a)
    body = get(client).content.decode()
    assert 'kam-job-skipped">Skipped: another run was in progress<' in body
    assert 'kam-job-running">Running<' in body
    assert "never" in body  # neither job ever succeeded


@pytest.mark.django_db
@pytest.mark.parametrize(("zone", "shown"), [("Asia/Shanghai", "2 Jul 2026, 02:00"),
                                             ("America/New_York", "1 Jul 2026, 14:00")])
def test_times_are_in_the_tenants_time_zone(client, admin_a, zone, shown):
    """In the tenant's zone, written as every page writes a moment (kam/formats), not ISO."""
    Tenant.objects.filter(pk=admin_a.tenant_id).update(time_zone=zone)
    started = datetime.datetime(2026, 7, 1, 18, 0, 5, tzinfo=datetime.UTC)
    with tenant_context(admin_a.tenant):
        JobRun.objects.create(job="figures", started_at=started, outcome="succeeded",
                              finished_at=started + datetime.timedelta(seconds=200))
    login(client, admin_a)
    body = get(client).content.decode()
    assert shown in body and "18:00" not in body and zone in body and "2026-07" not in body
    assert "3 min 20 s" in body


@pytest.mark.django_db
def test_empty_state(client, admin_a):
    login(client, admin_a)
    response = get(client)
    assert_csp_clean_page(response, URL)
    body = response.content.decode()
    assert ("No runs yet. Nightly jobs run at 02:00 Asia/Shanghai; <code>manage.py run_nightly"
            "</code> runs them now.") in body
    assert body.count("Not run yet") == len(job_names())


@pytest.mark.django_db
def test_only_admins(client, exec_a, manager_a):
    for member in (exec_a, manager_a):
        login(client, member)
        assert get(client).status_code == 403
    client.logout()
    assert get(client).status_code == 302


@pytest.mark.django_db
def test_outsiders_see_only_their_own_runs(client, admin_a, admin_b, monkeypatch):
    with monkeypatch.context() as patch:
        failing_job(patch, "secret-of-tenant-A")
        run_a = run_job("tiering", admin_a.tenant)
    run_b = run_job("figures", admin_b.tenant)
    login(client, admin_b)
    response = get(client)
    assert response.status_code == 200
    body = response.content.decode()
    assert "secret-of-tenant-A" not in body and 'kam-job-failed' not in body
    assert [run.pk for run in response.context["page"].items] == [run_b.pk]
    assert {s.name: s.last for s in response.context["summaries"]}["tiering"] is None
    # Filtered by A's job, B still sees nothing of A.
    assert list(get(client, job="tiering").context["page"].items) == []
    with tenant_context(admin_a.tenant):
        assert JobRun.objects.get(pk=run_a.pk).error == "ValueError: secret-of-tenant-A"


@pytest.mark.django_db
def test_job_filter_and_bad_job(client, admin_a):
    for job in ("figures", "tiering", "figures"):
        run_job(job, admin_a.tenant)
    login(client, admin_a)
    response = get(client, job="tiering")
    assert response.status_code == 200
    assert [run.job for run in response.context["page"].items] == ["tiering"]
    assert '<option value="tiering" selected>' in response.content.decode()
    assert len(get(client, job="figures").context["page"].items) == 2

    for bad in ("nope", "<script>alert(1)</script>", "figures'--"):
        response = get(client, job=bad)
        assert response.status_code == 400, bad
        body = response.content.decode()
        assert "Unknown job" in body and ", ".join(jobs.job_names()) in body
        assert "<script>alert" not in body
        assert_strict_csp(response)
        assert not inline_code(body)


@pytest.mark.django_db
def test_post_is_not_allowed(client, admin_a):
    login(client, admin_a)
    assert client.post(URL).status_code == 405


def _make_runs(tenant: Tenant, n: int, start: int = 0) -> None:
    base = datetime.datetime(2026, 7, 1, 18, 0, tzinfo=datetime.UTC)
    with tenant_context(tenant):
        JobRun.objects.bulk_create([
            JobRun(tenant=tenant, job=("figures", "tiering")[i % 2], outcome="succeeded",
                   started_at=base + datetime.timedelta(minutes=i),
                   finished_at=base + datetime.timedelta(minutes=i, seconds=3))
            for i in range(start, start + n)])


@pytest.mark.django_db
def test_pagination_newest_first_with_constant_queries(client, admin_a,
                                                       django_assert_num_queries):
    tenant = admin_a.tenant
    _make_runs(tenant, 1)
    login(client, admin_a)
    get(client)  # the session's first request writes the session; count the next ones
    with CaptureQueriesContext(connection) as one:
        assert get(client).status_code == 200
    _make_runs(tenant, 29, start=1)
    with django_assert_num_queries(len(one)):
        first = get(client)
    page = first.context["page"]
    assert (page.total, len(page.items)) == (30, 25) and page.next_cursor
    started = [run.started_at for run in page.items]
    assert started == sorted(started, reverse=True)
    with django_assert_num_queries(len(one) + 1):  # the cursor's row, read back by its id
        second = get(client, cursor=page.next_cursor)
    rest = second.context["page"].items
    assert len(rest) == 5 and not second.context["page"].next_cursor
    assert {r.pk for r in rest}.isdisjoint(r.pk for r in page.items)
    assert rest[0].started_at < page.items[-1].started_at
    assert f"?cursor={page.next_cursor}" in first.content.decode()
    # Filtered: 15 of each job; the pager keeps the filter. A tampered cursor restarts at page 1.
    _make_runs(tenant, 20, start=30)
    filtered = get(client, job="tiering")
    assert len(filtered.context["page"].items) == 25 and filtered.context["page"].total == 25
    assert {run.job for run in filtered.context["page"].items} == {"tiering"}
    _make_runs(tenant, 2, start=50)
    filtered = get(client, job="tiering")
    cursor = filtered.context["page"].next_cursor
    assert f"?job=tiering&amp;cursor={cursor}" in filtered.content.decode()
    last = get(client, job="tiering", cursor=cursor).context["page"]
    assert [run.job for run in last.items] == ["tiering"] and last.offset == 25
    assert get(client, cursor="garbage!").context["page"].offset == 0


@pytest.mark.django_db
def test_the_page_is_translated(client, admin_a, monkeypatch):
    login(client, admin_a)  # tenant A's language is Chinese
    english = ["Nightly jobs", "Last runs", "All runs", "All jobs", "Rows examined", "Outcome",
               "Last success", "Not run yet", "No runs yet", "Every night at", "Back to settings"]
    body = client.get(URL).content.decode()
    assert "夜间任务" in body and "尚无运行记录" in body and "尚未运行" in body
    assert [s for s in english if s in body] == []
    run_job("figures", admin_a.tenant)
    with monkeypatch.context() as patch:
        failing_job(patch, "boom")
        run_job("tiering", admin_a.tenant)
    body = client.get(URL).content.decode()
    assert "成功" in body and "失败" in body and "客户指标" in body and "最近成功" in body
    assert [s for s in [*english, "Succeeded", "Failed", "Account figures", "Duration"]
            if s in body] == []
    body = client.get(URL, {"job": "nope"}).content.decode()
    assert "未知任务" in body and "Unknown job" not in body

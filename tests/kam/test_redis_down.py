"""Redis goes away: the API keeps answering (the rate limit fails open), pages stay up, /healthz
says 503, and work committed meanwhile is started when Redis is back (kam.outbox)."""

from __future__ import annotations

import csv
import datetime
import io
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.urls import reverse

from accounts.imports.tasks import IMPORT_TASK
from accounts.models import Account, ImportJob
from kam import devstack, outbox
from kam.celery import app
from kam.models import OutboxMessage
from kam.tenancy import tenant_context
from tests.conftest import bearer, key_for, login

pytestmark = pytest.mark.skipif(not devstack.uses_embedded_redis(),
                                reason="stops the embedded Redis; REDIS_URL names another server")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def redis_restarted():
    """Whatever the test does to the embedded Redis, it runs again afterwards."""
    yield
    devstack.ensure_redis()


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def _upload(client, rows: int) -> int:
    data = [["外部编号", "客户名称"]] + [[f"R-{i:03d}", f"停机导入{i}"] for i in range(rows)]
    response = client.post(reverse("accounts:import-upload"), {
        "kind": "accounts", "mode": "valid_only", "file": SimpleUploadedFile("r.csv", _csv(data))})
    assert response.status_code == 302
    return int(response["Location"].rstrip("/").split("/")[-2])


@pytest.mark.django_db
def test_the_rate_limit_fails_open_without_its_cache(api, tenant_a, settings, caplog):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "unix:///nonexistent/redis.sock"}}
    bearer(api, key_for(tenant_a, ["read"]))
    response = api.get("/api/v1/accounts/")
    assert response.status_code == 200
    assert "rate limit off" in caplog.text


@pytest.mark.django_db
def test_a_message_the_broker_refused_is_sent_when_it_is_back(tenant_a, monkeypatch,
                                                             django_capture_on_commit_callbacks):
    sent: list[tuple] = []

    def refuse(name, kwargs=None, **_options):
        raise ConnectionRefusedError("Error 111 connecting to redis")

    monkeypatch.setattr(app, "send_task", refuse)
    with django_capture_on_commit_callbacks(execute=True), tenant_context(tenant_a):
        from django.db import transaction

        with transaction.atomic():
            outbox.send_on_commit(IMPORT_TASK, job_id=7, tenant_id=tenant_a.pk)
    assert outbox.pending(IMPORT_TASK, job_id=7, tenant_id=tenant_a.pk)
    (message,) = OutboxMessage.objects.all()
    assert message.attempts == 1 and "111" in message.last_error
    monkeypatch.setattr(app, "send_task", lambda name, kwargs=None, **_o: sent.append((name, kwargs)))
    assert outbox.flush(now=message.created_at + datetime.timedelta(seconds=30)) == 0  # too young
    assert outbox.flush(now=message.created_at + outbox.FLUSH_AFTER * 2) == 1
    assert sent == [(IMPORT_TASK, {"job_id": 7, "tenant_id": tenant_a.pk})]
    assert not outbox.pending(IMPORT_TASK, job_id=7, tenant_id=tenant_a.pk)
    # Sent, never started (Redis restarted and lost its queue): sent again, once.
    later = message.created_at + outbox.RESEND_AFTER * 2
    assert outbox.flush(now=later) == 1 and len(sent) == 2
    outbox.started(IMPORT_TASK, job_id=7, tenant_id=tenant_a.pk)
    assert outbox.flush(now=later + outbox.RESEND_AFTER * 2) == 0
    assert not OutboxMessage.objects.exists()


OUTAGE_SECONDS = 30


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_redis_stopped_under_reads_writes_and_an_import(client, api, admin_a, tenant_a,
                                                        monkeypatch, redis_restarted):
    """Redis is stopped for 30 s while an integration reads and writes accounts, a user starts an
    import and a monitor polls /healthz: no request is a 500 (the test client would raise), every
    write is stored, the user is told the import waits for the queue, and once Redis is back the
    outbox sends it and a real worker runs it to the end."""
    bearer(api, key_for(tenant_a, ["read", "write"]))
    login(client, admin_a)
    job_id = _upload(client, rows=40)
    devstack.stop_redis()
    assert not devstack.redis_running()
    statuses: dict[str, list[int]] = {"read": [], "write": [], "health": []}
    written: list[str] = []
    started = time.monotonic()
    response = client.post(reverse("accounts:import-mapping", args=[job_id]), {
        "external_id": "外部编号", "name": "客户名称", "mode": "valid_only"},
        HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302  # saved and queued, though the queue is down
    progress = client.get(reverse("accounts:import-progress", args=[job_id]),
                          HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The job queue cannot be reached right now" in progress
    page = client.get(reverse("accounts:account-list"))
    assert page.status_code == 200
    n = 0
    while time.monotonic() - started < OUTAGE_SECONDS:
        n += 1
        read = api.get("/api/v1/accounts/", {"page_size": 10})
        statuses["read"].append(read.status_code)
        assert read["Content-Type"].startswith("application/json")
        name = f"停机期间客户{n}"
        write = api.post("/api/v1/accounts/", {"name": name}, format="json")
        statuses["write"].append(write.status_code)
        if write.status_code == 201:
            written.append(name)
        statuses["health"].append(client.get("/healthz").status_code)
        time.sleep(0.5)
    assert set(statuses["read"]) == {200} and set(statuses["write"]) == {201}
    assert set(statuses["health"]) == {503}
    with tenant_context(tenant_a):
        assert ImportJob.objects.get(pk=job_id).status == "mapped"
        assert sorted(Account.objects.filter(name__in=written).values_list("name", flat=True)) == \
            sorted(written)

    devstack.ensure_redis()
    assert client.get("/healthz").status_code == 200
    monkeypatch.setattr(outbox, "FLUSH_AFTER", datetime.timedelta(seconds=1))
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        from kam.tasks import flush_outbox

        flush_outbox.delay()  # what beat sends every minute
        deadline = time.monotonic() + 60
        while ImportJob.unscoped_all_tenants.get(pk=job_id).status not in ("done", "failed"):
            assert time.monotonic() < deadline, "the import never ran after Redis came back"
            time.sleep(0.2)
    job = ImportJob.unscoped_all_tenants.get(pk=job_id)
    assert (job.status, job.created_count) == ("done", 40), job.error_message
    assert not OutboxMessage.objects.exists()
    assert len(written) >= OUTAGE_SECONDS  # a stream, not a single request
    connections.close_all()

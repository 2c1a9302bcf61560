"""Notifications by email (kam.notify_mail): a real SMTP server receives them, a refusing one is
tried again and finally recorded as failed, an email owed while Redis is down goes out when it is
back, the daily digest goes out at 08:00 in each company's zone once however often beat asks, and
a real Celery worker process does all of it through Redis."""

from __future__ import annotations

import datetime
import os
import signal
import smtplib
import subprocess
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connections, transaction

from accounts.tiering.notifications import TIER_CHANGED
from kam import clock, devstack, mailbox, notify, outbox
from kam.celery import app
from kam.models import EmailPreference, EmailState, Membership, Notification, OutboxMessage, Tenant
from kam.notify_mail import (
    DIGEST_TASK,
    EMAIL_RETRY_DELAYS,
    dispatch_digests,
    send_notification_email,
    send_tenant_digests,
)
from kam.settings import email_settings
from kam.tenancy import tenant_context
from tests.kam.notify_kinds import PING, register_ping
from tests.kam.test_nightly import BASE_DIR, WORKER_COMMAND, wait_for, worker_env

AT = datetime.datetime(2026, 6, 15, 1, 30, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def ping_kind() -> str:
    return register_ping()


@pytest.fixture
def smtp_server(tmp_path):
    """A real SMTP server (aiosmtpd, kam.mailbox's handler) on a free local port."""
    from aiosmtpd.controller import Controller

    port = mailbox.free_port()
    directory = tmp_path / "mail"
    controller = Controller(mailbox.MailboxHandler(directory), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SimpleNamespace(port=port, directory=directory)
    finally:
        controller.stop()


def use_smtp(settings, port: int) -> None:
    for name, value in email_settings(f"smtp://127.0.0.1:{port}/?timeout=5").items():
        setattr(settings, name, value)


def prefer(member: Membership, email: str, language: str = "") -> None:
    with tenant_context(member.tenant):
        notify.notification_settings_update(membership=member, email=email, language=language)


def send_ping(tenant: Tenant, key: str, members: list[Membership], n: int = 1) -> None:
    with tenant_context(tenant):
        notify.notify(kind=PING, key=key, recipients=members, data={"name": f"华东{n}", "n": n},
                      occurred_at=AT)


def states(tenant: Tenant) -> dict[int, str]:
    with tenant_context(tenant):
        return dict(Notification.objects.values_list("recipient_id", "email_state"))


def notification_of(member: Membership) -> Notification:
    with tenant_context(member.tenant):
        return Notification.objects.get(recipient=member)


@pytest.fixture
def no_broker(monkeypatch):
    """What the outbox hands to the broker, kept instead of sent."""
    handed: list[tuple[str, dict]] = []
    monkeypatch.setattr(app, "send_task", lambda name, kwargs=None, **_o: handed.append(
        (name, kwargs)))
    return handed


# --- EMAIL_URL ----------------------------------------------------------------------------------


def test_email_url_forms():
    assert email_settings("smtp://kam%40example.com:p%3Ass@smtp.example.com:587/?tls=1") == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.example.com", "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "kam@example.com", "EMAIL_HOST_PASSWORD": "p:ss",
        "EMAIL_USE_TLS": True, "EMAIL_USE_SSL": False, "EMAIL_TIMEOUT": 10.0}
    implicit = email_settings("smtps://u:pw@smtp.example.com?timeout=30")
    assert (implicit["EMAIL_PORT"], implicit["EMAIL_USE_SSL"], implicit["EMAIL_USE_TLS"],
            implicit["EMAIL_TIMEOUT"]) == (465, True, False, 30.0)
    plain = email_settings("smtp://relay.internal")
    assert (plain["EMAIL_PORT"], plain["EMAIL_HOST_USER"], plain["EMAIL_USE_TLS"]) == (25, "", False)


@pytest.mark.parametrize("url", ["http://smtp.example.com", "smtp://", "smtp://host:port",
                                 "smtp://host/?tls=1&foo=1", "smtps://host/?tls=1",
                                 "smtp://host/?timeout=0", "smtp://host/?timeout=soon"])
def test_a_bad_email_url_is_refused(url):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL must look like"):
        email_settings(url)


# --- one email per notification -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_email_reaches_a_real_smtp_server(tenant_a, manager_a, settings, smtp_server,
                                              no_broker):
    use_smtp(settings, smtp_server.port)
    settings.KAM_SITE_URL = "https://kam.example.com"
    prefer(manager_a, EmailPreference.IMMEDIATELY, language="en")
    send_ping(tenant_a, "ping:smtp", [manager_a], n=5)
    assert send_notification_email(tenant_id=tenant_a.pk,
                                   notification_id=notification_of(manager_a).pk) == "sent"
    (received,) = mailbox.received(smtp_server.directory, addresses={"manager_a@example.com"},
                                   limit=10)
    assert received.subject == "Accounts: 华东5"
    assert received.to == ["manager_a@example.com"]
    assert received.sender == settings.DEFAULT_FROM_EMAIL
    assert "Contracts #5" in received.body
    assert "https://kam.example.com/accounts/?n=5" in received.body  # the link, absolute
    assert "https://kam.example.com/notifications/settings/" in received.body
    assert notification_of(manager_a).email_state == EmailState.SENT


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses everything (``error``), counting the attempts."""

    attempts = 0
    error: Exception = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    def send_messages(self, email_messages):
        type(self).attempts += 1
        raise self.error


@pytest.fixture
def refusing(settings):
    RefusingBackend.attempts = 0
    RefusingBackend.error = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    return RefusingBackend


@pytest.mark.django_db
def test_a_refused_email_is_tried_again_then_recorded_as_failed(tenant_a, manager_a, refusing,
                                                                no_broker):
    prefer(manager_a, EmailPreference.IMMEDIATELY)
    send_ping(tenant_a, "ping:refused", [manager_a])
    kwargs = {"tenant_id": tenant_a.pk, "notification_id": notification_of(manager_a).pk}
    # apply(): the task as a worker runs it, its retries run at once instead of after a delay.
    result = send_notification_email.apply(kwargs=kwargs)
    assert result.get() == "failed"
    assert refusing.attempts == 1 + len(EMAIL_RETRY_DELAYS)
    failed = notification_of(manager_a)
    assert failed.email_state == EmailState.FAILED
    assert failed.email_error == "SMTPServerDisconnected: Connection unexpectedly closed"


@pytest.mark.django_db
def test_while_the_server_refuses_the_email_stays_owed(tenant_a, manager_a, refusing, settings,
                                                       mailoutbox, no_broker):
    prefer(manager_a, EmailPreference.IMMEDIATELY)
    send_ping(tenant_a, "ping:later", [manager_a])
    kwargs = {"tenant_id": tenant_a.pk, "notification_id": notification_of(manager_a).pk}
    with pytest.raises(smtplib.SMTPServerDisconnected):
        send_notification_email(**kwargs)  # a first attempt: Celery would retry it
    assert notification_of(manager_a).email_state == EmailState.PENDING  # the claim rolled back
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_notification_email(**kwargs) == "sent"  # the retry
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_a_permanent_refusal_is_not_tried_again(tenant_a, manager_a, refusing, no_broker):
    refusing.error = smtplib.SMTPRecipientsRefused(
        {"manager_a@example.com": (550, b"5.1.1 No such mailbox")})
    prefer(manager_a, EmailPreference.IMMEDIATELY)
    send_ping(tenant_a, "ping:550", [manager_a])
    kwargs = {"tenant_id": tenant_a.pk, "notification_id": notification_of(manager_a).pk}
    assert send_notification_email.apply(kwargs=kwargs).get() == "failed"
    assert refusing.attempts == 1
    assert "550" in notification_of(manager_a).email_error


@pytest.mark.django_db
def test_a_member_who_changed_their_mind_gets_no_email(tenant_a, manager_a, mailoutbox, no_broker):
    prefer(manager_a, EmailPreference.IMMEDIATELY)
    send_ping(tenant_a, "ping:mind", [manager_a])
    prefer(manager_a, EmailPreference.NEVER)  # before the worker got to it
    assert send_notification_email(tenant_id=tenant_a.pk,
                                   notification_id=notification_of(manager_a).pk) == (
        "nothing to send")
    assert mailoutbox == [] and notification_of(manager_a).email_state == EmailState.NOT_WANTED


@pytest.mark.django_db
def test_an_email_the_broker_refused_waits_in_the_outbox(tenant_a, manager_a, monkeypatch,
                                                         mailoutbox,
                                                         django_capture_on_commit_callbacks):
    def refuse(name, kwargs=None, **_options):
        raise ConnectionRefusedError("Error 111 connecting to redis")

    prefer(manager_a, EmailPreference.IMMEDIATELY)
    monkeypatch.setattr(app, "send_task", refuse)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        send_ping(tenant_a, "ping:outbox", [manager_a])
    kwargs = {"tenant_id": tenant_a.pk, "notification_id": notification_of(manager_a).pk}
    assert outbox.pending(notify.EMAIL_TASK, **kwargs)
    assert mailoutbox == []
    handed: list[tuple[str, dict]] = []
    monkeypatch.setattr(app, "send_task", lambda name, kwargs=None, **_o: handed.append(
        (name, kwargs)))
    (message,) = OutboxMessage.objects.all()
    assert outbox.flush(now=message.created_at + outbox.FLUSH_AFTER * 2) == 1  # Redis is back
    assert handed == [(notify.EMAIL_TASK, kwargs)]
    assert send_notification_email(**handed[0][1]) == "sent"
    assert len(mailoutbox) == 1 and not OutboxMessage.objects.exists()


@pytest.mark.slow
@pytest.mark.skipif(not devstack.uses_embedded_redis(),
                    reason="stops the embedded Redis; REDIS_URL names another server")
@pytest.mark.django_db(transaction=True)
def test_redis_stopped_the_email_goes_out_when_it_is_back(tenant_a, manager_a, monkeypatch,
                                                          mailoutbox):
    """Redis really stopped: the notification is committed, its email waits in the outbox;
    Redis back, beat's flush sends it and a worker emails it."""
    prefer(manager_a, EmailPreference.IMMEDIATELY)
    devstack.stop_redis()
    try:
        assert not devstack.redis_running()
        send_ping(tenant_a, "ping:redis-down", [manager_a])  # its own transaction, committed
        kwargs = {"tenant_id": tenant_a.pk, "notification_id": notification_of(manager_a).pk}
        assert outbox.pending(notify.EMAIL_TASK, **kwargs)
        assert notification_of(manager_a).email_state == EmailState.PENDING
    finally:
        devstack.ensure_redis()
    monkeypatch.setattr(outbox, "FLUSH_AFTER", datetime.timedelta(seconds=0))
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        from kam.tasks import flush_outbox

        flush_outbox.delay()  # what beat sends every minute
        deadline = time.monotonic() + 60
        while notification_of(manager_a).email_state != EmailState.SENT:
            assert time.monotonic() < deadline, "the email never went out after Redis came back"
            time.sleep(0.2)
    (email,) = mailoutbox
    assert email.subject == "客户: 华东1"
    assert not OutboxMessage.objects.exists()
    connections.close_all()


# --- the daily digest ---------------------------------------------------------------------------


def local(zone: str, day: int, hour: int, minute: int = 0) -> str:
    return datetime.datetime(2026, 6, day, hour, minute, tzinfo=clock.zone(zone)).isoformat()


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/Los_Angeles", "Asia/Kolkata"])
def test_digests_are_dispatched_once_per_local_day_from_0800(tenant_a, zone,
                                                             django_capture_on_commit_callbacks,
                                                             no_broker):
    Tenant.objects.filter(pk=tenant_a.pk).update(time_zone=zone)
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch_digests(now=local(zone, 15, 7, 59)) == 0
        assert dispatch_digests(now=local(zone, 15, 8, 0)) == 1
        assert dispatch_digests(now=local(zone, 15, 8, 0)) == 0  # a second beat
        assert dispatch_digests(now=local(zone, 15, 23, 50)) == 0
        assert dispatch_digests(now=local(zone, 16, 7, 59)) == 0
        assert dispatch_digests(now=local(zone, 16, 8, 10)) == 1  # the next day
    assert no_broker == [(DIGEST_TASK, {"tenant_id": tenant_a.pk, "day": "2026-06-15"}),
                         (DIGEST_TASK, {"tenant_id": tenant_a.pk, "day": "2026-06-16"})]


@pytest.mark.django_db
def test_the_digest_lists_the_unread_and_is_sent_once(tenant_a, manager_a, manager2_a, admin_a,
                                                      mailoutbox, frozen_clock):
    prefer(manager2_a, EmailPreference.DIGEST, language="en")
    for n in range(1, 4):
        send_ping(tenant_a, f"ping:digest:{n}", [manager_a, manager2_a, admin_a], n=n)
    with tenant_context(tenant_a):
        Notification.objects.filter(recipient=admin_a).update(read_at=clock.now())  # all read
        first = Notification.objects.filter(recipient=manager2_a).order_by("id").first()
        notify.notification_open(membership=manager2_a, notification_id=first.pk)
    kwargs = {"tenant_id": tenant_a.pk, "day": "2026-06-15"}
    assert send_tenant_digests(**kwargs) == 2
    assert send_tenant_digests(**kwargs) == 0  # the message again: nothing twice
    by_address = {email.to[0]: email for email in mailoutbox}
    assert sorted(by_address) == ["manager2_a <manager2_a@example.com>",
                                  "manager_a <manager_a@example.com>"]
    chinese = by_address["manager_a <manager_a@example.com>"]
    assert chinese.subject == "华东精密：3 条新通知"
    assert [line for line in chinese.body.splitlines() if line.startswith("* ")] == [
        "* 客户: 华东3", "* 客户: 华东2", "* 客户: 华东1"]  # newest first
    english = by_address["manager2_a <manager2_a@example.com>"]
    assert english.subject == "华东精密: 2 new notifications"  # the one read in KAM left out
    assert "* Accounts: 华东1" not in english.body and "* Accounts: 华东3" in english.body
    with tenant_context(tenant_a):
        by_state = sorted(Notification.objects.values_list("recipient_id", "email_state"))
    assert by_state == sorted(
        [(manager_a.pk, EmailState.IN_DIGEST)] * 3
        + [(manager2_a.pk, EmailState.NOT_WANTED)] + [(manager2_a.pk, EmailState.IN_DIGEST)] * 2
        + [(admin_a.pk, EmailState.NOT_WANTED)] * 3)


@pytest.mark.django_db
def test_digests_the_server_refused_are_tried_again_then_failed(tenant_a, manager_a, refusing):
    send_ping(tenant_a, "ping:digest-refused", [manager_a])
    result = send_tenant_digests.apply(kwargs={"tenant_id": tenant_a.pk, "day": "2026-06-15"})
    assert result.get() == 0
    assert refusing.attempts == 1 + len(EMAIL_RETRY_DELAYS)
    assert notification_of(manager_a).email_state == EmailState.FAILED
    assert "SMTPServerDisconnected" in notification_of(manager_a).email_error


# --- a real worker process, through Redis, to a real SMTP server ------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_emails_through_a_real_smtp_server(tenant_a, manager_a, admin_a,
                                                            smtp_server):
    """A Celery worker process, fed through Redis, with EMAIL_URL naming a real SMTP server:
    the immediate email, then the digest of a beat tick at 08:00 (sent twice: one digest)."""
    prefer(manager_a, EmailPreference.IMMEDIATELY, language="en")
    app.control.purge()
    log = Path(tempfile.mkstemp(prefix="kam-mail-worker-", suffix=".log")[1])
    env = {**worker_env(), "EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}"}
    with log.open("w") as out:
        worker = subprocess.Popen(  # noqa: S603 - our interpreter, fixed arguments
            [*WORKER_COMMAND, "-Q", app.conf.task_default_queue, "--loglevel", "INFO",
             "-n", f"mail-test-{os.getpid()}@%h"],
            cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def received(address: str) -> list[mailbox.ReceivedMessage]:
        assert worker.poll() is None, f"the worker exited:\n{log.read_text()[-4000:]}"
        return mailbox.received(smtp_server.directory, addresses={address}, limit=10)

    try:
        deadline = time.monotonic() + 60
        # A kind the worker knows (its apps register it; the tests' own kind is this process's).
        with tenant_context(tenant_a):  # committed: the outbox hands it to Redis
            notify.notify(kind=TIER_CHANGED, key="accounts.tier:1:2", occurred_at=AT,
                          recipients=[manager_a, admin_a],
                          data={"account_id": 1, "account_name": "华东精密", "from_tier": "key",
                                "to_tier": "strategic", "score": "82.5", "source": "computed"})
        wait_for(lambda: received("manager_a@example.com"), "no immediate email", log, deadline)
        assert [m.subject for m in received("manager_a@example.com")] == [
            "华东精密: Key → Strategic"]
        assert notification_of(manager_a).email_state == EmailState.SENT
        # 08:00 in Shanghai: the beat tick claims the company and its digests go out, once.
        eight = local("Asia/Shanghai", 15, 8, 0)
        dispatch_digests.delay(now=eight)
        dispatch_digests.delay(now=eight)
        wait_for(lambda: received("admin_a@example.com"), "no digest", log, deadline)
        wait_for(lambda: not OutboxMessage.objects.exists(), "the outbox was not emptied", log,
                 deadline)
        time.sleep(1)  # long enough for a second digest, were one sent
        assert [m.subject for m in received("admin_a@example.com")] == ["华东精密：1 条新通知"]
        assert notification_of(admin_a).email_state == EmailState.IN_DIGEST
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=5)
        try:
            os.killpg(worker.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        log.unlink(missing_ok=True)
        connections.close_all()

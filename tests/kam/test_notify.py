"""kam.notify, the seam: an event is recorded once per key and notifies each recipient once;
``notify_many`` is two statements whatever the number of items; each recipient's email follows
their settings (immediately after the commit, in the digest, never); renderers run in the
reader's language."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from kam import clock, notify
from kam.celery import app
from kam.models import (
    EmailPreference,
    EmailState,
    Event,
    Membership,
    Notification,
    NotificationSettings,
    OutboxMessage,
)
from kam.notify_mail import send_notification_email
from kam.roles import Role
from kam.tenancy import tenant_context
from tests.conftest import make_member
from tests.kam.notify_kinds import (
    PING,
    ping_body,
    ping_subject,
    ping_title,
    ping_url,
    register_ping,
)

pytestmark = pytest.mark.django_db

AT = datetime.datetime(2026, 6, 15, 1, 30, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def ping() -> str:
    return register_ping()


def prefer(member: Membership, email: str, language: str = "") -> None:
    with tenant_context(member.tenant):
        notify.notification_settings_update(membership=member, email=email, language=language)


def statements(captured: CaptureQueriesContext) -> list[str]:
    """The statements a block sent (without the tenant's set_config that kam.db sends in the same
    message), less the savepoints of its atomic() inside the test's transaction, which a caller
    outside any transaction would not send either."""
    sql = [q["sql"].split("true);", 1)[-1].strip() if q["sql"].startswith("SELECT set_config")
           else q["sql"] for q in captured.captured_queries]
    return [s for s in sql if not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def test_one_key_is_one_event_and_one_notification_per_recipient(tenant_a, manager_a, admin_a,
                                                                  frozen_clock):
    with tenant_context(tenant_a):
        event = notify.notify(kind=PING, key="ping:1", recipients=[manager_a, admin_a, manager_a],
                              data={"name": "华东", "n": 1}, occurred_at=AT)
        assert isinstance(event, Event) and event.pk and event.subject == "tests.thing:1"
        again = notify.notify(kind=PING, key="ping:1", recipients=[manager_a, admin_a],
                              data={"name": "changed", "n": 2}, occurred_at=AT)
        assert again is None  # nobody is notified twice
        (stored,) = Event.objects.all()
        assert (stored.kind, stored.key, stored.data, stored.occurred_at) == (
            PING, "ping:1", {"name": "华东", "n": 1}, AT)
        assert (stored.pk, stored.subject, stored.created_at) == (
            event.pk, event.subject, event.created_at) and event.created_at == clock.now()
        assert sorted(Notification.objects.values_list("recipient_id", flat=True)) == sorted(
            [manager_a.pk, admin_a.pk])


def test_recipients_outside_the_company_or_inactive_are_skipped(tenant_a, tenant_b, manager_a,
                                                                manager2_a, admin_b):
    with tenant_context(tenant_a):
        Membership.objects.filter(pk=manager2_a.pk).update(is_active=False)
        notify.notify(kind=PING, key="ping:2", recipients=[manager_a, manager2_a, admin_b],
                      data={"name": "x", "n": 2}, occurred_at=AT)
        assert list(Notification.objects.values_list("recipient_id", flat=True)) == [manager_a.pk]
    with tenant_context(tenant_b):
        assert not Notification.objects.exists() and not Event.objects.exists()


def test_an_unknown_kind_or_a_naive_time_is_refused(tenant_a, manager_a):
    with tenant_context(tenant_a):
        with pytest.raises(ValueError, match="unknown event kind"):
            notify.notify(kind="no.such.kind", key="k", recipients=[manager_a], data={},
                          occurred_at=AT)
        with pytest.raises(ValueError, match="aware"):
            notify.notify(kind=PING, key="k", recipients=[manager_a], data={"name": "", "n": 0},
                          occurred_at=datetime.datetime(2026, 6, 15, 9, 0))
        assert not Event.objects.exists()


def test_a_kind_registered_twice_differently_is_an_error():
    notify.register_event_kind(PING, title=ping_title, body=ping_body, url=ping_url,
                               subject=ping_subject)  # the same again: fine
    with pytest.raises(ValueError, match="registered twice"):
        notify.register_event_kind(PING, title=lambda data: "other")


def test_notify_many_is_two_statements_for_100_items_and_idempotent(tenant_a, manager_a, admin_a,
                                                                    exec_a):
    members = [manager_a.pk, admin_a.pk, exec_a.pk]
    items = [(f"ping:many:{n}", members[: 1 + n % 3], {"name": f"客户{n}", "n": n})
             for n in range(100)]
    with tenant_context(tenant_a):
        with CaptureQueriesContext(connection) as captured:
            assert notify.notify_many(kind=PING, items=items, occurred_at=AT) == 100
        sent = statements(captured)
        assert len(sent) == 2, sent
        assert sent[0].startswith("INSERT INTO kam_event") and "ON CONFLICT" in sent[0]  # events
        assert sent[1].startswith("INSERT INTO kam_notification")  # their notifications
        assert Event.objects.count() == 100
        assert Notification.objects.count() == sum(1 + n % 3 for n in range(100))  # 199
        # The default is the daily digest: nothing waits in the outbox.
        assert set(Notification.objects.values_list("email_state", flat=True)) == {
            EmailState.FOR_DIGEST}
        assert not OutboxMessage.objects.exists()

        # A second run (a job run twice): one statement that finds every key, no one notified.
        with CaptureQueriesContext(connection) as captured:
            assert notify.notify_many(kind=PING, items=items, occurred_at=AT) == 0
        assert len(statements(captured)) == 1  # the events' INSERT, which inserts nothing
        assert Notification.objects.count() == 199
        # Half new, half known: only the new ones are recorded and notified.
        more = items[50:] + [(f"ping:more:{n}", [manager_a.pk], {"name": "", "n": n})
                             for n in range(50)]
        assert notify.notify_many(kind=PING, items=more, occurred_at=AT) == 50
        assert Notification.objects.count() == 249


def test_notify_many_with_immediate_recipients_adds_one_statement_for_the_outbox(
        tenant_a, manager_a, admin_a):
    prefer(manager_a, EmailPreference.IMMEDIATELY)
    items = [(f"ping:now:{n}", [manager_a.pk, admin_a.pk], {"name": "", "n": n}) for n in range(40)]
    with tenant_context(tenant_a), CaptureQueriesContext(connection) as captured:
        notify.notify_many(kind=PING, items=items, occurred_at=AT)
    sent = statements(captured)
    assert len(sent) == 3, sent
    assert sent[2].startswith('INSERT INTO "kam_outboxmessage"')  # 40 messages, one INSERT
    with tenant_context(tenant_a):
        pending = set(Notification.objects.filter(email_state=EmailState.PENDING)
                      .values_list("pk", flat=True))
        assert len(pending) == 40
        assert Notification.objects.filter(recipient=admin_a,
                                           email_state=EmailState.FOR_DIGEST).count() == 40
    assert {m.kwargs["notification_id"] for m in OutboxMessage.objects.all()} == pending
    assert {m.task for m in OutboxMessage.objects.all()} == {notify.EMAIL_TASK}


def test_each_recipients_email_follows_their_settings(tenant_a, manager_a, manager2_a, admin_a,
                                                      exec_a, monkeypatch, mailoutbox, frozen_clock,
                                                      django_capture_on_commit_callbacks):
    """Immediately: an email once the transaction commits (through the outbox); digest: waits
    for the digest; never, or no address: no email."""
    prefer(manager_a, EmailPreference.IMMEDIATELY)
    prefer(manager2_a, EmailPreference.NEVER)
    prefer(exec_a, EmailPreference.IMMEDIATELY)
    type(exec_a.user).objects.filter(pk=exec_a.user_id).update(email="")  # nowhere to send it
    handed: list[tuple[str, dict]] = []
    monkeypatch.setattr(app, "send_task", lambda name, kwargs=None, **_o: handed.append(
        (name, kwargs)))
    with django_capture_on_commit_callbacks(execute=False) as callbacks, tenant_context(tenant_a):
        with transaction.atomic():
            notify.notify(kind=PING, key="ping:prefs", data={"name": "华东", "n": 3},
                          recipients=[manager_a, manager2_a, admin_a, exec_a], occurred_at=AT)
        states = dict(Notification.objects.values_list("recipient_id", "email_state"))
    assert states == {manager_a.pk: EmailState.PENDING, manager2_a.pk: EmailState.NOT_WANTED,
                      admin_a.pk: EmailState.FOR_DIGEST, exec_a.pk: EmailState.NOT_WANTED}
    assert handed == [] and mailoutbox == []  # nothing before the commit
    for callback in callbacks:
        callback()  # the commit
    with tenant_context(tenant_a):
        notification_id = Notification.objects.get(recipient=manager_a).pk
    assert handed == [(notify.EMAIL_TASK, {"tenant_id": tenant_a.pk,
                                           "notification_id": notification_id})]
    assert send_notification_email(**handed[0][1]) == "sent"  # what the worker does with it
    (email,) = mailoutbox
    assert email.to == ["manager_a <manager_a@example.com>"]
    assert email.subject == "客户: 华东"  # the company's language (Chinese)
    assert "合同 #3" in email.body and "/accounts/?n=3" in email.body
    with tenant_context(tenant_a):
        sent = Notification.objects.get(pk=notification_id)
        assert sent.email_state == EmailState.SENT and sent.email_at == clock.now()
    # The message again (the outbox resends, Redis redelivers): nothing more is sent.
    assert send_notification_email(**handed[0][1]) == "nothing to send"
    assert len(mailoutbox) == 1
    assert not OutboxMessage.objects.exists()  # the task started: its message is done


def test_renderers_run_in_each_readers_language(tenant_a, manager_a, admin_a, mailoutbox,
                                                monkeypatch):
    prefer(manager_a, EmailPreference.IMMEDIATELY, language="en")
    prefer(admin_a, EmailPreference.IMMEDIATELY)  # "": the company's (Chinese)
    monkeypatch.setattr(app, "send_task", lambda *a, **k: None)
    with tenant_context(tenant_a):
        notify.notify(kind=PING, key="ping:lang", recipients=[manager_a, admin_a],
                      data={"name": "华东", "n": 7}, occurred_at=AT)
        for notification_id in Notification.objects.values_list("pk", flat=True):
            send_notification_email(tenant_id=tenant_a.pk, notification_id=notification_id)
        event = Event.objects.get()
        assert notify.render(event, language="en").title == "Accounts: 华东"
        assert notify.render(event, language="zh-hans").title == "客户: 华东"
    by_address = {email.to[0]: email for email in mailoutbox}
    assert by_address["manager_a <manager_a@example.com>"].subject == "Accounts: 华东"
    assert "Contracts #7" in by_address["manager_a <manager_a@example.com>"].body
    assert by_address["admin_a <admin_a@example.com>"].subject == "客户: 华东"
    assert "合同 #7" in by_address["admin_a <admin_a@example.com>"].body


def test_an_event_that_cannot_be_rendered_still_shows_a_line(tenant_a, manager_a):
    with tenant_context(tenant_a):
        notify.notify(kind=PING, key="ping:bad", recipients=[manager_a], data={"n": 1},
                      occurred_at=AT)  # no "name": the title cannot be written
        event = Event.objects.get()
        assert notify.render(event, language="en").title == (
            "A notification that can no longer be shown")
        event.kind = "gone.kind"
        assert notify.render(event, language="en").url == ""


def test_settings_default_to_the_digest_in_the_companys_language(tenant_a, manager_a):
    with tenant_context(tenant_a):
        defaults = notify.notification_settings_of(membership=manager_a)
        assert (defaults.pk, defaults.email, defaults.language) == (
            manager_a.pk, EmailPreference.DIGEST, "")
        assert notify.email_language(defaults, tenant_a) == "zh-hans"
        saved = notify.notification_settings_update(membership=manager_a, email="never",
                                                    language="en")
        assert notify.notification_settings_of(membership=manager_a) == saved
        assert notify.email_language(saved, tenant_a) == "en"
        with pytest.raises(ValidationError) as refused:
            notify.notification_settings_update(membership=manager_a, email="hourly",
                                                language="fr")
        assert set(refused.value.message_dict) == {"email", "language"}
        assert NotificationSettings.objects.get().email == "never"  # unchanged


def test_a_new_member_gets_no_notification_of_old_events(tenant_a, manager_a):
    with tenant_context(tenant_a):
        notify.notify(kind=PING, key="ping:old", recipients=[manager_a], data={"name": "", "n": 1},
                      occurred_at=AT)
    newcomer = make_member(tenant_a, "newcomer", Role.MANAGER)
    with tenant_context(tenant_a):
        notify.notify(kind=PING, key="ping:old", recipients=[manager_a, newcomer],
                      data={"name": "", "n": 1}, occurred_at=AT)
        assert not Notification.objects.filter(recipient=newcomer).exists()

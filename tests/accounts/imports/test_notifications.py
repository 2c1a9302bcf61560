"""An import tells who started it how it ended (kam.notify): finished with its counts, rejected,
or failed — once per import, in their inbox and by email as they chose."""

from __future__ import annotations

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.imports.notifications import IMPORT_FINISHED
from accounts.imports.run import import_run
from accounts.imports.services import import_create, import_notify_finished, import_start
from kam import notify
from kam.celery import app
from kam.models import EmailPreference, EmailState, Event, Notification
from kam.notify_mail import send_notification_email
from kam.roles import Actor
from kam.tenancy import tenant_context
from tests.accounts.imports.test_imports import ACCOUNT_HEADER, BAD_ROWS, GOOD_ROWS, csv_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def start(member, content: bytes, *, mode: str = "valid_only", name: str = "客户.csv"):
    actor = Actor(tenant=member.tenant, membership=member)
    with tenant_context(member.tenant):
        job = import_create(actor=actor, kind="accounts", mode=mode,
                            upload=SimpleUploadedFile(name, content))
        import_start(actor=actor, job=job, mapping=job.mapping, mode=mode)
    return job


def finish(member, job) -> Event:
    with tenant_context(member.tenant):
        import_run(job_id=job.pk)
        (event,) = Event.objects.filter(kind=IMPORT_FINISHED)
        (notification,) = Notification.objects.filter(event=event)
    assert notification.recipient_id == member.pk
    return event


def test_a_finished_import_tells_who_started_it(admin_a, manager_a, monkeypatch, mailoutbox):
    with tenant_context(admin_a.tenant):
        notify.notification_settings_update(membership=admin_a,
                                            email=EmailPreference.IMMEDIATELY, language="en")
    monkeypatch.setattr(app, "send_task", lambda *a, **k: None)
    job = start(admin_a, csv_bytes([ACCOUNT_HEADER, *GOOD_ROWS, *BAD_ROWS]))
    event = finish(admin_a, job)
    assert (event.key, event.subject) == (f"accounts.import:{job.pk}",
                                          f"accounts.importjob:{job.pk}")
    assert notify.render(event, language="zh-hans").title == "导入“客户.csv”已完成"
    english = notify.render(event, language="en")
    assert english.title == "Import of “客户.csv” finished"
    assert english.body == "2 created, 0 updated, 0 unchanged, 9 failed."
    assert english.url == f"/import/{job.pk}/"
    with tenant_context(admin_a.tenant):
        notification = Notification.objects.get(event=event)
        assert notification.email_state == EmailState.PENDING
    send_notification_email(tenant_id=admin_a.tenant_id, notification_id=notification.pk)
    (email,) = mailoutbox
    assert email.subject == "Import of “客户.csv” finished"
    # The same job again (a redelivered task): it is done, and nobody is told twice.
    with tenant_context(admin_a.tenant):
        import_run(job_id=job.pk)
        assert import_notify_finished(job_id=job.pk) is False
        assert Notification.objects.count() == 1


def test_a_rejected_import_says_so(admin_a):
    job = start(admin_a, csv_bytes([ACCOUNT_HEADER, *GOOD_ROWS, *BAD_ROWS]),
                mode="all_or_nothing")
    event = finish(admin_a, job)
    assert event.data["status"] == "rejected"
    rendered = notify.render(event, language="en")
    assert rendered.title == "Import of “客户.csv” rejected"
    assert rendered.body == "9 rows failed, so nothing was imported."
    assert notify.render(event, language="zh-hans").body == "9 行失败，因此未导入任何数据。"


def test_a_failed_import_says_so(admin_a):
    job = start(admin_a, csv_bytes([["外部编号", "客户名称"], ["A-1", "甲"]]))
    with open(job.file.path, "wb") as fh:
        fh.write(os.urandom(100_000))  # the file turned to garbage before the run
    event = finish(admin_a, job)
    rendered = notify.render(event, language="en")
    assert rendered.title == "Import of “客户.csv” failed"
    assert rendered.body == "Nothing was imported. The import's page says why."


def test_an_import_not_yet_ended_tells_no_one(admin_a):
    job = start(admin_a, csv_bytes([["外部编号", "客户名称"], ["A-1", "甲"]]))
    with tenant_context(admin_a.tenant):
        assert import_notify_finished(job_id=job.pk) is False
        assert not Event.objects.exists()

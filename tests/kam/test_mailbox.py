"""`make demo`'s outgoing mail (kam.mailbox): a real SMTP server process that keeps what it
receives, stopped by SIGTERM; and the administrators' "Outgoing mail (demo)" page listing it —
only the mail of their own company's members, only where the demo mailbox runs."""

from __future__ import annotations

import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.urls import reverse

from kam import mailbox
from tests.conftest import login

URL = reverse("kam:outgoing-mail")
BASE_DIR = Path(__file__).resolve().parents[2]


def send(port: int, to: str, subject: str, body: str = "text") -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "KAM <kam@localhost>", to, subject
    message["Date"] = "Mon, 15 Jun 2026 01:30:00 +0000"
    message.set_content(body)
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        smtp.send_message(message)


@pytest.fixture
def server(tmp_path):
    """``python -m kam.mailbox`` as the demo runs it."""
    port = mailbox.free_port()
    directory = tmp_path / "mail"
    process = subprocess.Popen(  # noqa: S603 - our interpreter, fixed arguments
        [sys.executable, "-m", "kam.mailbox", "--port", str(port), "--dir", str(directory)],
        cwd=BASE_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while True:
        try:
            smtplib.SMTP("127.0.0.1", port, timeout=5).quit()
            break
        except ConnectionRefusedError:
            assert process.poll() is None and time.monotonic() < deadline, process.stdout.read()
            time.sleep(0.1)
    try:
        yield port, directory, process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


@pytest.mark.slow
def test_the_mail_server_keeps_each_message_and_stops_on_sigterm(server):
    port, directory, process = server
    send(port, "Wang Li <wang.li@example.com>", "华东精密：1 条新通知", "第一行\n第二行")
    send(port, "other@example.com", "second")
    found = mailbox.received(directory, addresses={"wang.li@example.com"}, limit=10)
    assert [(m.subject, m.to, m.body.strip()) for m in found] == [
        ("华东精密：1 条新通知", ["wang.li@example.com"], "第一行\n第二行")]
    assert len(mailbox.received(directory, addresses={"wang.li@example.com", "other@example.com"},
                                limit=10)) == 2
    assert not list(directory.glob(".*"))  # no half-written file left
    process.terminate()
    assert process.wait(timeout=15) == 0
    with pytest.raises(ConnectionRefusedError):
        smtplib.SMTP("127.0.0.1", port, timeout=5)


@pytest.fixture
def demo_mailbox(settings, tmp_path):
    """The demo's mailbox with mail for tenant A's admin and manager, and tenant B's admin,
    written as the server writes it."""
    from aiosmtpd.controller import Controller

    directory = tmp_path / "mail"
    port = mailbox.free_port()
    controller = Controller(mailbox.MailboxHandler(directory), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        send(port, "admin_a <admin_a@example.com>", "A admin: tier change", "华东精密：关键 → 战略")
        send(port, "MANAGER_A@example.com", "A manager: import finished")
        send(port, "admin_b@example.com", "B admin: qzbravo secret")
    finally:
        controller.stop()
    settings.KAM_DEMO_MAILBOX = str(directory)
    return directory


@pytest.mark.django_db
def test_admins_see_their_companys_mail_newest_first(client, admin_a, manager_a, admin_b,
                                                     demo_mailbox, django_assert_num_queries):
    login(client, admin_a)
    client.get(URL)  # the session's first request writes the session; count the next ones
    # 1 session, 2 user, 3 memberships with their tenants, 4 the members' email addresses.
    with django_assert_num_queries(4):
        response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert [m.subject for m in response.context["received"]] == [
        "A manager: import finished", "A admin: tier change"]
    body = response.content.decode()
    assert "Outgoing mail (demo)" in body and "To: admin_a &lt;admin_a@example.com&gt;" in body
    assert "华东精密：关键 → 战略" in body and "15 Jun 2026, 09:30" in body
    assert "B admin" not in body  # another company's member
    login(client, admin_b)
    assert [m.subject for m in client.get(URL).context["received"]] == ["B admin: qzbravo secret"]


@pytest.mark.django_db
def test_only_admins_only_in_the_demo(client, settings, admin_a, manager_a, exec_a, tmp_path):
    settings.KAM_DEMO_MAILBOX = str(tmp_path / "nothing-yet")
    for member in (manager_a, exec_a):
        login(client, member)
        assert client.get(URL).status_code == 403
    login(client, admin_a)
    empty = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert empty.status_code == 200 and "No email yet." in empty.content.decode()
    assert client.post(URL).status_code == 405
    assert reverse("kam:outgoing-mail") in client.get(reverse("kam:settings")).content.decode()
    settings.KAM_DEMO_MAILBOX = ""  # no demo mailbox: no such page, and no link to it
    assert client.get(URL).status_code == 404
    assert reverse("kam:outgoing-mail") not in client.get(reverse("kam:settings")).content.decode()


@pytest.mark.django_db
def test_the_page_in_chinese(client, admin_a, demo_mailbox):
    login(client, admin_a)
    body = client.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "已发邮件（演示）" in body and "收件人：admin_a" in body and "2026年6月15日 09:30" in body
    assert "Outgoing mail" not in body and "To:" not in body

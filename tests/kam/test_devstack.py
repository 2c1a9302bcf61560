"""`make demo`'s process handling: whatever stops it, it stops what it started — its local mail
server included, which web, worker and beat are pointed at."""

from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

# demo() itself, with the embedded servers, the set-up commands and the three long-running
# processes replaced by processes that only sleep and say who they are and where their mail goes
# (the demo's real mail server runs).
SCRIPT = """
import os, sys
import kam.devstack as devstack
pids = sys.argv[1]
devstack.up = lambda: {}
devstack.down = lambda started: open(pids, "a").write("down\\n")
devstack._manage = lambda *args: None
sleeper = ("import os, time; open(%r, 'a').write(' '.join([str(os.getpid()), "
           "os.environ['EMAIL_URL'], os.environ['KAM_DEMO_MAILBOX']]) + '\\\\n'); time.sleep(600)"
           % pids)
devstack._demo_commands = lambda: [[sys.executable, "-c", sleeper]] * 3
sys.exit(devstack.demo())
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose (its parent has not reaped it yet).
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "\nState:\tZ" in status.read_text())


def _smtp_port(url: str) -> int:
    parts = urlsplit(url)
    assert (parts.scheme, parts.hostname) == ("smtp", "127.0.0.1"), url
    return int(parts.port or 0)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_demo_stops_everything_it_started(tmp_path, stop):
    pids = tmp_path / "pids"
    pids.write_text("")
    # SIGINT is ignored in background processes of a non-interactive shell: start the demo as a
    # process of its own with default signal handling, as a terminal's Ctrl-C would reach it.
    env = {**os.environ, "KAM_STATE_DIR": str(tmp_path / "state")}
    env.pop("EMAIL_URL", None)
    demo = subprocess.Popen([sys.executable, "-c", SCRIPT, str(pids)], cwd=BASE_DIR,  # noqa: S603
                            env=env, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while len([line for line in pids.read_text().splitlines() if line[:1].isdigit()]) < 3:
        assert demo.poll() is None and time.monotonic() < deadline, "the demo did not start"
        time.sleep(0.1)
    started = [line.split() for line in pids.read_text().splitlines() if line[:1].isdigit()]
    children = [int(pid) for pid, _url, _dir in started]
    assert all(_alive(pid) for pid in children)
    # Every process was told of the same mail server, which is a real one and keeps what it gets.
    ((url, mail_dir),) = {(url, mail_dir) for _pid, url, mail_dir in started}
    assert Path(mail_dir) == tmp_path / "state" / "mail"
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "kam@localhost", "a@example.com", "hi"
    message.set_content("demo mail")
    while True:
        try:
            with smtplib.SMTP("127.0.0.1", _smtp_port(url), timeout=5) as smtp:
                smtp.send_message(message)
            break
        except ConnectionRefusedError:  # still starting
            assert time.monotonic() < deadline, "the demo's mail server never answered"
            time.sleep(0.1)
    assert len(list(Path(mail_dir).glob("*.eml"))) == 1

    demo.send_signal(stop)
    assert demo.wait(timeout=30) == 0
    assert not [pid for pid in children if _alive(pid)], "the demo left processes running"
    assert "down" in pids.read_text().splitlines()  # and stopped the embedded servers
    with pytest.raises(ConnectionRefusedError):  # and its mail server
        smtplib.SMTP("127.0.0.1", _smtp_port(url), timeout=5)

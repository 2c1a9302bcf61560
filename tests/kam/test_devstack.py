"""`make demo`'s process handling: whatever stops it, it stops what it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

# demo() itself, with the embedded servers, the set-up commands and the three long-running
# processes replaced by processes that only sleep and say who they are.
SCRIPT = """
import os, sys
import kam.devstack as devstack
pids = sys.argv[1]
devstack.up = lambda: {}
devstack.down = lambda started: open(pids, "a").write("down\\n")
devstack._manage = lambda *args: None
sleeper = ("import os, time; open(%r, 'a').write(str(os.getpid()) + '\\\\n'); time.sleep(600)"
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


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_demo_stops_everything_it_started(tmp_path, stop):
    pids = tmp_path / "pids"
    pids.write_text("")
    # SIGINT is ignored in background processes of a non-interactive shell: start the demo as a
    # process of its own with default signal handling, as a terminal's Ctrl-C would reach it.
    demo = subprocess.Popen([sys.executable, "-c", SCRIPT, str(pids)], cwd=BASE_DIR,  # noqa: S603
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while len([line for line in pids.read_text().splitlines() if line.isdigit()]) < 3:
        assert demo.poll() is None and time.monotonic() < deadline, "the demo did not start"
        time.sleep(0.1)
    children = [int(line) for line in pids.read_text().splitlines() if line.isdigit()]
    assert all(_alive(pid) for pid in children)

    demo.send_signal(stop)
    assert demo.wait(timeout=30) == 0
    assert not [pid for pid in children if _alive(pid)], "the demo left processes running"
    assert "down" in pids.read_text().splitlines()  # and stopped the embedded servers

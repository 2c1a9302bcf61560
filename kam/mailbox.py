"""`make demo`'s outgoing mail: a real SMTP server on a local port (aiosmtpd) that keeps every
message it receives as a file, and the reader of those files for the admins' "Outgoing mail
(demo)" page. Nothing leaves the machine.

    python -m kam.mailbox --port 8025 --dir .kam/mail     runs until SIGTERM or Ctrl-C

kam.devstack starts it as one more child process of the demo and points the demo's web, worker
and beat at it (``EMAIL_URL=smtp://127.0.0.1:<port>``, ``KAM_DEMO_MAILBOX=<dir>``).
"""

from __future__ import annotations

import argparse
import datetime
import email
import email.policy
import os
import signal
import socket
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import Any

SUFFIX = ".eml"


class MailboxHandler:
    """aiosmtpd's handler: each message's bytes into a file of its own (write, then rename, so a
    reader never sees half a message)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}"
        partial = self.directory / f".{name}.tmp"
        partial.write_bytes(envelope.original_content or envelope.content)
        os.replace(partial, self.directory / f"{name}{SUFFIX}")
        return "250 Message accepted for delivery"


def free_port() -> int:
    """A TCP port on the loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(directory: Path, port: int, stop: threading.Event) -> None:
    """Receive mail on 127.0.0.1:``port`` into ``directory`` until ``stop`` is set."""
    from aiosmtpd.controller import Controller

    controller = Controller(MailboxHandler(directory), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        controller.stop()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m kam.mailbox", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda _signum, _frame: stop.set())
    print(f"outgoing mail: smtp://127.0.0.1:{args.port} -> {args.dir}", flush=True)
    serve(args.dir, args.port, stop)
    return 0


# --- reading what it received ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedMessage:
    sent_at: datetime.datetime | None
    sender: str
    to: list[str]  # the addresses, lower case
    to_display: str
    subject: str
    body: str


def _read(path: Path) -> ReceivedMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    try:
        sent_at = parsedate_to_datetime(str(message["Date"])) if message["Date"] else None
    except (TypeError, ValueError):
        sent_at = None
    part = message.get_body(preferencelist=("plain", "html"))
    body = part.get_content() if part is not None else ""
    recipients = message.get_all("To", [])
    return ReceivedMessage(
        sent_at=sent_at, sender=str(message.get("From", "")),
        to=[address.lower() for _name, address in getaddresses([str(r) for r in recipients])],
        to_display=", ".join(str(r) for r in recipients), subject=str(message.get("Subject", "")),
        body=str(body).replace("\r\n", "\n"))  # SMTP's line ends


def received(directory: Path, *, addresses: set[str], limit: int) -> list[ReceivedMessage]:
    """The newest ``limit`` messages in ``directory`` sent to any of ``addresses`` (lower case),
    newest first."""
    if not directory.is_dir():
        return []
    found: list[ReceivedMessage] = []
    for path in sorted(directory.glob(f"*{SUFFIX}"), reverse=True):
        message = _read(path)
        if addresses.intersection(message.to):
            found.append(message)
            if len(found) >= limit:
                break
    return found


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

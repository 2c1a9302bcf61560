"""Task messages that survive a broker outage: a transactional outbox.

``send_on_commit(task, **kwargs)`` writes an ``OutboxMessage`` in the caller's transaction and,
once it commits, hands the message to the broker and notes when. The task deletes the row when it
starts (``started(task, **kwargs)``). ``kam.tasks.flush_outbox`` (beat, every minute) sends what
the broker refused (Redis was down) once it is back, and sends again what was sent but never
started within ``RESEND_AFTER`` (Redis restarted and lost its queue). Either way the work that was
committed is started; a message may arrive twice, so tasks sent this way must be idempotent (the
import claims its job with a conditional UPDATE).
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from celery import current_app
from django.db import DatabaseError, transaction
from django.db.models import Q

from kam import clock
from kam.models import OutboxMessage

log = logging.getLogger(__name__)

# A message younger than this is still being sent by the request that wrote it.
FLUSH_AFTER = datetime.timedelta(minutes=1)
# A message sent this long ago whose task has not started is taken as lost with the broker's queue.
RESEND_AFTER = datetime.timedelta(minutes=15)


def _send(message: OutboxMessage) -> bool:
    """Hand one message to the broker and forget it; False (logged, kept) if the broker refuses."""
    try:
        current_app.send_task(message.task, kwargs=message.kwargs)
    except Exception as exc:  # noqa: BLE001 - the broker's errors vary by transport
        log.warning("the broker refused %s (%s: %s); kept in the outbox", message.task,
                    type(exc).__name__, exc)
        try:
            OutboxMessage.objects.filter(pk=message.pk).update(
                attempts=message.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:500])
        except DatabaseError:
            log.exception("could not record the refusal of outbox message %s", message.pk)
        return False
    try:
        OutboxMessage.objects.filter(pk=message.pk).update(sent_at=clock.now(),
                                                           attempts=message.attempts + 1)
    except DatabaseError:  # sent; the row may be sent once more, which the task tolerates
        log.exception("outbox message %s was sent but not marked", message.pk)
    return True


def send_on_commit(task: str, **kwargs: Any) -> OutboxMessage:
    """Start ``task(**kwargs)`` once the current transaction commits, even if the broker is down
    at that moment. Call it inside the transaction that saves the work."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("send_on_commit needs the transaction that saves the work")
    message = OutboxMessage.objects.create(task=task, kwargs=kwargs, created_at=clock.now())
    transaction.on_commit(lambda: _send(message))
    return message


def send_many_on_commit(task: str, kwargs_list: list[dict[str, Any]]) -> int:
    """``send_on_commit`` for many messages of one task: one INSERT for all of them (a nightly
    job's notifications, however many). Returns how many were written."""
    if not kwargs_list:
        return 0
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("send_many_on_commit needs the transaction that saves the work")
    moment = clock.now()
    messages = OutboxMessage.objects.bulk_create(
        [OutboxMessage(task=task, kwargs=kwargs, created_at=moment) for kwargs in kwargs_list])

    def send_all() -> None:
        for message in messages:
            if not _send(message):
                break  # the broker is down: flush() sends the rest when it is back

    transaction.on_commit(send_all)
    return len(messages)


def started(task: str, **kwargs: Any) -> None:
    """The task has started: its message need not be sent again. The first thing such a task does."""
    OutboxMessage.objects.filter(task=task, kwargs=kwargs).delete()


def pending(task: str, **kwargs: Any) -> bool:
    """Whether a message for ``task`` with these kwargs is still waiting for the broker."""
    return OutboxMessage.objects.filter(task=task, kwargs=kwargs, sent_at__isnull=True).exists()


def flush(*, now: datetime.datetime | None = None, limit: int = 500) -> int:
    """Send the messages the broker refused (older than ``FLUSH_AFTER``) and those sent but not
    started within ``RESEND_AFTER``, oldest first; stop at the first refusal (the broker is still
    down). Returns how many were sent."""
    moment = now or clock.now()
    due = (Q(sent_at__isnull=True, created_at__lt=moment - FLUSH_AFTER)
           | Q(sent_at__lt=moment - RESEND_AFTER))
    sent = 0
    for message in OutboxMessage.objects.filter(due).order_by("id")[:limit]:
        if not _send(message):
            break
        sent += 1
    return sent

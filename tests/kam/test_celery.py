"""A real Celery worker on the real (embedded) Redis broker runs the beat-scheduled job."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connections

from kam import clock
from kam.celery import app
from kam.tasks import clear_expired_sessions


def _make_session(expire_in: timedelta) -> str:
    store = SessionStore()
    store["k"] = "v"
    store.create()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=clock.now() + expire_in)
    return store.session_key


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_worker_clears_expired_sessions_through_the_broker():
    old = _make_session(timedelta(days=-1))
    fresh = _make_session(timedelta(days=1))
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        clear_expired_sessions.delay()
        deadline = time.monotonic() + 20
        while Session.objects.filter(session_key=old).exists():
            assert time.monotonic() < deadline, "the worker did not run the task"
            time.sleep(0.1)
    assert Session.objects.filter(session_key=fresh).exists()
    connections.close_all()


def test_beat_schedule_names_registered_tasks():
    app.loader.import_default_modules()
    assert app.conf.beat_schedule
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks

"""Tiering tells owners (kam.notify): when the nightly run changes an account's tier, its owner
is notified — "W：关键 → 战略" — once, set-based, in their language; an account's first tier, or
an account without an owner, tells nobody."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import TierChange
from accounts.tiering.notifications import TIER_CHANGED
from accounts.tiering.services import tier_changes_notify
from kam import notify
from kam.jobs import run_job
from kam.models import Event, JobOutcome, JobRun, Notification
from kam.tenancy import tenant_context
from tests.accounts.tiering.book import figures, save_policy
from tests.factories import make_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned(tenant_a, manager_a, manager2_a):
    """W (key, 72 points) owned by manager_a, V (key too) owned by manager2_a, U without owner."""
    accounts = {
        "W": make_account(tenant_a, "华东精密", owner=manager_a, strategic_value=3,
                          credit_rating="C"),
        "V": make_account(tenant_a, "Pacific", owner=manager2_a, strategic_value=3,
                          credit_rating="C"),
        "U": make_account(tenant_a, "无人负责", strategic_value=3, credit_rating="C"),
    }
    with tenant_context(tenant_a):
        save_policy()
        for account in accounts.values():
            figures(account, revenue="1000", orders=10, growth=None)
    return accounts


def tiering(tenant) -> JobRun:
    run = run_job("tiering", tenant)
    assert run.outcome == JobOutcome.SUCCEEDED, run.error
    return run


def test_the_owner_is_told_when_the_nightly_run_changes_the_tier(tenant_a, owned, manager_a):
    tiering(tenant_a)  # every account gets its first tier: no change anyone waits for
    with tenant_context(tenant_a):
        assert TierChange.objects.count() == 3 and not Event.objects.exists()
        for name in ("W", "U"):  # 72 + 10 (growth 25 %) = 82 → strategic
            figures(owned[name], revenue="1000", orders=10, growth="0.25")
    run = tiering(tenant_a)
    with tenant_context(tenant_a):
        (event,) = Event.objects.all()  # W's; U has no owner
        (notification,) = Notification.objects.all()
        change = TierChange.objects.get(account=owned["W"], job_run_id=run.pk)
    assert notification.recipient_id == manager_a.pk and notification.event_id == event.pk
    assert (event.kind, event.key, event.subject) == (
        TIER_CHANGED, f"accounts.tier:{owned['W'].pk}:2", f"accounts.account:{owned['W'].pk}")
    assert event.occurred_at == change.changed_at
    assert notify.render(event, language="zh-hans").title == "华东精密：关键 → 战略"
    english = notify.render(event, language="en")
    assert english.title == "华东精密: Key → Strategic"
    assert english.body == ("Last night's tiering moved this account from Key to Strategic (score "
                            "82.00). Its service standards follow the new tier.")
    assert english.url == f"/accounts/{owned['W'].pk}/"
    # The same run notified again (a redelivered job), and a run that changes nothing: no one
    # is told twice.
    with tenant_context(tenant_a):
        assert tier_changes_notify(run=run) == 0
    tiering(tenant_a)
    with tenant_context(tenant_a):
        assert list(Notification.objects.values_list("recipient_id", flat=True)) == [manager_a.pk]


def test_notifying_a_runs_changes_is_three_statements(tenant_a, manager_a):
    accounts = [make_account(tenant_a, f"客户{n}", owner=manager_a, strategic_value=3,
                             credit_rating="C") for n in range(30)]
    with tenant_context(tenant_a):
        save_policy()
        for account in accounts:
            figures(account, revenue="1000", orders=10, growth=None)
    tiering(tenant_a)
    with tenant_context(tenant_a):
        for account in accounts:
            figures(account, revenue="1000", orders=10, growth="0.25")
    run = run_job("tiering", tenant_a)  # the job notifies; here the count of doing it again:
    with tenant_context(tenant_a):
        Notification.objects.all().delete()
        Event.objects.all().delete()
        with CaptureQueriesContext(connection) as captured:
            assert tier_changes_notify(run=run) == 30
        sql = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
        # 1 the run's changes with their accounts, 2 the events, 3 their notifications.
        assert len(sql) == 3, sql
        assert Notification.objects.filter(recipient=manager_a).count() == 30


def test_an_expired_override_says_so(tenant_a, owned, exec_a, frozen_clock, today):
    from accounts.tiering.services import tier_override_set

    tiering(tenant_a)
    with tenant_context(tenant_a):
        tier_override_set(account=owned["W"], tier="strategic", reason="CEO's call", until=today,
                          by=exec_a)
    frozen_clock.shift(86400 * 2)  # two days later the override has expired
    tiering(tenant_a)
    with tenant_context(tenant_a):
        (event,) = Event.objects.all()
    assert event.data["source"] == "override_ended"
    assert notify.render(event, language="en").title == "华东精密: Strategic → Key"
    assert notify.render(event, language="en").body.startswith(
        "The manual tier of this account expired")

"""Derived account figures (accounts.figures): hand-computed values, idempotency, lock, task."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection

from accounts.figures.services import figures_recompute
from accounts.models import Account, AccountFigures, Transaction
from kam import clock
from kam.jobs import run_job
from kam.models import Tenant
from kam.tenancy import tenant_context
from tests.conftest import LATE_UTC

TODAY = datetime.date(2026, 6, 15)  # 12-month window: 2025-06-16 … 2026-06-15


def make_account(tenant: Tenant, name: str) -> Account:
    with tenant_context(tenant):
        return Account.objects.create(tenant=tenant, name=name)


def make_tx(account: Account, date: str, amount: str, margin: str | None = None,
            refund_of: Transaction | None = None) -> Transaction:
    with tenant_context(account.tenant):
        return Transaction.objects.create(
            tenant=account.tenant, account=account, date=datetime.date.fromisoformat(date),
            amount=Decimal(amount), gross_margin=None if margin is None else Decimal(margin),
            refund_of=refund_of)


def figures(tenant: Tenant) -> dict[str, dict]:
    rows = AccountFigures.unscoped_all_tenants.filter(tenant=tenant).select_related("account")
    return {f.account.name: {k: v for k, v in vars(f).items()
                             if not k.startswith("_") and k not in ("tenant_id", "account_id")}
            for f in rows}


@pytest.fixture
def fixture_a(tenant_a, tenant_b):
    x = make_account(tenant_a, "X")
    make_tx(x, "2024-01-01", "300.00")  # older than 24 months: only counts as an order
    make_tx(x, "2024-07-01", "1000.00", "100.00")  # previous 12 months
    make_tx(x, "2025-03-01", "500.00", "50.00")  # previous 12 months
    make_tx(x, "2025-08-01", "2000.00", "300.00")  # last 12 months
    order = make_tx(x, "2026-01-10", "1000.00", "200.00")  # last 12 months
    make_tx(x, "2026-02-01", "-200.00", "-40.00", refund_of=order)  # a refund, last 12 months
    make_tx(x, "2026-07-01", "999.00")  # after "today": not counted
    y = make_account(tenant_a, "Y")
    make_tx(y, "2025-06-15", "400.00")  # exactly 12 months back: the previous window
    make_tx(y, "2026-06-15", "1200.00")  # today: counted
    make_account(tenant_a, "Z")  # no transactions
    b = make_account(tenant_b, "B")
    make_tx(b, "2026-01-01", "1000000.00")  # another tenant: not in tenant A's total
    return tenant_a


@pytest.mark.django_db
def test_figures_match_hand_computed_values(fixture_a):
    tenant = fixture_a
    assert figures_recompute(tenant_id=tenant.pk, today=TODAY) == 3
    got = figures(tenant)
    assert set(got) == {"X", "Y", "Z"}
    x, y, z = got["X"], got["Y"], got["Z"]

    assert x["revenue_12m"] == Decimal("2800.00")  # 2000 + 1000 − 200
    assert x["margin_12m"] == Decimal("460.00")  # 300 + 200 − 40
    assert x["revenue_prev_12m"] == Decimal("1500.00")  # 1000 + 500
    assert x["order_count_12m"] == 2  # the refund is not an order
    assert x["order_count"] == 5  # the future order is after today
    assert x["last_order_date"] == datetime.date(2026, 1, 10)
    assert x["avg_order_interval_days"] == Decimal("185.0")  # 740 days / 4 intervals
    assert x["revenue_growth"] == Decimal("0.8667")  # (2800 − 1500) / 1500
    assert x["revenue_share"] == Decimal("0.700000")  # 2800 / 4000
    assert x["computed_at"] is not None

    assert y["revenue_12m"] == Decimal("1200.00")
    assert y["margin_12m"] == Decimal("0.00")
    assert y["revenue_prev_12m"] == Decimal("400.00")
    assert (y["order_count_12m"], y["order_count"]) == (1, 2)
    assert y["last_order_date"] == TODAY
    assert y["avg_order_interval_days"] == Decimal("365.0")
    assert y["revenue_growth"] == Decimal("2.0000")
    assert y["revenue_share"] == Decimal("0.300000")

    assert z["revenue_12m"] == z["revenue_prev_12m"] == Decimal("0.00")
    assert (z["order_count_12m"], z["order_count"]) == (0, 0)
    assert z["last_order_date"] is None
    assert z["avg_order_interval_days"] is None  # fewer than two orders
    assert z["revenue_growth"] is None  # nothing the year before
    assert z["revenue_share"] == Decimal("0")

    assert not AccountFigures.unscoped_all_tenants.exclude(tenant=tenant).exists()


@pytest.mark.django_db
def test_recompute_is_idempotent_and_writes_only_changed_rows(fixture_a):
    tenant = fixture_a
    assert figures_recompute(tenant_id=tenant.pk, today=TODAY) == 3
    first = figures(tenant)
    assert figures_recompute(tenant_id=tenant.pk, today=TODAY) == 0
    assert figures(tenant) == first  # computed_at did not move either

    # One new order of Y changes Y and, through the shares, X; Z (share 0) stays as it was.
    make_tx(Account.unscoped_all_tenants.get(name="Y"), "2026-06-01", "1000.00")
    assert figures_recompute(tenant_id=tenant.pk, today=TODAY) == 2
    after = figures(tenant)
    assert after["Z"] == first["Z"]
    assert after["Y"]["revenue_12m"] == Decimal("2200.00")
    assert after["X"]["revenue_share"] == Decimal("0.560000")  # 2800 / 5000
    assert figures_recompute(tenant_id=tenant.pk, today=TODAY) == 0


@pytest.mark.django_db
def test_recompute_with_no_revenue_gives_zero_shares(tenant_a):
    make_account(tenant_a, "Empty")
    assert figures_recompute(tenant_id=tenant_a.pk, today=TODAY) == 1
    assert figures(tenant_a)["Empty"]["revenue_share"] == Decimal("0")


@pytest.mark.django_db
@pytest.mark.clock("2026-06-14T20:00:00+00:00")
def test_today_is_judged_in_the_tenants_time_zone(tenant_a, frozen_clock):
    assert clock.today(tenant_a) == datetime.date(2026, 6, 15)  # 04:00 in Shanghai
    tenant_a.time_zone = "America/Los_Angeles"
    assert clock.today(tenant_a) == datetime.date(2026, 6, 14)  # 13:00 the day before
    tenant_a.time_zone = "Asia/Kolkata"
    assert clock.today(tenant_a) == datetime.date(2026, 6, 15)  # 01:30


@pytest.mark.django_db
@pytest.mark.clock(LATE_UTC)
def test_the_nightly_figures_count_the_tenants_today(fixture_a, tenant_zone, frozen_clock):
    """At 23:30 UTC on 15 June an order dated 16 June is today's in Shanghai and Kolkata (so it
    counts) and tomorrow's in Los Angeles (so it does not yet); the 12-month window ends on the
    tenant's today too."""
    tenant = fixture_a
    make_tx(Account.unscoped_all_tenants.get(name="Z"), "2026-06-16", "500.00")
    assert run_job("figures", tenant).outcome == "succeeded"
    z = figures(tenant)["Z"]
    local_today = clock.today(tenant)
    assert local_today == (datetime.date(2026, 6, 15) if tenant_zone == "America/Los_Angeles"
                           else datetime.date(2026, 6, 16))
    counted = local_today == datetime.date(2026, 6, 16)
    assert z["order_count_12m"] == (1 if counted else 0)
    assert z["last_order_date"] == (datetime.date(2026, 6, 16) if counted else None)


@pytest.mark.django_db(transaction=True)
def test_a_second_figures_run_is_skipped_by_the_jobs_lock_alone(fixture_a):
    """The figures take no lock of their own (a second lock inside run_job's would make a skipped
    run read as "no changes"): while another run of the job holds run_job's lock, the run is
    recorded as skipped and writes nothing; afterwards it runs."""
    tenant = fixture_a
    other = connection.copy()
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(hashtext(%s), %s)", ["kam.job:figures", tenant.pk])
        assert run_job("figures", tenant, as_of=TODAY).outcome == "skipped"
        assert not AccountFigures.unscoped_all_tenants.exists()
        with other.cursor() as cursor:  # released explicitly: a closed session's locks go
            cursor.execute("SELECT pg_advisory_unlock(hashtext(%s), %s)",  # a moment later
                           ["kam.job:figures", tenant.pk])
    finally:
        other.close()
    run = run_job("figures", tenant, as_of=TODAY)
    assert (run.outcome, run.changed) == ("succeeded", 3)

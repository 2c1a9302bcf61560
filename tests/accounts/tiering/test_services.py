"""The tiering engine (accounts.tiering): scores and tiers on a hand-computed fixture, hysteresis,
switched-off criteria, overrides, idempotency, crash safety, concurrency, what-if = the job."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import translation

from accounts.models import AccountTier, TierChange, TierPolicy
from accounts.tiering.selectors import tier_breakdowns, tier_preview
from accounts.tiering.services import tier_override_clear, tier_override_set, tier_recompute
from kam import clock
from kam.jobs import run_job
from kam.models import JobOutcome, JobRun
from kam.tenancy import tenant_context
from tests.accounts.tiering.book import figures, policy_criteria, save_policy
from tests.conftest import LATE_UTC
from tests.factories import make_account

TODAY = datetime.date(2026, 6, 30)


@pytest.fixture
def book(tenant_a):
    """Four accounts whose scores are computed by hand in the test below."""
    x = make_account(tenant_a, "X", strategic_value=5, credit_rating="A")
    y = make_account(tenant_a, "Y", strategic_value=3, credit_rating="B")
    z = make_account(tenant_a, "Z", strategic_value=1, credit_rating="")
    w = make_account(tenant_a, "W", strategic_value=3, credit_rating="C")
    with tenant_context(tenant_a):
        save_policy()
        # share 0.9 (90 %) would be worth 30 points if the switched-off criterion counted
        figures(x, revenue="1000", orders=10, growth="0.25", share="0.9")
        figures(y, revenue="500", orders=5, growth="0.05")
        figures(w, revenue="1000", orders=10, growth=None)
        # Z has no figures at all
    return {"X": x, "Y": y, "Z": z, "W": w}


def state(tenant, account) -> tuple[str, Decimal]:
    with tenant_context(tenant):
        row = AccountTier.objects.get(account=account)
        return row.tier, row.score


@pytest.mark.django_db
def test_scores_and_tiers_match_the_hand_computation(tenant_a, book):
    result = tier_recompute(tenant_id=tenant_a.pk, today=TODAY)
    assert (result.examined, result.changed, result.tier_changes) == (4, 4, 4)
    # X: 40·100 + 20·100 + 10·100 (25 % ≥ 20) + 20·100 + 10·100 (A) = 100
    assert state(tenant_a, book["X"]) == ("strategic", Decimal("100.00"))
    # Y: 40·50 (500 ≥ 100) + 20·50 + 10·50 (5 % ≥ 0) + 20·50 + 10·50 (B) = 50 → important
    assert state(tenant_a, book["Y"]) == ("important", Decimal("50.00"))
    # Z: revenue 0 < 100, 0 orders, no growth, strategic 1 < 3: only "not rated" 40 · 10 % = 4
    assert state(tenant_a, book["Z"]) == ("general", Decimal("4.00"))
    # W: 40 + 20 + 0 (no growth) + 20·50 + 10·20 (C) = 72 → key
    assert state(tenant_a, book["W"]) == ("key", Decimal("72.00"))
    with tenant_context(tenant_a):
        first = TierChange.objects.get(account=book["W"])
        assert (first.from_tier, first.to_tier, first.source, first.seq) == ("", "key",
                                                                             "computed", 1)


@pytest.mark.django_db
def test_second_run_changes_nothing(tenant_a, book):
    tier_recompute(tenant_id=tenant_a.pk, today=TODAY)
    again = tier_recompute(tenant_id=tenant_a.pk, today=TODAY)
    assert (again.examined, again.changed, again.tier_changes) == (4, 0, 0)
    with tenant_context(tenant_a):
        assert TierChange.objects.count() == 4


@pytest.mark.django_db
def test_hysteresis_both_ways(tenant_a, book):
    w = book["W"]
    with tenant_context(tenant_a):
        figures(w, revenue="1000", orders=10, growth="0.25")  # 72 + 10 = 82 → strategic
    tier_recompute(tenant_id=tenant_a.pk, today=TODAY)
    assert state(tenant_a, w) == ("strategic", Decimal("82.00"))
    with tenant_context(tenant_a):
        figures(w, revenue="1000", orders=10, growth="0.05")  # 77: below 80, not below 75
    tier_recompute(tenant_id=tenant_a.pk, today=TODAY)
    assert state(tenant_a, w) == ("strategic", Decimal("77.00"))  # stays: within the margin
    with tenant_context(tenant_a):
        figures(w, revenue="1000", orders=10, growth=None)  # 72: more than 5 below 80
    tier_recompute(tenant_id=tenant_a.pk, today=TODAY)
    assert state(tenant_a, w) == ("key", Decimal("72.00"))
    with tenant_context(tenant_a):
        figures(w, revenue="1000", orders=10, growth="0.05")  # 77 again, now from key
    tier_recompute(tenant_id=tenant_a.pk, today=TODAY)
    assert state(tenant_a, w) == ("key", Decimal("77.00"))  # moving up takes the full cut-off
    with tenant_context(tenant_a):
        changes = list(TierChange.objects.filter(account=w).order_by("seq").values_list(
            "seq", "from_tier", "to_tier"))
    assert changes == [(1, "", "strategic"), (2, "strategic", "key")]


@pytest.mark.django_db
def test_preview_equals_what_the_job_then_does(tenant_a, book):
    tier_recompute(tenant_id=tenant_a.pk, today=TODAY)
    with tenant_context(tenant_a):
        draft = TierPolicy(version=0, criteria=policy_criteria(), cutoff_strategic=70,
                           cutoff_key=45, cutoff_important=10, hysteresis=5)
        preview = tier_preview(policy=draft, today=TODAY)
        assert preview.matrix["key"]["strategic"] == 1  # W 72 ≥ 70
        assert preview.matrix["important"]["key"] == 1  # Y 50 ≥ 45
        assert preview.matrix["strategic"]["strategic"] == 1
        assert preview.matrix["general"]["general"] == 1  # Z 4 < 10
        expected = {(m.account_id, m.from_tier, m.to_tier) for m in preview.movers}
        assert TierChange.objects.count() == 4  # the preview wrote nothing
        save_policy(cutoff_strategic=70, cutoff_key=45, cutoff_important=10)
    tier_recompute(tenant_id=tenant_a.pk, today=TODAY)
    with tenant_context(tenant_a):
        done = set(TierChange.objects.filter(seq=2).values_list("account_id", "from_tier",
                                                                 "to_tier"))
        assert done == expected and preview.mover_count == 2
        assert AccountTier.objects.filter(policy__version=2).count() == 4


@pytest.mark.django_db
@pytest.mark.clock(LATE_UTC)
def test_override_wins_until_it_expires(tenant_a, tenant_zone, book, exec_a, frozen_clock):
    """The expiry day is the tenant's: at 23:30 UTC it is already the 16th in Shanghai and
    Kolkata, still the 15th in Los Angeles; the nightly run of the tenant's next day ends it."""
    tier_recompute(tenant_id=tenant_a.pk, today=TODAY)
    y = book["Y"]
    today = clock.today(tenant_a)
    with tenant_context(tenant_a):
        with pytest.raises(ValidationError):  # yesterday, where the tenant works
            tier_override_set(account=y, tier="strategic", reason="Too late",
                              until=today - datetime.timedelta(days=1), by=exec_a)
        tier_override_set(account=y, tier="strategic", reason="Group-wide framework deal",
                          until=today + datetime.timedelta(days=10), by=exec_a)
    assert state(tenant_a, y)[0] == "strategic"
    # the nightly run keeps the override and the computed tier beside it, through its last day
    assert run_job("tiering", tenant_a).outcome == "succeeded"
    tier_recompute(tenant_id=tenant_a.pk, today=today + datetime.timedelta(days=10))
    with tenant_context(tenant_a):
        row = AccountTier.objects.get(account=y)
        assert (row.tier, row.computed_tier, row.override_tier) == ("strategic", "important",
                                                                    "strategic")
    # the night after its last day (on the tenant's clock) the job drops it and records why
    frozen_clock.shift(datetime.timedelta(days=11))
    assert run_job("tiering", tenant_a).outcome == "succeeded"
    with tenant_context(tenant_a):
        row = AccountTier.objects.get(account=y)
        assert (row.tier, row.override_tier, row.override_until) == ("important", "", None)
        last = TierChange.objects.filter(account=y).order_by("-seq").first()
        assert (last.from_tier, last.to_tier, last.source) == ("strategic", "important",
                                                               "override_ended")


@pytest.mark.django_db
def test_override_validation_and_clear(tenant_a, book, exec_a, today):
    y = book["Y"]
    with tenant_context(tenant_a):
        with pytest.raises(ValidationError) as err:
            tier_override_set(account=y, tier="platinum", reason=" ",
                              until=today - datetime.timedelta(days=1), by=exec_a)
        assert set(err.value.message_dict) == {"tier", "reason", "until"}
        assert not AccountTier.objects.exists()  # nothing written
        tier_override_set(account=y, tier="key", reason="Pilot",
                          until=today, by=exec_a)
        assert AccountTier.objects.get(account=y).tier == "key"
        tier_override_clear(account=y, by=exec_a)
        row = AccountTier.objects.get(account=y)
        assert (row.tier, row.override_tier) == ("important", "")
        assert list(TierChange.objects.filter(account=y).order_by("seq").values_list(
            "to_tier", "source")) == [("important", "computed"), ("key", "override"),
                                      ("important", "override_ended")]


@pytest.mark.django_db
def test_breakdown_explains_the_score(tenant_a, book):
    tier_recompute(tenant_id=tenant_a.pk, today=TODAY)
    with tenant_context(tenant_a):
        bd = tier_breakdowns(account_ids=[book["W"].pk], today=TODAY)[book["W"].pk]
    lines = {line.key: line for line in bd.criteria}
    assert bd.score == Decimal("72.00") and bd.computed_tier == "key"
    assert (lines["revenue"].raw, lines["revenue"].points, lines["revenue"].contribution) == (
        Decimal("1000.00"), Decimal("100.00"), Decimal("40.00"))
    assert lines["share"].enabled is False and lines["share"].contribution == 0
    assert lines["credit"].raw == "C" and lines["credit"].contribution == Decimal("2.00")
    assert sum(line.contribution for line in bd.criteria) == bd.score
    assert (bd.next_up_tier, bd.points_to_next_up) == ("strategic", Decimal("8.00"))
    # key from 60, margin 5: at 55.00 it stays key, below it drops: it can lose 17.00 points
    assert (bd.next_down_tier, bd.points_to_next_down) == ("important", Decimal("17.00"))


@pytest.mark.django_db
def test_a_crash_mid_run_leaves_the_previous_state(tenant_a, book, monkeypatch):
    tier_recompute(tenant_id=tenant_a.pk, today=TODAY)
    with tenant_context(tenant_a):
        save_policy(cutoff_strategic=70, cutoff_key=45, cutoff_important=10)
    import accounts.tiering.services as tiering

    original = tiering._recompute

    def crash(**kwargs):
        original(**kwargs)  # every row written …
        raise RuntimeError("worker killed")  # … then the run dies before it commits

    monkeypatch.setattr(tiering, "_recompute", crash)
    run = run_job("tiering", tenant_a)
    assert run.outcome == JobOutcome.FAILED and "worker killed" in run.error
    with tenant_context(tenant_a):
        assert TierChange.objects.count() == 4
        assert set(AccountTier.objects.values_list("policy__version", flat=True)) == {1}
    monkeypatch.setattr(tiering, "_recompute", original)
    assert run_job("tiering", tenant_a).outcome == JobOutcome.SUCCEEDED
    with tenant_context(tenant_a):
        assert TierChange.objects.count() == 6


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_one_does_the_work(tenant_a, book):
    """A second run while the first holds the (job, tenant) lock is recorded as skipped."""
    import accounts.tiering.services as tiering

    original = tiering._recompute
    started, release = threading.Event(), threading.Event()

    def slow(**kwargs):
        result = original(**kwargs)
        started.set()
        release.wait(10)
        return result

    tiering._recompute = slow
    outcomes = []
    try:
        thread = threading.Thread(target=lambda: (outcomes.append(
            run_job("tiering", tenant_a).outcome), connection.close()))
        thread.start()
        assert started.wait(10)
        second = run_job("tiering", tenant_a)
        release.set()
        thread.join(10)
    finally:
        tiering._recompute = original
    assert outcomes == [JobOutcome.SUCCEEDED] and second.outcome == JobOutcome.SKIPPED
    with tenant_context(tenant_a):
        assert TierChange.objects.count() == 4
        assert JobRun.objects.filter(job="tiering").count() == 2
    connections.close_all()


@pytest.mark.django_db
def test_a_duplicated_change_is_refused_by_the_database(tenant_a, book):
    from django.db import IntegrityError, transaction

    tier_recompute(tenant_id=tenant_a.pk, today=TODAY)
    with tenant_context(tenant_a):
        change = TierChange.objects.get(account=book["X"])
        with pytest.raises(IntegrityError), transaction.atomic():
            TierChange.objects.create(account=book["X"], seq=change.seq, to_tier="key",
                                      score=1, policy_id=change.policy_id, source="computed",
                                      changed_at=change.changed_at)


@pytest.mark.parametrize("change, message", [
    ({"cutoff_key": 90}, "Cut-offs must rise"),
    ({"cutoff_important": -1}, "from 0 to 100"),
    ({"hysteresis": 60}, "at most 50"),
])
@pytest.mark.django_db
def test_invalid_cutoffs_are_rejected(tenant_a, change, message):
    with tenant_context(tenant_a), translation.override("en"):  # the messages are translated
        with pytest.raises(ValidationError, match=message):
            save_policy(**change)
        assert not TierPolicy.objects.exists()


@pytest.mark.django_db
def test_invalid_criteria_are_rejected(tenant_a):
    with tenant_context(tenant_a), translation.override("en"):  # the messages are translated
        c = policy_criteria()
        c["revenue"]["weight"] = 39
        with pytest.raises(ValidationError, match="add up to 99"):
            save_policy(criteria=c)
        c = policy_criteria()
        c["frequency"]["thresholds"] = [[-1, 10]]
        with pytest.raises(ValidationError, match="cannot be negative"):
            save_policy(criteria=c)
        c = policy_criteria()
        c["growth"]["thresholds"] = [[20, 50], [10, 100]]
        with pytest.raises(ValidationError, match="increasing order"):
            save_policy(criteria=c)
        c = policy_criteria()
        c["credit"]["points"]["A"] = 120
        with pytest.raises(ValidationError, match="from 0 to 100"):
            save_policy(criteria=c)
        assert not TierPolicy.objects.exists()
        assert save_policy().version == 1 and save_policy().version == 2


@pytest.mark.django_db
def test_a_threshold_beyond_any_figure_is_rejected(tenant_a):
    with tenant_context(tenant_a), translation.override("en"):
        c = policy_criteria()
        c["revenue"]["thresholds"] = [[10 ** 13, 100]]
        with pytest.raises(ValidationError, match="at most 1,000,000,000,000"):
            save_policy(criteria=c)
        assert not TierPolicy.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_override_committed_while_the_job_waits_is_kept(tenant_a, book, exec_a, today):
    """An override holds the account's row; the nightly run starts meanwhile. The run must wait
    and then see the override — not write its start-of-run snapshot over it."""
    from django.db import transaction

    tier_recompute(tenant_id=tenant_a.pk, today=TODAY)
    y = book["Y"]
    in_override, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def override() -> None:
        try:
            with tenant_context(tenant_a), transaction.atomic():
                tier_override_set(account=y, tier="strategic", reason="Framework deal",
                                  until=today + datetime.timedelta(days=30),
                                  by=exec_a)
                in_override.set()
                release.wait(10)  # still uncommitted while the run starts
        except BaseException as exc:  # noqa: BLE001 — reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    runs: list = []
    first = threading.Thread(target=override)
    first.start()
    assert in_override.wait(10)
    second = threading.Thread(target=lambda: (runs.append(run_job("tiering", tenant_a)),
                                              connection.close()))
    second.start()
    second.join(1.0)
    assert second.is_alive(), "the run should wait for the override's transaction"
    release.set()
    first.join(10)
    second.join(20)
    assert not errors and runs[0].outcome == JobOutcome.SUCCEEDED
    with tenant_context(tenant_a):
        row = AccountTier.objects.get(account=y)
        assert (row.tier, row.computed_tier, row.override_tier) == ("strategic", "important",
                                                                    "strategic")
        seqs = list(TierChange.objects.filter(account=y).order_by("seq").values_list(
            "seq", flat=True))
        assert seqs == [1, 2] and row.change_seq == 2
        tier_override_clear(account=y, by=exec_a)  # the next change gets number 3, no clash
        assert TierChange.objects.filter(account=y).order_by("-seq").first().seq == 3
    connections.close_all()


@pytest.mark.django_db
def test_hysteresis_boundary_and_a_drop_across_two_tiers(tenant_a, book):
    w = book["W"]
    with tenant_context(tenant_a):
        save_policy(cutoff_strategic=77)  # v2: strategic from 77, so its floor is 72.00
        figures(w, revenue="1000", orders=10, growth="0.25")  # 82 → strategic
    tier_recompute(tenant_id=tenant_a.pk, today=TODAY)
    assert state(tenant_a, w) == ("strategic", Decimal("82.00"))
    with tenant_context(tenant_a):
        figures(w, revenue="1000", orders=10, growth=None)  # 72.00: exactly on the floor
    tier_recompute(tenant_id=tenant_a.pk, today=TODAY)
    assert state(tenant_a, w) == ("strategic", Decimal("72.00"))
    with tenant_context(tenant_a):
        figures(w, revenue="0", orders=10, growth=None)  # 32: below key's and important's floors
    tier_recompute(tenant_id=tenant_a.pk, today=TODAY)
    assert state(tenant_a, w) == ("general", Decimal("32.00"))
    with tenant_context(tenant_a):
        last = TierChange.objects.filter(account=w).order_by("-seq").first()
        assert (last.from_tier, last.to_tier, last.seq) == ("strategic", "general", 2)

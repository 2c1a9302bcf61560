"""Writes of SLA policies and clocks: the policy in force (saved as a new version on every
change), the targets a request is owed, and the clocks' lifecycle — start, pause, resume, stop,
start again (the regular update after each reply) and recompute when the policy, the priority or
the calendar changes. Each lifecycle step records an immutable ``ClockEvent`` (who, why, the
deadline after) and stores the clock's new deadline and escalation moments (sla.clocks)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.standards.selectors import service_standard_for
from accounts.tiering.models import AccountTier, Tier
from kam.models import Membership, Tenant
from kam.roles import Actor, Perm
from kam.tenancy import get_current_tenant
from kam.validation import apply_changes, clean_and_raise
from satisfaction.sla import clocks
from satisfaction.sla.models import (
    ClockEvent,
    ClockEventKind,
    ClockState,
    Hours,
    Metric,
    SlaClock,
    SlaPolicy,
    SlaRule,
)

POLICY_SETTINGS_FIELDS = ("warn_percent", "warn_minutes_left", "owner_after_minutes",
                          "executives_after_minutes", "reopen_days")
RULE_FIELDS = ("tier", "request_type", "priority", "first_response_minutes", "resolution_minutes",
               "update_minutes", "hours")
MAX_RULES = 100


# --- the policy ----------------------------------------------------------------------------------


def sla_policy_in_force() -> SlaPolicy:
    """The current company's newest policy version; version 1 with the defaults (no rules: the
    tiers' service standards) is saved on first use. One query once it exists."""
    policy = SlaPolicy.objects.order_by("-version").first()
    if policy is None:
        policy, _created = SlaPolicy.objects.get_or_create(tenant=get_current_tenant(), version=1)
    return policy


def _require_manage(actor: Actor) -> None:
    if not actor.can(Perm.STANDARDS_MANAGE):
        raise PermissionDenied(_("Only administrators may change the response-time rules."))


def _new_version(*, actor: Actor, settings: dict[str, Any], rules: list[dict[str, Any]]
                 ) -> tuple[SlaPolicy, list[SlaRule]]:
    current = sla_policy_in_force()
    policy = SlaPolicy(tenant=current.tenant, version=current.version + 1,
                       created_by=actor.membership,
                       **{name: getattr(current, name) for name in POLICY_SETTINGS_FIELDS})
    apply_changes(policy, settings, editable=POLICY_SETTINGS_FIELDS)
    errors: dict[str, list[str]] = {}
    if len(rules) > MAX_RULES:
        errors["rules"] = [_("At most %(n)d rules.") % {"n": MAX_RULES}]
    if (policy.executives_after_minutes is not None and policy.owner_after_minutes is not None
            and policy.executives_after_minutes < policy.owner_after_minutes):
        errors["executives_after_minutes"] = [
            _("Tell the executives no earlier than the account owner.")]
    built = []
    for position, data in enumerate(rules[:MAX_RULES], 1):
        rule = SlaRule(tenant=policy.tenant, position=position, hours=Hours.WORKING)
        try:
            apply_changes(rule, data, editable=RULE_FIELDS)
            rule.full_clean(exclude=["policy"], validate_unique=False,
                            validate_constraints=False)
        except ValidationError as exc:
            # "rules.2.resolution_minutes": the form and the API show it at that rule's field.
            for field, messages in exc.message_dict.items():
                errors[f"rules.{position}.{field}"] = messages
        built.append(rule)
    clean_and_raise(policy, errors, skip=["created_by"], validate_unique=False,
                    validate_constraints=False)
    return policy, built


def sla_policy_check(*, actor: Actor, settings: dict[str, Any], rules: list[dict[str, Any]]
                     ) -> None:
    """The rules of ``sla_policy_save``, writing nothing: ``ValidationError`` with every error."""
    _require_manage(actor)
    _new_version(actor=actor, settings=settings, rules=rules)


@transaction.atomic
def sla_policy_save(*, actor: Actor, settings: dict[str, Any], rules: list[dict[str, Any]],
                    now: datetime.datetime) -> SlaPolicy:
    """Save the policy as its next version (the older ones stay, for the requests measured with
    them) and recompute the clocks of every open request with it."""
    _require_manage(actor)
    SlaPolicy.objects.select_for_update().order_by("-version").first()  # one saver at a time
    policy, rules_built = _new_version(actor=actor, settings=settings, rules=rules)
    policy.save()
    for rule in rules_built:
        rule.policy = policy
    SlaRule.objects.bulk_create(rules_built)
    from satisfaction.requests.services import requests_recompute_open

    requests_recompute_open(policy=policy, now=now, by=actor.membership,
                            reason=_("The response-time rules changed (version %(v)d).")
                            % {"v": policy.version})
    return policy


# --- what a request is owed ------------------------------------------------------------------------


@dataclass(frozen=True)
class Targets:
    """Seconds owed per metric (None: not owed), the hours they count, and where they came from."""

    first_response: int | None
    resolution: int | None
    update: int | None
    hours: str
    policy: SlaPolicy
    rule_position: int | None  # None: the tier's service standard
    tier: str

    def of(self, metric: str) -> int | None:
        owed: dict[str, int | None] = {Metric.FIRST_RESPONSE: self.first_response,
                                       Metric.RESOLUTION: self.resolution,
                                       Metric.UPDATE: self.update}
        return owed[metric]


def account_tier(account_id: int) -> str:
    """The account's tier now (general before tiering has run for it). One query."""
    tier = AccountTier.objects.filter(account_id=account_id).values_list("tier", flat=True).first()
    return tier or Tier.GENERAL


def matching_rule(rules: list[SlaRule], *, tier: str, request_type: str, priority: str
                  ) -> SlaRule | None:
    """The first rule (in order) whose tier, type and priority each match or are empty."""
    for rule in sorted(rules, key=lambda r: r.position):
        if ((not rule.tier or rule.tier == tier)
                and (not rule.request_type or rule.request_type == request_type)
                and (not rule.priority or rule.priority == priority)):
            return rule
    return None


def sla_targets(*, policy: SlaPolicy, tier: str, request_type: str, priority: str) -> Targets:
    """What a request of this tier, type and priority is owed under ``policy``: the first matching
    rule's targets, each empty one (and all, when no rule matches) from the tier's service
    standard. Two queries."""
    rule = matching_rule(list(policy.rules.all()), tier=tier, request_type=request_type,
                         priority=priority)
    standard = service_standard_for(tier)
    first = rule.first_response_minutes if rule and rule.first_response_minutes else None
    resolution = rule.resolution_minutes if rule and rule.resolution_minutes else None
    return Targets(
        first_response=(first or standard.first_response_hours * 60) * 60,
        resolution=(resolution or standard.resolution_hours * 60) * 60,
        update=rule.update_minutes * 60 if rule and rule.update_minutes else None,
        hours=rule.hours if rule else Hours.WORKING, policy=policy,
        rule_position=rule.position if rule else None, tier=tier)


# --- the clocks --------------------------------------------------------------------------------------


def _record(clock: SlaClock, kind: str, *, at: datetime.datetime, by: Membership | None,
            reason: str) -> None:
    ClockEvent.objects.create(tenant=clock.tenant, clock=clock, kind=kind, at=at, by=by,
                              reason=reason[:300], elapsed_seconds=clock.elapsed_seconds,
                              deadline=clock.deadline)


def _save(clock: SlaClock, *, policy: SlaPolicy, tenant: Tenant) -> None:
    clocks.schedule(clock, policy=policy, tenant=tenant)
    clock.save()


def clock_start(*, request: Any, metric: str, target: int, hours: str, at: datetime.datetime,
                policy: SlaPolicy, by: Membership | None, reason: str = "") -> SlaClock:
    """A new running clock of ``metric`` from ``at``."""
    tenant = get_current_tenant()
    clock = SlaClock(tenant=tenant, request=request, metric=metric, hours=hours,
                     target_seconds=target, state=ClockState.RUNNING, started_at=at,
                     running_since=at)
    _save(clock, policy=policy, tenant=tenant)
    _record(clock, ClockEventKind.STARTED, at=at, by=by, reason=reason)
    return clock


def _stop_counting(clock: SlaClock, at: datetime.datetime, tenant: Tenant) -> None:
    """Add the time run up to ``at`` and note a breach that happened before it."""
    assert clock.running_since is not None
    at = max(at, clock.running_since)
    if clock.deadline is not None and at > clock.deadline and clock.breached_at is None:
        clock.breached_at = clock.deadline
    clock.elapsed_seconds += clocks.seconds_between(clock.hours, clock.running_since, at,
                                                    tenant=tenant)
    clock.running_since = None


def clock_pause(clock: SlaClock, *, at: datetime.datetime, policy: SlaPolicy,
                by: Membership | None, reason: str) -> bool:
    """Pause a running clock (waiting on the customer). False if it was not running."""
    if clock.state != ClockState.RUNNING:
        return False
    tenant = get_current_tenant()
    _stop_counting(clock, at, tenant)
    clock.state = ClockState.PAUSED
    _save(clock, policy=policy, tenant=tenant)
    _record(clock, ClockEventKind.PAUSED, at=at, by=by, reason=reason)
    return True


def clock_resume(clock: SlaClock, *, at: datetime.datetime, policy: SlaPolicy,
                 by: Membership | None, reason: str) -> bool:
    """Resume a paused clock, or one stopped by a resolution that was reopened."""
    if clock.state == ClockState.RUNNING:
        return False
    tenant = get_current_tenant()
    clock.state, clock.running_since, clock.stopped_at = ClockState.RUNNING, at, None
    _save(clock, policy=policy, tenant=tenant)
    _record(clock, ClockEventKind.RESUMED, at=at, by=by, reason=reason)
    return True


def clock_stop(clock: SlaClock, *, at: datetime.datetime, policy: SlaPolicy,
               by: Membership | None, reason: str) -> bool:
    """Stop a clock: its metric was met at ``at`` (late, if after its deadline)."""
    if clock.state == ClockState.STOPPED:
        return False
    tenant = get_current_tenant()
    if clock.state == ClockState.RUNNING:
        _stop_counting(clock, at, tenant)
    clock.state, clock.stopped_at = ClockState.STOPPED, at
    _save(clock, policy=policy, tenant=tenant)
    _record(clock, ClockEventKind.STOPPED, at=at, by=by, reason=reason)
    return True


def clock_restart(clock: SlaClock, *, at: datetime.datetime, policy: SlaPolicy,
                  by: Membership | None, reason: str) -> None:
    """Start the regular-update clock again from ``at`` (a reply was sent): a new cycle, with
    its own warning and escalations."""
    tenant = get_current_tenant()
    clock.state, clock.started_at, clock.running_since = ClockState.RUNNING, at, at
    clock.elapsed_seconds, clock.stopped_at, clock.breached_at = 0, None, None
    clock.warned_at = clock.breach_notified_at = None
    clock.owner_notified_at = clock.executives_notified_at = None
    clock.cycle += 1
    _save(clock, policy=policy, tenant=tenant)
    _record(clock, ClockEventKind.RESTARTED, at=at, by=by, reason=reason)


def clock_recompute(clock: SlaClock, *, target: int, hours: str, at: datetime.datetime,
                    policy: SlaPolicy, by: Membership | None, reason: str) -> bool:
    """New target or hours (the policy, the priority or the calendar changed): the time counted
    so far is kept (in the old hours) and the deadline computed afresh. False if nothing moved."""
    tenant = get_current_tenant()
    before = (clock.target_seconds, clock.hours, clock.deadline)
    if clock.state == ClockState.RUNNING:
        breached = clock.breached_at  # a running clock's breach is judged by its new deadline
        _stop_counting(clock, at, tenant)
        clock.running_since, clock.breached_at = at, breached
    clock.target_seconds, clock.hours = target, hours
    clocks.schedule(clock, policy=policy, tenant=tenant)
    if (clock.target_seconds, clock.hours, clock.deadline) == before:
        return False
    clock.save()
    _record(clock, ClockEventKind.RECOMPUTED, at=at, by=by, reason=reason)
    return True

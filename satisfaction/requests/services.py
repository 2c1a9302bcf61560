"""Writes of service requests: create (a page, a visit's report, the API's upsert), change,
comment (an internal note, or a reply to the customer: the first meets the first-response
clock, each starts the regular-update clock again), move through the statuses (waiting on the
customer pauses the resolution clock, resolving stops it, reopening resumes it) and recompute the
clocks when the policy, the priority, the type or the calendar changes.

Who may: those who may change the account (kam.roles ``account.change`` on an account they
see). Every change is a ``RequestActivity`` (the request's and the account's timeline)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kam.models import Membership
from kam.roles import Actor, Perm
from kam.tenancy import get_current_tenant
from kam.validation import apply_changes, clean_and_raise
from satisfaction.requests.models import (
    OPEN_STATUSES,
    ActivityKind,
    RequestActivity,
    RequestComment,
    RequestStatus,
    ServiceRequest,
)
from satisfaction.requests.rules import request_errors
from satisfaction.sla.models import ClockState, Metric, SlaClock, SlaPolicy
from satisfaction.sla.services import (
    account_tier,
    clock_pause,
    clock_recompute,
    clock_restart,
    clock_resume,
    clock_start,
    clock_stop,
    sla_policy_in_force,
    sla_targets,
)

REQUEST_FIELDS = ("account", "requester", "request_type", "priority", "channel", "subject",
                  "description", "assignee", "received_at", "visit", "external_id")
# A request's account and received time are what its clocks were measured from: fixed once saved.
REQUEST_CHANGEABLE_FIELDS = ("requester", "request_type", "priority", "channel", "subject",
                             "description", "assignee", "external_id")
MAX_COMMENT = 20_000

# Where each status may go. Resolved → in progress is a reopening (within the policy's days).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    RequestStatus.NEW: (RequestStatus.IN_PROGRESS, RequestStatus.WAITING, RequestStatus.RESOLVED,
                        RequestStatus.CLOSED),
    RequestStatus.IN_PROGRESS: (RequestStatus.WAITING, RequestStatus.RESOLVED,
                                RequestStatus.CLOSED),
    RequestStatus.WAITING: (RequestStatus.IN_PROGRESS, RequestStatus.RESOLVED,
                            RequestStatus.CLOSED),
    RequestStatus.RESOLVED: (RequestStatus.IN_PROGRESS, RequestStatus.CLOSED),
    RequestStatus.CLOSED: (),
}


def _require_change(actor: Actor) -> None:
    if not actor.can(Perm.ACCOUNT_CHANGE):
        raise PermissionDenied(_("You may not change service requests."))


def _locked(actor: Actor, request: ServiceRequest) -> ServiceRequest:
    from satisfaction.requests.selectors import request_visible_queryset

    return request_visible_queryset(actor=actor).select_for_update(of=("self",)).get(
        pk=request.pk)


def _activity(request: ServiceRequest, kind: str, *, at: datetime.datetime,
              by: Membership | None, **data: Any) -> None:
    RequestActivity.objects.create(tenant=request.tenant, request=request,
                                   account_id=request.account_id, kind=kind, at=at, by=by,
                                   data=data)


def _apply(*, actor: Actor, request: ServiceRequest, data: dict[str, Any], editable: tuple[str, ...],
           now: datetime.datetime) -> None:
    apply_changes(request, data, editable=editable, strip=("subject", "external_id"))
    request.description = (request.description or "").strip()
    if request.received_at is None:
        request.received_at = now
    errors = request_errors(actor=actor, request=request, now=now)
    clean_and_raise(request, errors, skip=["account", "requester", "assignee", "visit",
                                           "policy", "created_by"],
                    validate_unique=False, validate_constraints=False)


def request_check(*, actor: Actor, data: dict[str, Any], now: datetime.datetime,
                  request: ServiceRequest | None = None) -> None:
    """The rules of ``request_create`` (``request`` None) or ``request_update``, writing nothing."""
    _require_change(actor)
    if request is None:
        _apply(actor=actor, request=ServiceRequest(tenant=get_current_tenant()), data=data,
               editable=REQUEST_FIELDS, now=now)
    else:
        from satisfaction.requests.selectors import request_visible_queryset

        stored = request_visible_queryset(actor=actor).get(pk=request.pk)
        _apply(actor=actor, request=stored, data=data, editable=REQUEST_CHANGEABLE_FIELDS,
               now=now)


@transaction.atomic
def request_create(*, actor: Actor, data: dict[str, Any], now: datetime.datetime
                   ) -> ServiceRequest:
    """A new request; its first-response and resolution clocks start at its received time
    under the policy in force (the first matching rule, else the tier's service standard)."""
    _require_change(actor)
    tenant = get_current_tenant()
    request = ServiceRequest(tenant=tenant, created_by=actor.membership)
    _apply(actor=actor, request=request, data=data, editable=REQUEST_FIELDS, now=now)
    policy = sla_policy_in_force()
    targets = sla_targets(policy=policy, tier=account_tier(request.account_id),
                          request_type=request.request_type, priority=request.priority)
    request.policy, request.rule_position, request.tier = (policy, targets.rule_position,
                                                           targets.tier)
    request.calendar_stamp = tenant.calendar_version
    request.save()
    for metric in (Metric.FIRST_RESPONSE, Metric.RESOLUTION):
        target = targets.of(metric)
        assert target is not None  # always owed: a rule's or the tier's standard
        clock_start(request=request, metric=metric, target=target, hours=targets.hours,
                    at=request.received_at, policy=policy, by=actor.membership)
    _activity(request, ActivityKind.CREATED, at=now, by=actor.membership,
              status=request.status, priority=request.priority, type=request.request_type)
    return request


def _clocks(request: ServiceRequest) -> dict[str, SlaClock]:
    return {clock.metric: clock for clock in
            SlaClock.objects.select_for_update().filter(request=request)}


def _recompute(request: ServiceRequest, *, policy: SlaPolicy, now: datetime.datetime,
               by: Membership | None, reason: str) -> int:
    """The request measured afresh with ``policy`` and its account's tier now: every clock not
    stopped gets its new target and deadline. Returns how many deadlines moved."""
    tenant = get_current_tenant()
    targets = sla_targets(policy=policy, tier=account_tier(request.account_id),
                          request_type=request.request_type, priority=request.priority)
    request.policy, request.rule_position, request.tier = (policy, targets.rule_position,
                                                           targets.tier)
    request.calendar_stamp = tenant.calendar_version
    moved = 0
    for metric, clock in _clocks(request).items():
        target = targets.of(metric)
        if clock.state == ClockState.STOPPED or target is None:
            continue
        moved += clock_recompute(clock, target=target, hours=targets.hours, at=now,
                                 policy=policy, by=by, reason=reason)
    return moved


@transaction.atomic
def request_update(*, actor: Actor, request: ServiceRequest, data: dict[str, Any],
                   now: datetime.datetime) -> ServiceRequest:
    """Change a request's details. A new priority or type measures its running clocks afresh."""
    _require_change(actor)
    request = _locked(actor, request)
    before = {name: getattr(request, f"{name}_id" if name in ("requester", "assignee") else name)
              for name in REQUEST_CHANGEABLE_FIELDS}
    _apply(actor=actor, request=request, data=data, editable=REQUEST_CHANGEABLE_FIELDS, now=now)
    after = {name: getattr(request, f"{name}_id" if name in ("requester", "assignee") else name)
             for name in REQUEST_CHANGEABLE_FIELDS}
    changed = [name for name in REQUEST_CHANGEABLE_FIELDS if before[name] != after[name]]
    if not changed:
        return request
    if "priority" in changed or "request_type" in changed:
        if request.is_open:
            _recompute(request, policy=sla_policy_in_force(), now=now, by=actor.membership,
                       reason=_("The priority or type changed."))
    request.save()
    if "assignee" in changed:
        _activity(request, ActivityKind.ASSIGNED, at=now, by=actor.membership,
                  before=before["assignee"], after=after["assignee"])
    if "priority" in changed:
        _activity(request, ActivityKind.PRIORITY, at=now, by=actor.membership,
                  before=before["priority"], after=after["priority"])
    rest = [name for name in changed if name not in ("assignee", "priority")]
    if rest:
        _activity(request, ActivityKind.CHANGED, at=now, by=actor.membership, fields=rest)
    if "assignee" in changed and request.assignee_id is not None:
        from satisfaction.requests.notifications import notify_assigned

        notify_assigned(request=request, by=actor.membership, at=now)
    return request


@transaction.atomic
def request_comment(*, actor: Actor, request: ServiceRequest, body: str, is_reply: bool,
                    now: datetime.datetime) -> RequestComment:
    """An internal note, or a reply to the customer. The first reply meets the first-response
    clock and starts the regular-update clock (if the policy owes updates); each later reply
    starts that clock again. A reply to a new request puts it in progress."""
    _require_change(actor)
    request = _locked(actor, request)
    text = (body or "").strip()
    if not text:
        raise ValidationError({"body": [_("Write something first.")]})
    if len(text) > MAX_COMMENT:
        raise ValidationError({"body": [_("At most %(n)s characters.") % {
            "n": f"{MAX_COMMENT:,}"}]})
    if is_reply and request.status == RequestStatus.CLOSED:
        raise ValidationError({"body": [_("This request is closed: reopen it before replying.")]})
    comment = RequestComment.objects.create(tenant=request.tenant, request=request,
                                            author=actor.membership, is_reply=is_reply,
                                            body=text, created_at=now)
    _activity(request, ActivityKind.REPLY if is_reply else ActivityKind.NOTE, at=now,
              by=actor.membership, comment=comment.pk)
    if not is_reply:
        return comment
    policy = request.policy or sla_policy_in_force()
    clocks = _clocks(request)
    by = actor.membership
    if request.first_replied_at is None:
        request.first_replied_at = now
        if Metric.FIRST_RESPONSE in clocks:
            clock_stop(clocks[Metric.FIRST_RESPONSE], at=now, policy=policy, by=by,
                       reason=_("First reply to the customer."))
    if request.is_open and request.status != RequestStatus.WAITING:
        targets = sla_targets(policy=policy, tier=request.tier or account_tier(request.account_id),
                              request_type=request.request_type, priority=request.priority)
        update = clocks.get(Metric.UPDATE)
        if update is not None:
            clock_restart(update, at=now, policy=policy, by=by,
                          reason=_("A reply to the customer."))
        elif targets.update is not None:
            clock_start(request=request, metric=Metric.UPDATE, target=targets.update,
                        hours=targets.hours, at=now, policy=policy, by=by,
                        reason=_("A reply to the customer."))
    if request.status == RequestStatus.NEW:
        _set_status(request, RequestStatus.IN_PROGRESS, at=now, by=by, reason="")
    request.save()
    return comment


def _set_status(request: ServiceRequest, status: str, *, at: datetime.datetime,
                by: Membership | None, reason: str) -> None:
    """Move ``request`` to ``status`` (allowed by TRANSITIONS) with its clocks; saves the clocks
    and the activity, not the request."""
    old = request.status
    policy = request.policy or sla_policy_in_force()
    clocks = _clocks(request)
    pausable = [clocks[m] for m in (Metric.RESOLUTION, Metric.UPDATE) if m in clocks]
    if status == RequestStatus.WAITING:
        for clock in pausable:
            clock_pause(clock, at=at, policy=policy, by=by,
                        reason=reason or _("Waiting on the customer."))
    elif status == RequestStatus.IN_PROGRESS and old in (RequestStatus.WAITING,
                                                         RequestStatus.RESOLVED):
        why = (_("Reopened.") if old == RequestStatus.RESOLVED
               else _("No longer waiting on the customer."))
        for clock in pausable:
            clock_resume(clock, at=at, policy=policy, by=by, reason=reason or why)
        if old == RequestStatus.RESOLVED:
            request.resolved_at = None
            request.times_reopened += 1
    elif status in (RequestStatus.RESOLVED, RequestStatus.CLOSED):
        why = _("Resolved.") if status == RequestStatus.RESOLVED else _("Closed.")
        for clock in clocks.values():
            clock_stop(clock, at=at, policy=policy, by=by, reason=reason or why)
        if request.resolved_at is None:
            request.resolved_at = at
        if status == RequestStatus.CLOSED:
            request.closed_at = at
    request.status = status
    _activity(request, ActivityKind.REOPENED if old == RequestStatus.RESOLVED
              and status == RequestStatus.IN_PROGRESS else ActivityKind.STATUS,
              at=at, by=by, before=old, after=status, reason=reason)


def status_errors(request: ServiceRequest, status: str, *, now: datetime.datetime,
                  reason: str) -> list[str]:
    """Why ``request`` cannot move to ``status`` now (empty: it can)."""
    if status not in RequestStatus.values:
        return [_("Choose a status.")]
    if status == request.status:
        return [_("The request already has this status.")]
    if status not in TRANSITIONS[request.status]:
        return [_("A request that is “%(from)s” cannot become “%(to)s”.") % {
            "from": RequestStatus(request.status).label, "to": RequestStatus(status).label}]
    if request.status == RequestStatus.RESOLVED and status == RequestStatus.IN_PROGRESS:
        policy = request.policy or sla_policy_in_force()
        assert request.resolved_at is not None
        if now - request.resolved_at > datetime.timedelta(days=policy.reopen_days):
            return [_("A request can be reopened within %(n)s days of its resolution; open a new "
                      "one instead.") % {"n": policy.reopen_days}]
    if status == RequestStatus.WAITING and not reason.strip():
        return [_("Say what you are waiting for from the customer.")]
    return []


@transaction.atomic
def request_set_status(*, actor: Actor, request: ServiceRequest, status: str,
                       now: datetime.datetime, reason: str = "") -> ServiceRequest:
    """Move a request to ``status``: waiting on the customer (with what for) pauses the
    resolution and update clocks, in progress again resumes them, resolved or closed stops every
    clock, in progress after resolved reopens it (within the policy's days)."""
    _require_change(actor)
    request = _locked(actor, request)
    errors = status_errors(request, status, now=now, reason=reason)
    if errors:
        raise ValidationError({"status": errors})
    _set_status(request, status, at=now, by=actor.membership, reason=reason.strip()[:300])
    request.save()
    return request


def requests_recompute_open(*, policy: SlaPolicy, now: datetime.datetime,
                            by: Membership | None, reason: str) -> int:
    """Measure every open request of the current company afresh (a new policy version, a changed
    calendar). Returns how many clocks' deadlines moved."""
    moved = 0
    for request in ServiceRequest.objects.filter(status__in=OPEN_STATUSES).select_for_update():
        moved += _recompute(request, policy=policy, now=now, by=by, reason=reason)
        request.save(update_fields=["policy", "rule_position", "tier", "calendar_stamp",
                                    "updated_at"])
    return moved

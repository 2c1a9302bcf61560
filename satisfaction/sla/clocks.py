"""SLA clock arithmetic: deadlines and escalation moments in the clock's hours (the company's
working time, kam.worktime, or around the clock), and what a clock shows.

Pure functions of a clock, its policy and the company: the services decide when a clock starts,
pauses, resumes and stops; these say what that means for its deadline. Stored moments (deadline,
warning, the two escalations, the earliest still due) are recomputed from ``elapsed_seconds``
(counted before ``running_since``) whenever any input changes."""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from kam.models import Tenant
from kam.worktime import working_intervals, working_seconds_between, working_time_add
from satisfaction.sla.models import ClockState, Hours, SlaClock, SlaPolicy


def time_add(hours: str, start: datetime.datetime, seconds: int, *,
             tenant: Tenant) -> datetime.datetime:
    """The moment ``seconds`` of the clock's hours after ``start``."""
    if hours == Hours.ALWAYS:
        return start + datetime.timedelta(seconds=seconds)
    return working_time_add(start, seconds, tenant=tenant)


def seconds_between(hours: str, start: datetime.datetime, end: datetime.datetime, *,
                    tenant: Tenant) -> int:
    """Seconds of the clock's hours from ``start`` to ``end`` (0 when ``end`` is not after it)."""
    if end <= start:
        return 0
    if hours == Hours.ALWAYS:
        return int((end - start).total_seconds())
    return working_seconds_between(start, end, tenant=tenant)


def warn_after(target: int, policy: SlaPolicy) -> int:
    """Seconds counted when the warning is due: once the policy's share of the target is used
    *and* no more than its minutes are left — the later of the two, so a one-hour target is not
    "due soon" the moment it starts, nor a five-day one with four days to go."""
    by_share = math.ceil(target * policy.warn_percent / 100)
    by_left = target - policy.warn_minutes_left * 60
    return min(target, max(0, by_share, by_left))


def schedule(clock: SlaClock, *, policy: SlaPolicy, tenant: Tenant) -> None:
    """Set a running clock's deadline, warning and escalation moments and ``next_step_at`` (the
    earliest not yet claimed) from ``elapsed_seconds`` and ``running_since``; clear them for a
    clock that is not running (nothing is due while it is paused or stopped). Saves nothing."""
    if clock.state != ClockState.RUNNING or clock.running_since is None:
        clock.deadline = clock.warn_at = clock.owner_at = clock.executives_at = None
        clock.next_step_at = None
        return
    since, counted = clock.running_since, clock.elapsed_seconds
    clock.deadline = time_add(clock.hours, since, max(clock.target_seconds - counted, 0),
                              tenant=tenant)
    clock.warn_at = time_add(clock.hours, since,
                             max(warn_after(clock.target_seconds, policy) - counted, 0),
                             tenant=tenant)
    clock.owner_at = time_add(clock.hours, clock.deadline, policy.owner_after_minutes * 60,
                              tenant=tenant)
    clock.executives_at = time_add(clock.hours, clock.deadline,
                                   policy.executives_after_minutes * 60, tenant=tenant)
    due = [moment for moment, claimed in ((clock.warn_at, clock.warned_at),
                                          (clock.deadline, clock.breach_notified_at),
                                          (clock.owner_at, clock.owner_notified_at),
                                          (clock.executives_at, clock.executives_notified_at))
           if claimed is None and moment is not None]
    clock.next_step_at = min(due) if due else None


def counted_until(clock: SlaClock, moment: datetime.datetime, *, tenant: Tenant) -> int:
    """Seconds of the clock's hours counted up to ``moment``."""
    if clock.state != ClockState.RUNNING or clock.running_since is None:
        return clock.elapsed_seconds
    return clock.elapsed_seconds + seconds_between(clock.hours, clock.running_since, moment,
                                                   tenant=tenant)


class Shown:
    """What a clock shows on pages and in the API."""

    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    PAUSED = "paused"
    MET = "met"
    MET_LATE = "met_late"

    LABELS = {ON_TRACK: _("On track"), AT_RISK: _("At risk"), BREACHED: _("Breached"),
              PAUSED: _("Paused"), MET: _("Met"), MET_LATE: _("Met late")}


@dataclass(frozen=True)
class Reading:
    """A clock read at a moment: its state for people, seconds counted and left (negative once
    breached) in its hours, and when it breached (if it did)."""

    shown: str
    elapsed_seconds: int
    remaining_seconds: int
    breached_at: datetime.datetime | None

    @property
    def label(self) -> str:
        return str(Shown.LABELS[self.shown])


def read(clock: SlaClock, *, now: datetime.datetime, tenant: Tenant) -> Reading:
    """The clock at ``now``."""
    counted = counted_until(clock, now, tenant=tenant)
    if clock.state == ClockState.STOPPED:
        counted = clock.elapsed_seconds
        shown = Shown.MET_LATE if clock.breached_at is not None else Shown.MET
        breached = clock.breached_at
    elif clock.state == ClockState.PAUSED:
        shown, breached = Shown.PAUSED, clock.breached_at
    elif clock.deadline is not None and now >= clock.deadline:
        shown, breached = Shown.BREACHED, clock.deadline
    elif clock.warn_at is not None and now >= clock.warn_at:
        shown, breached = Shown.AT_RISK, None
    else:
        shown, breached = Shown.ON_TRACK, None
    if clock.state == ClockState.RUNNING and clock.deadline is not None and now >= clock.deadline:
        # Counted past the deadline in the clock's hours: how late it is now.
        left = -seconds_between(clock.hours, clock.deadline, now, tenant=tenant)
    else:
        left = clock.target_seconds - counted
    return Reading(shown=shown, elapsed_seconds=counted, remaining_seconds=left,
                   breached_at=breached)


def counted_periods(clock: SlaClock, segments: list[tuple[datetime.datetime,
                                                          datetime.datetime | None]], *,
                    tenant: Tenant) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """"Why this deadline": the periods of the clock's hours counted, from the segments it ran
    (start, end; the running one ends at its deadline)."""
    periods: list[tuple[datetime.datetime, datetime.datetime]] = []
    for start, end in segments:
        end = end if end is not None else clock.deadline
        if end is None or end <= start:
            continue
        if clock.hours == Hours.ALWAYS:
            periods.append((start, end))
        else:
            periods.extend(working_intervals(start, end, tenant=tenant))
    return periods

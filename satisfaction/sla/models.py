"""SLA policies and clocks (服务时效): how fast a service request is owed an answer, and the clocks
that measure it.

A company's **policy** is versioned: every change saves a new version, and a request keeps the
version (and the calendar stamp) it was measured with. A version holds ordered **rules** — the
first whose tier, type and priority match a request wins — and the warning and escalation
settings. A rule's target left empty takes the tier's service standard (accounts.standards:
e.g. strategic 2 h first response, 24 h resolution); a request no rule matches gets the
standard's targets in working hours.

A **clock** measures one metric of one request (first response, resolution, periodic update) in
working time of the company's calendar (kam.worktime) or around the clock. It runs, pauses
(resolution, while the request waits on the customer) and stops (met, or the request closed).
While it runs, its deadline and the moments of its warning and escalations are stored, so the
minute sweep (satisfaction.sla.sweep) finds due steps with one indexed query across companies
(``next_step_at``) and claims each step once with a conditional UPDATE of its ``*_at`` column.

Every pause and resume is a **clock event** with who and why: never changed afterwards (a
trigger refuses any UPDATE); deleted only with its request."""

from __future__ import annotations

import pgtrigger
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.tiering.models import Tier
from kam.tenancy import TenantForeignKeyField, TenantOwned
from satisfaction.requests.models import Priority, RequestType

MAX_TARGET_MINUTES = 2160 * 60  # 90 days of hours: the standards' own limit


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    RESOLUTION = "resolution", _("Resolution")
    UPDATE = "update", _("Regular update")


class Hours(models.TextChoices):
    WORKING = "working", _("Working hours")
    ALWAYS = "always", _("Around the clock (24×7)")


class SlaPolicy(TenantOwned):
    """One version of the company's SLA policy. The newest version is the one in force."""

    version = models.PositiveIntegerField(_("version"))
    # Warn the assignee once this share of the target is used up and no more than this much
    # time is left (the later of the two: sla.clocks.warn_after).
    warn_percent = models.PositiveSmallIntegerField(
        _("warn at (percent of the target used)"), default=75,
        validators=[MinValueValidator(1), MaxValueValidator(99)])
    warn_minutes_left = models.PositiveIntegerField(
        _("warn when this many minutes are left"), default=60,
        validators=[MaxValueValidator(MAX_TARGET_MINUTES)])
    # Level 2 tells the account's owner, level 3 the executives, this long after the deadline
    # (the clock's own hours); level 1 is the warning to the assignee.
    owner_after_minutes = models.PositiveIntegerField(
        _("tell the account owner this many minutes after a breach"), default=0,
        validators=[MaxValueValidator(MAX_TARGET_MINUTES)])
    executives_after_minutes = models.PositiveIntegerField(
        _("tell the executives this many minutes after a breach"), default=240,
        validators=[MaxValueValidator(MAX_TARGET_MINUTES)])
    reopen_days = models.PositiveSmallIntegerField(
        _("a resolved request can be reopened for (days)"), default=7,
        validators=[MaxValueValidator(365)])
    created_at = models.DateTimeField(_("saved"), auto_now_add=True)
    created_by = TenantForeignKeyField("kam.Membership", null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="+",
                                       verbose_name=_("saved by"))

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "version"], name="slapolicy_version_uniq"),
            models.CheckConstraint(condition=Q(warn_percent__gte=1, warn_percent__lte=99),
                                   name="slapolicy_warn_percent_range"),
            models.CheckConstraint(condition=Q(executives_after_minutes__gte=models.F(
                "owner_after_minutes")), name="slapolicy_executives_after_owner"),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"


class SlaRule(TenantOwned):
    """One rule of a policy version: what it matches (empty: anything) and its targets (empty:
    the tier's service standard; an update target empty: no regular updates owed)."""

    policy = TenantForeignKeyField(SlaPolicy, on_delete=models.CASCADE, related_name="rules",
                                   verbose_name=_("policy"))
    position = models.PositiveSmallIntegerField(_("order"))
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, blank=True)
    request_type = models.CharField(_("type"), max_length=15, choices=RequestType.choices,
                                    blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices,
                                blank=True)
    first_response_minutes = models.PositiveIntegerField(
        _("first response within (minutes)"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TARGET_MINUTES)])
    resolution_minutes = models.PositiveIntegerField(
        _("resolution within (minutes)"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TARGET_MINUTES)])
    update_minutes = models.PositiveIntegerField(
        _("an update at least every (minutes)"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TARGET_MINUTES)])
    hours = models.CharField(_("counted in"), max_length=10, choices=Hours.choices,
                             default=Hours.WORKING)

    class Meta:
        verbose_name = _("SLA rule")
        verbose_name_plural = _("SLA rules")
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "policy", "position"],
                                    name="slarule_position_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.policy_id}#{self.position}"


class ClockState(models.TextChoices):
    RUNNING = "running", pgettext_lazy("SLA clock", "Running")
    PAUSED = "paused", pgettext_lazy("SLA clock", "Paused")
    STOPPED = "stopped", pgettext_lazy("SLA clock", "Stopped")


class SlaClock(TenantOwned):
    """One metric of one request. ``elapsed_seconds`` is the time counted before
    ``running_since``; while running, ``deadline`` is when the target is used up and
    ``warn_at`` / ``owner_at`` / ``executives_at`` the moments of the escalation steps, each
    claimed once by setting its ``*_notified_at``. ``next_step_at`` is the earliest unclaimed
    step of a running clock (NULL otherwise): what the minute sweep looks for."""

    request = TenantForeignKeyField("satisfaction.ServiceRequest", on_delete=models.CASCADE,
                                    related_name="clocks", verbose_name=_("request"))
    metric = models.CharField(_("metric"), max_length=15, choices=Metric.choices)
    hours = models.CharField(_("counted in"), max_length=10, choices=Hours.choices,
                             default=Hours.WORKING)
    target_seconds = models.PositiveIntegerField(_("target (seconds)"))
    state = models.CharField(_("state"), max_length=10, choices=ClockState.choices,
                             default=ClockState.RUNNING)
    started_at = models.DateTimeField(_("started"))
    elapsed_seconds = models.PositiveIntegerField(_("counted before the last start"), default=0)
    running_since = models.DateTimeField(_("running since"), null=True, blank=True)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    warn_at = models.DateTimeField(_("warning due"), null=True, blank=True)
    owner_at = models.DateTimeField(_("account owner told at"), null=True, blank=True)
    executives_at = models.DateTimeField(_("executives told at"), null=True, blank=True)
    next_step_at = models.DateTimeField(_("next step due"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warning sent"), null=True, blank=True)
    breach_notified_at = models.DateTimeField(_("breach sent"), null=True, blank=True)
    owner_notified_at = models.DateTimeField(_("account owner told"), null=True, blank=True)
    executives_notified_at = models.DateTimeField(_("executives told"), null=True, blank=True)
    # When it stopped, and whether the target was met by then (NULL while it has not stopped).
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    # Starts of the periodic update clock so far (each reply starts it again).
    cycle = models.PositiveIntegerField(_("cycle"), default=1)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "request", "metric"],
                                    name="slaclock_metric_uniq"),
            models.CheckConstraint(
                condition=(Q(state=ClockState.RUNNING, running_since__isnull=False,
                             deadline__isnull=False)
                           | (~Q(state=ClockState.RUNNING) & Q(running_since__isnull=True,
                                                               next_step_at__isnull=True))),
                name="slaclock_running_has_deadline"),
            models.CheckConstraint(condition=~Q(state=ClockState.STOPPED)
                                   | Q(stopped_at__isnull=False),
                                   name="slaclock_stopped_has_time"),
        ]
        indexes = [
            # The minute sweep, across companies: running clocks with a step due.
            models.Index(fields=["next_step_at"], condition=Q(next_step_at__isnull=False),
                         name="slaclock_next_step_idx"),
            # The "breaching next" queue: running clocks by deadline.
            models.Index(fields=["tenant", "deadline"], condition=Q(state="running"),
                         name="slaclock_running_deadline_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}:{self.metric}"


class ClockEventKind(models.TextChoices):
    STARTED = "started", pgettext_lazy("SLA clock event", "Started")
    PAUSED = "paused", pgettext_lazy("SLA clock event", "Paused")
    RESUMED = "resumed", pgettext_lazy("SLA clock event", "Resumed")
    STOPPED = "stopped", pgettext_lazy("SLA clock event", "Stopped")
    RESTARTED = "restarted", pgettext_lazy("SLA clock event", "Started again")
    RECOMPUTED = "recomputed", pgettext_lazy("SLA clock event", "Deadline recomputed")


class ClockEvent(TenantOwned):
    """An immutable record of what happened to a clock: who, when, why, and its deadline after."""

    clock = TenantForeignKeyField(SlaClock, on_delete=models.CASCADE, related_name="events",
                                  verbose_name=_("clock"))
    kind = models.CharField(_("what"), max_length=12, choices=ClockEventKind.choices)
    at = models.DateTimeField(_("when"))
    by = TenantForeignKeyField("kam.Membership", null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("by"))
    reason = models.CharField(_("why"), max_length=300, blank=True)
    elapsed_seconds = models.PositiveIntegerField(_("counted so far (seconds)"))
    deadline = models.DateTimeField(_("deadline after"), null=True, blank=True)

    class Meta:
        verbose_name = _("SLA clock event")
        verbose_name_plural = _("SLA clock events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["tenant", "clock", "at"], name="clockevent_clock_idx")]
        triggers = [pgtrigger.Protect(name="clockevent_no_update", operation=pgtrigger.Update)]

    def __str__(self) -> str:
        return f"{self.clock_id}:{self.kind}"

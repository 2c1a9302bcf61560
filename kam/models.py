from __future__ import annotations

import datetime
import zoneinfo

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Collate, Concat, Trim
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext
from pghistory.models import Event as PghEvent

from kam.audit import audited
from kam.roles import Role
from kam.tenancy import TenantOwned

# The collation names of companies and people sort by: pinyin where the server has ICU, else the
# database's own order (kam/migrations/0010). Account and contact names carry it as their
# column's collation; member names are ordered through it (``person_name_order``).
NAME_COLLATION = "kam_name"


def person_name(user) -> str:
    """张伟 for Chinese names (family name first, no space), "Olivia Chen" otherwise."""
    return name_of(user.first_name, user.last_name, user.get_username())


def name_of(first: str, last: str, username: str) -> str:
    """``person_name`` from the user's name parts (for reads that have no User object)."""
    first, last = first.strip(), last.strip()
    if not (first or last):
        return username
    if any("\u4e00" <= ch <= "\u9fff" for ch in first + last):
        return f"{last}{first}"
    return f"{first} {last}".strip()


def person_name_order(prefix: str = "user__") -> Collate:
    """What ``name_of`` shows, as SQL to order members by (``order_by(person_name_order())``),
    in the names' collation: 张伟 (family name first) for Chinese names, "Olivia Chen" for others,
    else the username. ``prefix`` leads to the user (``membership__user__`` from a team row)."""
    first, last = Trim(f"{prefix}first_name"), Trim(f"{prefix}last_name")
    han = "[\u4e00-\u9fff]"  # what name_of takes for a Chinese name
    shown = Case(
        When(Q(**{f"{prefix}first_name": ""}) & Q(**{f"{prefix}last_name": ""}),
             then=F(f"{prefix}username")),
        When(Q(**{f"{prefix}first_name__regex": han}) | Q(**{f"{prefix}last_name__regex": han}),
             then=Concat(last, first)),
        default=Trim(Concat(first, Value(" "), last)),
        output_field=models.CharField())
    return Collate(shown, NAME_COLLATION)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone: %(tz)s"), params={"tz": value})


# The regions of the IANA time zones a company may choose (not the old aliases such as "US/…",
# "Etc/GMT-8" or "PRC", which name the same zones again).
_ZONE_REGIONS = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/",
                 "Europe/", "Indian/", "Pacific/")


def time_zone_names() -> list[str]:
    """The time zones a company may choose, by name: "Asia/Shanghai", … and "UTC"."""
    return ["UTC", *sorted(name for name in zoneinfo.available_timezones()
                           if name.startswith(_ZONE_REGIONS))]


# The currencies a company may keep its accounts in (ISO 4217 codes): amounts are stored as
# numbers and shown with this code; changing it converts nothing.
CURRENCIES: dict[str, Promise] = {
    "CNY": _("Chinese yuan (CNY)"),
    "HKD": _("Hong Kong dollar (HKD)"),
    "MOP": _("Macanese pataca (MOP)"),
    "USD": _("US dollar (USD)"),
    "EUR": _("Euro (EUR)"),
    "GBP": _("Pound sterling (GBP)"),
    "JPY": _("Japanese yen (JPY)"),
    "KRW": _("South Korean won (KRW)"),
    "SGD": _("Singapore dollar (SGD)"),
    "AUD": _("Australian dollar (AUD)"),
    "CAD": _("Canadian dollar (CAD)"),
    "CHF": _("Swiss franc (CHF)"),
    "INR": _("Indian rupee (INR)"),
    "THB": _("Thai baht (THB)"),
    "MYR": _("Malaysian ringgit (MYR)"),
    "IDR": _("Indonesian rupiah (IDR)"),
    "VND": _("Vietnamese dong (VND)"),
    "PHP": _("Philippine peso (PHP)"),
    "AED": _("UAE dirham (AED)"),
}


class AuditEvent(PghEvent):
    """Base of every audit event model (``kam.audit.audited``): pghistory's event, with a 64-bit id
    (the busiest tables of all: one row per change of every audited row)."""

    pgh_id = models.BigAutoField(primary_key=True)

    class Meta:
        abstract = True


# The bounds of the company's visit and follow-up settings (working days).
MAX_GRACE_WORKING_DAYS = 20
MAX_ESCALATION_WORKING_DAYS = 60


class Tenant(models.Model):
    """A supplier company using KAM. Not tenant-owned itself."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai",
                                 validators=[validate_time_zone])
    currency = models.CharField(
        _("currency"), max_length=3, default="CNY",
        validators=[RegexValidator(r"^[A-Z]{3}$", _("Use an ISO 4217 code such as CNY."))],
    )
    default_language = models.CharField(_("default language"), max_length=10,
                                        choices=settings.LANGUAGES, default="zh-hans")
    is_active = models.BooleanField(_("active"), default=True)
    # Visits and follow-ups (the visits app's nightly jobs), in working days of the company's
    # calendar (kam.calendar): a planned visit without a report becomes missed once its day is
    # this many working days past; an open follow-up this many working days past its due date is
    # escalated to the executives.
    visit_grace_working_days = models.PositiveSmallIntegerField(
        _("grace period for visit reports (working days)"), default=2,
        validators=[MaxValueValidator(MAX_GRACE_WORKING_DAYS)])
    follow_up_escalation_working_days = models.PositiveSmallIntegerField(
        _("escalation of overdue follow-ups (working days)"), default=3,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_ESCALATION_WORKING_DAYS)])
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # The tenant-local date whose nightly jobs have been dispatched (kam.tasks.dispatch_nightly
    # claims a date with a conditional UPDATE, so a second beat cannot dispatch it again).
    nightly_dispatched_for = models.DateField(null=True, blank=True, editable=False)
    # The night's progress, for the sweep that finds lost or dead runs (kam.tasks.sweep_nights):
    # when its task was (last) sent, how often it was sent again, the date a task started on and
    # the date whose run finished.
    nightly_enqueued_at = models.DateTimeField(null=True, blank=True, editable=False)
    nightly_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    nightly_started_for = models.DateField(null=True, blank=True, editable=False)
    nightly_done_for = models.DateField(null=True, blank=True, editable=False)
    # A new random stamp on every change of the company's working calendar (kam.calendar_services):
    # each process keeps the calendar it built under (tenant, stamp), and a request or task loads
    # its tenant afresh, so a change is seen by the next request everywhere (kam.calendar).
    calendar_version = models.UUIDField(null=True, blank=True, editable=False)
    # The tenant-local date whose daily notification digests have been sent (claimed like the
    # nightly run: kam.notify_mail.dispatch_digests).
    digest_dispatched_for = models.DateField(null=True, blank=True, editable=False)
    # Visit cadence (visits.cadence): a visit due within this many days is "due soon".
    cadence_due_soon_days = models.PositiveSmallIntegerField(
        _("visits are due soon within (days)"), default=7,
        validators=[MinValueValidator(0), MaxValueValidator(90)],
        help_text=_("An account's next visit at a level shows as due soon this many days ahead."))

    class Meta:
        # What users call it: their company (the word "tenant" stays in the code).
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# Audited (kam.audit): every create/update/delete is copied by triggers into <model>event tables.
# last_used_at (where the user last worked, touched as they enter a company) is no audited change.
@audited(model_name="MembershipEvent", exclude=("last_used_at",), ignore_changes=("last_used_at",))
class Membership(TenantOwned):
    """A user's role in one tenant. A user may belong to several tenants."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="memberships", verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MANAGER)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # When the user last entered this company (a new session or a switch): after the next login
    # they land in the company they used last (kam.middleware.landing_membership).
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="membership_tenant_user_uniq"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return person_name(self.user)


class TenantSettingsChange(TenantOwned):
    """One change of the company's settings (time zone, currency, default language): what changed,
    from what to what, when and by whom. Written by ``kam.services.tenant_settings_update`` in the
    same transaction as the change (the tenant row is no tenant data, so no audit trigger sees it)
    and append-only like the audit trail's event tables (kam.db.grants)."""

    changed_at = models.DateTimeField(_("changed"))
    # Who, as the audit trail records it (kam.audit: user id, username, membership id, path).
    context = models.JSONField(null=True, blank=True)
    changes = models.JSONField()  # {"time_zone": ["Asia/Shanghai", "America/Los_Angeles"], …}

    class Meta:
        verbose_name = _("settings change")
        verbose_name_plural = _("settings changes")
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["tenant", "-changed_at"], name="settingschange_recent_idx")]

    def __str__(self) -> str:
        return f"{self.changed_at:%Y-%m-%d %H:%M} {sorted(self.changes)}"


class ApiKeyScope(models.TextChoices):
    READ = "read", _("Read")
    WRITE = "write", _("Write")


# The hash of the secret is not copied into the audit trail; last_used_at (touched on use) is
# neither copied nor, on its own, an audited change.
@audited(model_name="ApiKeyEvent", exclude=("hashed_key", "last_used_at"),
         ignore_changes=("last_used_at",))
class ApiKey(TenantOwned):
    """A tenant's integration key. Only a SHA-256 of the secret is stored; it is shown once."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True, editable=False)
    hashed_key = models.CharField(max_length=64, editable=False)
    scopes = ArrayField(models.CharField(max_length=10, choices=ApiKeyScope.choices),
                        verbose_name=_("scopes"), default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="apikey_tenant_name_uniq"),
            # The prefix finds the key before the tenant is known (indexed, not globally unique:
            # a collision only costs one more hash comparison).
            models.UniqueConstraint(fields=["tenant", "prefix"], name="apikey_tenant_prefix_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def get_scopes_display(self) -> str:
        """The scopes as people read them, in the active language: "Read, Write" / "读取、写入"."""
        labels = dict(ApiKeyScope.choices)
        return pgettext("list separator", ", ").join(str(labels.get(s, s)) for s in self.scopes)


class JobOutcome(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped: another run was in progress")
    BLOCKED = "blocked", _("Not run: a job it needs did not succeed")
    ABANDONED = "abandoned", _("Abandoned: the worker stopped during the run")


class JobRun(TenantOwned):
    """One run of a nightly job for one tenant (kam.jobs): what it examined and changed, and how it
    ended. Bookkeeping, not tenant data: not in the audit trail."""

    job = models.CharField(_("job"), max_length=50)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    examined = models.PositiveIntegerField(_("rows examined"), default=0)
    changed = models.PositiveIntegerField(_("rows changed"), default=0)
    outcome = models.CharField(_("outcome"), max_length=10, choices=JobOutcome.choices,
                               default=JobOutcome.RUNNING)
    error = models.TextField(_("error"), blank=True)

    # Set by kam.jobs.run_job, not stored: the day the run is for, and the job's exception.
    as_of: datetime.date | None = None
    exception: BaseException | None = None

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-started_at", "-id"]
        constraints = [
        ]
        indexes = [models.Index(fields=["tenant", "job", "-started_at"], name="jobrun_last_idx")]

    def __str__(self) -> str:
        return f"{self.job} {self.started_at:%Y-%m-%d %H:%M} {self.outcome}"


class OutboxMessage(models.Model):
    """A task message written in the same transaction as the work it starts (kam.outbox), kept
    until the task has started: work committed while Redis is down is sent when Redis is back,
    and a message Redis lost (a restart) is sent again. Infrastructure, not tenant data (like the
    broker's own queue): task name and ids only."""

    task = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["created_at"], name="outbox_created_idx")]

    def __str__(self) -> str:
        return f"{self.task} {self.kwargs}"


# The working calendar's models live beside the functions that read them (kam.calendar).
from kam.calendar_models import CalendarEntry, CalendarSettings  # noqa: E402, F401

# A member's calendar feed (kam.feed).
from kam.feed_models import CalendarFeed  # noqa: E402, F401

# Notifications (kam.notify): their tables live in a module of their own.
from kam.notify_models import (  # noqa: E402, F401
    EmailPreference,
    EmailState,
    Event,
    Notification,
    NotificationSettings,
)

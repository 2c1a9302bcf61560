"""Visits (拜访): a planned meeting with an account at one level, who attends on both sides, and
— once it took place — its report. The lifecycle:

    planned ──report──▶ completed        (only completed visits count toward a tier's cadence)
       │  ▲
       │  └─ reschedule (a new start; counted)
       ├──cancel (a reason)──▶ cancelled
       └──(its day passed by the grace period without a report: the nightly job)──▶ missed
                                   missed ──report──▶ completed, ──reschedule──▶ planned

The nightly job that marks visits missed reads the partial index ``visit_planned_start_idx``
(planned visits by start) and sets ``status`` and ``missed_at``; cadence reads completed visits per
account and level (``visit_completed_idx``)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.contacts.models import ContactLevel
from kam.audit import audited
from kam.tenancy import TenantForeignKeyField, TenantOwned

# A visit's level is the contacts' level (领导层 / 技术层 / 业务层): the service standards owe each
# tier a number of visits per level, and a contact is met at theirs.
VisitLevel = ContactLevel

MIN_DURATION_MINUTES = 5
MAX_DURATION_MINUTES = 24 * 60


class VisitChannel(models.TextChoices):
    ON_SITE = "on_site", _("On site")
    VIDEO = "video", _("Video call")
    PHONE = "phone", _("Phone call")


class VisitStatus(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("visit status", "Planned")
    COMPLETED = "completed", pgettext_lazy("visit status", "Completed")
    CANCELLED = "cancelled", pgettext_lazy("visit status", "Cancelled")
    MISSED = "missed", pgettext_lazy("visit status", "Missed")


# A report may be filed for these (a missed visit may still be reported late); and they may be
# rescheduled or cancelled.
OPEN_STATUSES = (VisitStatus.PLANNED, VisitStatus.MISSED)


class Sentiment(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEUTRAL = "neutral", _("Neutral")
    NEGATIVE = "negative", _("Negative")


@audited(model_name="VisitEvent", exclude=("updated_at",), indexes=[
    models.Index(fields=["tenant", "account", "pgh_created_at", "pgh_id"],
                 name="visitevent_history_idx")])
class Visit(TenantOwned):
    """A visit to an account: planned, then completed with a report, cancelled or missed."""

    account = TenantForeignKeyField("accounts.Account", on_delete=models.CASCADE,
                                    related_name="visits", verbose_name=_("account"))
    level = models.CharField(_("level"), max_length=12, choices=VisitLevel.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=VisitChannel.choices,
                               default=VisitChannel.ON_SITE)
    planned_start = models.DateTimeField(_("start"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), default=60,
        validators=[MinValueValidator(MIN_DURATION_MINUTES), MaxValueValidator(MAX_DURATION_MINUTES)])
    location = models.CharField(_("location"), max_length=200, blank=True)
    objective = models.CharField(_("objective"), max_length=300)
    # The member responsible for the visit (its report, its follow-ups): a member who may see
    # the account. PROTECT: members are deactivated, not deleted.
    owner = TenantForeignKeyField("kam.Membership", on_delete=models.PROTECT,
                                  related_name="owned_visits", verbose_name=_("owner"))
    status = models.CharField(_("status"), max_length=10, choices=VisitStatus.choices,
                              default=VisitStatus.PLANNED)
    # Moves of the start while the visit was planned (or missed): a manager who keeps moving
    # visits shows in the figures.
    reschedule_count = models.PositiveSmallIntegerField(_("times rescheduled"), default=0)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = TenantForeignKeyField("kam.Membership", null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+",
                                         verbose_name=_("cancelled by"))
    # Set by the nightly job (missed after the grace period), cleared by a reschedule.
    missed_at = models.DateTimeField(_("marked missed at"), null=True, blank=True)

    # The report (visit_complete).
    summary = models.TextField(_("summary"), blank=True)
    discussed = models.TextField(_("what was discussed"), blank=True)
    customer_commitments = models.TextField(_("the customer's commitments"), blank=True)
    sentiment = models.CharField(_("sentiment"), max_length=10, choices=Sentiment.choices,
                                 blank=True)
    next_visit_on = models.DateField(_("next visit proposed for"), null=True, blank=True)
    completed_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    completed_by = TenantForeignKeyField("kam.Membership", null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+",
                                         verbose_name=_("reported by"))

    # The check-in from a phone: where the browser said it was, and how sure it was.
    checkin_latitude = models.DecimalField(_("check-in latitude"), max_digits=9,
                                           decimal_places=6, null=True, blank=True)
    checkin_longitude = models.DecimalField(_("check-in longitude"), max_digits=9,
                                            decimal_places=6, null=True, blank=True)
    checkin_accuracy_m = models.PositiveIntegerField(_("check-in accuracy (metres)"), null=True,
                                                     blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)

    external_id = models.CharField(_("external ID"), max_length=100, blank=True,
                                   help_text=_("The visit's id in another system, for sync."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-planned_start", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "external_id"], condition=~Q(external_id=""),
                                    name="visit_tenant_external_id_uniq"),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=MIN_DURATION_MINUTES,
                            duration_minutes__lte=MAX_DURATION_MINUTES),
                name="visit_duration_range"),
            models.CheckConstraint(condition=~Q(status=VisitStatus.COMPLETED)
                                   | Q(completed_at__isnull=False),
                                   name="visit_completed_has_time"),
            models.CheckConstraint(condition=~Q(status=VisitStatus.CANCELLED)
                                   | (Q(cancelled_at__isnull=False) & ~Q(cancel_reason="")),
                                   name="visit_cancelled_has_reason"),
            models.CheckConstraint(
                condition=Q(checkin_latitude__isnull=True, checkin_longitude__isnull=True)
                | Q(checkin_latitude__gte=-90, checkin_latitude__lte=90,
                    checkin_longitude__gte=-180, checkin_longitude__lte=180,
                    checked_in_at__isnull=False),
                name="visit_checkin_position"),
        ]
        indexes = [
            # The lists (kam.lists keyset): every visit by start, one member's, one account's.
            models.Index(fields=["tenant", "planned_start", "id"], name="visit_start_idx"),
            models.Index(fields=["tenant", "owner", "planned_start", "id"],
                         name="visit_owner_start_idx"),
            models.Index(fields=["tenant", "account", "planned_start", "id"],
                         name="visit_account_start_idx"),
            # The nightly jobs: planned visits whose day has passed (missed after the grace period).
            models.Index(fields=["tenant", "planned_start"], condition=Q(status="planned"),
                         name="visit_planned_start_idx"),
            # Cadence: an account's completed visits per level, latest first.
            models.Index(fields=["tenant", "account", "level", "planned_start"],
                         condition=Q(status="completed"), name="visit_completed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} · {self.objective}"

    @property
    def is_open(self) -> bool:
        """Planned or missed: it may still be reported, rescheduled or cancelled."""
        return self.status in OPEN_STATUSES

    @property
    def has_checkin(self) -> bool:
        return self.checked_in_at is not None

    # Our attendees and the customer's as ids (the API's lists), from the prefetched rows.
    @property
    def attendee_ids(self) -> list[int]:
        return [row.membership_id for row in self.attendee_rows.all()]

    @property
    def contact_ids(self) -> list[int]:
        return [row.contact_id for row in self.contact_rows.all()]


@audited(model_name="VisitAttendeeEvent", indexes=[
    models.Index(fields=["tenant", "visit", "pgh_created_at", "pgh_id"],
                 name="visitattendeeevent_idx")])
class VisitAttendee(TenantOwned):
    """One of our people at a visit (a member of the tenant)."""

    visit = TenantForeignKeyField(Visit, on_delete=models.CASCADE, related_name="attendee_rows",
                                  verbose_name=_("visit"))
    membership = TenantForeignKeyField("kam.Membership", on_delete=models.CASCADE,
                                       related_name="visits_attended", verbose_name=_("member"))

    class Meta:
        verbose_name = _("our attendee")
        verbose_name_plural = _("our attendees")
        constraints = [models.UniqueConstraint(fields=["tenant", "visit", "membership"],
                                               name="visitattendee_uniq")]
        # "My visits" include those one attends.
        indexes = [models.Index(fields=["tenant", "membership", "visit"],
                                name="visitattendee_member_idx")]

    def __str__(self) -> str:
        return str(self.membership)


@audited(model_name="VisitContactEvent", indexes=[
    models.Index(fields=["tenant", "visit", "pgh_created_at", "pgh_id"],
                 name="visitcontactevent_idx")])
class VisitContact(TenantOwned):
    """One of the customer's people at a visit (a contact of the visit's account), with the level
    they held then: a contact promoted later does not rewrite which levels were met."""

    visit = TenantForeignKeyField(Visit, on_delete=models.CASCADE, related_name="contact_rows",
                                  verbose_name=_("visit"))
    contact = TenantForeignKeyField("accounts.Contact", on_delete=models.CASCADE,
                                    related_name="visits_attended", verbose_name=_("contact"))
    level = models.CharField(_("level"), max_length=12, choices=ContactLevel.choices)

    class Meta:
        verbose_name = _("customer attendee")
        verbose_name_plural = _("customer attendees")
        constraints = [models.UniqueConstraint(fields=["tenant", "visit", "contact"],
                                               name="visitcontact_uniq")]
        indexes = [models.Index(fields=["tenant", "contact", "visit"],
                                name="visitcontact_contact_idx")]

    def __str__(self) -> str:
        return str(self.contact)

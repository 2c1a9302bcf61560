"""Follow-ups (跟进事项): something one of our people owes an account by a date — a commitment
made at a visit, or entered by hand (later also from a service request, a survey or a risk
alert). Open until done or cancelled; a recurring one, when done, is followed by the next
(from its due date, or from the day it was done).

The nightly job of overdue follow-ups reads open ones by due date (``followup_open_due_idx``) and
sets ``overdue_since`` and, when it escalates, ``escalated_on``."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.audit import audited
from kam.tenancy import TenantForeignKeyField, TenantOwned

MAX_RECURRENCE_INTERVAL = 365


class FollowUpStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("follow-up status", "Open")
    DONE = "done", pgettext_lazy("follow-up status", "Done")
    CANCELLED = "cancelled", pgettext_lazy("follow-up status", "Cancelled")


class FollowUpSource(models.TextChoices):
    VISIT = "visit", _("A visit")
    MANUAL = "manual", _("Entered by hand")
    REQUEST = "request", _("A service request")
    SURVEY = "survey", _("A survey")
    RISK = "risk", _("A risk alert")
    CARE = "care", _("A care reminder")


class Recurrence(models.TextChoices):
    NONE = "none", _("Does not repeat")
    FROM_DUE = "from_due", _("Repeats from the due date")
    FROM_DONE = "from_done", _("Repeats from the day it is done")


class RecurrenceUnit(models.TextChoices):
    DAYS = "days", pgettext_lazy("recurrence unit", "days")
    WEEKS = "weeks", pgettext_lazy("recurrence unit", "weeks")
    MONTHS = "months", pgettext_lazy("recurrence unit", "months")


@audited(model_name="FollowUpEvent", exclude=("updated_at",), indexes=[
    models.Index(fields=["tenant", "account", "pgh_created_at", "pgh_id"],
                 name="followupevent_history_idx")])
class FollowUp(TenantOwned):
    """Something one of our people owes an account by a date."""

    account = TenantForeignKeyField("accounts.Account", on_delete=models.CASCADE,
                                    related_name="follow_ups", verbose_name=_("account"))
    owner = TenantForeignKeyField("kam.Membership", on_delete=models.PROTECT,
                                  related_name="follow_ups", verbose_name=_("owner"))
    title = models.CharField(_("what"), max_length=300)
    notes = models.TextField(_("notes"), blank=True)
    due_on = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=10, choices=FollowUpStatus.choices,
                              default=FollowUpStatus.OPEN)
    source = models.CharField(_("source"), max_length=10, choices=FollowUpSource.choices,
                              default=FollowUpSource.MANUAL)
    # The visit whose report committed to it (source "visit"); kept when the visit is deleted.
    visit = TenantForeignKeyField("visits.Visit", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="follow_ups", verbose_name=_("visit"))
    # The id of the request, survey or risk alert it came from, for the app that made it (those
    # apps depend on visits, not the other way round, so no foreign key here).
    source_ref = models.CharField(_("source reference"), max_length=64, blank=True)

    recurrence = models.CharField(_("repeats"), max_length=10, choices=Recurrence.choices,
                                  default=Recurrence.NONE)
    recurrence_interval = models.PositiveSmallIntegerField(
        _("every"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_RECURRENCE_INTERVAL)])
    recurrence_unit = models.CharField(_("unit"), max_length=6, choices=RecurrenceUnit.choices,
                                       blank=True)
    # The done recurring follow-up this one follows (at most one each: done twice, one next).
    previous = TenantForeignKeyField("self", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("follows"))

    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = TenantForeignKeyField("kam.Membership", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("done by"))
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = TenantForeignKeyField("kam.Membership", null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+",
                                         verbose_name=_("cancelled by"))
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    # Kept by the nightly job: the day it became overdue, and the day it was escalated.
    overdue_since = models.DateField(_("overdue since"), null=True, blank=True)
    escalated_on = models.DateField(_("escalated on"), null=True, blank=True)

    external_id = models.CharField(_("external ID"), max_length=100, blank=True,
                                   help_text=_("The follow-up's id in another system, for sync."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "external_id"], condition=~Q(external_id=""),
                                    name="followup_tenant_external_id_uniq"),
            models.UniqueConstraint(fields=["tenant", "previous"],
                                    condition=Q(previous__isnull=False),
                                    name="followup_one_next_uniq"),
            models.CheckConstraint(
                condition=Q(recurrence=Recurrence.NONE, recurrence_interval__isnull=True,
                            recurrence_unit="")
                | (~Q(recurrence=Recurrence.NONE) & Q(recurrence_interval__gte=1,
                                                      recurrence_interval__lte=MAX_RECURRENCE_INTERVAL)
                   & ~Q(recurrence_unit="")),
                name="followup_recurrence_complete"),
            models.CheckConstraint(condition=~Q(status=FollowUpStatus.DONE)
                                   | Q(done_at__isnull=False), name="followup_done_has_time"),
            models.CheckConstraint(condition=~Q(status=FollowUpStatus.CANCELLED)
                                   | Q(cancelled_at__isnull=False),
                                   name="followup_cancelled_has_time"),
        ]
        indexes = [
            # The nightly jobs (overdue, escalation) and the overdue / due-this-week lists.
            models.Index(fields=["tenant", "due_on", "id"], condition=Q(status="open"),
                         name="followup_open_due_idx"),
            # One member's, one account's (the 360° page's open ones), a visit's.
            models.Index(fields=["tenant", "owner", "due_on", "id"], name="followup_owner_due_idx"),
            models.Index(fields=["tenant", "account", "due_on", "id"],
                         name="followup_account_due_idx"),
            models.Index(fields=["tenant", "visit"], name="followup_visit_idx"),
            # Every follow-up by due date (the list's "all").
            models.Index(fields=["tenant", "due_on", "id"], name="followup_due_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == FollowUpStatus.OPEN

    @property
    def is_recurring(self) -> bool:
        return self.recurrence != Recurrence.NONE

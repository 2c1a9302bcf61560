"""Service requests and complaints (服务请求与投诉): what a key account asks of us, with SLA clocks.

A request belongs to an account, is raised by one of its contacts (optional), has a type,
priority and channel, and moves new → in progress → waiting on the customer → resolved →
closed; a resolved one can be reopened within the policy's days. ``received_at`` is when the
customer raised it (a helpdesk's own time for integrations): the clocks start there. Comments
are internal notes or replies to the customer (the first reply meets the first-response clock).
Everything that happens to a request is a ``RequestActivity`` row: its timeline, and the
account's."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.audit import audited
from kam.tenancy import TenantForeignKeyField, TenantOwned


class RequestType(models.TextChoices):
    INQUIRY = "inquiry", _("Inquiry")
    SERVICE = "service", _("Service request")
    COMPLAINT = "complaint", _("Complaint")
    QUALITY = "quality", _("Quality claim")
    RETURN = "return", _("Return")


class Priority(models.TextChoices):
    URGENT = "urgent", pgettext_lazy("priority", "Urgent")
    HIGH = "high", pgettext_lazy("priority", "High")
    NORMAL = "normal", pgettext_lazy("priority", "Normal")
    LOW = "low", pgettext_lazy("priority", "Low")


class RequestChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    WEB = "web", _("Web")
    API = "api", _("Integration")
    VISIT = "visit", _("At a visit")


class RequestStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("request status", "New")
    IN_PROGRESS = "in_progress", pgettext_lazy("request status", "In progress")
    WAITING = "waiting", pgettext_lazy("request status", "Waiting on the customer")
    RESOLVED = "resolved", pgettext_lazy("request status", "Resolved")
    CLOSED = "closed", pgettext_lazy("request status", "Closed")


OPEN_STATUSES = (RequestStatus.NEW, RequestStatus.IN_PROGRESS, RequestStatus.WAITING)


@audited(model_name="ServiceRequestEvent", exclude=("updated_at",), indexes=[
    models.Index(fields=["tenant", "account", "pgh_created_at", "pgh_id"],
                 name="servicerequestevent_hist_idx")])
class ServiceRequest(TenantOwned):
    account = TenantForeignKeyField("accounts.Account", on_delete=models.CASCADE,
                                    related_name="service_requests", verbose_name=_("account"))
    requester = TenantForeignKeyField("accounts.Contact", null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="service_requests",
                                      verbose_name=_("raised by"))
    request_type = models.CharField(_("type"), max_length=15, choices=RequestType.choices,
                                    default=RequestType.SERVICE)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices,
                                default=Priority.NORMAL)
    channel = models.CharField(_("channel"), max_length=10, choices=RequestChannel.choices,
                               default=RequestChannel.PHONE)
    subject = models.CharField(_("subject"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    assignee = TenantForeignKeyField("kam.Membership", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="assigned_requests",
                                     verbose_name=_("assignee"))
    status = models.CharField(_("status"), max_length=12, choices=RequestStatus.choices,
                              default=RequestStatus.NEW)
    received_at = models.DateTimeField(_("received"))
    first_replied_at = models.DateTimeField(_("first reply"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    times_reopened = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    # What the clocks were measured with: the policy version, the rule that matched (its order
    # in that version; NULL: the tier's service standard) and the calendar's stamp.
    policy = TenantForeignKeyField("satisfaction.SlaPolicy", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("SLA policy"))
    rule_position = models.PositiveSmallIntegerField(_("SLA rule"), null=True, blank=True)
    tier = models.CharField(_("tier when measured"), max_length=10, blank=True)
    calendar_stamp = models.UUIDField(_("working calendar version"), null=True, blank=True)
    visit = TenantForeignKeyField("visits.Visit", null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="service_requests",
                                  verbose_name=_("visit"))
    external_id = models.CharField(_("external ID"), max_length=100, blank=True,
                                   help_text=_("The request's id in another system, for sync."))
    created_by = TenantForeignKeyField("kam.Membership", null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="+",
                                       verbose_name=_("entered by"))
    created_at = models.DateTimeField(_("entered"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "external_id"], condition=~Q(external_id=""),
                                    name="servicerequest_external_id_uniq"),
            models.CheckConstraint(condition=~Q(status__in=["resolved", "closed"])
                                   | Q(resolved_at__isnull=False),
                                   name="servicerequest_resolved_has_time"),
            models.CheckConstraint(condition=~Q(status="closed") | Q(closed_at__isnull=False),
                                   name="servicerequest_closed_has_time"),
        ]
        indexes = [
            models.Index(fields=["tenant", "received_at", "id"], name="servicerequest_recv_idx"),
            models.Index(fields=["tenant", "account", "received_at", "id"],
                         name="servicerequest_account_idx"),
            models.Index(fields=["tenant", "assignee", "received_at", "id"],
                         name="servicerequest_assignee_idx"),
            models.Index(fields=["tenant", "status", "received_at", "id"],
                         name="servicerequest_status_idx"),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class RequestComment(TenantOwned):
    """An internal note, or a reply to the customer (what stops the first-response clock)."""

    request = TenantForeignKeyField(ServiceRequest, on_delete=models.CASCADE,
                                    related_name="comments", verbose_name=_("request"))
    author = TenantForeignKeyField("kam.Membership", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("author"))
    is_reply = models.BooleanField(_("reply to the customer"), default=False)
    body = models.TextField(_("text"))
    created_at = models.DateTimeField(_("written"))

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["tenant", "request", "created_at"],
                                name="requestcomment_request_idx")]

    def __str__(self) -> str:
        return self.body[:50]


class ActivityKind(models.TextChoices):
    CREATED = "created", _("Request received")
    STATUS = "status", _("Status changed")
    ASSIGNED = "assigned", _("Assigned")
    PRIORITY = "priority", _("Priority changed")
    CHANGED = "changed", _("Details changed")
    NOTE = "note", _("Internal note")
    REPLY = "reply", _("Reply to the customer")
    REOPENED = "reopened", _("Reopened")
    CLOCK = "clock", _("SLA clock")


class RequestActivity(TenantOwned):
    """One line of a request's timeline: what happened, when, by whom; ``data`` holds ids, codes
    and the before/after values (never words in a language)."""

    request = TenantForeignKeyField(ServiceRequest, on_delete=models.CASCADE,
                                    related_name="activities", verbose_name=_("request"))
    account = TenantForeignKeyField("accounts.Account", on_delete=models.CASCADE,
                                    related_name="+", verbose_name=_("account"))
    kind = models.CharField(_("what"), max_length=10, choices=ActivityKind.choices)
    at = models.DateTimeField(_("when"))
    by = TenantForeignKeyField("kam.Membership", null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+", verbose_name=_("by"))
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("request activity")
        verbose_name_plural = _("request activities")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["tenant", "request", "at", "id"], name="requestactivity_req_idx"),
            models.Index(fields=["tenant", "account", "at", "id"], name="requestactivity_acct_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}:{self.kind}"

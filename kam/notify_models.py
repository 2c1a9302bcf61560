"""The tables of notifications (kam.notify): the events that cause them, one notification per
recipient of an event, and each member's notification settings. Imported by kam.models."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.tenancy import TenantForeignKeyField, TenantOneToOneField, TenantOwned


class Event(TenantOwned):
    """Something that happened and that people were told about: an account's tier moved, an
    import finished, a follow-up became overdue. ``key`` names the occurrence
    ("accounts.tier:17:3", "followup:123:overdue") and is unique per tenant, so a job that runs
    twice records it — and notifies — once. Later issues send the same events to webhooks."""

    kind = models.CharField(_("kind"), max_length=64)
    key = models.CharField(_("key"), max_length=200)
    # What it is about, as "<app_label.model>:<id>" ("accounts.account:17"), from the kind's
    # registration (kam.notify.register_event_kind); empty when it is about nothing in particular.
    subject = models.CharField(_("about"), max_length=100, blank=True)
    data = models.JSONField(_("data"), default=dict, encoder=DjangoJSONEncoder)
    occurred_at = models.DateTimeField(_("happened"))
    created_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="event_tenant_key_uniq"),
        ]
        indexes = [models.Index(fields=["tenant", "subject"], name="event_subject_idx")]

    def __str__(self) -> str:
        return self.key


class EmailState(models.TextChoices):
    """Where a notification's email stands. The time it got there is ``Notification.email_at``."""

    PENDING = "pending", _("Email on its way")
    FOR_DIGEST = "for_digest", _("Waiting for the daily digest")
    SENT = "sent", pgettext_lazy("email state", "Emailed")
    IN_DIGEST = "in_digest", _("Sent in the daily digest")
    NOT_WANTED = "not_wanted", _("No email")
    FAILED = "failed", _("Email failed")


class Notification(TenantOwned):
    """One member told of one event: in their inbox (read or not) and, as they chose, by email."""

    event = TenantForeignKeyField(Event, on_delete=models.CASCADE, related_name="notifications")
    recipient = TenantForeignKeyField("kam.Membership", on_delete=models.CASCADE,
                                      related_name="notifications")
    created_at = models.DateTimeField(_("created"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    email_state = models.CharField(_("email"), max_length=10, choices=EmailState.choices)
    email_at = models.DateTimeField(_("email state since"))
    email_error = models.CharField(_("email error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "event", "recipient"],
                                    name="notification_event_recipient_uniq"),
        ]
        indexes = [
            # The inbox, newest first, and its unread filter and count.
            models.Index(fields=["tenant", "recipient", "id"], name="notification_inbox_idx"),
            models.Index(fields=["tenant", "recipient", "id"], name="notification_unread_idx",
                         condition=models.Q(read_at__isnull=True)),
            # What the daily digest collects.
            models.Index(fields=["tenant", "recipient"], name="notification_digest_idx",
                         condition=models.Q(email_state="for_digest")),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.recipient_id}"


class EmailPreference(models.TextChoices):
    IMMEDIATELY = "immediately", _("Immediately, one email per notification")
    DIGEST = "digest", _("Once a day, in a digest at 08:00")
    NEVER = "never", _("Never (only in KAM)")


class NotificationSettings(TenantOwned):
    """A member's notification settings. No row: the defaults (a daily digest, the company's
    language). Notifications always appear in the inbox; this says which emails go out."""

    membership = TenantOneToOneField("kam.Membership", on_delete=models.CASCADE, primary_key=True,
                                     related_name="notification_settings")
    email = models.CharField(_("Email me"), max_length=12, choices=EmailPreference.choices,
                             default=EmailPreference.DIGEST)
    # The language of the emails; "" = the company's default language.
    language = models.CharField(_("Language of the emails"), max_length=10, blank=True,
                                choices=settings.LANGUAGES)

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return f"{self.membership_id}: {self.email}"

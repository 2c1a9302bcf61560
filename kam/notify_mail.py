"""Notifications by email (kam.notify): one email per notification for members who want them
immediately, and a daily digest at 08:00 in each company's time zone for the others.

Every email is claimed before it is sent, with a conditional UPDATE in the transaction that sends
it (healthchecks' sendalerts): a second message for the same email (the outbox sends again, a
second beat) finds it claimed and sends nothing; a mail server that refuses rolls the claim back,
and the task tries again later (``EMAIL_RETRY_DELAYS``), then records the email as failed.
Messages reach the worker through the transactional outbox (kam.outbox), so an email owed when
Redis was down goes out when it is back.
"""

from __future__ import annotations

import datetime
import logging
import smtplib
from dataclasses import dataclass, field
from email.utils import formataddr
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import ngettext

from kam import clock, outbox
from kam.models import (
    EmailPreference,
    EmailState,
    Membership,
    Notification,
    NotificationSettings,
    Tenant,
)
from kam.notify import EMAIL_TASK, email_language, render
from kam.tasks import tenants_due
from kam.tenancy import get_current_tenant, with_tenant

log = logging.getLogger(__name__)

# What a mail server or the network does when it refuses (smtplib's errors, a refused or timed
# out connection). Anything else is a bug: the task fails loudly.
MAIL_ERRORS: tuple[type[BaseException], ...] = (smtplib.SMTPException, OSError)
# Waits before the 2nd, 3rd and 4th attempt of an email; after the 4th it is recorded as failed.
EMAIL_RETRY_DELAYS = (60, 600, 3600)
DIGEST_LOCAL_TIME = datetime.time(8, 0)  # each company's digests go out at 08:00 local time
DIGEST_TASK = "kam.notify_mail.send_tenant_digests"


def _permanent(exc: BaseException) -> bool:
    """A refusal that trying again cannot change (a 5xx answer: no such mailbox, …)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(code >= 500 for code, _msg in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def _link(path: str) -> str:
    return f"{settings.KAM_SITE_URL}{path}" if path else ""


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]  # a header: no line breaks (Django refuses them)


def _email(*, membership: Membership, tenant: Tenant, language: str, subject: str,
           template: str, context: dict[str, Any]) -> EmailMessage:
    """An email to one member, written in ``language`` with times in the company's zone."""
    with translation.override(language), timezone.override(clock.tenant_zone(tenant)):
        body = render_to_string(template, {
            **context, "company": tenant.name, "member": membership.display_name,
            "settings_link": _link(reverse("kam:notification-settings")),
            "inbox_link": _link(reverse("kam:inbox"))})
    return EmailMessage(
        subject=_one_line(subject), body=body, from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((membership.display_name, membership.user.email))],
        headers={"Auto-Submitted": "auto-generated"})


def _wants_email(membership: Membership, prefs: NotificationSettings | None) -> bool:
    """Whether the member still wants emails (they may have changed their mind since)."""
    return (membership.is_active and membership.user.is_active and bool(membership.user.email)
            and (prefs is None or prefs.email != EmailPreference.NEVER))


# --- one email per notification ---------------------------------------------------------------------


@transaction.atomic
def notification_email_send(*, notification_id: int) -> bool:
    """Send the email of one notification of the current tenant, if it is still owed: claimed
    (pending → sent) and sent in one transaction, so a refusal of the mail server leaves it
    pending for the next attempt. False when there was nothing to send."""
    now = clock.now()
    if not Notification.objects.filter(pk=notification_id, email_state=EmailState.PENDING).update(
            email_state=EmailState.SENT, email_at=now, email_error=""):
        return False  # sent already (a duplicated message), or not owed
    notification = Notification.objects.select_related("event", "recipient__user").get(
        pk=notification_id)
    membership = notification.recipient
    prefs = NotificationSettings.objects.filter(membership=membership).first()
    if not _wants_email(membership, prefs):
        Notification.objects.filter(pk=notification_id).update(email_state=EmailState.NOT_WANTED,
                                                               email_at=now)
        return False
    tenant = get_current_tenant()
    language = email_language(prefs, tenant)
    rendered = render(notification.event, language=language)
    _email(membership=membership, tenant=tenant, language=language, subject=rendered.title,
           template="kam/email/notification.txt",
           context={"rendered": rendered, "link": _link(rendered.url),
                    "occurred_at": notification.event.occurred_at}).send()
    return True


def notification_email_failed(*, notification_id: int, error: str) -> None:
    """Record that an email could not be sent (after its last attempt)."""
    Notification.objects.filter(pk=notification_id, email_state=EmailState.PENDING).update(
        email_state=EmailState.FAILED, email_at=clock.now(), email_error=error[:300])


@shared_task(name=EMAIL_TASK, bind=True, acks_late=True, max_retries=len(EMAIL_RETRY_DELAYS))
@with_tenant
def send_notification_email(self, *, tenant_id: int, notification_id: int) -> str:
    """One notification's email (sent through the outbox by kam.notify). A refusal is tried
    again later; after the last attempt, or at once for a permanent refusal, it is failed."""
    outbox.started(EMAIL_TASK, tenant_id=tenant_id, notification_id=notification_id)
    try:
        sent = notification_email_send(notification_id=notification_id)
    except MAIL_ERRORS as exc:
        if _permanent(exc) or self.request.retries >= self.max_retries:
            log.warning("the email of notification %s failed: %s", notification_id, exc)
            notification_email_failed(notification_id=notification_id, error=_error_text(exc))
            return "failed"
        raise self.retry(exc=exc, countdown=EMAIL_RETRY_DELAYS[self.request.retries]) from exc
    return "sent" if sent else "nothing to send"


# --- the daily digest -------------------------------------------------------------------------------

# The claim of one member's digest: what waits for it becomes "in the digest" (or, read in KAM
# meanwhile, needs no email), in one statement that a second digest finds done.
_DIGEST_CLAIM_SQL = """
UPDATE kam_notification
   SET email_state = CASE WHEN read_at IS NULL THEN %(in_digest)s ELSE %(not_wanted)s END,
       email_at = %(now)s
 WHERE tenant_id = %(tenant)s AND recipient_id = %(member)s AND email_state = %(for_digest)s
RETURNING id, read_at IS NULL
"""


@transaction.atomic
def digest_send(*, membership_id: int) -> bool:
    """One member's digest: every notification waiting for it that is still unread, in one
    email (claimed and sent in one transaction, like a single email). False when nothing was
    sent: nothing waited, all of it was read in KAM meanwhile, or they no longer want emails."""
    tenant = get_current_tenant()
    now = clock.now()
    membership = Membership.objects.select_related("user").get(pk=membership_id)
    prefs = NotificationSettings.objects.filter(membership=membership).first()
    if not _wants_email(membership, prefs):
        Notification.objects.filter(recipient=membership, email_state=EmailState.FOR_DIGEST
                                    ).update(email_state=EmailState.NOT_WANTED, email_at=now)
        return False
    with connection.cursor() as cursor:
        cursor.execute(_DIGEST_CLAIM_SQL, {
            "tenant": tenant.pk, "member": membership_id, "now": now,
            "in_digest": EmailState.IN_DIGEST, "not_wanted": EmailState.NOT_WANTED,
            "for_digest": EmailState.FOR_DIGEST})
        unread = [pk for pk, is_unread in cursor.fetchall() if is_unread]
    if not unread:
        return False
    language = email_language(prefs, tenant)
    notifications = list(Notification.objects.filter(pk__in=unread).select_related("event")
                         .order_by("-event__occurred_at", "-id"))
    items = [{"rendered": render(n.event, language=language),
              "occurred_at": n.event.occurred_at} for n in notifications]
    for item in items:
        item["link"] = _link(item["rendered"].url)
    with translation.override(language):
        subject = ngettext("%(company)s: %(count)s new notification",
                           "%(company)s: %(count)s new notifications", len(items)) % {
            "company": tenant.name, "count": len(items)}
    _email(membership=membership, tenant=tenant, language=language, subject=subject,
           template="kam/email/digest.txt", context={"items": items}).send()
    return True


@dataclass
class DigestRun:
    sent: int = 0
    failed: dict[int, str] = field(default_factory=dict)  # membership id → the mail error


def digests_send() -> DigestRun:
    """Every member's digest of the current tenant: each claimed and sent on its own, so one
    refused address does not hold back the others' (nor resend them on the next attempt)."""
    run = DigestRun()
    members = (Notification.objects.filter(email_state=EmailState.FOR_DIGEST)
               .order_by("recipient_id").values_list("recipient_id", flat=True).distinct())
    for member_id in list(members):
        try:
            run.sent += digest_send(membership_id=member_id)
        except MAIL_ERRORS as exc:
            log.warning("the digest of member %s was not sent: %s", member_id, exc)
            run.failed[member_id] = _error_text(exc)
    return run


def digests_failed(*, failed: dict[int, str]) -> None:
    """Record the digests that could not be sent after the last attempt."""
    now = clock.now()
    for member_id, error in failed.items():
        Notification.objects.filter(recipient_id=member_id, email_state=EmailState.FOR_DIGEST
                                    ).update(email_state=EmailState.FAILED, email_at=now,
                                             email_error=error)


@shared_task(name=DIGEST_TASK, bind=True, acks_late=True, max_retries=len(EMAIL_RETRY_DELAYS))
@with_tenant
def send_tenant_digests(self, *, tenant_id: int, day: str) -> int:
    """The daily digests of one company (``day``: its local date, sent by ``dispatch_digests``
    through the outbox). Digests the mail server refused are tried again; after the last
    attempt they are recorded as failed. Returns how many were sent."""
    outbox.started(DIGEST_TASK, tenant_id=tenant_id, day=day)
    run = digests_send()
    if run.failed:
        if self.request.retries >= self.max_retries:
            digests_failed(failed=run.failed)
        else:
            raise self.retry(countdown=EMAIL_RETRY_DELAYS[self.request.retries])
    return run.sent


@shared_task(acks_late=True)
def dispatch_digests(now: str | None = None) -> int:
    """Beat runs this every 10 minutes. Each company whose local time has passed 08:00 on a date
    whose digests have not been sent is claimed with a conditional UPDATE (a second beat or a
    duplicated message finds it claimed) and gets one ``send_tenant_digests`` message through the
    outbox. A beat that was down at 08:00 catches up when it is back. Returns how many."""
    moment = datetime.datetime.fromisoformat(now) if now else clock.now()  # ``now``: tests
    claimed = 0
    with transaction.atomic():
        for tenant_id, local_date in tenants_due(moment, local_time=DIGEST_LOCAL_TIME,
                                                 dispatched_field="digest_dispatched_for"):
            if Tenant.objects.filter(pk=tenant_id).exclude(
                    digest_dispatched_for__gte=local_date).update(digest_dispatched_for=local_date):
                claimed += 1
                outbox.send_on_commit(DIGEST_TASK, tenant_id=tenant_id, day=local_date.isoformat())
    return claimed

"""Notifications: the seam every app tells people through (in the inbox, by email, in a digest).

An app registers the kinds of events it notifies about, with their renderers, from its
``AppConfig.ready()`` (``register_event_kind``), and calls ``notify`` (one event) or
``notify_many`` (a nightly job's set of events) inside the transaction of the work that caused
them. Each call records an ``Event`` — kind, a key unique per tenant, what it is about, data,
when it happened — once per key, and one ``Notification`` per recipient: a second call with the
same key (a job run twice, a redelivered task) records and notifies nothing. Later issues send
the same events to webhooks.

Renderers take the event's data and run in the reader's language: the page's language in the
inbox, the member's chosen language (else the company's) in emails (``translation.override``).
Data holds ids, names and codes, never text in a language, so one event reads well in both.

Each recipient's email follows their settings (``NotificationSettings``; none saved: the daily
digest): *immediately* — a message in the transactional outbox (kam.outbox), sent once the
transaction commits, then the email (kam.notify_mail); *digest* — the daily digest at 08:00 in
the company's time zone; *never* — the inbox only. Members without an email address get none.
"""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import QuerySet
from django.urls import NoReverseMatch
from django.utils import translation
from django.utils.translation import gettext as _

from kam import clock
from kam.models import (
    EmailPreference,
    EmailState,
    Event,
    Membership,
    Notification,
    NotificationSettings,
    Tenant,
)
from kam.tenancy import get_current_tenant

log = logging.getLogger(__name__)

Renderer = Callable[[dict[str, Any]], str]

# The task that sends one notification's email (kam.notify_mail), by name: kam.notify imports
# nothing that sends mail.
EMAIL_TASK = "kam.notify_mail.send_notification_email"


@dataclass(frozen=True)
class EventKind:
    kind: str
    title: Renderer
    body: Renderer | None = None
    url: Renderer | None = None
    subject: Renderer | None = None


_KINDS: dict[str, EventKind] = {}


def register_event_kind(kind: str, *, title: Renderer, body: Renderer | None = None,
                        url: Renderer | None = None, subject: Renderer | None = None) -> None:
    """Register a kind of event and how to show it: ``title`` (one line, the email's subject),
    ``body`` (a sentence or two) and ``url`` (a path in KAM), each from the event's data, run in
    the reader's language; ``subject`` says what the event is about ("accounts.account:17"), for
    ``Event.subject``. From an app's ``AppConfig.ready()``; registering a kind twice differently
    is an error."""
    entry = EventKind(kind=kind, title=title, body=body, url=url, subject=subject)
    if _KINDS.get(kind, entry) != entry:
        raise ValueError(f"event kind {kind!r} is registered twice")
    _KINDS[kind] = entry


def event_kind(kind: str) -> EventKind:
    if kind not in _KINDS:
        raise ValueError(f"unknown event kind {kind!r}: register it with register_event_kind")
    return _KINDS[kind]


# --- recording events ------------------------------------------------------------------------------

# One statement for every event of a call: the new ones are returned, the keys already recorded
# are skipped (the unique (tenant, key)), so a second run notifies no one.
_EVENTS_SQL = """
INSERT INTO kam_event (tenant_id, kind, key, subject, data, occurred_at, created_at)
SELECT %(tenant)s, %(kind)s, item.key, item.subject, item.data::jsonb, %(occurred_at)s, %(now)s
  FROM unnest(%(keys)s::varchar[], %(subjects)s::varchar[], %(data)s::text[])
       AS item(key, subject, data)
    ON CONFLICT (tenant_id, key) DO NOTHING
RETURNING id, key
"""

# One statement for every notification of those events: active members of the tenant only, the
# email state from each one's settings (none saved: the default) and address.
_NOTIFICATIONS_SQL = """
INSERT INTO kam_notification (tenant_id, event_id, recipient_id, created_at, read_at, email_state,
                              email_at, email_error)
SELECT %(tenant)s, item.event_id, m.id, %(now)s, NULL,
       CASE WHEN u.email = '' OR COALESCE(s.email, %(default)s) = %(never)s THEN %(not_wanted)s
            WHEN COALESCE(s.email, %(default)s) = %(immediately)s THEN %(pending)s
            ELSE %(for_digest)s END,
       %(now)s, ''
  FROM unnest(%(events)s::bigint[], %(recipients)s::bigint[]) AS item(event_id, recipient_id)
  JOIN kam_membership m ON m.tenant_id = %(tenant)s AND m.id = item.recipient_id AND m.is_active
  JOIN auth_user u ON u.id = m.user_id AND u.is_active
  LEFT JOIN kam_notificationsettings s ON s.tenant_id = %(tenant)s AND s.membership_id = m.id
    ON CONFLICT (tenant_id, event_id, recipient_id) DO NOTHING
RETURNING id, email_state
"""

Item = tuple[str, Iterable[int], dict[str, Any]]


def _record(*, kind: str, items: Iterable[Item], occurred_at: datetime.datetime,
            now: datetime.datetime) -> list[tuple[int, str]]:
    """Insert the events and their notifications (two statements), queue the immediate emails
    (one more when there are any). Returns (id, key) of the new events."""
    spec = event_kind(kind)
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be an aware datetime")
    tenant = get_current_tenant()
    keys: list[str] = []
    subjects: list[str] = []
    data: list[str] = []
    recipients: dict[str, list[int]] = {}
    for key, members, values in items:
        if not key or len(key) > 200:
            raise ValueError(f"an event key has 1 to 200 characters: {key!r}")
        if key in recipients:  # the same event twice in one call: recorded once
            continue
        keys.append(key)
        subjects.append(spec.subject(values) if spec.subject else "")
        data.append(json.dumps(values, cls=DjangoJSONEncoder))
        recipients[key] = sorted(set(members))
    if not keys:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_EVENTS_SQL, {"tenant": tenant.pk, "kind": kind, "keys": keys,
                                     "subjects": subjects, "data": data,
                                     "occurred_at": occurred_at, "now": now})
        created = [(int(event_id), key) for event_id, key in cursor.fetchall()]
        pairs = [(event_id, member) for event_id, key in created for member in recipients[key]]
        if not pairs:
            return created
        cursor.execute(_NOTIFICATIONS_SQL, {
            "tenant": tenant.pk, "now": now,
            "events": [event_id for event_id, _member in pairs],
            "recipients": [member for _event_id, member in pairs],
            "default": NotificationSettings._meta.get_field("email").default,
            "never": EmailPreference.NEVER, "immediately": EmailPreference.IMMEDIATELY,
            "not_wanted": EmailState.NOT_WANTED, "pending": EmailState.PENDING,
            "for_digest": EmailState.FOR_DIGEST})
        immediate = [int(pk) for pk, state in cursor.fetchall() if state == EmailState.PENDING]
    if immediate:
        from kam import outbox

        outbox.send_many_on_commit(EMAIL_TASK, [
            {"tenant_id": tenant.pk, "notification_id": pk} for pk in immediate])
    return created


def notify(*, kind: str, key: str, recipients: Iterable[Membership], data: dict[str, Any],
           occurred_at: datetime.datetime) -> Event | None:
    """Record the event ``key`` of the current tenant once and notify ``recipients`` (active
    members of the tenant; others are skipped). None when the key was recorded before: then
    nobody is notified again. Immediate emails go out after the caller's transaction commits."""
    members = [member.pk for member in recipients]
    now = clock.now()
    with transaction.atomic():
        created = _record(kind=kind, items=[(key, members, data)], occurred_at=occurred_at,
                          now=now)
    if not created:
        return None
    spec = event_kind(kind)
    event = Event(pk=created[0][0], tenant=get_current_tenant(), kind=kind, key=key,
                  subject=spec.subject(data) if spec.subject else "", data=data,
                  occurred_at=occurred_at, created_at=now)
    event._state.adding = False
    event._state.db = "default"
    return event


def notify_many(*, kind: str, items: Iterable[Item], occurred_at: datetime.datetime) -> int:
    """The set-based ``notify`` for jobs: ``items`` are (key, recipient membership ids, data).
    One INSERT … ON CONFLICT DO NOTHING … RETURNING for the events and one INSERT for their
    notifications, whatever the number of items (one more for the outbox when someone wants
    their emails immediately). Returns how many events were new."""
    with transaction.atomic():
        return len(_record(kind=kind, items=items, occurred_at=occurred_at, now=clock.now()))


# --- showing them ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str
    url: str  # a path in KAM; "" when the event has none


def render(event: Event, *, language: str | None = None) -> Rendered:
    """The event's title, body and link in ``language`` (default: the active one). An event of a
    kind no longer registered, or whose data its renderer cannot read, still shows a line."""
    spec = _KINDS.get(event.kind)
    with translation.override(language or translation.get_language()):
        if spec is not None:
            try:
                return Rendered(title=str(spec.title(event.data)),
                                body=str(spec.body(event.data)) if spec.body else "",
                                url=str(spec.url(event.data)) if spec.url else "")
            except (KeyError, TypeError, ValueError, NoReverseMatch):
                log.warning("event %s (%s) could not be rendered", event.pk, event.kind,
                            exc_info=True)
        return Rendered(title=_("A notification that can no longer be shown"), body="", url="")


def email_language(prefs: NotificationSettings | None, tenant: Tenant) -> str:
    """The language of a member's emails: their choice, else the company's default language."""
    return (prefs.language if prefs is not None else "") or tenant.default_language


# --- the inbox (reads) ------------------------------------------------------------------------------


def inbox_queryset(*, membership: Membership, unread: bool = False) -> QuerySet[Notification]:
    """A member's notifications with their events (newest first is the page's order); only
    the unread ones when ``unread``."""
    qs = Notification.objects.filter(recipient=membership).select_related("event")
    return qs.filter(read_at__isnull=True) if unread else qs


def unread_count(*, membership: Membership) -> int:
    """How many of a member's notifications are unread (one query, on a partial index)."""
    return Notification.objects.filter(recipient=membership, read_at__isnull=True).count()


def notification_settings_of(*, membership: Membership) -> NotificationSettings:
    """A member's notification settings; the defaults (unsaved) when they never chose."""
    found = NotificationSettings.objects.filter(membership=membership).first()
    return found or NotificationSettings(membership=membership, tenant_id=membership.tenant_id)


# --- the inbox (writes) -----------------------------------------------------------------------------


@transaction.atomic
def notification_open(*, membership: Membership, notification_id: int) -> Notification | None:
    """One of the member's notifications, with its event, marked read (if it was not yet): what
    opening it in the inbox does. None when it is not theirs — another member's or another
    company's, which the caller shows as missing."""
    found = inbox_queryset(membership=membership).filter(pk=notification_id).first()
    if found is not None and found.read_at is None:
        found.read_at = clock.now()
        Notification.objects.filter(pk=found.pk, read_at__isnull=True).update(read_at=found.read_at)
    return found


@transaction.atomic
def notifications_mark_all_read(*, membership: Membership) -> int:
    """Mark every unread notification of the member read; returns how many (one UPDATE)."""
    return Notification.objects.filter(recipient=membership, read_at__isnull=True).update(
        read_at=clock.now())


def notification_settings_check(*, email: str | None, language: str | None) -> None:
    """The rules of ``notification_settings_update`` without saving (None: not judged)."""
    errors: dict[str, list[str]] = {}
    if email is not None and email not in EmailPreference.values:
        errors["email"] = [_("Choose when to be emailed.")]
    languages = {code for code, _name in settings.LANGUAGES}
    if language is not None and language not in {"", *languages}:
        errors["language"] = [_("Choose a language KAM offers.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def notification_settings_update(*, membership: Membership, email: str,
                                 language: str) -> NotificationSettings:
    """Save a member's choice of emails (immediately, daily digest, never) and their language."""
    notification_settings_check(email=email, language=language)
    found, _created = NotificationSettings.objects.update_or_create(
        membership=membership, defaults={"email": email, "language": language})
    return found

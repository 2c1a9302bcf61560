"""The member's notifications (kam.notify): the inbox, its unread count in the navigation, opening
one, marking all read, the member's notification settings; and for administrators of the demo,
the mail its local SMTP server received (kam.mailbox)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from kam import mailbox, notify
from kam.decorators import tenant_page
from kam.forms import NotificationSettingsForm
from kam.lists import form_page, page_of, see_other
from kam.middleware import KamRequest
from kam.models import Membership
from kam.roles import Perm

PAGE_SIZE = 25
ORDER = ("-id",)  # newest first
UNREAD_SHOWN_MAX = 99  # the navigation shows "99+" above this
MAILBOX_SHOWN = 100


def _membership(request: KamRequest) -> Membership:
    assert request.membership is not None  # tenant_page: a member of the current tenant
    return request.membership


@require_GET
@tenant_page()
def inbox(request: KamRequest) -> HttpResponse:
    """The member's notifications, newest first, a page at a time; ``?show=unread`` only the
    unread ones. Each in the page's language."""
    unread = request.GET.get("show") == "unread"
    qs = notify.inbox_queryset(membership=_membership(request), unread=unread)
    page = page_of(request, qs, order=ORDER, size=PAGE_SIZE)
    language = translation.get_language()
    for item in page.items:
        item.rendered = notify.render(item.event, language=language)
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(request, "kam/inbox.html", {"page": page, "unread_only": unread,
                                              "base_query": query.urlencode()})


@require_GET
@tenant_page()
def inbox_badge(request: KamRequest) -> HttpResponse:
    """The navigation's link to the inbox with the unread count: loaded after the page (htmx),
    so no page pays a query for it, and polled every few minutes."""
    count = notify.unread_count(membership=_membership(request))
    return render(request, "kam/_inbox_badge.html", {
        "unread": count, "unread_shown": f"{UNREAD_SHOWN_MAX}+" if count > UNREAD_SHOWN_MAX
        else str(count)})


@require_GET
@tenant_page()
def notification_open(request: KamRequest, notification_id: int) -> HttpResponse:
    """Open one notification: it is marked read and the member goes where it points (the inbox
    if nowhere). Another member's, or another company's, is a 404."""
    found = notify.notification_open(membership=_membership(request),
                                     notification_id=notification_id)
    if found is None:
        raise Http404
    return see_other(notify.render(found.event).url or reverse("kam:inbox"))


@require_POST
@tenant_page()
def notifications_read_all(request: KamRequest) -> HttpResponse:
    marked = notify.notifications_mark_all_read(membership=_membership(request))
    messages.success(request, ngettext("%(count)s notification marked read.",
                                       "%(count)s notifications marked read.", marked) % {
        "count": marked})
    return see_other(reverse("kam:inbox"))


@tenant_page()
def notification_settings(request: KamRequest) -> HttpResponse:
    """The member's own notification settings: when to be emailed, in which language."""
    membership = _membership(request)
    current = notify.notification_settings_of(membership=membership)
    form = NotificationSettingsForm(request.POST or None, tenant=membership.tenant,
                                    initial={"email": current.email, "language": current.language})
    return form_page(
        request, form, template="kam/notification_settings.html",
        save=lambda data: notify.notification_settings_update(membership=membership, **data),
        check=lambda data: notify.notification_settings_check(**data),
        done=lambda _saved: reverse("kam:notification-settings"),
        message=lambda _saved: _("Your notification settings were saved."))


@require_GET
@tenant_page(Perm.SETTINGS_MANAGE)
def outgoing_mail(request: KamRequest) -> HttpResponse:
    """What the demo's local SMTP server received for members of this company, newest first.
    Only where that demo mailbox runs (``make demo``); a 404 anywhere else."""
    if not settings.KAM_DEMO_MAILBOX:
        raise Http404
    addresses = {address.lower() for address in Membership.objects.exclude(user__email="")
                 .values_list("user__email", flat=True)}
    found = mailbox.received(Path(settings.KAM_DEMO_MAILBOX), addresses=addresses,
                             limit=MAILBOX_SHOWN)
    return render(request, "kam/outgoing_mail.html", {"received": found, "shown": MAILBOX_SHOWN})

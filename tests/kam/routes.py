"""kam's part of the route matrix (tests/route_matrix.py, the walker, explains the columns and
outcomes): the core pages (login, settings, members, API keys, job runs, the working calendar),
the API's plumbing, the Django admin and the objects their URLs address."""

from __future__ import annotations

import datetime
from typing import Any

from kam import clock
from kam.calendar_models import DayKind, EntrySource
from kam.calendar_services import calendar_entry_save
from kam.feed import feed_link_create
from kam.models import CalendarFeed, Membership, Notification, Tenant
from kam.notify import notify
from kam.services import api_key_create
from kam.tenancy import tenant_context
from tests.kam.notify_kinds import register_ping
from tests.route_matrix import AL, L, Page, content_type_id, every

PARAMS: dict[str, str] = {
    "membership_id": "target_member",
    "key_id": "revocable_key",
    "entry_id": "calendar_entry",
    "notification_id": "owner_notification",
    # The superuser admin: anything will do, it redirects before looking anything up.
    "object_id": "target_member",
    "id": "target_member",
}
LITERAL_PARAMS = {
    "format": lambda w: "json",
    "app_label": lambda w: "kam",
    "url": lambda w: "no-such-page/",
    "content_type_id": lambda w: content_type_id(),
    "path": lambda w: "kam/kam.css",
    # The owner's calendar feed link with its secret's end changed: a link is a credential of its
    # own, the same for every identity, so the matrix checks that a wrong one finds nothing (the
    # right one's content: tests/visits/test_feed.py).
    "token": lambda w: w.a["owner_feed_token"][:-4] + "xxxx",
}


def build(tenant: Tenant, token: str, *, owner: Membership, teammate: Membership,
          target: Membership) -> dict[str, Any]:
    with tenant_context(tenant):
        revocable_key, _raw = api_key_create(name=f"{token}0 revocable", scopes=["read"])
        # A day of the company's own calendar (its name carries the token: tenant B's pages and
        # exports must not show tenant A's).
        calendar_entry = calendar_entry_save(day=datetime.date(2026, 10, 9),
                                             kind=DayKind.HOLIDAY, name=f"{token}0 厂庆",
                                             source=EntrySource.COMPANY, year=None)
        # A notification of the owner's, about something of account A1's (its token).
        notify(kind=register_ping(), key=f"{token}:ping", recipients=[owner],
               data={"name": f"{token}1 ping", "n": 1}, occurred_at=clock.now())
        owner_notification = Notification.objects.get(recipient=owner)
        # The owner's calendar feed; read "just now", so reading it again writes nothing.
        feed, feed_token = feed_link_create(membership=owner)
        CalendarFeed.objects.filter(pk=feed.pk).update(
            last_fetched_at=clock.now() + datetime.timedelta(days=1))
    return {"owner_feed_token": feed_token, "revocable_key": revocable_key, "target_member": target,
            "calendar_entry": calendar_entry, "owner_notification": owner_notification}


#                                          owner stranger admin exec read_key other_user other_key

PAGES: dict[str, Page] = {

    # My day: every member's own (tenant B's admin sees theirs, nothing of tenant A's); anonymous
    # to the login page.
    "kam:home": Page({"GET": (200, 200, 200, 200, L, 200, L), "POST": every(405)}),
    "kam:healthz": Page({"GET": every(200)}),
    # redirect_authenticated_user: a logged-in user is sent on to my day.
    # A wrong password re-shows the form (keys have no session); failures count towards the
    # lockout (django-axes), but each request here is rolled back.
    "kam:login": Page({"GET": (302, 302, 302, 302, 200, 302, 200),
                   "POST": (302, 302, 302, 302, 200, 302, 200)},
                  body=lambda w: {"username": "matrix-nobody", "password": "wrong-password-1"}),
    # LOGOUT_REDIRECT_URL is the login page.
    "kam:logout": Page({"GET": every(405), "POST": every(L)}),
    "set_language": Page({"GET": every(302), "POST": every(302)},
                         body=lambda w: {"language": "en", "next": "/accounts/"}),
    # Tenant A's id: outsiders are not members of it -> 404.
    "kam:tenant-switch": Page({"GET": every(405),
                           "POST": (302, 302, 302, 302, L, 404, L)},
                          body=lambda w: {"tenant": str(w.tenant_a.pk)}),

    # Settings: administrators only. Tenant B's admin sees tenant B's settings.
    "kam:settings": Page({"GET": (403, 403, 200, 403, L, 200, L)}),
    # The company's time zone, currency and default language; tenant B's admin changes tenant B's.
    "kam:tenant-settings": Page({"GET": every(405),
                             "POST": (403, 403, 302, 403, L, 302, L)},
                            body=lambda w: {"time_zone": "Asia/Shanghai", "currency": "CNY",
                                            "default_language": "en",
                                            "visit_grace_working_days": 2,
                                            "follow_up_escalation_working_days": 3}),
    "kam:member-add": Page({"GET": every(405),
                        "POST": (403, 403, 302, 403, L, 302, L)},
                       body=lambda w: {"username": "matrix_new_member", "role": "manager",
                                       "password": "a-long-enough-password-9"}),
    "kam:member-update": Page({"GET": every(405),
                           "POST": (403, 403, 302, 403, L, 404, L)},
                          body=lambda w: {"role": "executive", "is_active": "on"}),
    "kam:api-key-create": Page({"GET": every(405),
                            "POST": (403, 403, 200, 403, L, 200, L)},
                           body=lambda w: {"name": "matrix key", "scopes": ["read"]}),
    "kam:api-key-revoke": Page({"GET": (403, 403, 200, 403, L, 404, L),
                            "POST": (403, 403, 302, 403, L, 404, L)}),
    # Nightly job runs: administrators only; tenant B's admin sees tenant B's runs. Read-only.
    "kam:job-runs": Page({"GET": (403, 403, 200, 403, L, 200, L), "POST": every(405)}),
    # The demo's outgoing mail: administrators, and only where `make demo` runs its mail server
    # (settings.KAM_DEMO_MAILBOX, empty here): a 404 for them too.
    "kam:outgoing-mail": Page({"GET": (403, 403, 404, 403, L, 404, L), "POST": every(405)}),

    # Notifications: every member has their own inbox (tenant B's admin sees theirs, empty of
    # tenant A's); the owner's notification opens (marked read, 303 to where it points) for the
    # owner alone, anyone else's is a 404.
    "kam:inbox": Page({"GET": (200, 200, 200, 200, L, 200, L), "POST": every(405)}),
    "kam:inbox-badge": Page({"GET": (200, 200, 200, 200, L, 200, L), "POST": every(405)}),
    "kam:notification-open": Page({"GET": (303, 404, 404, 404, L, 404, L), "POST": every(405)}),
    "kam:notifications-read-all": Page({"GET": every(405),
                                        "POST": (303, 303, 303, 303, L, 303, L)}),
    # The member's calendar feed: their own settings (no feed yet for the identities but the
    # owner: a new link is made on POST, nothing to change or turn off: back to the page or 404).
    # The feed itself is read with its link alone (no session, no key): a wrong link is a 404
    # for everyone.
    "kam:feed-settings": Page({"GET": (200, 200, 200, 200, L, 200, L), "POST": every(405)}),
    "kam:feed-link": Page({"GET": (200, 302, 302, 302, L, 302, L),
                           "POST": (200, 200, 200, 200, L, 200, L)}, body=lambda w: {}),
    "kam:feed-options": Page({"GET": every(405), "POST": (302, 404, 404, 404, L, 404, L)},
                             body=lambda w: {}),
    "kam:feed-off": Page({"GET": (200, 302, 302, 302, L, 302, L),
                          "POST": (302, 302, 302, 302, L, 302, L)}),
    "kam:feed": Page({"GET": every(404), "POST": every(405)}),
    "kam:notification-settings": Page({"GET": (200, 200, 200, 200, L, 200, L),
                                       "POST": (302, 302, 302, 302, L, 302, L)},
                                      body=lambda w: {"email": "never", "language": "en"}),

    # The working calendar: administrators change it, executives read it (and export a year);
    # tenant B's admin sees and changes tenant B's calendar, and gets 404 for tenant A's days.
    "kam:calendar": Page({"GET": (403, 403, 200, 200, L, 200, L), "POST": every(405)}),
    "kam:calendar-export": Page({"GET": (403, 403, 200, 200, L, 200, L), "POST": every(405)}),
    "kam:calendar-settings": Page({"GET": every(405),
                                   "POST": (403, 403, 303, 403, L, 303, L)},
                                  body=lambda w: {"working_weekdays": ["0", "1", "2", "3", "4", "5"],
                                                  "day_starts": "08:30", "day_ends": "17:30"}),
    "kam:calendar-entry-add": Page({"GET": (403, 403, 200, 403, L, 200, L),
                                    "POST": (403, 403, 302, 403, L, 302, L)},
                                   body=lambda w: {"day": "2026-10-16", "kind": "holiday",
                                                   "name": "matrix day", "source": "company",
                                                   "year": "2026"}),
    "kam:calendar-entry-edit": Page({"GET": (403, 403, 200, 403, L, 404, L),
                                     "POST": (403, 403, 302, 403, L, 404, L)},
                                    body=lambda w: {"day": "2026-10-23", "kind": "working",
                                                    "name": "matrix edit", "source": "company",
                                                    "year": "2026"}),
    "kam:calendar-entry-delete": Page({"GET": (403, 403, 200, 403, L, 404, L),
                                       "POST": (403, 403, 303, 403, L, 404, L)}),
    # Uploading nothing is a form error; the preview and its confirmation: test_calendar_pages.
    "kam:calendar-import": Page({"GET": (403, 403, 200, 403, L, 200, L),
                                 "POST": (403, 403, 400, 403, L, 400, L)},
                                body=lambda w: {"year": "2027"}),

    # API plumbing that is not an operation of the schema: the router's index, the schema, the docs.
    "api:api-root": Page({"GET": every(200)}),
    "api:schema": Page({"GET": every(200)}),
    "api:docs": Page({"GET": every(200)}),

    # The superuser admin (kam.admin_site.KamAdminSite): none of our identities is a superuser.
    # "admin:*" is every route of the admin site, named or not, each one requested.
    "admin:*": Page({"GET": every(AL)}),
    "admin:login": Page({"GET": every(200)}),
    # Logging out of an admin one is not in: back to the admin index (which asks to log in).
    "admin:logout": Page({"GET": every(302)}),

    # Development only (settings.DEBUG): static files.
    "^static/(?P<path>.*)$": Page({"GET": every(200)}, optional=True),
}

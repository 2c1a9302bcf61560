"""The project's URLs: the core pages (``kam:`` namespace), every app's pages (each app's ``urls``
module, with its own namespace, mounted at the root), the API (``api:``: the routes apps register
with kam.api.routes) and the Django admin. kam names no app: they are found through the app
registry, like the admin finds its modules."""

from importlib.util import find_spec
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from kam import calendar_views, feed_views, job_views, notify_views, views
from kam.api import routes

kam_patterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("tenant/switch/", views.tenant_switch, name="tenant-switch"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/company/", views.tenant_settings, name="tenant-settings"),
    path("settings/members/add/", views.member_add, name="member-add"),
    path("settings/members/<int:membership_id>/", views.member_update, name="member-update"),
    path("settings/api-keys/add/", views.api_key_create, name="api-key-create"),
    path("settings/api-keys/<int:key_id>/revoke/", views.api_key_revoke, name="api-key-revoke"),
    path("settings/jobs/", job_views.job_runs, name="job-runs"),
    path("settings/calendar/", calendar_views.calendar_page, name="calendar"),
    path("settings/calendar/week/", calendar_views.calendar_settings_save,
         name="calendar-settings"),
    path("settings/calendar/days/add/", calendar_views.calendar_entry_add,
         name="calendar-entry-add"),
    path("settings/calendar/days/<int:entry_id>/edit/", calendar_views.calendar_entry_edit,
         name="calendar-entry-edit"),
    path("settings/calendar/days/<int:entry_id>/delete/", calendar_views.calendar_entry_delete,
         name="calendar-entry-delete"),
    path("settings/calendar/import/", calendar_views.calendar_import, name="calendar-import"),
    path("settings/calendar/export/", calendar_views.calendar_export, name="calendar-export"),
    path("settings/outgoing-mail/", notify_views.outgoing_mail, name="outgoing-mail"),
    path("notifications/", notify_views.inbox, name="inbox"),
    path("notifications/badge/", notify_views.inbox_badge, name="inbox-badge"),
    path("notifications/<int:notification_id>/", notify_views.notification_open,
         name="notification-open"),
    path("notifications/read-all/", notify_views.notifications_read_all,
         name="notifications-read-all"),
    path("notifications/settings/", notify_views.notification_settings,
         name="notification-settings"),
    path("calendar-feed/", feed_views.feed_settings, name="feed-settings"),
    path("calendar-feed/link/", feed_views.feed_link, name="feed-link"),
    path("calendar-feed/options/", feed_views.feed_options, name="feed-options"),
    path("calendar-feed/off/", feed_views.feed_off, name="feed-off"),
    path("calendar-feed/<str:token>.ics", feed_views.feed_file, name="feed"),
]

api_patterns = [
    *routes.urlpatterns(),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its init script from ?script= instead of inline (CSP, no unsafe-inline).
    path("docs/", SpectacularSwaggerSplitView.as_view(
        url_name="api:schema", template_name="kam/api_docs.html"), name="docs"),
]


def app_patterns() -> list[URLPattern | URLResolver]:
    """Every installed project app's ``urls`` (pages in its own namespace), at the root."""
    found: list[URLPattern | URLResolver] = []
    for config in apps.get_app_configs():
        # The project's own apps: top-level packages of this checkout (not Django's, not DRF's).
        if config.name == "kam" or Path(config.path).parent != Path(settings.BASE_DIR):
            continue
        if find_spec(f"{config.name}.urls") is not None:
            found.append(path("", include(f"{config.name}.urls")))
    return found


urlpatterns = [
    path("", include((kam_patterns, "kam"))),
    path("i18n/", include("django.conf.urls.i18n")),
    *app_patterns(),
    path("api/v1/", include((api_patterns, "api"))),
    path("admin/", admin.site.urls),
]

# Under /api/ every error is the API's JSON (kam.api.errors); elsewhere the site's pages. A lost
# database is a 503 with Retry-After (JSON, or the 503 page).
handler400 = "kam.api.errors.bad_request"
handler403 = "kam.api.errors.permission_denied"
handler404 = "kam.api.errors.not_found"
handler500 = "kam.api.errors.server_error"

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()

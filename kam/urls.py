from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from accounts.api import AccountViewSet
from accounts.audit_api import AccountHistoryViewSet
from accounts.contacts_api import AccountTeamViewSet, ContactViewSet
from accounts.contracts_api import ContractViewSet
from accounts.tier_api import TierChangeViewSet
from accounts.transactions_api import TransactionViewSet
from kam import job_views, views

router = DefaultRouter()
router.register("accounts", AccountViewSet, basename="api-account")
router.register("transactions", TransactionViewSet, basename="api-transaction")
router.register("contracts", ContractViewSet, basename="api-contract")
router.register("contacts", ContactViewSet, basename="api-contact")
router.register("account-team", AccountTeamViewSet, basename="api-account-team")
router.register(r"accounts/(?P<account_pk>[^/.]+)/history", AccountHistoryViewSet,
                basename="api-account-history")
router.register("tier-changes", TierChangeViewSet, basename="api-tier-change")

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("tenant/switch/", views.tenant_switch, name="tenant-switch"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/members/add/", views.member_add, name="member-add"),
    path("settings/members/<int:membership_id>/", views.member_update, name="member-update"),
    path("settings/api-keys/add/", views.api_key_create, name="api-key-create"),
    path("settings/api-keys/<int:key_id>/revoke/", views.api_key_revoke, name="api-key-revoke"),
    path("settings/jobs/", job_views.job_runs, name="job-runs"),
    path("accounts/", include("accounts.urls")),
    path("export/", include("accounts.urls_export")),
    path("import/", include("accounts.urls_import")),
    path("tiering/", include("accounts.urls_tiering")),
    path("api/v1/", include(router.urls)),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its init script from ?script= instead of inline (CSP, no unsafe-inline).
    path("api/v1/docs/", SpectacularSwaggerSplitView.as_view(
        url_name="api-schema", template_name="kam/api_docs.html"), name="api-docs"),
    path("admin/", admin.site.urls),
]

# Under /api/ a 404 is the API's JSON error (kam.api.not_found); elsewhere the 404 page.
handler404 = "kam.api.not_found"

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()

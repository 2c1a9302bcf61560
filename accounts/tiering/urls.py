from django.urls import path

from accounts.tiering import views

urlpatterns = [
    path("tiering/", views.policy_page, name="tiering-policy"),
    path("tiering/edit/", views.policy_edit_page, name="tiering-policy-edit"),
    path("tiering/versions/<int:version>/", views.policy_version_page,
         name="tiering-policy-version"),
    path("accounts/<int:account_id>/tier/override/", views.tier_override_view,
         name="account-tier-override"),
    path("accounts/<int:account_id>/tier/override/end/", views.tier_override_end_view,
         name="account-tier-override-end"),
]

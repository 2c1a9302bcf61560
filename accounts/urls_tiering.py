from django.urls import path

from accounts import tiering_views

urlpatterns = [
    path("", tiering_views.policy_page, name="tiering-policy"),
    path("edit/", tiering_views.policy_edit_page, name="tiering-policy-edit"),
    path("versions/<int:version>/", tiering_views.policy_version_page,
         name="tiering-policy-version"),
    path("standards/", tiering_views.standards_page, name="service-standards"),
    path("standards/edit/", tiering_views.standards_edit_page, name="service-standards-edit"),
]

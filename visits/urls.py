"""The visits app's pages, one ``urls`` module per concept, in the ``visits`` namespace
(``reverse("visits:visit-detail", …)``); kam/urls.py mounts every app's ``urls`` at the root."""

from django.urls import include, path

app_name = "visits"

CONCEPTS = ("visit", "followups", "cadence")

urlpatterns = [path("", include(f"visits.{concept}.urls")) for concept in CONCEPTS]

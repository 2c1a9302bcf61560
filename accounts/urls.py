"""The accounts app's pages, one ``urls`` module per concept, in the ``accounts`` namespace
(``reverse("accounts:account-detail", …)``). kam/urls.py mounts every app's ``urls`` at the root;
the paths are the concepts' own (/accounts/…, /tiering/…, /import/…, /export/…)."""

from django.urls import include, path

app_name = "accounts"

# Order matters only where paths could overlap: none do (an <int:…> never matches "contacts/").
CONCEPTS = ("account", "profile", "history", "team", "tiering", "contacts", "contracts",
            "transactions", "standards", "imports", "exports")

urlpatterns = [path("", include(f"accounts.{concept}.urls")) for concept in CONCEPTS]

from django.urls import path

from accounts.export_views import export_view

urlpatterns = [
    path("accounts/", export_view, {"kind": "accounts"}, name="export-accounts"),
    path("contacts/", export_view, {"kind": "contacts"}, name="export-contacts"),
    path("transactions/", export_view, {"kind": "transactions"}, name="export-transactions"),
]

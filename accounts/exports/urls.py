from django.urls import path

from accounts.exports.views import export_view

urlpatterns = [
    path("export/accounts/", export_view, {"kind": "accounts"}, name="export-accounts"),
    path("export/contacts/", export_view, {"kind": "contacts"}, name="export-contacts"),
    path("export/transactions/", export_view, {"kind": "transactions"},
         name="export-transactions"),
]

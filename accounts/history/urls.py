from django.urls import path

from accounts.history import views

urlpatterns = [
    path("accounts/<int:account_id>/history/", views.account_history, name="account-history"),
    path("accounts/contacts/<int:contact_id>/export/", views.contact_export_view,
         name="contact-export"),
    path("accounts/contacts/<int:contact_id>/erase/", views.contact_erase_view,
         name="contact-erase"),
]

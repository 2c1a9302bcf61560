from django.urls import path

from accounts.account import views

urlpatterns = [
    path("accounts/", views.account_list, name="account-list"),
    path("accounts/new/", views.account_create_view, name="account-create"),
    # The account picker's matches (accounts.account.forms.AccountPicker), an htmx partial.
    path("accounts/lookup/", views.account_lookup_view, name="account-lookup"),
    path("accounts/<int:account_id>/edit/", views.account_edit_view, name="account-edit"),
    path("accounts/<int:account_id>/delete/", views.account_delete_view, name="account-delete"),
]

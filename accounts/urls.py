from django.urls import path

from accounts import (
    audit_views,
    contact_views,
    contract_views,
    profile_views,
    transaction_views,
    views,
)

urlpatterns = [
    path("", views.account_list, name="account-list"),
    path("new/", views.account_create_view, name="account-create"),
    path("<int:account_id>/", profile_views.account_detail, name="account-detail"),
    path("<int:account_id>/edit/", views.account_edit_view, name="account-edit"),
    path("<int:account_id>/delete/", views.account_delete_view, name="account-delete"),
    path("<int:account_id>/history/", audit_views.account_history, name="account-history"),
    path("<int:account_id>/team/add/", profile_views.team_add_view, name="account-team-add"),
    path("<int:account_id>/team/<int:member_id>/remove/", profile_views.team_remove_view,
         name="account-team-remove"),
    path("contacts/", contact_views.contact_list, name="contact-list"),
    path("contacts/new/", contact_views.contact_create_view, name="contact-create"),
    path("contacts/<int:contact_id>/edit/", contact_views.contact_edit_view, name="contact-edit"),
    path("contacts/<int:contact_id>/delete/", contact_views.contact_delete_view,
         name="contact-delete"),
    path("contacts/<int:contact_id>/export/", audit_views.contact_export_view,
         name="contact-export"),
    path("contacts/<int:contact_id>/erase/", audit_views.contact_erase_view, name="contact-erase"),
    path("contracts/", contract_views.contract_list, name="contract-list"),
    path("contracts/new/", contract_views.contract_create_view, name="contract-create"),
    path("contracts/<int:contract_id>/edit/", contract_views.contract_edit_view,
         name="contract-edit"),
    path("contracts/<int:contract_id>/delete/", contract_views.contract_delete_view,
         name="contract-delete"),
    path("transactions/", transaction_views.transaction_list, name="transaction-list"),
]

from django.urls import path

from accounts.contracts import views

urlpatterns = [
    path("accounts/contracts/", views.contract_list, name="contract-list"),
    path("accounts/contracts/new/", views.contract_create_view, name="contract-create"),
    path("accounts/contracts/<int:contract_id>/edit/", views.contract_edit_view,
         name="contract-edit"),
    path("accounts/contracts/<int:contract_id>/delete/", views.contract_delete_view,
         name="contract-delete"),
]

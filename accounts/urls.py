from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.account_list, name="account-list"),
    path("new/", views.account_create_view, name="account-create"),
    path("<int:account_id>/", views.account_detail, name="account-detail"),
    path("<int:account_id>/edit/", views.account_edit_view, name="account-edit"),
    path("<int:account_id>/delete/", views.account_delete_view, name="account-delete"),
]

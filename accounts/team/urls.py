from django.urls import path

from accounts.team import views

urlpatterns = [
    path("accounts/<int:account_id>/team/add/", views.team_add_view, name="account-team-add"),
    path("accounts/<int:account_id>/team/<int:member_id>/remove/", views.team_remove_view,
         name="account-team-remove"),
]

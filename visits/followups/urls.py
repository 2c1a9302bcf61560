from django.urls import path

from visits.followups import views

urlpatterns = [
    path("follow-ups/", views.follow_up_list, name="follow-up-list"),
    path("follow-ups/new/", views.follow_up_create_view, name="follow-up-create"),
    path("follow-ups/<int:follow_up_id>/edit/", views.follow_up_edit_view, name="follow-up-edit"),
    path("follow-ups/<int:follow_up_id>/done/", views.follow_up_done_view, name="follow-up-done"),
    path("follow-ups/<int:follow_up_id>/cancel/", views.follow_up_cancel_view,
         name="follow-up-cancel"),
    path("follow-ups/<int:follow_up_id>/reopen/", views.follow_up_reopen_view,
         name="follow-up-reopen"),
]

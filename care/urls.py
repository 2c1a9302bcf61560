"""Customer care's pages, in the ``care`` namespace."""

from django.urls import path

from care import views

app_name = "care"

urlpatterns = [
    path("care/", views.reminder_list, name="reminder-list"),
    path("care/<int:reminder_id>/dismiss/", views.reminder_dismiss_view, name="reminder-dismiss"),
    path("care/<int:reminder_id>/follow-up/", views.reminder_follow_up_view,
         name="reminder-follow-up"),
    path("accounts/<int:account_id>/care/", views.account_care, name="account-care"),
    path("settings/festivals/", views.festival_list_view, name="festival-list"),
    path("settings/care/", views.care_settings_view, name="care-settings"),
    path("settings/festivals/new/", views.festival_create_view, name="festival-create"),
    path("settings/festivals/<int:festival_id>/edit/", views.festival_edit_view,
         name="festival-edit"),
    path("settings/festivals/<int:festival_id>/delete/", views.festival_delete_view,
         name="festival-delete"),
]

from django.urls import path

from accounts.profile import views

urlpatterns = [
    path("accounts/<int:account_id>/", views.account_detail, name="account-detail"),
    path("accounts/<int:account_id>/timeline/", views.account_timeline_view, name="account-timeline"),
    path("accounts/<int:account_id>/timeline/recent/", views.account_timeline_recent,
         name="account-timeline-recent"),
]

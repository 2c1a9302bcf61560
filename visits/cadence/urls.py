from django.urls import path

from visits.cadence import views

urlpatterns = [
    path("coverage/", views.coverage, name="coverage"),
    # The 360° page's cadence section (htmx), beside the account's own pages.
    path("accounts/<int:account_id>/cadence/", views.account_cadence_view, name="account-cadence"),
]

from django.urls import path

from visits.visit import views

urlpatterns = [
    path("visits/", views.visit_list, name="visit-list"),
    path("visits/new/", views.visit_create_view, name="visit-create"),
    path("visits/contacts/", views.visit_contact_choices, name="visit-contact-choices"),
    path("visits/<int:visit_id>/", views.visit_detail, name="visit-detail"),
    path("visits/<int:visit_id>/edit/", views.visit_edit_view, name="visit-edit"),
    path("visits/<int:visit_id>/report/", views.visit_report_view, name="visit-report"),
    path("visits/<int:visit_id>/reschedule/", views.visit_reschedule_view, name="visit-reschedule"),
    path("visits/<int:visit_id>/cancel/", views.visit_cancel_view, name="visit-cancel"),
    path("visits/<int:visit_id>/check-in/", views.visit_check_in_view, name="visit-check-in"),
    # The 360° page's visits section (htmx), beside the account's own pages.
    path("accounts/<int:account_id>/visits/", views.account_visits, name="account-visits"),
]

from django.urls import path

from accounts.contacts import views

urlpatterns = [
    path("accounts/contacts/", views.contact_list, name="contact-list"),
    path("accounts/contacts/new/", views.contact_create_view, name="contact-create"),
    path("accounts/contacts/<int:contact_id>/edit/", views.contact_edit_view,
         name="contact-edit"),
    path("accounts/contacts/<int:contact_id>/delete/", views.contact_delete_view,
         name="contact-delete"),
]

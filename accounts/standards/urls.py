from django.urls import path

from accounts.standards import views

urlpatterns = [
    path("tiering/standards/", views.standards_page, name="service-standards"),
    path("tiering/standards/edit/", views.standards_edit_page, name="service-standards-edit"),
]

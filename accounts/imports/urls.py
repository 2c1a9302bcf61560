from django.urls import path

from accounts.imports import views

urlpatterns = [
    path("import/", views.import_list, name="import-list"),
    path("import/new/", views.import_upload, name="import-upload"),
    path("import/template/<slug:kind>.<slug:file_format>", views.import_template,
         name="import-template"),
    path("import/<int:job_id>/", views.import_detail, name="import-detail"),
    path("import/<int:job_id>/mapping/", views.import_mapping, name="import-mapping"),
    path("import/<int:job_id>/progress/", views.import_progress, name="import-progress"),
    path("import/<int:job_id>/failed-rows/", views.import_report, name="import-report"),
]

from django.urls import path

from accounts import import_views

urlpatterns = [
    path("", import_views.import_list, name="import-list"),
    path("new/", import_views.import_upload, name="import-upload"),
    path("<int:job_id>/", import_views.import_detail, name="import-detail"),
    path("<int:job_id>/mapping/", import_views.import_mapping, name="import-mapping"),
    path("<int:job_id>/progress/", import_views.import_progress, name="import-progress"),
    path("<int:job_id>/failed-rows/", import_views.import_report, name="import-report"),
]

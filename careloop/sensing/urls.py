"""Sensing routes, mounted at the site root: the care team's and the patient's own import pages."""

from django.urls import path

from careloop.sensing import views

app_name = "sensing"
urlpatterns = [
    path("care/patients/<uuid:patient_id>/imports/", views.care_imports, name="care_imports"),
    path("care/patients/<uuid:patient_id>/imports/status.json", views.care_import_status,
         name="care_import_status"),
    path("me/imports/", views.my_imports, name="my_imports"),
    path("me/imports/status.json", views.my_import_status, name="my_import_status"),
]

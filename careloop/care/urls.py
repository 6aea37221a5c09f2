from django.urls import path

from careloop.care import views

app_name = "care"
urlpatterns = [
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/<uuid:patient_id>/", views.patient_overview, name="patient_overview"),
    path("patients/<uuid:patient_id>/break-glass/", views.break_glass, name="break_glass"),
]

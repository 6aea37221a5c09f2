"""Clinician workspace routes; every patient route takes the patient's random UUID."""

from django.urls import path

from careloop.care import views, workspace_views

app_name = "care"
urlpatterns = [
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/<uuid:patient_id>/", views.patient_overview, name="patient_overview"),
    path("patients/<uuid:patient_id>/timeline/", views.timeline, name="timeline"),
    path("patients/<uuid:patient_id>/break-glass/", views.break_glass, name="break_glass"),
    path("patients/<uuid:patient_id>/care-plan/", workspace_views.care_plan, name="care_plan"),
    path("patients/<uuid:patient_id>/notes/", workspace_views.notes, name="notes"),
    path("patients/<uuid:patient_id>/appointments/", workspace_views.appointments, name="appointments"),
    path("suggestions/", workspace_views.suggestion_queue, name="suggestions"),
]

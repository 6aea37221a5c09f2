"""Safety routes: the patient's own pages under /me/, the care team's under /care/."""

from django.urls import path

from careloop.safety import views

app_name = "safety"
urlpatterns = [
    path("me/safety-plan/", views.my_plan, name="my_plan"),
    path("me/help/", views.my_help, name="my_help"),
    path("care/alerts/", views.alert_queue, name="alert_queue"),
    path("care/patients/<uuid:patient_id>/alerts/", views.patient_alerts, name="patient_alerts"),
    path("care/patients/<uuid:patient_id>/safety-plan/", views.clinician_plan, name="clinician_plan"),
]

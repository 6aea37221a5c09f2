"""Message routes: the care team's under /care/patients/<id>/messages/, the patient's own at /me/messages/."""

from django.urls import path

from careloop.messaging import views

app_name = "messaging"
urlpatterns = [
    path("care/patients/<uuid:patient_id>/messages/", views.clinician_thread, name="clinician_thread"),
    path("me/messages/", views.my_messages, name="my_messages"),
]

from django.urls import path

from careloop.interventions import views as exercises
from careloop.measures import views as check_ins
from careloop.patient import pwa, views

app_name = "patient"
urlpatterns = [
    path("", views.my_overview, name="overview"),
    path("check-ins/", check_ins.check_in_list, name="check_ins"),
    path("check-ins/<slug:instrument>/", check_ins.check_in, name="check_in"),
    path("exercises/", exercises.exercise_list, name="exercises"),
    path("exercises/<slug:module>/", exercises.exercise, name="exercise"),
    path("progress/", views.progress, name="progress"),
    path("consent/", views.consent_centre, name="consent"),
    path("my-data/", views.data_rights, name="data_rights"),
    path("my-data/download/", views.data_download, name="data_download"),
    path("settings/", views.app_settings, name="settings"),
    path("language/", views.set_language, name="language"),
    path("offline/", pwa.offline, name="offline"),
]

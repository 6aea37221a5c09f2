from django.urls import path

from careloop.patient import views

app_name = "patient"
urlpatterns = [
    path("", views.my_overview, name="overview"),
]

from django.urls import path

from careloop.measures import views as check_ins
from careloop.patient import views

app_name = "patient"
urlpatterns = [
    path("", views.my_overview, name="overview"),
    path("check-ins/", check_ins.check_in_list, name="check_ins"),
    path("check-ins/<slug:instrument>/", check_ins.check_in, name="check_in"),
]

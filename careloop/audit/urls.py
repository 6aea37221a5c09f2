from django.urls import path

from careloop.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.audit_log, name="log"),
    path("export.jsonl", views.audit_export, name="export"),
]

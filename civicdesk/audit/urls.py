from django.urls import path

from civicdesk.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.access_log, name="log"),
    path("export/", views.access_log_export, name="export"),
]

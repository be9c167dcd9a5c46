from django.urls import path

from civicdesk.workbench.placeholder import placeholder

app_name = "documents"
urlpatterns = [
    path("", placeholder, name="index"),
]

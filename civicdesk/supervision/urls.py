from django.urls import path

from civicdesk.workbench.placeholder import placeholder

app_name = "supervision"
urlpatterns = [
    path("", placeholder, name="board"),
]

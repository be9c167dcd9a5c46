from django.urls import path

from civicdesk.workbench.placeholder import placeholder

urlpatterns = [
    path("intake/", placeholder, name="intake"),
]

from django.urls import path

from civicdesk.workbench.placeholder import placeholder

urlpatterns = [
    path("cases/<int:pk>/", placeholder, name="case"),
]

from django.urls import path

from civicdesk.workbench.queue import views

urlpatterns = [
    path("cases/", views.queue, name="queue"),
    path("cases/export.xlsx", views.queue_export, name="queue_export"),
    path("cases/dispatch/", views.bulk_dispatch, name="queue_bulk_dispatch"),
    path("cases/filters/", views.filter_save, name="queue_filter_save"),
    path("cases/filters/<int:pk>/delete/", views.filter_delete, name="queue_filter_delete"),
]

from django.urls import path

from civicdesk.workbench.intake import receipt, views

urlpatterns = [
    path("intake/", views.intake, name="intake"),
    path("intake/phone/", views.phone_matches, name="intake_phone"),
    path("intake/duplicates/", views.duplicates, name="intake_duplicates"),
    path("intake/<int:pk>/", views.registered, name="intake_done"),
    path("intake/<int:pk>/merge/", views.merge, name="intake_merge"),
    path("cases/<int:pk>/receipt/", receipt.receipt, name="receipt"),
]

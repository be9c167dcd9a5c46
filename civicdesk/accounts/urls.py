"""Two-factor pages; joined into the workbench's URL list (civicdesk/workbench/shell.py)."""

from django.urls import path

from civicdesk.accounts import views

urlpatterns = [
    path("two-factor/", views.verify, name="two_factor_verify"),
    path("two-factor/enrol/", views.enrol, name="two_factor_enrol"),
    path("two-factor/recovery-codes/", views.recovery_codes, name="two_factor_recovery_codes"),
]

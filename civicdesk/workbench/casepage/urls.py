from django.urls import path

from civicdesk.workbench.casepage import views

urlpatterns = [
    path("cases/<int:pk>/", views.case_page, name="case"),
    path("cases/<int:pk>/actions/<slug:action>/", views.case_action, name="case_action"),
    path("cases/<int:pk>/attachments/", views.case_attachment_add, name="case_attachment_add"),
    path(
        "cases/<int:pk>/attachments/<int:att_id>/",
        views.case_attachment,
        name="case_attachment",
    ),
    path(
        "cases/<int:pk>/messages/<int:message_id>/resend/",
        views.case_message_resend,
        name="case_message_resend",
    ),
    path(
        "cases/<int:pk>/parties/<int:party_id>/reveal/",
        views.case_party_reveal,
        name="case_party_reveal",
    ),
    path(
        "cases/<int:pk>/dispatch/handlers/",
        views.case_dispatch_handlers,
        name="case_dispatch_handlers",
    ),
]

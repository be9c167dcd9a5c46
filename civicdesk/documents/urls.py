from django.urls import path

from civicdesk.documents import views

app_name = "documents"
urlpatterns = [
    path("case/<int:pk>/", views.case_documents, name="case_documents"),
    path("case/<int:pk>/<slug:kind>/", views.case_document, name="case_document"),
    path("supervision-order/<int:order_id>/", views.supervision_order, name="supervision_order"),
]

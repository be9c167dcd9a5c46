from django.urls import path

from civicdesk.supervision import views

app_name = "supervision"
urlpatterns = [
    path("", views.board, name="board"),
    path("issue/<int:case_id>/", views.issue, name="issue"),
    path("orders/", views.orders, name="orders"),
    path("orders/<int:pk>/answer/", views.answer, name="answer"),
]

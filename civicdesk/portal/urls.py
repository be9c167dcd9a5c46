from django.urls import path

from civicdesk.portal import views

app_name = "portal"

urlpatterns = [
    path("portal/", views.home, name="home"),
    path("portal/submit/", views.submit, name="submit"),
    path("portal/submitted/<str:code>/", views.submitted, name="submitted"),
    path("track/", views.track, name="track"),
    path("track/forget/", views.forget, name="forget"),
    path("track/<str:code>/", views.case_page, name="case"),
    path("track/<str:code>/rate/", views.rate, name="rate"),
    path("track/<str:code>/reopen/", views.reopen, name="reopen"),
    path("track/<str:code>/review/", views.review, name="review"),
]

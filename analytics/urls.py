from django.urls import path

from analytics import views

urlpatterns = [
    path("events/", views.EventIngestView.as_view(), name="events"),
]

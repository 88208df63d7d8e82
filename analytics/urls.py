from django.urls import path

from analytics import views

urlpatterns = [
    path("events/", views.EventsView.as_view(), name="events"),
]

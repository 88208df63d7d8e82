from django.urls import path

from dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("w/<slug:slug>/", views.OverviewPage.as_view(), name="overview"),
    path("w/<slug:slug>/live", views.LiveView.as_view(), name="live"),
    path("w/<slug:slug>/token", views.TokenPage.as_view(), name="token"),
    path("w/<slug:slug>/heatmap", views.HeatmapPage.as_view(), name="heatmap"),
    path("w/<slug:slug>/agents", views.AgentsPage.as_view(), name="agents"),
    path("w/<slug:slug>/channels", views.ChannelsPage.as_view(), name="channels"),
    path("w/<slug:slug>/teams", views.TeamsPage.as_view(), name="teams"),
    path("w/<slug:slug>/labels", views.LabelsPage.as_view(), name="labels"),
    path("w/<slug:slug>/customers", views.CustomersPage.as_view(), name="customers"),
    path("w/<slug:slug>/events", views.EventsPage.as_view(), name="events"),
]

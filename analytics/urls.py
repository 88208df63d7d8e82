from django.urls import path

from analytics import heatmap_views, import_views, interaction_views, session_views, summary_views, views
from analytics.business import views as business_views
from analytics.catalogue import views as catalogue_views

urlpatterns = [
    path("", views.ApiRootView.as_view(), name="api-root"),
    path("events/", views.EventsView.as_view(), name="events"),
    path("imports/", import_views.ImportView.as_view(), name="imports"),
    path("events/trend", summary_views.EventTrendView.as_view(), name="events-trend"),
    path("events/frequency", summary_views.EventFrequencyView.as_view(), name="events-frequency"),
    path("events/stats", summary_views.EventStatsView.as_view(), name="events-stats"),
    path("events/uniques", summary_views.EventUniquesView.as_view(), name="events-uniques"),
    # After the fixed event paths: an id may be any text, slashes included.
    path("events/<path:event_id>", views.EventDetailView.as_view(), name="event"),
    path("sessions/", session_views.SessionsView.as_view(), name="sessions"),
    # A session id may be any text, slashes included.
    path("sessions/<path:session_id>", session_views.SessionDetailView.as_view(), name="session"),
    path("catalogue/events/", catalogue_views.CatalogueEventsView.as_view(), name="catalogue-events"),
    path("catalogue/events/<str:name>", catalogue_views.CatalogueEventView.as_view(), name="catalogue-event"),
    path("catalogue/settings", catalogue_views.CatalogueSettingsView.as_view(), name="catalogue-settings"),
    path("settings/business-hours", business_views.BusinessHoursView.as_view(), name="business-hours"),
    path("settings/sla", business_views.SlaView.as_view(), name="sla"),
    path("summaries/overview", summary_views.OverviewView.as_view(), name="summaries-overview"),
    path("summaries/timeseries", summary_views.TimeseriesView.as_view(), name="summaries-timeseries"),
    path("summaries/agents", summary_views.AgentsSummaryView.as_view(), name="summaries-agents"),
    path("summaries/channels", summary_views.ChannelsSummaryView.as_view(), name="summaries-channels"),
    path("summaries/teams", summary_views.TeamsSummaryView.as_view(), name="summaries-teams"),
    path("summaries/labels", summary_views.LabelsSummaryView.as_view(), name="summaries-labels"),
    path("summaries/heatmap", heatmap_views.HeatmapView.as_view(), name="summaries-heatmap"),
    path("interactions/by-type", interaction_views.InteractionsByTypeView.as_view(), name="interactions-by-type"),
    path("interactions/by-topic", interaction_views.InteractionsByTopicView.as_view(), name="interactions-by-topic"),
    path(
        "interactions/by-occupation",
        interaction_views.InteractionsByOccupationView.as_view(),
        name="interactions-by-occupation",
    ),
    path(
        "interactions/by-customer",
        interaction_views.InteractionsByCustomerView.as_view(),
        name="interactions-by-customer",
    ),
    path("interactions/<str:customer_id>", interaction_views.InteractionsView.as_view(), name="interactions"),
    path(
        "customers/<str:customer_id>/interactions",
        summary_views.CustomerInteractionsView.as_view(),
        name="customer-interactions",
    ),
]

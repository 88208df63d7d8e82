from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Tally analytics: events and summaries"

    def ready(self) -> None:
        from django_pgviews.signals import all_views_synced

        from analytics.materialized import reader_regrant

        all_views_synced.connect(reader_regrant, dispatch_uid="analytics.reader_regrant")

from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_delete


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Tally analytics: events and summaries"

    def ready(self) -> None:
        from django_pgviews.signals import all_views_synced

        from analytics.erasure import workspace_summaries_delete
        from analytics.materialized import reader_regrant
        from core.models import Workspace

        all_views_synced.connect(reader_regrant, dispatch_uid="analytics.reader_regrant")
        post_migrate.connect(partitions_ahead, sender=self, dispatch_uid="analytics.partitions_ahead")
        pre_delete.connect(workspace_summaries_delete, sender=Workspace, dispatch_uid="analytics.workspace_summaries")


def partitions_ahead(sender, using, plan=None, **kwargs) -> None:
    """Every migrate (`make run` runs one at each start) creates the raw partitions now and next
    interval need, once the table is partitioned."""
    from django.db import connections

    from analytics import partitions

    with connections[using].cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass('event')")
        if cursor.fetchone() is None:
            return
    partitions.ensure_ahead()

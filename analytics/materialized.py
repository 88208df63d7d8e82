"""The DBA surface: rollups materialized from the hourly summaries, plain views with the averages
computed, the refresh log, and what the analysts' read-only role may SELECT.

Every view reads summary tables only, never the raw event table (sql/views/*.sql). django-pgviews
creates them after every migrate; a materialized view is created WITH DATA, and each has a unique
index (`concurrent_index`) so `manage.py rollups refresh` can refresh it CONCURRENTLY while
dashboards read it. The model fields mirror the view columns, so the ORM can read them too.
"""

from django.db import connections, models
from django_pgviews import view as pg

from core.models import Workspace
from core.sql import read_sql

# What analytics/models.py re-exports, so that Django finds the models in the app's models module.
__all__ = [
    "AgentLeaderboard30d",
    "CustomerChannelTotals",
    "EventDaily",
    "RollupRefresh",
    "SupportDaily",
    "SupportDurationDaily",
    "SupportHourlyReport",
    "SupportLiveTotals",
]


def view_sql(name: str) -> str:
    return read_sql(f"views/{name}.sql").rstrip(";")


def workspace_key() -> models.ForeignKey:
    return models.ForeignKey(Workspace, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")


def count() -> models.BigIntegerField:
    return models.BigIntegerField()


def seconds(*, null: bool = False) -> models.DecimalField:
    return models.DecimalField(max_digits=38, decimal_places=6, null=null)


class SupportDaily(pg.ReadOnlyMaterializedView):
    """support_hourly per workspace-local day x channel x agent."""

    sql = view_sql("support_daily")
    concurrent_index = "workspace_id, day, channel_id, agent_id"

    pk = models.CompositePrimaryKey("workspace", "day", "channel_id", "agent_id")
    workspace = workspace_key()
    day = models.DateField()
    channel_id = models.CharField(max_length=64)
    agent_id = models.CharField(max_length=64)
    conversations_created = count()
    conversations_assigned = count()
    agent_replies = count()
    customer_replies = count()
    resolutions = count()
    reopens = count()
    first_response_count = count()
    first_response_seconds = seconds()
    resolution_count = count()
    resolution_seconds = seconds()

    class Meta:
        managed = False
        db_table = "support_daily"


class SupportDurationDaily(pg.ReadOnlyMaterializedView):
    """support_duration_hourly per workspace-local day: the histogram behind a day's p50/p90."""

    sql = view_sql("support_duration_daily")
    concurrent_index = "workspace_id, day, channel_id, agent_id, metric, bin_start_seconds"

    pk = models.CompositePrimaryKey("workspace", "day", "channel_id", "agent_id", "metric", "bin_start_seconds")
    workspace = workspace_key()
    day = models.DateField()
    channel_id = models.CharField(max_length=64)
    agent_id = models.CharField(max_length=64)
    metric = models.CharField(max_length=16)
    bin_start_seconds = models.IntegerField()
    conversations = count()

    class Meta:
        managed = False
        db_table = "support_duration_daily"


class EventDaily(pg.ReadOnlyMaterializedView):
    """event_hourly per workspace-local day x name."""

    sql = view_sql("event_daily")
    concurrent_index = "workspace_id, day, name"

    pk = models.CompositePrimaryKey("workspace", "day", "name")
    workspace = workspace_key()
    day = models.DateField()
    name = models.CharField(max_length=100)
    events = count()
    value_count = count()
    value_sum = seconds()
    value_min = models.DecimalField(max_digits=24, decimal_places=6, null=True)
    value_max = models.DecimalField(max_digits=24, decimal_places=6, null=True)

    class Meta:
        managed = False
        db_table = "event_daily"


class CustomerChannelTotals(pg.ReadOnlyMaterializedView):
    """All-time interactions per customer x channel."""

    sql = view_sql("customer_channel_totals")
    concurrent_index = "workspace_id, customer_id, channel_id"

    pk = models.CompositePrimaryKey("workspace", "customer_id", "channel_id")
    workspace = workspace_key()
    customer_id = models.CharField(max_length=64)
    channel_id = models.CharField(max_length=64)
    interactions = count()
    first_interaction_hour = models.DateTimeField()
    last_interaction_hour = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "customer_channel_totals"


class AgentLeaderboard30d(pg.ReadOnlyMaterializedView):
    """Per agent over the 30 days before the refresh: replies, resolutions, average response times."""

    sql = view_sql("agent_leaderboard_30d")
    dependencies = ["analytics.Agent"]
    concurrent_index = "workspace_id, agent_id"

    pk = models.CompositePrimaryKey("workspace", "agent_id")
    workspace = workspace_key()
    agent_id = models.CharField(max_length=64)
    agent_name = models.CharField(max_length=200, null=True)
    conversations_assigned = count()
    agent_replies = count()
    resolutions = count()
    first_response_count = count()
    first_response_seconds = seconds()
    avg_first_response_seconds = seconds(null=True)
    resolution_count = count()
    resolution_seconds = seconds()
    avg_resolution_seconds = seconds(null=True)
    window_start = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "agent_leaderboard_30d"


class SupportHourlyReport(pg.ReadOnlyView):
    """support_hourly with names, local hour and averages: what a DBA reads without the internals."""

    sql = view_sql("support_hourly_report")
    dependencies = ["analytics.Agent", "analytics.Channel"]

    pk = models.CompositePrimaryKey("workspace", "bucket", "channel_id", "agent_id")
    workspace = workspace_key()
    workspace_slug = models.CharField(max_length=64)
    bucket = models.DateTimeField()
    local_hour = models.DateTimeField()
    channel_id = models.CharField(max_length=64)
    channel_name = models.CharField(max_length=200, null=True)
    agent_id = models.CharField(max_length=64)
    agent_name = models.CharField(max_length=200, null=True)
    conversations_created = count()
    conversations_assigned = count()
    agent_replies = count()
    customer_replies = count()
    resolutions = count()
    reopens = count()
    first_response_count = count()
    first_response_seconds = seconds()
    avg_first_response_seconds = seconds(null=True)
    resolution_count = count()
    resolution_seconds = seconds()
    avg_resolution_seconds = seconds(null=True)

    class Meta:
        managed = False
        db_table = "support_hourly_report"


class SupportLiveTotals(pg.ReadOnlyView):
    """support_live summed over the channels of each workspace."""

    sql = view_sql("support_live_totals")

    workspace = models.OneToOneField(
        Workspace, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+", primary_key=True
    )
    open = count()
    unassigned = count()
    unanswered = count()

    class Meta:
        managed = False
        db_table = "support_live_totals"


class RollupRefresh(models.Model):
    """When each materialized view was last refreshed (manage.py rollups refresh), and how long it took."""

    view_name = models.CharField(max_length=63, primary_key=True)
    refreshed_at = models.DateTimeField(
        help_text="Start of the refreshing transaction: the view holds every event committed before this moment."
    )
    duration_ms = models.IntegerField()

    class Meta:
        db_table = "rollup_refresh"

    def __str__(self) -> str:
        return f"{self.view_name} at {self.refreshed_at:%Y-%m-%d %H:%M:%S}"


# What the analysts' role (manage.py create_reader_role) may SELECT: summaries, dimensions, the
# rollup views and the refresh log. Not the raw event table (nor the recompute_* views, which
# read it), tokens, users or login sessions. workspace holds only id, slug, name, timezone and
# created_at, and is needed to read days in the workspace's timezone.
READABLE = (
    "workspace",
    "agent",
    "channel",
    "customer",
    "agent_slot",
    "channel_slot",
    "customer_slot",
    "conversation",
    "event_hourly",
    "event_name_hourly",
    "event_name_lifetime",
    "event_definition",
    "event_property",
    "event_property_hourly",
    "event_property_hourly_slot",
    "event_property_daily",
    "customer_interaction_hourly",
    "support_hourly",
    "support_duration_hourly",
    "support_total_hourly",
    "support_channel_hourly",
    "support_agent_hourly",
    "support_agent_daily",
    "support_live",
    "support_csat_hourly",
    "support_reply_hourly",
    "support_team_hourly",
    "support_label_hourly",
    "conversation_label",
    "support_business_hourly",
    "business_schedule",
    "support_sla_hourly",
    "conversation_due",
    "sla_policy",
    "session",
    "event_unique_hourly",
    "event_unique_period",
    "event_unique_period_count",
    "support_daily",
    "support_duration_daily",
    "event_daily",
    "customer_channel_totals",
    "agent_leaderboard_30d",
    "support_hourly_report",
    "support_live_totals",
    "rollup_refresh",
    "raw_retention",
)


def reader_group(connection) -> str:
    """The NOLOGIN role that holds the grants in this database; reader logins are its members.

    One group per database, so a reader of one database (say `tally`) cannot read another one on
    the same server (say the test database) through a shared group.
    """
    return f"{connection.settings_dict['NAME']}_reader"[:63]


def reader_grant(cursor, *, group: str) -> None:
    quote = cursor.db.ops.quote_name
    cursor.execute("SELECT current_schema()")
    (schema,) = cursor.fetchone()
    cursor.execute(f"GRANT CONNECT ON DATABASE {quote(cursor.db.settings_dict['NAME'])} TO {quote(group)}")
    cursor.execute(f"GRANT USAGE ON SCHEMA {quote(schema)} TO {quote(group)}")
    cursor.execute(f"GRANT SELECT ON {', '.join(READABLE)} TO {quote(group)}")


def reader_regrant(sender, *, using: str, **kwargs) -> None:
    """Receiver of pgviews' all_views_synced (connected in AnalyticsConfig.ready): pgviews drops
    and recreates a view whose SQL changed, and the view's grants go with it."""
    connection = connections[using]
    group = reader_group(connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [group])
        if cursor.fetchone() is not None:
            reader_grant(cursor, group=group)

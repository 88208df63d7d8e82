"""The catalogue's tables. Imported by analytics/models.py, so they belong to the analytics app."""

from django.db import models
from django.db.models.functions import Now

from analytics.models import slot_key, workspace_key
from core.models import Workspace


class EventDefinition(models.Model):
    """An event name a workspace has defined, with what it means. Defining a name changes no
    figure: events of a name are counted whether or not it is defined (and refused, in a strict
    workspace, while it is not)."""

    # Keyed by workspace first like every table of Tally (on Citus: distributed with the events).
    pk = models.CompositePrimaryKey("workspace", "name")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, db_index=False, related_name="event_definitions")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, default="")
    category = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(db_default=Now())
    modified_at = models.DateTimeField(db_default=Now())

    class Meta:
        db_table = "event_definition"

    def __str__(self) -> str:
        return self.name


class EventNameLifetime(models.Model):
    """Every event of a name over all time: count, first and last occurred_at.

    Kept by the count_hourly trigger beside event_name_hourly; its recomputation is
    event_name_hourly summed over all hours (sealed ones included), so it survives retention the
    way the hourly rows do. One row per write slot, so writers of one name never queue on one row.
    """

    pk = models.CompositePrimaryKey("workspace", "name", "slot")
    workspace = workspace_key("+")
    name = models.CharField(max_length=100)
    slot = slot_key()
    events = models.BigIntegerField(default=0)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        db_table = "event_name_lifetime"


__all__ = ["EventDefinition", "EventNameLifetime"]

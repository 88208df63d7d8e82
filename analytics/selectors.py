"""Reads. Summary readers touch summary tables only; events_list is the one reader of the raw table."""

from django.db.models import QuerySet

from analytics.filters import parse_instant
from analytics.models import Event
from core.models import Workspace


def events_list(*, workspace: Workspace, params) -> QuerySet[Event]:
    """The workspace's raw events; filters `name`, `conversation_id`, `from`, `to` (half-open)."""
    events = Event.objects.filter(workspace=workspace)
    for field in ("name", "conversation_id"):
        if params.get(field):
            events = events.filter(**{field: params[field]})
    start, end = parse_instant(params, "from"), parse_instant(params, "to")
    if start is not None:
        events = events.filter(occurred_at__gte=start)
    if end is not None:
        events = events.filter(occurred_at__lt=end)
    return events

"""Reads. Summary readers (analytics.summaries) touch summary tables only; events_list and
session_events are the readers of the raw table."""

from django.db.models import QuerySet

from analytics.models import Event, Session
from analytics.params import parse_instant, parse_text, parse_tz
from core.models import Workspace

# Query parameter -> column. Each has an index (workspace, column, occurred_at ...), partial on
# column IS NOT NULL where the column is optional, so a filtered page is an index range scan.
EVENT_FILTERS = {
    "name": "name",
    "conversation_id": "conversation_id",
    "session_id": "session_id",
    "user_id": "user_id",
    "customer": "customer_id",
    "channel": "channel_id",
    "category": "category",
}


def events_list(*, workspace: Workspace, params) -> QuerySet[Event]:
    """The workspace's raw events, filtered by exact `name`, `conversation_id`, `session_id`,
    `user_id`, `customer`, `channel` (ids), `category` and `from`/`to` (half-open; a date is midnight in `tz`,
    default the workspace's zone)."""
    events = Event.objects.filter(workspace=workspace)
    for param, column in EVENT_FILTERS.items():
        value = parse_text(params, param, max_length=128)
        if value is not None:
            events = events.filter(**{column: value})
    tz = parse_tz(params, default=workspace.timezone)
    start, end = parse_instant(params, "from", tz=tz), parse_instant(params, "to", tz=tz)
    if start is not None:
        events = events.filter(occurred_at__gte=start)
    if end is not None:
        events = events.filter(occurred_at__lt=end)
    return events


def sessions_list(*, workspace: Workspace, params) -> QuerySet[Session]:
    """The workspace's sessions that started in [`from`, `to`) (a date is midnight in `tz`, default
    the workspace's zone; each bound optional), of one `user_id` if given: the index (workspace,
    first_event_at), or (workspace, user_id, first_event_at), serves it."""
    sessions = Session.objects.filter(workspace=workspace)
    user_id = parse_text(params, "user_id", max_length=128)
    if user_id is not None:
        sessions = sessions.filter(user_id=user_id)
    tz = parse_tz(params, default=workspace.timezone)
    start, end = parse_instant(params, "from", tz=tz), parse_instant(params, "to", tz=tz)
    if start is not None:
        sessions = sessions.filter(first_event_at__gte=start)
    if end is not None:
        sessions = sessions.filter(first_event_at__lt=end)
    return sessions


def session_events(*, workspace: Workspace, session_id: str) -> QuerySet[Event]:
    """The session's retained raw events, oldest first (ties by event id): one range scan of the
    index (workspace, session_id, occurred_at)."""
    return Event.objects.filter(workspace=workspace, session_id=session_id).order_by("occurred_at", "event_id")

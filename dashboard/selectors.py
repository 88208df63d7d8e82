"""Reads of the dashboard besides the API's selectors (analytics.summaries, analytics.heatmap),
which give every figure on its pages: who may see which workspace, the filter choices, and
whether a workspace has any event yet."""

from analytics.summaries import fetch
from core.models import Workspace


def member_workspaces(*, user) -> list[Workspace]:
    return list(Workspace.objects.filter(memberships__user=user).order_by("slug"))


def filter_choices(*, workspace) -> dict[str, list[dict]]:
    """{"channel": [{id, label}], "agent": [...]}: the workspace's channels and agents, each list by
    label, in one query."""
    rows = fetch(
        "SELECT 'channel' AS dimension, d.channel_id AS id, COALESCE(d.name, d.channel_id) AS label"
        " FROM channel AS d WHERE d.workspace_id = %(workspace)s"
        " UNION ALL"
        " SELECT 'agent', a.agent_id, COALESCE(a.name, a.agent_id) FROM agent AS a WHERE a.workspace_id = %(workspace)s"
        " ORDER BY 1, 3, 2",
        {"workspace": workspace.pk},
    )
    choices = {"channel": [], "agent": []}
    for row in rows:
        choices[row.pop("dimension")].append(row)
    return choices


def has_events(*, workspace) -> bool:
    """Whether any event was ever counted (event_name_hourly keeps every hour, retired ones too)."""
    return fetch(
        "SELECT EXISTS (SELECT 1 FROM event_name_hourly WHERE workspace_id = %(workspace)s) AS found",
        {"workspace": workspace.pk},
    )[0]["found"]

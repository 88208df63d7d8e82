"""Reads of the dashboard besides the API's selectors (analytics.summaries, analytics.heatmap),
which give every figure on its pages: who may see which workspace, the filter choices, and
whether a workspace has any event yet."""

from django.http import Http404

from analytics.summaries import fetch
from core.models import Workspace


def member_workspaces(*, user) -> list[Workspace]:
    return list(Workspace.objects.filter(memberships__user=user).order_by("slug"))


def member_workspace(*, user, slug: str) -> Workspace:
    """The workspace if `user` is a member; a 404 otherwise, so a workspace's existence does not show."""
    workspace = Workspace.objects.filter(slug=slug, memberships__user=user).first()
    if workspace is None:
        raise Http404("No such workspace.")
    return workspace


def dimension_choices(*, workspace, dimension: str) -> list[dict]:
    """[{id, label}] of the workspace's agents or channels, by label."""
    table = {"agent": "agent", "channel": "channel"}[dimension]
    return fetch(
        f"SELECT d.{table}_id AS id, COALESCE(d.name, d.{table}_id) AS label FROM {table} AS d"
        " WHERE d.workspace_id = %(workspace)s ORDER BY 2, 1",
        {"workspace": workspace.pk},
    )


def has_events(*, workspace) -> bool:
    """Whether any event was ever counted (event_name_hourly keeps every hour, retired ones too)."""
    return fetch(
        "SELECT EXISTS (SELECT 1 FROM event_name_hourly WHERE workspace_id = %(workspace)s) AS found",
        {"workspace": workspace.pk},
    )[0]["found"]

"""Reads of the dashboard besides the API's selectors (analytics.summaries, analytics.heatmap),
which give every figure on its pages: who may see which workspace, the filter choices, and
whether a workspace has any event yet."""

from dataclasses import dataclass, field

from core.models import Workspace

# The user's workspaces; for the one of `slug` alone (the CASEs run their subqueries only where
# they hold), its channels and agents as [[id, label], ...] by label, and whether any event was
# ever counted (event_name_hourly keeps every hour, retired ones too). One query instead of three
# (the workspaces, the choices, has-events: 2.9-3.3 ms median on the bench desk of 200 agents;
# this one 1.2-1.6 ms).
FRAME = """
SELECT w.*,
       CASE WHEN w.slug = %(slug)s AND %(choices)s THEN (
           SELECT COALESCE(
               json_agg(json_build_array(d.channel_id, COALESCE(d.name, d.channel_id))
                        ORDER BY COALESCE(d.name, d.channel_id), d.channel_id),
               '[]')
           FROM channel AS d WHERE d.workspace_id = w.id
       ) END AS channel_choices,
       CASE WHEN w.slug = %(slug)s AND %(choices)s THEN (
           SELECT COALESCE(
               json_agg(json_build_array(a.agent_id, COALESCE(a.name, a.agent_id))
                        ORDER BY COALESCE(a.name, a.agent_id), a.agent_id),
               '[]')
           FROM agent AS a WHERE a.workspace_id = w.id
       ) END AS agent_choices,
       CASE WHEN w.slug = %(slug)s AND %(events)s THEN
           EXISTS (SELECT 1 FROM event_name_hourly AS e WHERE e.workspace_id = w.id)
       END AS has_events,
       CASE WHEN w.slug = %(slug)s AND %(sla)s THEN
           EXISTS (SELECT 1 FROM sla_policy AS s WHERE s.workspace_id = w.id)
       END AS has_sla
FROM workspace AS w
JOIN dashboard_membership AS m ON m.workspace_id = w.id
WHERE m.user_id = %(user)s
ORDER BY w.slug
"""


@dataclass(frozen=True)
class Frame:
    """What every page of a workspace needs besides its figures."""

    workspaces: list[Workspace]
    """The user's workspaces by slug (the switcher's list)."""
    workspace: Workspace | None
    """The page's workspace; None when the user is not a member of it (or it does not exist)."""
    choices: dict[str, list[dict]] = field(default_factory=lambda: {"channel": [], "agent": []})
    """{"channel": [{id, label}], "agent": [...]} of the page's workspace, each by label (empty
    lists unless asked for)."""
    has_events: bool | None = None
    """Whether the page's workspace ever counted an event (None unless asked for)."""
    has_sla: bool | None = None
    """Whether the page's workspace has an SLA policy, current or not yet (None unless asked for)."""


def page_frame(*, user, slug: str | None, choices: bool = False, events: bool = False, sla: bool = False) -> Frame:
    """The user's workspaces, and of the one of `slug` the filter choices (`choices`), whether it
    has events (`events`) and whether it has an SLA policy (`sla`), in one query."""
    parameters = {"user": user.pk, "slug": slug, "choices": choices, "events": events, "sla": sla}
    rows = list(Workspace.objects.raw(FRAME, parameters))
    workspace = next((row for row in rows if row.slug == slug), None)
    if workspace is None:
        return Frame(workspaces=rows, workspace=None)
    return Frame(
        workspaces=rows,
        workspace=workspace,
        choices={
            dimension: [{"id": id_, "label": label} for id_, label in getattr(workspace, f"{dimension}_choices") or []]
            for dimension in ("channel", "agent")
        },
        has_events=workspace.has_events,
        has_sla=workspace.has_sla,
    )

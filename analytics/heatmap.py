"""Selector of the traffic heatmap: conversations created per weekday and hour of day of the zone
over a window, from the hourly support summaries (support_total_hourly, or
the table of the filter's grain, picked by analytics.summaries.support_table as for the overview
and the time series). Each UTC hour counts in the weekday and hour of the zone in which it
starts. Every one of the 7 x 24 cells is present, 0 where none; conversations have no agent, so
with an agent filter every cell is 0, as conversations_created is in the overview."""

from analytics.params import Window
from analytics.summaries import dimension_filter, fetch, support_table, window_params

HEATMAP = """
WITH counts AS (
    SELECT extract(isodow FROM h.bucket AT TIME ZONE %(tz)s)::int AS weekday,
           extract(hour FROM h.bucket AT TIME ZONE %(tz)s)::int AS hour,
           sum(h.conversations_created)::bigint AS conversations
    FROM {table} AS h
    WHERE h.workspace_id = %(workspace)s AND h.bucket >= %(start)s AND h.bucket < %(end)s {conditions}
    GROUP BY 1, 2
)
SELECT d.weekday, hr.hour, COALESCE(c.conversations, 0) AS conversations
FROM generate_series(1, 7) AS d (weekday)
CROSS JOIN generate_series(0, 23) AS hr (hour)
LEFT JOIN counts AS c ON c.weekday = d.weekday AND c.hour = hr.hour
ORDER BY 1, 2
"""


def heatmap(*, workspace, window: Window) -> list[dict]:
    """[{weekday (ISO: Monday 1 .. Sunday 7), hour (0-23), conversations}], 168 rows."""
    table = support_table(window) or "support_hourly"
    sql = HEATMAP.format(table=table, conditions=dimension_filter(window, "h"))
    return fetch(sql, window_params(workspace, window))

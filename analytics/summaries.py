"""Selectors of the dashboard's summaries. They read the hourly summary tables and the dimension
tables only, never the raw event table: a read's cost depends on the hours, channels and agents
in its range (the summary rows), not on the number of events.

Support figures come from the table of their grain, one row per hour (and write slot) with the
duration histograms as arrays: unfiltered ones from support_total_hourly (per workspace),
channel-filtered ones and the channel list from support_channel_hourly, agent-filtered ones and
the agent list from support_agent_hourly. Only a read filtered by both a channel and an agent (or
a list of one dimension filtered by the other) reads support_hourly and support_duration_hourly,
which hold every channel x agent pair. Event counts come from event_name_hourly (per name)
unless a channel or agent filter, or stats per channel, need event_hourly.

Time: summaries are kept per UTC hour (`bucket`). An hourly bucket belongs to a range when its
start lies in [start, end), and to the day/week/month of `tz` in which its start falls:
`date_trunc(granularity, bucket AT TIME ZONE tz)`. In a zone whose offset is not a whole number
of hours (Asia/Kolkata, +05:30) a local day therefore runs from 00:30 to 00:30: the UTC hour that
straddles local midnight belongs to the day in which it starts.

Percentiles come from the duration histogram (DURATION_BINS): the bin in which the cumulative
count reaches p x count, interpolated linearly inside it; the open last bin (> 3 days) is taken
to end at 3 x its start. Averages are seconds / count. Both are NULL when count is 0.

Every summary table may hold several rows per key, one per write slot (see
sql/functions/tally_write_slot.sql): every read sums over the rows it selects, never takes one
row per key. The dimension views (agent, channel, customer) already merge their slots.

Every aggregate is computed by PostgreSQL; Python only assembles rows into responses.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from functools import partial

from django.db import connection

from analytics.models import DURATION_BINS
from analytics.params import DayRange, Window

COUNTS = (
    "conversations_created",
    "conversations_assigned",
    "agent_replies",
    "customer_replies",
    "resolutions",
    "reopens",
)
DURATIONS = ("first_response", "resolution")
DURATION_FIGURES = ("count", "avg_seconds", "p50_seconds", "p90_seconds")
REPLY_TIME = "reply_time"
DURATION_COLUMNS = frozenset(f"{metric}_{figure}" for metric in (*DURATIONS, REPLY_TIME) for figure in DURATION_FIGURES)
CSAT_FIGURES = ("ratings", "score_1", "score_2", "score_3", "score_4", "score_5", "satisfied_share", "response_rate")
CSAT_COLUMNS = frozenset(f"csat_{figure}" for figure in CSAT_FIGURES)
LIVE = ("open_now", "unassigned_now", "unanswered_now")
FIGURES = (*COUNTS, *(f"{metric}_{figure}" for metric in DURATIONS for figure in DURATION_FIGURES))
"""The figures an agent or channel row can be ordered by (besides id, name and live counters)."""
TIMESERIES_METRICS = {
    **{name: f"sum(h.{name})::bigint" for name in COUNTS},
    "avg_first_response_seconds": "sum(h.first_response_seconds) / NULLIF(sum(h.first_response_count), 0)",
    "avg_resolution_seconds": "sum(h.resolution_seconds) / NULLIF(sum(h.resolution_count), 0)",
    "events": "sum(h.events)::bigint",
    "reply_count": "sum(h.reply_count)::bigint",
    "avg_reply_seconds": "sum(h.reply_seconds) / NULLIF(sum(h.reply_count), 0)",
    "csat_ratings": "sum(h.score_1 + h.score_2 + h.score_3 + h.score_4 + h.score_5)::bigint",
    "csat_satisfied_share": "sum(h.score_4 + h.score_5)::numeric"
    " / NULLIF(sum(h.score_1 + h.score_2 + h.score_3 + h.score_4 + h.score_5), 0)",
}
SLA_FIGURES = ("first_response_targeted", "first_response_breaches", "resolution_targeted", "resolution_breaches")
"""The SLA outcomes of a figures row (support_sla_hourly), as `sla.<figure>`; ordered by as sla_<figure>."""
SLA_LIVE = ("breaching_within_hour_now", "overdue_now")
"""Live: conversations with an SLA target still pending, due within the next hour / already due."""
TIMESERIES_METRICS.update(
    {f"sla_{figure}": f"sum(h.{figure})::bigint" for figure in ("first_response_breaches", "resolution_breaches")}
)
COUNTED = (*COUNTS, "events", "reply_count", "csat_ratings", "sla_first_response_breaches", "sla_resolution_breaches")
QUALITY_METRIC_TABLES = {
    "reply_count": "support_reply_hourly",
    "avg_reply_seconds": "support_reply_hourly",
    "csat_ratings": "support_csat_hourly",
    "csat_satisfied_share": "support_csat_hourly",
    "sla_first_response_breaches": "support_sla_hourly",
    "sla_resolution_breaches": "support_sla_hourly",
}
"""The reply-time, CSAT and SLA series: from the per-grain table of the window like the other
support figures, and from these (every channel x agent) when both a channel and an agent narrow it."""
STAT_AGGREGATES = {
    "events": "sum(h.events)::bigint",
    "count": "sum(h.value_count)::bigint",
    "sum": "sum(h.value_sum)",
    "avg": "sum(h.value_sum) / NULLIF(sum(h.value_count), 0)",
    "min": "min(h.value_min)",
    "max": "max(h.value_max)",
}
STEP = {"hour": "1 hour", "day": "1 day", "week": "1 week", "month": "1 month", "year": "1 year"}


# Sent ahead of every read, in the same query string (one implicit transaction, so the local
# setting holds for the read and no longer): a summary read touches at most a few thousand rows,
# and a parallel plan's worker start-up costs more than it saves. At 10M events the planner chose
# a parallel gather for the agent list's 1,400 daily rows, and the workers' start-up took 20-30 ms
# of a 50 ms query (docs/performance.md). set_config(.., true), not SET LOCAL: Citus propagates a
# SET command to the workers with the whole query string, read included, which a worker refuses
# to run (a distributed query on a shard).
SERIAL = "SELECT set_config('max_parallel_workers_per_gather', '0', true);\n"


def fetch(sql: str, params: dict) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(SERIAL + sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def window_params(workspace, window: Window) -> dict:
    previous_start, _ = window.previous
    return {
        "workspace": workspace.pk,
        "start": window.start,
        "end": window.end,
        "previous_start": previous_start,
        "tz": window.tz.key,
        "granularity": window.granularity,
        "step": STEP.get(window.granularity),
        "channel": window.channel,
        "agent": window.agent,
        "bins": list(DURATION_BINS),
    }


def dimension_filter(window: Window, alias: str) -> str:
    """The channel/agent conditions of a summary table aliased `alias` (both have the columns)."""
    conditions = []
    if window.channel is not None:
        conditions.append(f"AND {alias}.channel_id = %(channel)s")
    if window.agent is not None:
        conditions.append(f"AND {alias}.agent_id = %(agent)s")
    return " ".join(conditions)


# Percentiles of the histogram relation (key, metric, bin_start_seconds, n) -> one row per key
# with first_response_p50_seconds ... reply_time_p90_seconds. `key` is the period or dimension.
# Among a key's and metric's bins with conversations, in order, the running count `upto` only
# grows, so the bin in which it first reaches p x total is the one row where upto reaches it and
# upto - n (the count before the bin) does not: each percentile is an aggregate over that row, in
# the same pass as the others (no row per percentile, no sort to find the first).
PERCENTILE_POINTS = (("p50", "0.5"), ("p90", "0.9"))
PERCENTILES = (
    """
bins (lo, hi) AS (
    SELECT lo, COALESCE(lead(lo) OVER (ORDER BY lo), 3 * lo)
    FROM unnest(%(bins)s::int[]) AS b (lo)
),
cumulative AS (
    SELECT h.key, h.metric, b.lo, b.hi, h.n,
           sum(h.n) OVER (PARTITION BY h.key, h.metric ORDER BY b.lo) AS upto,
           sum(h.n) OVER (PARTITION BY h.key, h.metric) AS total
    FROM histogram AS h
    JOIN bins AS b ON b.lo = h.bin_start_seconds
    WHERE h.n > 0
),
percentiles AS (
    SELECT c.key"""
    + "".join(
        f""",
           max(c.lo + (c.hi - c.lo) * ({p} * c.total - (c.upto - c.n)) / c.n)
               FILTER (WHERE c.metric = '{metric}' AND c.upto >= {p} * c.total AND c.upto - c.n < {p} * c.total)
               AS {metric}_{point}_seconds"""
        for metric in (*DURATIONS, REPLY_TIME)
        for point, p in PERCENTILE_POINTS
    )
    + """
    FROM cumulative AS c
    GROUP BY c.key
)"""
)


def duration_sums(weight: str = "", prefix: str = "") -> str:
    """The count and average of each duration of rows aliased h, comma-separated columns; `prefix`
    ("business_") reads the columns of that name instead (the per-team and label tables)."""
    return ",".join(
        f"\n           COALESCE(sum({weight}h.{prefix}{metric}_count), 0)::bigint AS {metric}_count,"
        f"\n           sum({weight}h.{prefix}{metric}_seconds) / NULLIF(sum({weight}h.{prefix}{metric}_count), 0)"
        f" AS {metric}_avg_seconds"
        for metric in DURATIONS
    )


def figure_sums(weight: str = "") -> str:
    """Sums of support figure rows aliased h, as the columns of one figures row; `weight` (such as
    "h.sign * ") multiplies each row's figures first."""
    counts = "".join(f"\n           COALESCE(sum({weight}h.{name}), 0)::bigint AS {name}," for name in (*COUNTS,))
    return counts + duration_sums(weight)


FIGURE_SUMS = figure_sums()

FIGURE_COLUMNS = """
       f.conversations_created, f.conversations_assigned, f.agent_replies, f.customer_replies,
       f.resolutions, f.reopens,
       f.first_response_count, f.first_response_avg_seconds,
       p.first_response_p50_seconds, p.first_response_p90_seconds,
       f.resolution_count, f.resolution_avg_seconds,
       p.resolution_p50_seconds, p.resolution_p90_seconds"""


SLA_COLUMN_NAMES = frozenset(f"sla_{figure}" for figure in SLA_FIGURES)
# Built once: a comprehension's condition is evaluated for every key of every row (200 agent rows
# spent 3.4 ms nesting with the union written inside it, 1.1 ms with this).
NESTED_COLUMNS = DURATION_COLUMNS | CSAT_COLUMNS | SLA_COLUMN_NAMES


def nest_figures(row: dict, durations: tuple[str, ...] = (*DURATIONS, REPLY_TIME)) -> dict:
    """{first_response_count: ..} -> {first_response: {count: ..}}, {csat_ratings: ..} -> {csat:
    {ratings: ..}}, for each of `durations`; other columns stay as they are."""
    nested = {key: value for key, value in row.items() if key not in NESTED_COLUMNS}
    for metric in durations:
        nested[metric] = {figure: row[f"{metric}_{figure}"] for figure in DURATION_FIGURES}
    nested["csat"] = {figure: row[f"csat_{figure}"] for figure in CSAT_FIGURES}
    if SLA_COLUMN_NAMES <= row.keys():
        nested["sla"] = {figure: row[f"sla_{figure}"] for figure in SLA_FIGURES}
    return nested


def reply_sums(alias: str = "r", weight: str = "") -> str:
    """Reply times of rows aliased `alias` (each row's times `weight`): count, average and the
    element-wise sum of the bins of the waits."""
    bins = ", ".join(f"COALESCE(sum({weight}{alias}.reply_bins[{i}]), 0)" for i in range(1, len(DURATION_BINS) + 1))
    return f"""
           COALESCE(sum({weight}{alias}.reply_count), 0)::bigint AS reply_time_count,
           sum({weight}{alias}.reply_seconds) / NULLIF(sum({weight}{alias}.reply_count), 0) AS reply_time_avg_seconds,
           ARRAY[{bins}]::bigint[] AS reply_bins"""


def csat_sums(alias: str = "c", weight: str = "") -> str:
    """The ratings per score of rows aliased `alias` (each row's times `weight`), and their total."""
    scores = " + ".join(f"{alias}.score_{score}" for score in range(1, 6))
    return (
        "".join(
            f",\n           COALESCE(sum({weight}{alias}.score_{score}), 0)::bigint AS csat_score_{score}"
            for score in range(1, 6)
        )
        + f",\n           COALESCE(sum({weight}({scores})), 0)::bigint AS csat_ratings"
    )


# Reply times and CSAT of each key (period, agent or channel): from the per-grain rows the figures
# CTE reads (support_total_hourly, support_channel_hourly, support_agent_hourly and
# support_agent_daily carry them), else, for a window filtered by both a channel and an agent,
# from support_reply_hourly (r) and support_csat_hourly (c), which hold every channel x agent.
REPLY_SUMS = reply_sums()
CSAT_SUMS = csat_sums()


def sla_sums(alias: str = "sl", weight: str = "") -> str:
    """The SLA outcomes of rows aliased `alias` (each row's times `weight`), as sla_<figure> columns."""
    return "".join(
        f",\n           COALESCE(sum({weight}{alias}.{figure}), 0)::bigint AS sla_{figure}" for figure in SLA_FIGURES
    )


def grain_quality_sums(weight: str = "") -> str:
    """The reply times, CSAT and SLA outcomes of per-grain rows aliased h (each row's times
    `weight`), as extra columns of the figures CTE."""
    return "," + reply_sums("h", weight) + csat_sums("h", weight) + sla_sums("h", weight)


GRAIN_QUALITY_SUMS = grain_quality_sums()
REPLY_COLUMNS = "reply_time_count, reply_time_avg_seconds, reply_bins"
CSAT_COLUMNS_SQL = ", ".join([*(f"csat_score_{score}" for score in range(1, 6)), "csat_ratings"])
# SLA outcomes of each key from support_sla_hourly (sl).
SLA_SUMS = sla_sums()
SLA_COLUMN_LIST = ", ".join(f"sla_{figure}" for figure in SLA_FIGURES)


def sla_columns(alias: str = "sl") -> str:
    """The SLA outcomes of a figures row from the relation aliased `alias`, 0 where it has no row."""
    return "".join(f", COALESCE({alias}.sla_{figure}, 0) AS sla_{figure}" for figure in SLA_FIGURES)


SLA_COLUMNS = sla_columns()
# Live SLA counters from conversation_due (d), read over the targets not yet due only (one index
# range (workspace_id, due_at) from now on), never over the overdue backlog: breaching within the
# hour counts the conversations with a target due in [now, now + 1 hour); not_overdue those whose
# targets are all due at or after now (no target of theirs due before now: a join on the primary
# key, o, which finds the conversation's other target when it is overdue). overdue_now is then
# support_live.sla_pending (the conversations with a pending target, kept by the trigger) minus
# not_overdue. A conversation's targets share its channel, so the same holds per channel. A join,
# not NOT EXISTS inside the aggregate's FILTER: Citus cannot push a subquery in the select list
# down past an aggregate, and the join is co-located (workspace_id on both sides).
SLA_LIVE_SUMS = """
           count(DISTINCT d.conversation_id) FILTER (WHERE d.due_at < now() + interval '1 hour')
               AS breaching_within_hour_now,
           count(DISTINCT d.conversation_id) FILTER (WHERE o.conversation_id IS NULL) AS not_overdue"""
SLA_LIVE_ROWS = """conversation_due AS d
    LEFT JOIN conversation_due AS o
           ON o.workspace_id = d.workspace_id AND o.conversation_id = d.conversation_id AND o.due_at < now()"""


def reply_histogram(source: str = "replies") -> str:
    """The reply-time rows of the histogram relation, from the reply_bins of `source` (a relation
    with key and reply_bins)."""
    return f"""
    UNION ALL
    SELECT q.key, 'reply_time', u.bin_start_seconds, u.n
    FROM {source} AS q
    CROSS JOIN LATERAL unnest(q.reply_bins, %(bins)s::int[]) AS u (n, bin_start_seconds)"""


REPLY_HISTOGRAM = reply_histogram()
# The reply-time and CSAT columns of a figures row, from the replies and ratings relations
# (aliases; in a per-grain read both are the figures row itself), percentiles (p) and the support
# figures' resolution count (the response rate's denominator).
QUALITY_COLUMNS = """,
       COALESCE({replies}.reply_time_count, 0) AS reply_time_count, {replies}.reply_time_avg_seconds,
       p.reply_time_p50_seconds, p.reply_time_p90_seconds,
       COALESCE({ratings}.csat_ratings, 0) AS csat_ratings,
       COALESCE({ratings}.csat_score_1, 0) AS csat_score_1, COALESCE({ratings}.csat_score_2, 0) AS csat_score_2,
       COALESCE({ratings}.csat_score_3, 0) AS csat_score_3, COALESCE({ratings}.csat_score_4, 0) AS csat_score_4,
       COALESCE({ratings}.csat_score_5, 0) AS csat_score_5,
       ({ratings}.csat_score_4 + {ratings}.csat_score_5)::numeric / NULLIF({ratings}.csat_ratings, 0)
           AS csat_satisfied_share,
       COALESCE({ratings}.csat_ratings, 0)::numeric / NULLIF({resolution_count}, 0) AS csat_response_rate"""


OVERVIEW = """
WITH periods (key, lo, hi) AS (
    VALUES ('current', %(start)s::timestamptz, %(end)s::timestamptz),
           ('previous', %(previous_start)s::timestamptz, %(start)s::timestamptz)
),
{figures} AS (
    SELECT p.key,{figure_sums}{bin_sums}{quality_sums}
    FROM periods AS p
    LEFT JOIN {support_table} AS h
           ON h.workspace_id = %(workspace)s AND h.bucket >= p.lo AND h.bucket < p.hi {support_filter}
          -- The same range as constants, so the planner scans the key's bucket range whatever
          -- it guesses about the join (without them it chose a scan of the whole table).
          AND h.bucket >= %(previous_start)s AND h.bucket < %(end)s
    GROUP BY p.key
),{business}
replies AS ({replies}
),
ratings AS ({ratings}
),
slas AS ({slas}
),
sla_live AS (
    SELECT{sla_live_sums}
    FROM {sla_live_rows}
    WHERE d.workspace_id = %(workspace)s AND d.due_at >= now() {sla_live_filter}
),
histogram AS ({histogram}{reply_histogram}
),
{percentiles},
live AS (
    SELECT COALESCE(sum(l.open), 0)::bigint AS open_now,
           COALESCE(sum(l.unassigned), 0)::bigint AS unassigned_now,
           COALESCE(sum(l.unanswered), 0)::bigint AS unanswered_now,
           COALESCE(sum(l.sla_pending), 0)::bigint AS sla_pending_now
    FROM support_live AS l
    WHERE l.workspace_id = %(workspace)s {live_filter}
)
SELECT f.key AS period,{figure_columns}{quality_columns}{sla_columns},
       live.open_now, live.unassigned_now, live.unanswered_now,
       sla_live.breaching_within_hour_now, live.sla_pending_now - sla_live.not_overdue AS overdue_now
FROM figures AS f
LEFT JOIN percentiles AS p USING (key)
LEFT JOIN replies AS q USING (key)
LEFT JOIN ratings AS c USING (key)
LEFT JOIN slas AS sl USING (key)
CROSS JOIN live
CROSS JOIN sla_live
"""


PERIOD_REPLIES = """
    SELECT p.key,{reply_sums}
    FROM periods AS p
    LEFT JOIN support_reply_hourly AS r
           ON r.workspace_id = %(workspace)s AND r.bucket >= p.lo AND r.bucket < p.hi {reply_filter}
          AND r.bucket >= %(previous_start)s AND r.bucket < %(end)s
    GROUP BY p.key"""
PERIOD_RATINGS = """
    SELECT p.key{csat_sums}
    FROM periods AS p
    LEFT JOIN support_csat_hourly AS c
           ON c.workspace_id = %(workspace)s AND c.bucket >= p.lo AND c.bucket < p.hi {csat_filter}
          AND c.bucket >= %(previous_start)s AND c.bucket < %(end)s
    GROUP BY p.key"""


PERIOD_SLAS = """
    SELECT p.key{sla_sums}
    FROM periods AS p
    LEFT JOIN support_sla_hourly AS sl
           ON sl.workspace_id = %(workspace)s AND sl.bucket >= p.lo AND sl.bucket < p.hi {sla_filter}
          AND sl.bucket >= %(previous_start)s AND sl.bucket < %(end)s
    GROUP BY p.key"""


def quality_ctes(window: Window, figures: str, *, grain: bool, replies: str, ratings: str, slas: str) -> dict:
    """The bodies of the replies, ratings and slas CTEs and the figures CTE's extra sums: taken from
    the figures CTE (`figures`) when it reads a per-grain table (`grain`), else the templates
    `replies`, `ratings` and `slas` over the channel x agent tables, filtered like the window."""
    if grain:
        return {
            "quality_sums": GRAIN_QUALITY_SUMS,
            "replies": f"\n    SELECT key, {REPLY_COLUMNS} FROM {figures}",
            "ratings": f"\n    SELECT key, {CSAT_COLUMNS_SQL} FROM {figures}",
            "slas": f"\n    SELECT key, {SLA_COLUMN_LIST} FROM {figures}",
        }
    return {
        "quality_sums": "",
        "replies": replies.format(reply_sums=REPLY_SUMS, reply_filter=dimension_filter(window, "r")),
        "ratings": ratings.format(csat_sums=CSAT_SUMS, csat_filter=dimension_filter(window, "c")),
        "slas": slas.format(sla_sums=SLA_SUMS, sla_filter=dimension_filter(window, "sl")),
    }


# The histogram (key, metric, bin_start_seconds, n) of each period (or agent, or channel): from
# support_duration_hourly when the window is filtered by both a channel and an agent; else from
# the rows of support_total_hourly, support_channel_hourly or support_agent_hourly, whose bins
# the figures CTE has already summed element-wise into two arrays aligned with DURATION_BINS
# (unnest zips each with the bin starts).
PERIOD_HISTOGRAM = """
    SELECT p.key, d.metric, d.bin_start_seconds, sum(d.conversations) AS n
    FROM periods AS p
    JOIN support_duration_hourly AS d
      ON d.workspace_id = %(workspace)s AND d.bucket >= p.lo AND d.bucket < p.hi {duration_filter}
     AND d.bucket >= %(previous_start)s AND d.bucket < %(end)s
    GROUP BY 1, 2, 3"""


def total_histogram(source: str = "figures") -> str:
    """The first response and resolution rows of the histogram relation, from the two arrays of
    `source` (a relation with key, first_response_bins and resolution_bins)."""
    return f"""
    SELECT f.key, m.metric, u.bin_start_seconds, u.n
    FROM {source} AS f
    CROSS JOIN LATERAL (VALUES ('first_response', f.first_response_bins),
                               ('resolution', f.resolution_bins)) AS m (metric, bins)
    CROSS JOIN LATERAL unnest(m.bins, %(bins)s::int[]) AS u (n, bin_start_seconds)"""


PERIOD_TOTAL_HISTOGRAM = total_histogram()


BIN_COLUMNS = ("first_response_bins", "resolution_bins", "reply_bins")


def bin_sums(weight: str = "", prefix: str = "") -> str:
    """The element-wise sums of both histogram arrays of rows aliased h (each row's times `weight`;
    the arrays named with `prefix`, as duration_sums)."""
    positions = range(1, len(DURATION_BINS) + 1)
    return "".join(
        f",\n           ARRAY[{', '.join(f'sum({weight}h.{prefix}{metric}_bins[{i}])' for i in positions)}]"
        f" AS {metric}_bins"
        for metric in DURATIONS
    )


BIN_SUMS = bin_sums()


def unfiltered(window: Window) -> bool:
    """True when no channel or agent narrows the window."""
    return window.channel is None and window.agent is None


def support_table(window: Window) -> str | None:
    """The summary table with the histograms as arrays that holds the window's figures in one row
    per hour (support_total_hourly, support_channel_hourly or support_agent_hourly), or None when
    both a channel and an agent narrow it (only support_hourly has that grain)."""
    if window.channel is None:
        return "support_total_hourly" if window.agent is None else "support_agent_hourly"
    return "support_channel_hourly" if window.agent is None else None


def event_table(window: Window) -> str:
    """event_name_hourly (one row per hour and name) unless a channel or agent narrows the window."""
    return "event_name_hourly" if unfiltered(window) else "event_hourly"


# Business hours (business_hours=true): first response and resolution from support_business_hourly
# (h), per key, replace those of the calendar figures (the CTE calendar_figures, whose counts
# stay); both tables count the same conversations in the same hours, channels and agents, only
# the seconds differ. The histogram is then always the one of the arrays (PERIOD_TOTAL_HISTOGRAM).
BUSINESS_FIGURES = """
business AS (
    SELECT {key} AS key,{duration_sums}{bin_sums}
    FROM {source}
    GROUP BY 1
),
figures AS (
    SELECT c.key, c.conversations_created, c.conversations_assigned, c.agent_replies, c.customer_replies,
           c.resolutions, c.reopens,
           COALESCE(b.first_response_count, 0) AS first_response_count, b.first_response_avg_seconds,
           COALESCE(b.resolution_count, 0) AS resolution_count, b.resolution_avg_seconds,
           b.first_response_bins, b.resolution_bins
    FROM calendar_figures AS c
    LEFT JOIN business AS b ON b.key = c.key
),"""
BUSINESS_PERIOD_ROWS = """periods AS p
    LEFT JOIN support_business_hourly AS h
           ON h.workspace_id = %(workspace)s AND h.bucket >= p.lo AND h.bucket < p.hi {business_filter}
          AND h.bucket >= %(previous_start)s AND h.bucket < %(end)s"""
BUSINESS_WINDOW_ROWS = """support_business_hourly AS h
    WHERE h.workspace_id = %(workspace)s AND h.bucket >= %(start)s AND h.bucket < %(end)s {business_filter}"""
BUSINESS_METRICS = ("avg_first_response_seconds", "avg_resolution_seconds")
"""The series that business_hours=true measures in business time."""


def overview(*, workspace, window: Window) -> dict:
    """Support figures of the window and of the previous period of equal length, and the live
    counters (by channel when filtered; live counters have no agent). With window.business_hours,
    first response and resolution in business time (support_business_hourly)."""
    table = support_table(window)
    if table is not None:
        bin_sums, histogram = BIN_SUMS, PERIOD_TOTAL_HISTOGRAM
    else:
        table, bin_sums = "support_hourly", ""
        histogram = PERIOD_HISTOGRAM.format(duration_filter=dimension_filter(window, "d"))
    figures, business = "figures", ""
    if window.business_hours:
        figures, histogram = "calendar_figures", PERIOD_TOTAL_HISTOGRAM
        business = BUSINESS_FIGURES.format(
            key="p.key",
            source=BUSINESS_PERIOD_ROWS.format(business_filter=dimension_filter(window, "h")),
            duration_sums=duration_sums(),
            bin_sums=BIN_SUMS,
        )
    sql = OVERVIEW.format(
        figures=figures,
        business=business,
        figure_sums=FIGURE_SUMS,
        bin_sums=bin_sums,
        figure_columns=FIGURE_COLUMNS,
        percentiles=PERCENTILES,
        support_table=table,
        support_filter=dimension_filter(window, "h"),
        histogram=histogram,
        live_filter="AND l.channel_id = %(channel)s" if window.channel is not None else "",
        **quality_ctes(
            window,
            figures,
            grain=support_table(window) is not None,
            replies=PERIOD_REPLIES,
            ratings=PERIOD_RATINGS,
            slas=PERIOD_SLAS,
        ),
        reply_histogram=REPLY_HISTOGRAM,
        quality_columns=QUALITY_COLUMNS.format(replies="q", ratings="c", resolution_count="f.resolution_count"),
        sla_live_sums=SLA_LIVE_SUMS,
        sla_live_rows=SLA_LIVE_ROWS,
        sla_live_filter="AND d.channel_id = %(channel)s" if window.channel is not None else "",
        sla_columns=SLA_COLUMNS,
    )
    rows = {row.pop("period"): row for row in fetch(sql, window_params(workspace, window))}
    current, previous = rows["current"], rows["previous"]
    live = {name: current.pop(name) for name in (*LIVE, *SLA_LIVE)}
    for name in (*LIVE, *SLA_LIVE):
        previous.pop(name)
    previous_start, previous_end = window.previous
    return {
        "from": window.start,
        "to": window.end,
        "tz": window.tz.key,
        "business_hours": window.business_hours,
        **nest_figures(current),
        **live,
        "previous": {"from": previous_start, "to": previous_end, **nest_figures(previous)},
    }


def series_sql(window: Window, *, table: str, value: str, conditions: str, zero: bool, label: str = "bucket") -> str:
    """A series of `value` (an aggregate over `table` aliased h) with a row for every bucket of the
    window: `zero` fills empty buckets with 0, otherwise with NULL.

    Hour buckets are the UTC hours themselves; day/week/month buckets are calendar units of the
    zone, labelled by their local start.
    """
    if window.granularity == "hour":
        series = """
    SELECT key FROM generate_series(
        date_trunc('hour', %(start)s::timestamptz - interval '1 microsecond', 'UTC') + interval '1 hour',
        %(end)s::timestamptz - interval '1 microsecond', interval '1 hour') AS key"""
        key, start = "h.bucket", "s.key"
    else:
        series = """
    SELECT key FROM generate_series(
        date_trunc(%(granularity)s, %(start)s::timestamptz AT TIME ZONE %(tz)s),
        %(end)s::timestamptz AT TIME ZONE %(tz)s, %(step)s::interval) AS key
    WHERE key < %(end)s::timestamptz AT TIME ZONE %(tz)s"""
        key, start = "date_trunc(%(granularity)s, h.bucket AT TIME ZONE %(tz)s)", "s.key AT TIME ZONE %(tz)s"
    filled = "COALESCE(d.value, 0)" if zero else "d.value"
    return f"""
WITH series AS ({series}
),
data AS (
    SELECT {key} AS key, {value} AS value
    FROM {table} AS h
    WHERE h.workspace_id = %(workspace)s AND h.bucket >= %(start)s AND h.bucket < %(end)s {conditions}
    GROUP BY 1
)
SELECT {start} AS {label}, {filled} AS value
FROM series AS s
LEFT JOIN data AS d USING (key)
ORDER BY s.key
"""


def timeseries(*, workspace, window: Window, metric: str, name: str | None = None) -> list[dict]:
    """[{bucket, value}] for every bucket of the window: counts are 0 and averages NULL where empty."""
    params = window_params(workspace, window)
    conditions = dimension_filter(window, "h")
    if metric == "events":
        table = event_table(window)
        if name is not None:
            conditions += " AND h.name = %(name)s"
            params["name"] = name
    else:
        grain = support_table(window)
        table = grain or QUALITY_METRIC_TABLES.get(metric, "support_hourly")
        if window.business_hours and metric in BUSINESS_METRICS:
            table = "support_business_hourly"
    sql = series_sql(
        window, table=table, value=TIMESERIES_METRICS[metric], conditions=conditions, zero=metric in COUNTED
    )
    return fetch(sql, params)


def event_stats(
    *, workspace, window: Window, name: str | None, group_by: str, aggregate: str, sort_by: str, descending: bool
) -> list[dict]:
    """An aggregate of the numeric value of product events, per time bucket (every bucket of the
    window; count and sum 0, avg/min/max NULL where empty) or per channel (NULL = events without
    one). count = events that carried a value."""
    expression = STAT_AGGREGATES[aggregate]
    params = window_params(workspace, window)
    conditions = dimension_filter(window, "h") + " AND h.name NOT LIKE 'conversation.%%'"
    if name is not None:
        conditions += " AND h.name = %(name)s"
        params["name"] = name
    if group_by == "channel":
        sql = f"""
SELECT NULLIF(h.channel_id, '') AS key, {expression} AS value
FROM event_hourly AS h
WHERE h.workspace_id = %(workspace)s AND h.bucket >= %(start)s AND h.bucket < %(end)s {conditions}
GROUP BY h.channel_id
"""
    else:
        sql = series_sql(
            window,
            table=event_table(window),
            value=expression,
            conditions=conditions,
            zero=aggregate in ("events", "count", "sum"),
            label="key",
        )
    direction = "DESC" if descending else "ASC"
    order = f"value {direction} NULLS LAST, key" if sort_by == aggregate else f"key {direction} NULLS FIRST"
    return fetch(f"SELECT * FROM ({sql}) AS stats ORDER BY {order}", params)


@dataclass
class SqlRows:
    """A lazy, ordered page source for DRF pagination: count() and slicing each run one query,
    so the database orders and pages the rows, not Python."""

    sql: str
    count_sql: str
    params: dict
    nest: Callable[[dict], dict] = field(default=nest_figures)
    every_sql: str | None = None
    """The same rows for a read of all of them (no LIMIT or OFFSET), when that can be cheaper."""

    def count(self) -> int:
        return fetch(self.count_sql, self.params)[0]["count"]

    def __getitem__(self, page: slice) -> list[dict]:
        limit = None if page.stop is None else page.stop - (page.start or 0)
        params = {**self.params, "limit": limit, "offset": page.start or 0}
        sql = self.every_sql if limit is None and not page.start and self.every_sql else self.sql
        return [self.nest(row) for row in fetch(f"{sql}\nLIMIT %(limit)s OFFSET %(offset)s", params)]

    def __len__(self) -> int:
        return self.count()


# One row per agent or channel of the workspace: its figures (f), its percentiles from the relation
# {percentiles_from}, and its reply times, CSAT and SLA outcomes from what {quality_joins} joins:
# nothing when the figures row carries them, calendar_figures in business hours, and QUALITY_JOINS
# for a list filtered by the other dimension.
DIMENSION_ROWS = """
    SELECT dim.{key} AS id, dim.name,
           COALESCE(f.conversations_created, 0) AS conversations_created,
           COALESCE(f.conversations_assigned, 0) AS conversations_assigned,
           COALESCE(f.agent_replies, 0) AS agent_replies,
           COALESCE(f.customer_replies, 0) AS customer_replies,
           COALESCE(f.resolutions, 0) AS resolutions,
           COALESCE(f.reopens, 0) AS reopens,
           COALESCE(f.first_response_count, 0) AS first_response_count,
           f.first_response_avg_seconds, p.first_response_p50_seconds, p.first_response_p90_seconds,
           COALESCE(f.resolution_count, 0) AS resolution_count,
           f.resolution_avg_seconds, p.resolution_p50_seconds, p.resolution_p90_seconds{quality_columns}
           {sla_columns}{extra_columns}
    FROM {table} AS dim
    LEFT JOIN figures AS f ON f.key = dim.{key}
    LEFT JOIN {percentiles_from} AS p ON p.key = dim.{key}{quality_joins}{extra_joins}
    WHERE dim.workspace_id = %(workspace)s {dimension_filter}"""
QUALITY_JOINS = """
    LEFT JOIN replies AS q ON q.key = dim.{key}
    LEFT JOIN ratings AS c ON c.key = dim.{key}
    LEFT JOIN slas AS sl ON sl.key = dim.{key}"""

DIMENSION_FIGURES = """
WITH {figures} AS (
    SELECT h.{key} AS key,{figure_sums}{bin_sums}{quality_sums}
    FROM {support_rows} AS h
    GROUP BY 1
),{business}{quality}{listed}
histogram AS ({histogram}
),
{percentiles}
SELECT * FROM ({rows}
) AS rows
ORDER BY {ordering}"""
# The reply times, CSAT and SLA outcomes of a list filtered by the other dimension, from the
# channel x agent tables (DIMENSION_REPLIES, DIMENSION_RATINGS, DIMENSION_SLAS).
DIMENSION_QUALITY = """
replies AS ({replies}
),
ratings AS ({ratings}
),
slas AS ({slas}
),"""

# The page's rows first, when the list is not ordered by a percentile: their ids in the page's
# order (the rows with every percentile NULL, ordered and cut by the page's LIMIT and OFFSET), so
# that the percentiles are computed for the listed rows only (for a page of 50 of 200 agents at 10M
# the percentiles were 14 of 27 ms): the histogram relation reads the listed keys' rows only
# (listed_only), before their arrays are unnested. The final ORDER BY, LIMIT and OFFSET cut the same
# page again: the order ends with the id, so it is the same page. A read of every row has no
# listed CTE (SqlRows.every_sql).
LISTED = """
no_percentiles AS (
    SELECT NULL::text AS key, NULL::numeric AS first_response_p50_seconds, NULL::numeric AS first_response_p90_seconds,
           NULL::numeric AS resolution_p50_seconds, NULL::numeric AS resolution_p90_seconds,
           NULL::numeric AS reply_time_p50_seconds, NULL::numeric AS reply_time_p90_seconds
    WHERE false
),
listed AS MATERIALIZED (
    SELECT id FROM ({rows}
    ) AS rows
    ORDER BY {ordering}
    LIMIT %(limit)s OFFSET %(offset)s
),"""
PERCENTILE_ORDERINGS = frozenset(
    f"{metric}_{figure}" for metric in (*DURATIONS, REPLY_TIME) for figure in ("p50_seconds", "p90_seconds")
)
"""The orderings that need every row's percentiles before the page is known."""

DIMENSION_REPLIES = """
    SELECT r.{key} AS key,{reply_sums}
    FROM support_reply_hourly AS r
    WHERE r.workspace_id = %(workspace)s AND r.bucket >= %(start)s AND r.bucket < %(end)s {reply_filter}
    GROUP BY 1"""
DIMENSION_SLAS = """
    SELECT sl.{key} AS key{sla_sums}
    FROM support_sla_hourly AS sl
    WHERE sl.workspace_id = %(workspace)s AND sl.bucket >= %(start)s AND sl.bucket < %(end)s {sla_filter}
    GROUP BY 1"""
DIMENSION_RATINGS = """
    SELECT c.{key} AS key{csat_sums}
    FROM support_csat_hourly AS c
    WHERE c.workspace_id = %(workspace)s AND c.bucket >= %(start)s AND c.bucket < %(end)s {csat_filter}
    GROUP BY 1"""

# The histogram of each agent or channel from support_hourly's companion table, for a list filtered by
# the other dimension (the per-dimension tables have no such filter).
DIMENSION_HISTOGRAM = """
    SELECT d.{key} AS key, d.metric, d.bin_start_seconds, sum(d.conversations) AS n
    FROM support_duration_hourly AS d
    WHERE d.workspace_id = %(workspace)s AND d.bucket >= %(start)s AND d.bucket < %(end)s {duration_filter}
    GROUP BY 1, 2, 3"""

# The support rows of the agent list over whole UTC days: support_agent_daily holds the slot 0
# rows of each day (what compaction folded), so the window's figures are those days, plus the
# unfolded slots of the window's hours inside them, plus the edges: an hour of the window outside
# the days counts with every slot (sign +1); an hour of the days outside the window is taken back
# (sign -1) for its slot 0, the part of it the day holds. Each edge is at most 12 hours.
AGENT_DAY_ROWS = """(
    SELECT d.agent_id, 1 AS sign, {columns}
    FROM support_agent_daily AS d
    WHERE d.workspace_id = %(workspace)s AND d.bucket >= %(days_start)s AND d.bucket < %(days_end)s
    UNION ALL
    SELECT d.agent_id, 1, {columns}
    FROM support_agent_hourly AS d
    WHERE d.workspace_id = %(workspace)s AND d.bucket >= %(inner_start)s AND d.bucket < %(inner_end)s
      -- Not `<>`, which no index can bound: each side bounds the primary key scan, so the
      -- planner reads the unfolded rows from it instead of scanning the table.
      AND (d.slot > 0 OR d.slot < 0)
    UNION ALL
    SELECT d.agent_id, CASE WHEN d.bucket >= %(start)s AND d.bucket < %(end)s THEN 1 ELSE -1 END, {columns}
    FROM support_agent_hourly AS d
    WHERE d.workspace_id = %(workspace)s
      AND (d.bucket >= %(head_start)s AND d.bucket < %(head_end)s
           OR d.bucket >= %(tail_start)s AND d.bucket < %(tail_end)s)
      AND (d.slot = 0 OR (d.bucket >= %(start)s AND d.bucket < %(end)s))
)"""
# The histogram arrays as slices: a stored array of 11 bins has a short varlena header, and each of
# the 33 subscripts that sum a row's bins would copy it first (pg_detoast_datum); a slice is one
# copy with a full header, which the subscripts read in place (the agent list's figures at 10M,
# 1,809 rows: 7.2 -> 6.0 ms, EXPLAIN ANALYZE medians of 21, three times).
DAY_ROW_COLUMNS = ", ".join(
    (
        *(
            f"d.{column}"
            for column in (
                *COUNTS,
                *(f"{metric}_{part}" for metric in DURATIONS for part in ("count", "seconds")),
                "reply_count",
                "reply_seconds",
                *(f"score_{score}" for score in range(1, 6)),
                *SLA_FIGURES,
            )
        ),
        *(f"d.{column}[1:{len(DURATION_BINS)}] AS {column}" for column in BIN_COLUMNS),
    )
)


def day_span(window: Window) -> dict | None:
    """The whole UTC days [days_start, days_end) from which the agent list reads the window, and
    its edges (head and tail: the hours between each end of the window and the nearest day
    boundary, at most 12), or None when the window holds no such day (read it by hour)."""
    start, end = window.start.astimezone(UTC), window.end.astimezone(UTC)
    start_day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    end_day = end.replace(hour=0, minute=0, second=0, microsecond=0)
    days_start = start_day if start - start_day <= timedelta(hours=12) else start_day + timedelta(days=1)
    days_end = end_day + timedelta(days=1) if end - end_day > timedelta(hours=12) else end_day
    if days_start >= days_end:
        return None
    return {
        "days_start": days_start,
        "days_end": days_end,
        "inner_start": max(start, days_start),
        "inner_end": min(end, days_end),
        "head_start": min(start, days_start),
        "head_end": max(start, days_start),
        "tail_start": min(end, days_end),
        "tail_end": max(end, days_end),
    }


DIMENSION_COUNT = (
    "SELECT count(*) AS count FROM {table} AS dim WHERE dim.workspace_id = %(workspace)s {dimension_filter}"
)

LIVE_COLUMNS = """,
           COALESCE(l.open, 0) AS open_now,
           COALESCE(l.unassigned, 0) AS unassigned_now,
           COALESCE(l.unanswered, 0) AS unanswered_now,
           COALESCE(due.breaching_within_hour_now, 0) AS breaching_within_hour_now,
           (COALESCE(l.sla_pending, 0) - COALESCE(due.not_overdue, 0))::bigint AS overdue_now"""
LIVE_JOIN = """
    LEFT JOIN (
        SELECT channel_id, sum(open) AS open, sum(unassigned) AS unassigned, sum(unanswered) AS unanswered,
               sum(sla_pending) AS sla_pending
        FROM support_live
        WHERE workspace_id = %(workspace)s
        GROUP BY channel_id
    ) AS l ON l.channel_id = dim.channel_id
    LEFT JOIN (
        SELECT d.channel_id,{sla_live_sums}
        FROM {sla_live_rows}
        WHERE d.workspace_id = %(workspace)s AND d.due_at >= now()
        GROUP BY d.channel_id
    ) AS due ON due.channel_id = dim.channel_id""".replace("{sla_live_sums}", SLA_LIVE_SUMS).replace(
    "{sla_live_rows}", SLA_LIVE_ROWS
)

QUALITY_FIGURES = (
    *(f"{REPLY_TIME}_{figure}" for figure in DURATION_FIGURES),
    *(f"csat_{figure}" for figure in CSAT_FIGURES),
)
"""The reply-time and CSAT columns of an agent or channel row (QUALITY_COLUMNS), as they are
ordered by and as the CSV names them."""
AGENT_ORDERING = ("id", "name", *FIGURES, *QUALITY_FIGURES, *(f"sla_{figure}" for figure in SLA_FIGURES))
CHANNEL_ORDERING = (*AGENT_ORDERING, *LIVE, *SLA_LIVE)


def ordering_sql(ordering: str) -> str:
    """`-resolutions` -> `resolutions DESC NULLS LAST, id`; the name was checked against *_ORDERING."""
    field = ordering.removeprefix("-")
    direction = "DESC" if ordering.startswith("-") else "ASC"
    return f"{field} {direction} NULLS LAST" + ("" if field == "id" else ", id")


def listed_only(source: str) -> str:
    """The rows of the relation `source` whose key the listed CTE holds, as a FROM item."""
    return f"(SELECT * FROM {source} WHERE key IN (SELECT id FROM listed))"


def dimension_rows(*, workspace, window: Window, dimension: str, ordering: str) -> SqlRows:
    """One row per agent or channel of the workspace (all of them, zeros where idle) with the
    overview's figures for the window; channels also carry their live counters."""
    key = f"{dimension}_id"
    filters = {"agent": window.agent, "channel": window.channel}
    values = {
        "key": key,
        "table": dimension,
        "dimension_filter": f"AND dim.{key} = %({dimension})s" if filters[dimension] is not None else "",
    }
    # The agent list reads support_agent_hourly unless a channel narrows it (and the channel list
    # support_channel_hourly unless an agent does): one row per hour and agent (channel), which
    # carries the reply times, CSAT and SLA outcomes too (`grain`); over whole UTC days the agent
    # list reads support_agent_daily instead (AGENT_DAY_ROWS).
    other = "channel" if dimension == "agent" else "agent"
    grain = filters[other] is None
    params = window_params(workspace, window)
    days = day_span(window) if dimension == "agent" and grain else None
    sums, bins = FIGURE_SUMS, BIN_SUMS
    figures = "calendar_figures" if window.business_hours else "figures"
    if days is not None:
        rows = AGENT_DAY_ROWS.format(columns=DAY_ROW_COLUMNS)
        sums, bins, quality_sums = figure_sums("h.sign * "), bin_sums("h.sign * "), grain_quality_sums("h.sign * ")
        params.update(days)
    elif grain:
        rows, quality_sums = hourly_rows(f"support_{dimension}_hourly", window), GRAIN_QUALITY_SUMS
    else:
        rows, bins, quality_sums = hourly_rows("support_hourly", window), "", ""
    business = ""
    if window.business_hours:
        business = BUSINESS_FIGURES.format(
            key=f"h.{key}",
            source=BUSINESS_WINDOW_ROWS.format(business_filter=dimension_filter(window, "h")),
            duration_sums=duration_sums(),
            bin_sums=BIN_SUMS,
        )
    if grain:
        # One relation carries every figure: the figures CTE, or with business hours the calendar
        # figures (their reply times, CSAT and SLA outcomes are not in business time) beside it.
        quality, replies = "", figures
        alias = "q" if window.business_hours else "f"
        quality_joins = f"\n    LEFT JOIN {figures} AS q ON q.key = dim.{key}" if window.business_hours else ""
        quality_columns = QUALITY_COLUMNS.format(replies=alias, ratings=alias, resolution_count="f.resolution_count")
        sla = sla_columns(alias)
    else:
        quality = DIMENSION_QUALITY.format(
            replies=DIMENSION_REPLIES.format(
                key=key, reply_sums=REPLY_SUMS, reply_filter=dimension_filter(window, "r")
            ),
            ratings=DIMENSION_RATINGS.format(key=key, csat_sums=CSAT_SUMS, csat_filter=dimension_filter(window, "c")),
            slas=DIMENSION_SLAS.format(key=key, sla_sums=SLA_SUMS, sla_filter=dimension_filter(window, "sl")),
        )
        replies, quality_joins = "replies", QUALITY_JOINS.format(key=key)
        quality_columns = QUALITY_COLUMNS.format(replies="q", ratings="c", resolution_count="f.resolution_count")
        sla = SLA_COLUMNS
    columns = {
        **values,
        "quality_columns": quality_columns,
        "sla_columns": sla,
        "quality_joins": quality_joins,
        "extra_columns": LIVE_COLUMNS if dimension == "channel" else "",
        "extra_joins": LIVE_JOIN if dimension == "channel" else "",
    }

    def histogram(listed: bool) -> str:
        """The histogram relation of every key, or of the listed keys only."""

        def source(relation: str) -> str:
            return listed_only(relation) if listed else relation

        if grain or window.business_hours:
            durations = total_histogram(source("figures"))
        else:
            only = f" AND d.{key} IN (SELECT id FROM listed)" if listed else ""
            durations = DIMENSION_HISTOGRAM.format(key=key, duration_filter=dimension_filter(window, "d") + only)
        return durations + reply_histogram(source(replies))

    def sql(listed: bool) -> str:
        return DIMENSION_FIGURES.format(
            **values,
            listed=(
                LISTED.format(
                    rows=DIMENSION_ROWS.format(**columns, percentiles_from="no_percentiles"),
                    ordering=ordering_sql(ordering),
                )
                if listed
                else ""
            ),
            rows=DIMENSION_ROWS.format(**columns, percentiles_from="percentiles"),
            figures=figures,
            business=business,
            quality=quality,
            figure_sums=sums,
            bin_sums=bins,
            quality_sums=quality_sums,
            support_rows=rows,
            histogram=histogram(listed),
            percentiles=PERCENTILES,
            ordering=ordering_sql(ordering),
        )

    every = sql(listed=False)
    paged = every if ordering.removeprefix("-") in PERCENTILE_ORDERINGS else sql(listed=True)
    return SqlRows(sql=paged, every_sql=every, count_sql=DIMENSION_COUNT.format(**values), params=params)


# Per team (support_team_hourly, the team of each conversation's latest assignment, and the CSAT
# rows of support_csat_hourly by the same team): every team with a figure in the window, '' (no
# team) as id null. The durations are the calendar or the business-time columns (group_rows), the
# SLA outcomes those of the same rows.
TEAM_FIGURES = """
WITH figures AS (
    SELECT h.team_id AS key,
           COALESCE(sum(h.conversations_created), 0)::bigint AS conversations_created{duration_sums}{bin_sums}{sla_sums}
    FROM support_team_hourly AS h
    WHERE h.workspace_id = %(workspace)s AND h.bucket >= %(start)s AND h.bucket < %(end)s
    GROUP BY 1
    -- A team whose rows sum to nothing (all its conversations moved away or erased) is not listed.
    HAVING sum(h.conversations_created) <> 0 OR sum(h.first_response_count) <> 0 OR sum(h.resolution_count) <> 0
),
ratings AS (
    SELECT c.team_id AS key{csat_sums}
    FROM support_csat_hourly AS c
    WHERE c.workspace_id = %(workspace)s AND c.bucket >= %(start)s AND c.bucket < %(end)s
    GROUP BY 1
    HAVING sum(c.score_1 + c.score_2 + c.score_3 + c.score_4 + c.score_5) <> 0
),
histogram AS ({histogram}
),
{percentiles}
SELECT * FROM (
    SELECT NULLIF(k.key, '') AS id,
           COALESCE(f.conversations_created, 0) AS conversations_created,
           COALESCE(f.first_response_count, 0) AS first_response_count,
           f.first_response_avg_seconds, p.first_response_p50_seconds, p.first_response_p90_seconds,
           COALESCE(f.resolution_count, 0) AS resolution_count,
           f.resolution_avg_seconds, p.resolution_p50_seconds, p.resolution_p90_seconds,
           COALESCE(c.csat_ratings, 0) AS csat_ratings,
           COALESCE(c.csat_score_1, 0) AS csat_score_1, COALESCE(c.csat_score_2, 0) AS csat_score_2,
           COALESCE(c.csat_score_3, 0) AS csat_score_3, COALESCE(c.csat_score_4, 0) AS csat_score_4,
           COALESCE(c.csat_score_5, 0) AS csat_score_5,
           (c.csat_score_4 + c.csat_score_5)::numeric / NULLIF(c.csat_ratings, 0) AS csat_satisfied_share,
           COALESCE(c.csat_ratings, 0)::numeric / NULLIF(f.resolution_count, 0) AS csat_response_rate{sla_columns}
    FROM (SELECT key FROM figures UNION SELECT key FROM ratings) AS k
    LEFT JOIN figures AS f USING (key)
    LEFT JOIN percentiles AS p USING (key)
    LEFT JOIN ratings AS c USING (key)
) AS rows"""
TEAM_ORDERING = (
    "id",
    "conversations_created",
    *(f"{metric}_{figure}" for metric in DURATIONS for figure in DURATION_FIGURES),
    *(f"csat_{figure}" for figure in CSAT_FIGURES),
    *(f"sla_{figure}" for figure in SLA_FIGURES),
)


def team_rows(*, workspace, window: Window, ordering: str) -> SqlRows:
    """One row per team with a figure in the window (ordered by `ordering`, checked against
    TEAM_ORDERING): conversations created, first response and resolution of the team's
    conversations, CSAT. Teams are not kept per channel or agent: the caller refuses those filters."""
    return group_rows(TEAM_FIGURES, workspace=workspace, window=window, ordering=ordering)


def group_rows(template: str, *, workspace, window: Window, ordering: str) -> SqlRows:
    """The rows of a per-team or per-label figures query (TEAM_FIGURES, LABEL_FIGURES), ordered
    and paged; a group has no reply time (replies are counted per agent and channel). With
    window.business_hours, first response and resolution in business time: the business_*
    columns of the same rows, which count the same conversations in the same hours."""
    prefix = "business_" if window.business_hours else ""
    sql = template.format(
        duration_sums="," + duration_sums(prefix=prefix),
        bin_sums=bin_sums(prefix=prefix),
        sla_sums=sla_sums("h"),
        sla_columns=sla_columns("f"),
        csat_sums=CSAT_SUMS,
        histogram=PERIOD_TOTAL_HISTOGRAM,
        percentiles=PERCENTILES,
    )
    ordered = f"{sql}\nORDER BY {ordering_sql(ordering)}"
    count_sql = f"SELECT count(*) AS count FROM ({sql}) AS groups"
    nest = partial(nest_figures, durations=DURATIONS)
    return SqlRows(sql=ordered, count_sql=count_sql, params=window_params(workspace, window), nest=nest)


# Per label (support_label_hourly: each conversation under every label it has now, its CSAT
# included): every label with a figure in the window. A conversation without labels counts under
# none, so there is no "no label" row.
LABEL_FIGURES = """
WITH figures AS (
    SELECT h.label AS key,
           COALESCE(sum(h.conversations_created), 0)::bigint AS conversations_created{duration_sums}{bin_sums}{sla_sums}
    FROM support_label_hourly AS h
    WHERE h.workspace_id = %(workspace)s AND h.bucket >= %(start)s AND h.bucket < %(end)s
    GROUP BY 1
),
ratings AS (
    SELECT c.label AS key{csat_sums}
    FROM support_label_hourly AS c
    WHERE c.workspace_id = %(workspace)s AND c.bucket >= %(start)s AND c.bucket < %(end)s
    GROUP BY 1
),
histogram AS ({histogram}
),
{percentiles}
SELECT * FROM (
    SELECT f.key AS id,
           f.conversations_created,
           f.first_response_count, f.first_response_avg_seconds,
           p.first_response_p50_seconds, p.first_response_p90_seconds,
           f.resolution_count, f.resolution_avg_seconds, p.resolution_p50_seconds, p.resolution_p90_seconds,
           c.csat_ratings, c.csat_score_1, c.csat_score_2, c.csat_score_3, c.csat_score_4, c.csat_score_5,
           (c.csat_score_4 + c.csat_score_5)::numeric / NULLIF(c.csat_ratings, 0) AS csat_satisfied_share,
           c.csat_ratings::numeric / NULLIF(f.resolution_count, 0) AS csat_response_rate{sla_columns}
    FROM figures AS f
    JOIN ratings AS c USING (key)
    LEFT JOIN percentiles AS p USING (key)
    -- A label whose rows sum to nothing (its conversations unlabeled or erased) is not listed.
    WHERE f.conversations_created <> 0 OR f.first_response_count <> 0 OR f.resolution_count <> 0
       OR c.csat_ratings <> 0
) AS rows"""
LABEL_ORDERING = TEAM_ORDERING


def label_rows(*, workspace, window: Window, ordering: str) -> SqlRows:
    """One row per label with a figure in the window (ordered by `ordering`, checked against
    LABEL_ORDERING): conversations created, first response and resolution of the conversations
    that have the label now, their CSAT. Labels are not kept per channel or agent: the caller
    refuses those filters."""
    return group_rows(LABEL_FIGURES, workspace=workspace, window=window, ordering=ordering)


def hourly_rows(table: str, window: Window) -> str:
    """The rows of an hourly support table in the window (and its filters), as a FROM item."""
    return (
        f"(SELECT * FROM {table} AS h WHERE h.workspace_id = %(workspace)s"
        f" AND h.bucket >= %(start)s AND h.bucket < %(end)s {dimension_filter(window, 'h')})"
    )


def customer_exists(*, workspace, customer_id: str) -> bool:
    return bool(
        fetch(
            "SELECT EXISTS (SELECT 1 FROM customer_slot"
            " WHERE workspace_id = %(workspace)s AND customer_id = %(customer)s) AS found",
            {"workspace": workspace.pk, "customer": customer_id},
        )[0]["found"]
    )


def day_conditions(days: DayRange, alias: str = "h") -> str:
    conditions = ""
    if days.start is not None:
        conditions += f" AND {alias}.bucket >= %(start)s"
    if days.end is not None:
        conditions += f" AND {alias}.bucket < %(end)s"
    return conditions


def customer_interactions(*, workspace, customer_id: str, days: DayRange) -> list[dict]:
    """[{channel, interactions}] for every channel of the workspace, 0 where none. A channel is
    named by its name (its id when it has none); names shared by several channels get the id."""
    sql = f"""
WITH counts AS (
    SELECT i.channel_id, sum(i.interactions)::bigint AS interactions
    FROM customer_interaction_hourly AS i
    WHERE i.workspace_id = %(workspace)s AND i.customer_id = %(customer)s {day_conditions(days, "i")}
    GROUP BY 1
),
channels AS (
    SELECT ch.channel_id, COALESCE(ch.name, ch.channel_id) AS label,
           count(*) OVER (PARTITION BY COALESCE(ch.name, ch.channel_id)) AS sharing
    FROM channel AS ch
    WHERE ch.workspace_id = %(workspace)s
)
SELECT CASE WHEN c.sharing > 1 THEN c.label || ' (' || c.channel_id || ')' ELSE c.label END AS channel,
       COALESCE(counts.interactions, 0) AS interactions
FROM channels AS c
LEFT JOIN counts USING (channel_id)
ORDER BY 1
"""
    return fetch(sql, {"workspace": workspace.pk, "customer": customer_id, "start": days.start, "end": days.end})


def event_trend(*, workspace, days: DayRange) -> list[dict]:
    """[{day, name, events}] per day of the zone and event name, days without events absent."""
    sql = f"""
SELECT (h.bucket AT TIME ZONE %(tz)s)::date AS day, h.name, sum(h.events)::bigint AS events
FROM event_name_hourly AS h
WHERE h.workspace_id = %(workspace)s {day_conditions(days)}
GROUP BY 1, 2
HAVING sum(h.events) > 0
ORDER BY 1, 2
"""
    return fetch(sql, {"workspace": workspace.pk, "tz": days.tz.key, "start": days.start, "end": days.end})


def event_frequency(*, workspace, days: DayRange, name: str | None) -> list[dict]:
    """[{event_name, total}] by total descending (then name); only names with events."""
    name_condition = " AND h.name = %(name)s" if name is not None else ""
    sql = f"""
SELECT h.name AS event_name, sum(h.events)::bigint AS total
FROM event_name_hourly AS h
WHERE h.workspace_id = %(workspace)s {day_conditions(days)}{name_condition}
GROUP BY 1
HAVING sum(h.events) > 0
ORDER BY total DESC, event_name
"""
    return fetch(sql, {"workspace": workspace.pk, "start": days.start, "end": days.end, "name": name})


UNIQUE_KINDS = ("user", "session")
UNIQUE_GRANULARITIES = ("day", "week", "month")


def unique_counts(*, workspace, window: Window, kind: str, name: str | None) -> list[dict]:
    """[{bucket, value}] for every day, week or month of the window (0 where none): the distinct
    users or sessions (`kind`) of the bucket's hours inside the window, of events named `name` or
    of every name. A member counts once per bucket however many hours and events it has there.

    In the workspace's own zone the buckets come from event_unique_period_count, each member
    counted at its first and at its last hour of the period: a whole bucket is sum(firsts), one
    the window's end cuts is sum(firsts) over the hours before the end, one its start cuts is
    sum(lasts) over the hours from the start on; a few hundred rows a bucket, whatever the
    members. A window inside one bucket and cut at both ends, and any other zone, are
    count(DISTINCT member) over the hours' rows of event_unique_hourly (one per member and hour):
    as exact, at the cost of the members' hours."""
    params = {**window_params(workspace, window), "kind": kind, "name": name or ""}
    if window.tz.key == workspace.timezone:
        return fetch(UNIQUE_PERIODS_SQL, params)
    sql = series_sql(
        window,
        table="event_unique_hourly",
        value="count(DISTINCT h.member)",
        conditions="AND h.kind = %(kind)s AND h.name = %(name)s",
        zero=True,
    )
    return fetch(sql, params)


UNIQUE_PERIODS_SQL = """
WITH series AS (
    SELECT key,
           key AT TIME ZONE %(tz)s AS period_start,
           (key + %(step)s::interval) AT TIME ZONE %(tz)s AS period_end
    FROM generate_series(
        date_trunc(%(granularity)s, %(start)s::timestamptz AT TIME ZONE %(tz)s),
        %(end)s::timestamptz AT TIME ZONE %(tz)s, %(step)s::interval) AS key
    WHERE key < %(end)s::timestamptz AT TIME ZONE %(tz)s
),
counted AS (
    SELECT s.key,
           CASE WHEN s.period_start >= %(start)s
                THEN sum(c.firsts) FILTER (WHERE c.bucket < %(end)s)
                ELSE sum(c.lasts) FILTER (WHERE c.bucket >= %(start)s)
           END AS value
    FROM series AS s
    JOIN event_unique_period_count AS c
      ON c.workspace_id = %(workspace)s AND c.kind = %(kind)s AND c.name = %(name)s
     AND c.granularity = %(granularity)s AND c.period = s.key::date
    WHERE s.period_start >= %(start)s OR s.period_end <= %(end)s
    GROUP BY s.key, s.period_start
),
inside AS (
    -- The window lies inside one bucket, cut at both ends: its hours' members.
    SELECT count(DISTINCT h.member) AS value
    FROM event_unique_hourly AS h
    WHERE h.workspace_id = %(workspace)s AND h.kind = %(kind)s AND h.name = %(name)s
      AND h.bucket >= %(start)s AND h.bucket < %(end)s
      AND EXISTS (SELECT 1 FROM series WHERE period_start < %(start)s AND period_end > %(end)s)
)
SELECT s.key AT TIME ZONE %(tz)s AS bucket,
       CASE WHEN s.period_start < %(start)s AND s.period_end > %(end)s THEN (SELECT value FROM inside)
            ELSE COALESCE(c.value, 0)
       END AS value
FROM series AS s
LEFT JOIN counted AS c USING (key)
ORDER BY s.key
"""

"""Read latency of every summary endpoint at growing numbers of raw events on a realistic desk, against
the target of issue 10: p95 <= 25 ms at the largest size and <= 1.2 x its own p95 at the smallest.

    .venv/bin/python bench/reads.py --keep               # 10k, 1M and 10M events (hours here)
    .venv/bin/python bench/reads.py --quick              # 10k and 100k, 30 requests (a few minutes)
    .venv/bin/python bench/reads.py --reuse --sizes 10000,10000000   # measure again, no reload

It loads one workspace (`tally_bench_reads` on the configured server; dropped at the end unless
`--keep`) in steps up to each size. With `--reuse` the database is kept and not reloaded when it
already holds the requested size (it grows when a size is larger); a size below what it holds is
loaded into a fresh `tally_bench_reads_base` (seconds for 10k), with the same desk and dates.

The desk: 8 channels and 200 agents (`--channels`, `--agents`), 50,000 customers, one workspace in
Europe/Berlin. Conversations are created in business hours, Monday-Friday 08:00-18:00 Berlin time,
9 in 10 of them (uniform over those hours of the 90 days); the rest at nights and weekends. Channel
popularity is skewed (channel j of n takes sqrt((j+1)/n) - sqrt(j/n): 35% of conversations on
email, 6.5% on the 8th); each channel has a team of agents sized to its share, which takes 9 in
10 of its conversations, the 10th going to any agent. Customers are skewed too (index
50,000 x u^2: cust-1 is the busiest, about 0.45% of the conversations). All of it is a hash of the
conversation number (hashint8extended with a seed per draw), never random(): every run loads the
same events. A conversation is 8 events: created, assigned (30 s-10 min later), agent reply (up
to 4 h), customer reply, agent reply, resolved (6 h-2 days), then a reopen for 1 in 10, a rating
(score 1-5) for every third of the others, else a page.view, and a purchase with a value. The
workspace has business hours (Monday-Friday 08:00-18:00 of its zone) and an SLA (first response
within 1 hour, resolution within 8 business hours), so the reads pay for CSAT, business-time and
SLA figures. The 90 days end at Berlin midnight 3 days before the load.

Events are generated in SQL (generate_series) and inserted with every trigger on, 10k rows a
statement, the idempotency key claimed in event_key first as the ingest statement does, so the
summaries are built the way ingestion builds them (one connection: one write slot). `--bulk` loads
the raw events with the triggers off instead (session_replication_role = replica, which skips
them) and then builds every summary with `rollups rebuild` (analytics.rollups.rebuild, the
recompute views into slot 0): the rows compaction would leave, in a fraction of the time (the
trigger path does about 1,400 events/s here, two hours for 10M); `--verify` still compares them
with their recomputation. Before
measuring at each size, the write slots of closed hours are folded into slot 0 (analytics.rollups
compact before the previous hour, what every pass of the production refresh loop does), then the
summary tables get VACUUM ANALYZE and a CHECKPOINT.

At each size, requests go through the whole Django/DRF stack (test client, a real `read` token),
round-robin over the endpoints (one request of each, then the next round), so that load from other
work on the machine spreads evenly over them; p50/p95/n per endpoint after one warm-up each:

- overview, overview_channel, overview_agent: /api/v1/summaries/overview for the last 7 days of
  the data, plain, channel=email (the busiest) and agent=agent-1 (in email's team);
- timeseries, timeseries_channel, timeseries_agent: /api/v1/summaries/timeseries, granularity=day
  over the 90 days, metric=conversations_created (plain and channel=email) and metric=resolutions
  with agent=agent-1 (conversations_created has no agent);
- agents_list (ordering=-resolutions, first page of 50) and channels_list: /api/v1/summaries/agents
  and /channels for the 7 days;
- customer_interactions: /api/v1/customers/cust-1/interactions over the 90 days (start_date,
  end_date); cust-1 is the busiest customer;
- events_trend, events_frequency: /api/v1/events/trend and /frequency for the 7 days (start_date,
  end_date; they have no default window); events_stats: /api/v1/events/stats for the 7 days
  (group_by=day, aggregate=count, the defaults);
- overview_sql / raw_overview_sql (not judged): the overview's selector alone, and the same figures
  computed with count()/GROUP BY over the raw `event` table; the two are checked to agree;
- uniques_week, uniques_quarter (not judged: issue 14's exact unique counts): /api/v1/events/uniques
  by=session, per day over the 7 days and per month over the 90 days.

Verdict: an endpoint passes when its p95 at the largest size is <= 25 ms and <= 1.2 x its p95 at
the smallest size of the same run. After measuring, `rollups verify` (analytics.rollups.differences)
compares every summary with its recomputation from the raw events: at the smallest size always,
at every size with `--verify all` (minutes at 10M); 0 differences are expected.

The machine has 2 shared, slow cores, and test suites often run beside the benchmark: absolute
latencies move by +-30% between runs (load averages before and after each size are recorded).
Quote the ratios of one run; re-measure on a quiet machine with `--reuse`.
Results: bench/results/reads.json.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from analytics import params, partitions, refresh, rollups, summaries  # noqa: E402
from analytics.business.models import BusinessSchedule, SlaPolicy  # noqa: E402
from bench.common import scalar  # noqa: E402
from core.auth import token_create  # noqa: E402
from core.models import Workspace  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "reads.json"
DATABASE = "tally_bench_reads"
EVENTS_PER_CONVERSATION = 8
CHUNK = 10_000
DAYS = 90
DEFAULT_SIZES = "10000,1000000,10000000"
QUICK_SIZES = "10000,100000"
TARGET_P95_MS = 25.0
TARGET_RATIO = 1.2
BUSINESS_SHARE = 0.9
TEAM_SHARE = 0.9
# Ratings, business hours and an SLA, so that the reads pay for CSAT, business-time and SLA figures
# as a desk that uses them does: every third conversation that is not reopened is rated (its 7th
# event, conversation.rated, score 1-5, instead of a page view); the workspace's hours are
# Monday-Friday 08:00-18:00 of its zone; its SLA: first response within 1 hour of calendar time,
# resolution within 8 business hours.
QUALITY = {
    "rated_every": 3,
    "business_hours": ["08:00", "18:00"],
    "sla": {"first_response_seconds": 3600, "resolution_business_seconds": 8 * 3600},
}
CHANNEL_NAMES = ("email", "chat", "phone", "whatsapp", "messenger", "sms", "instagram", "voice")
SUMMARY_TABLES = (
    "support_total_hourly",
    "support_channel_hourly",
    "support_agent_hourly",
    "support_agent_daily",
    "support_hourly",
    "support_duration_hourly",
    "event_name_hourly",
    "event_hourly",
    "customer_interaction_hourly",
    "support_reply_hourly",
    "support_csat_hourly",
    "support_business_hourly",
    "support_sla_hourly",
    "conversation_due",
)
SHAPE_TABLE = "bench_reads_shape"

# u(seed): a uniform draw in [0, 1) from the conversation number c.
U = "((hashint8extended(c, {seed}) & 4294967295)::float8 / 4294967296)"

GENERATE = f"""
WITH numbered AS (
    SELECT i, i / 8 AS c, (i %% 8)::int AS k
    FROM generate_series(%(first)s::bigint, %(last)s::bigint - 1) AS i
),
draws AS (
    SELECT c,
           {U.format(seed=1)} AS u_day,
           {U.format(seed=2)} AS u_time,
           {U.format(seed=3)} AS u_business,
           {U.format(seed=4)} AS u_channel,
           {U.format(seed=5)} AS u_agent,
           {U.format(seed=6)} AS u_team,
           {U.format(seed=7)} AS u_customer
    FROM (SELECT DISTINCT c FROM numbered) AS conversations
),
placed AS (
    SELECT c, u_time, u_business, u_agent, u_team, u_customer,
           floor(%(channels)s * u_channel * u_channel)::int AS ch,
           CASE WHEN u_business < %(business_share)s
                THEN (%(weekdays)s::date[])[1 + floor(u_day * cardinality(%(weekdays)s::date[]))::int]
                ELSE (%(days)s::date[])[1 + floor(u_day * cardinality(%(days)s::date[]))::int] END AS day
    FROM draws
),
conversations AS (
    SELECT c,
           -- Business hours: 08:00-18:00 local; the tail: 18:00-08:00 after a weekday, any time of a weekend day.
           (p.day + make_interval(secs => CASE
                WHEN p.u_business < %(business_share)s THEN 28800 + floor(p.u_time * 36000)
                WHEN extract(isodow FROM p.day) <= 5 THEN 64800 + floor(p.u_time * 50400)
                ELSE floor(p.u_time * 86400) END)) AT TIME ZONE %(tz)s AS created_at,
           (%(channel_ids)s::text[])[1 + p.ch] AS channel_id,
           'agent-' || CASE WHEN p.u_team < %(team_share)s
                THEN (%(team_first)s::int[])[1 + p.ch] + floor(p.u_agent * (%(team_size)s::int[])[1 + p.ch])::int
                ELSE 1 + floor(p.u_agent * %(agents)s)::int END AS agent_id,
           'cust-' || (1 + floor(%(customers)s * p.u_customer * p.u_customer)::int) AS customer_id,
           c %% 10 = 0 AS reopens,
           -- Rated: every rated_every-th conversation that is not reopened (0: none). NULLIF: no
           -- modulo by zero whatever order the planner evaluates the conditions in.
           c %% 10 <> 0 AND COALESCE(c %% NULLIF(%(rated_every)s, 0) = 1, false) AS rated
    FROM placed AS p
),
batch AS (
    SELECT %(workspace)s::bigint AS workspace_id,
           'b' || n.i AS event_id,
           CASE n.k WHEN 0 THEN 'conversation.created'
                    WHEN 1 THEN 'conversation.assigned'
                    WHEN 2 THEN 'conversation.agent_replied'
                    WHEN 3 THEN 'conversation.customer_replied'
                    WHEN 4 THEN 'conversation.agent_replied'
                    WHEN 5 THEN 'conversation.resolved'
                    WHEN 6 THEN CASE WHEN v.reopens THEN 'conversation.reopened'
                                     WHEN v.rated THEN 'conversation.rated' ELSE 'page.view' END
                    ELSE 'purchase' END AS name,
           v.created_at + make_interval(secs => CASE n.k
                    WHEN 0 THEN 0
                    WHEN 1 THEN 30 + n.c %% 600
                    WHEN 2 THEN 60 + (n.c * 31) %% 14400
                    WHEN 3 THEN 14400 + n.c %% 3600
                    WHEN 4 THEN 18000 + n.c %% 3600
                    WHEN 5 THEN 21600 + (n.c * 17) %% 172800
                    WHEN 6 THEN 200000 + n.c %% 3600
                    ELSE 1800 + n.c %% 3600 END) AS occurred_at,
           CASE WHEN n.k <= 5 OR (n.k = 6 AND (v.reopens OR v.rated)) THEN 'conv-' || n.c END AS conversation_id,
           v.channel_id,
           initcap(v.channel_id) AS channel_name,
           CASE WHEN n.k IN (1, 2, 4, 5) THEN v.agent_id END AS agent_id,
           CASE WHEN n.k IN (1, 2, 4, 5) THEN 'Agent ' || v.agent_id END AS agent_name,
           CASE WHEN n.k IN (0, 3, 7) THEN v.customer_id END AS customer_id,
           CASE WHEN n.k = 6 AND NOT v.reopens AND NOT v.rated THEN 'sess-' || n.c END AS session_id,
           CASE WHEN n.k = 7 THEN (n.c %% 100) + 0.5
                WHEN n.k = 6 AND v.rated THEN 1 + (n.c * 7) %% 5 END AS value
    FROM numbered AS n
    JOIN conversations AS v USING (c)
),
claimed AS (
    INSERT INTO event_key (workspace_id, event_id, occurred_at)
    SELECT workspace_id, event_id, occurred_at FROM batch ORDER BY workspace_id, event_id
    ON CONFLICT (workspace_id, event_id) DO NOTHING
    RETURNING workspace_id, event_id
)
INSERT INTO event (workspace_id, event_id, name, occurred_at, conversation_id, channel_id, channel_name,
                   agent_id, agent_name, customer_id, session_id, value, properties)
SELECT workspace_id, event_id, name, occurred_at, conversation_id, channel_id, channel_name,
       agent_id, agent_name, customer_id, session_id, value, '{{}}'::jsonb
FROM batch JOIN claimed USING (workspace_id, event_id)
ORDER BY workspace_id, event_id
"""

# The overview's figures from the raw table alone: what a read costs without the summaries.
RAW_OVERVIEW = """
WITH periods (key, lo, hi) AS (
    VALUES ('current', %(start)s::timestamptz, %(end)s::timestamptz),
           ('previous', %(previous_start)s::timestamptz, %(start)s::timestamptz)
),
counts AS (
    SELECT p.key,
           count(*) FILTER (WHERE e.name = 'conversation.assigned') AS conversations_assigned,
           count(*) FILTER (WHERE e.name = 'conversation.agent_replied') AS agent_replies,
           count(*) FILTER (WHERE e.name = 'conversation.customer_replied') AS customer_replies,
           count(*) FILTER (WHERE e.name = 'conversation.resolved') AS resolutions,
           count(*) FILTER (WHERE e.name = 'conversation.reopened') AS reopens
    FROM periods AS p
    LEFT JOIN event AS e
           ON e.workspace_id = %(workspace)s AND e.occurred_at >= p.lo AND e.occurred_at < p.hi
    GROUP BY p.key
),
conversations AS (
    SELECT conversation_id,
           min(occurred_at) FILTER (WHERE name = 'conversation.created') AS created_at,
           min(occurred_at) FILTER (WHERE name = 'conversation.assigned') AS first_assigned_at,
           min(occurred_at) FILTER (WHERE name = 'conversation.agent_replied') AS first_response_at,
           max(occurred_at) FILTER (WHERE name = 'conversation.resolved') AS last_resolved_at,
           max(occurred_at) FILTER (WHERE name = 'conversation.reopened') AS last_reopened_at
    FROM event
    WHERE workspace_id = %(workspace)s AND name LIKE 'conversation.%%'
    GROUP BY conversation_id
),
states AS (
    SELECT *,
           last_resolved_at IS NOT NULL
               AND (last_reopened_at IS NULL OR last_resolved_at > last_reopened_at) AS resolved,
           EXTRACT(EPOCH FROM first_response_at - created_at) AS first_response_seconds,
           EXTRACT(EPOCH FROM last_resolved_at - created_at) AS resolution_seconds
    FROM conversations
    WHERE created_at IS NOT NULL
),
durations AS (
    SELECT p.key,
           count(*) FILTER (WHERE s.created_at >= p.lo AND s.created_at < p.hi) AS conversations_created,
           count(*) FILTER (WHERE s.first_response_at >= p.lo AND s.first_response_at < p.hi) AS first_response_count,
           count(*) FILTER (WHERE s.resolved AND s.last_resolved_at >= p.lo AND s.last_resolved_at < p.hi)
               AS resolution_count
    FROM periods AS p
    CROSS JOIN states AS s
    GROUP BY p.key
),
live AS (
    SELECT count(*) FILTER (WHERE NOT resolved) AS open_now,
           count(*) FILTER (WHERE NOT resolved AND first_assigned_at IS NULL) AS unassigned_now,
           count(*) FILTER (WHERE NOT resolved AND first_response_at IS NULL) AS unanswered_now
    FROM states
)
SELECT * FROM counts JOIN durations USING (key) CROSS JOIN live ORDER BY key
"""

# The summary rows each endpoint's main query reads at a size (what its cost should depend on).
WINDOW_ROWS = {
    "support_total_hourly_14d": (
        "SELECT count(*) FROM support_total_hourly WHERE workspace_id = %(ws)s"
        " AND bucket >= %(previous_start)s AND bucket < %(end)s"
    ),
    "support_hourly_14d": (
        "SELECT count(*) FROM support_hourly WHERE workspace_id = %(ws)s"
        " AND bucket >= %(previous_start)s AND bucket < %(end)s"
    ),
    "support_hourly_14d_channel": (
        "SELECT count(*) FROM support_hourly WHERE workspace_id = %(ws)s"
        " AND bucket >= %(previous_start)s AND bucket < %(end)s AND channel_id = %(channel)s"
    ),
    "support_hourly_14d_agent": (
        "SELECT count(*) FROM support_hourly WHERE workspace_id = %(ws)s"
        " AND bucket >= %(previous_start)s AND bucket < %(end)s AND agent_id = %(agent)s"
    ),
    "support_hourly_7d": (
        "SELECT count(*) FROM support_hourly WHERE workspace_id = %(ws)s AND bucket >= %(start)s AND bucket < %(end)s"
    ),
    "support_duration_hourly_7d": (
        "SELECT count(*) FROM support_duration_hourly WHERE workspace_id = %(ws)s"
        " AND bucket >= %(start)s AND bucket < %(end)s"
    ),
    "support_hourly_90d_channel": (
        "SELECT count(*) FROM support_hourly WHERE workspace_id = %(ws)s"
        " AND bucket >= %(t0)s AND bucket < %(end)s AND channel_id = %(channel)s"
    ),
    "support_hourly_90d_agent": (
        "SELECT count(*) FROM support_hourly WHERE workspace_id = %(ws)s"
        " AND bucket >= %(t0)s AND bucket < %(end)s AND agent_id = %(agent)s"
    ),
    "support_channel_hourly_14d_channel": (
        "SELECT count(*) FROM support_channel_hourly WHERE workspace_id = %(ws)s"
        " AND bucket >= %(previous_start)s AND bucket < %(end)s AND channel_id = %(channel)s"
    ),
    "support_agent_hourly_14d_agent": (
        "SELECT count(*) FROM support_agent_hourly WHERE workspace_id = %(ws)s"
        " AND bucket >= %(previous_start)s AND bucket < %(end)s AND agent_id = %(agent)s"
    ),
    "support_channel_hourly_7d": (
        "SELECT count(*) FROM support_channel_hourly WHERE workspace_id = %(ws)s"
        " AND bucket >= %(start)s AND bucket < %(end)s"
    ),
    "support_agent_hourly_7d": (
        "SELECT count(*) FROM support_agent_hourly WHERE workspace_id = %(ws)s"
        " AND bucket >= %(start)s AND bucket < %(end)s"
    ),
    "support_agent_daily_7d": (
        "SELECT count(*) FROM support_agent_daily WHERE workspace_id = %(ws)s"
        " AND bucket >= %(start)s AND bucket < %(end)s"
    ),
    "support_channel_hourly_90d_channel": (
        "SELECT count(*) FROM support_channel_hourly WHERE workspace_id = %(ws)s"
        " AND bucket >= %(t0)s AND bucket < %(end)s AND channel_id = %(channel)s"
    ),
    "support_agent_hourly_90d_agent": (
        "SELECT count(*) FROM support_agent_hourly WHERE workspace_id = %(ws)s"
        " AND bucket >= %(t0)s AND bucket < %(end)s AND agent_id = %(agent)s"
    ),
    "event_name_hourly_7d": (
        "SELECT count(*) FROM event_name_hourly WHERE workspace_id = %(ws)s"
        " AND bucket >= %(start)s AND bucket < %(end)s"
    ),
    "event_hourly_7d": (
        "SELECT count(*) FROM event_hourly WHERE workspace_id = %(ws)s AND bucket >= %(start)s AND bucket < %(end)s"
    ),
    "customer_interaction_hourly_customer": (
        "SELECT count(*) FROM customer_interaction_hourly WHERE workspace_id = %(ws)s AND customer_id = %(customer)s"
    ),
}

JUDGED = (
    "overview",
    "overview_channel",
    "overview_agent",
    "timeseries",
    "timeseries_channel",
    "timeseries_agent",
    "agents_list",
    "channels_list",
    "customer_interactions",
    "events_trend",
    "events_frequency",
    "events_stats",
)


# The desk -------------------------------------------------------------------------------------


def channel_shares(channels: int) -> list[float]:
    """Share of conversations of channel j: P(floor(n u^2) = j) = sqrt((j+1)/n) - sqrt(j/n)."""
    return [((j + 1) / channels) ** 0.5 - (j / channels) ** 0.5 for j in range(channels)]


def teams(channels: int, agents: int) -> tuple[list[int], list[int]]:
    """(first agent number, team size) per channel: sizes proportional to the channel's share, at
    least 1 each (largest remainders get the rest)."""
    if agents < channels:
        raise SystemExit("--agents must be at least --channels (every channel has a team)")
    shares = channel_shares(channels)
    spare = agents - channels
    exact = [share * spare for share in shares]
    sizes = [1 + int(value) for value in exact]
    order = sorted(range(channels), key=lambda j: exact[j] - int(exact[j]), reverse=True)
    for j in order[: agents - sum(sizes)]:
        sizes[j] += 1
    firsts = [1 + sum(sizes[:j]) for j in range(channels)]
    return firsts, sizes


def channel_ids(channels: int) -> list[str]:
    return [CHANNEL_NAMES[j] if j < len(CHANNEL_NAMES) else f"channel-{j + 1}" for j in range(channels)]


def new_shape(args) -> dict:
    tz = ZoneInfo(args.tz)
    end_day = datetime.now(tz).date() - timedelta(days=3)
    return {
        "channels": args.channels,
        "agents": args.agents,
        "customers": args.customers,
        "tz": args.tz,
        "days": DAYS,
        "first_day": (end_day - timedelta(days=DAYS)).isoformat(),
        "end_day": end_day.isoformat(),
        "business_share": BUSINESS_SHARE,
        "team_share": TEAM_SHARE,
        **QUALITY,
    }


def generate_params(shape: dict, workspace_id: int) -> dict:
    first = date.fromisoformat(shape["first_day"])
    days = [first + timedelta(days=n) for n in range(shape["days"])]
    team_first, team_size = teams(shape["channels"], shape["agents"])
    return {
        "workspace": workspace_id,
        "tz": shape["tz"],
        "days": days,
        "weekdays": [day for day in days if day.isoweekday() <= 5],
        "business_share": shape["business_share"],
        "team_share": shape["team_share"],
        "channels": shape["channels"],
        "channel_ids": channel_ids(shape["channels"]),
        "agents": shape["agents"],
        "team_first": team_first,
        "team_size": team_size,
        "customers": shape["customers"],
        # A desk stored before ratings and SLAs were part of it has no rated_every: none rated.
        "rated_every": shape.get("rated_every", 0),
    }


def span(shape: dict) -> tuple[datetime, datetime]:
    """[t0, end): local midnights of the first day and of the day after the last."""
    tz = ZoneInfo(shape["tz"])
    return (
        datetime.combine(date.fromisoformat(shape["first_day"]), clock(), tzinfo=tz),
        datetime.combine(date.fromisoformat(shape["end_day"]), clock(), tzinfo=tz),
    )


# Databases ------------------------------------------------------------------------------------


def open_database(name: str, *, fresh: bool) -> None:
    """Points Django's default connection at `name`, migrated (created; recreated when `fresh`)."""
    settings.DATABASES["default"]["TEST"] = {**settings.DATABASES["default"].get("TEST", {}), "NAME": name}
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=not fresh)


def close_database(original: str, *, keep: bool) -> None:
    """Back to the configured database; the bench database open now is dropped unless `keep`."""
    if connection.settings_dict["NAME"] == original:
        return  # already closed: never drop the configured database
    connection.creation.destroy_test_db(original, verbosity=0, keepdb=keep)


def stored_shape() -> dict | None:
    if scalar("SELECT to_regclass(%s) IS NULL", [SHAPE_TABLE]):
        return None
    shape = scalar(f"SELECT shape::text FROM {SHAPE_TABLE}")
    return json.loads(shape)


def store_shape(shape: dict) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {SHAPE_TABLE} (shape jsonb NOT NULL)")
        cursor.execute(f"DELETE FROM {SHAPE_TABLE}")
        cursor.execute(f"INSERT INTO {SHAPE_TABLE} VALUES (%s)", [json.dumps(shape)])


def prepare_workspace(shape: dict) -> Workspace:
    workspace, _ = Workspace.objects.get_or_create(slug="bench", defaults={"name": "Bench", "timezone": shape["tz"]})
    if "sla" in shape and not SlaPolicy.objects.filter(workspace=workspace).exists():
        # Versions in effect long before the first event, stored as they are (the API would refuse
        # a past start): the summaries count every conversation under them from the first load on.
        opening, closing = (int(text[:2]) * 60 + int(text[3:]) for text in shape["business_hours"])
        since = datetime(2000, 1, 1, tzinfo=UTC)
        BusinessSchedule.objects.create(
            workspace=workspace,
            effective_from=since,
            time_zone=shape["tz"],
            weekdays=[1, 2, 3, 4, 5],
            start_minutes=[opening] * 5,
            end_minutes=[closing] * 5,
            holidays=[],
        )
        SlaPolicy.objects.create(
            workspace=workspace,
            effective_from=since,
            first_response_seconds=shape["sla"]["first_response_seconds"],
            first_response_business=False,
            resolution_seconds=shape["sla"]["resolution_business_seconds"],
            resolution_business=True,
        )
    t0, end = span(shape)
    # No default partition: create the raw partitions the 90 days (and the trailing events) fall in.
    moments = [t0 + timedelta(hours=12 * n) for n in range(2 * (shape["days"] + 4))]
    partitions.ensure([moment for moment in moments if moment < datetime.now(UTC)])
    return workspace


def event_count(workspace: Workspace) -> int:
    return scalar("SELECT count(*) FROM event WHERE workspace_id = %s", [workspace.pk])


# Loading, compaction, verification ------------------------------------------------------------


def load(workspace: Workspace, *, have: int, want: int, shape: dict, bulk: bool) -> dict:
    """Inserts events [have, want), with the triggers on, or off and then `rollups rebuild` (`bulk`);
    returns timing."""
    generate = generate_params(shape, workspace.pk)
    started = time.perf_counter()
    rates = []
    for first in range(have, want, CHUNK):
        last = min(first + CHUNK, want)
        chunk_started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            if bulk:
                cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(GENERATE, {**generate, "first": first, "last": last})
        rate = (last - first) / (time.perf_counter() - chunk_started)
        if (last - have) % (50 * CHUNK) == 0 or last == want:
            rates.append({"events": last, "events_per_second": round(rate)})
            elapsed = time.perf_counter() - started
            print(
                f"  loaded {last:>10,} events ({rate:,.0f} events/s in the last statement, "
                f"{(last - have) / elapsed:,.0f} on average, {elapsed:,.0f} s)",
                flush=True,
            )
    seconds = time.perf_counter() - started
    rebuild_seconds = None
    if bulk and want > have:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE event")
        rebuild_started = time.perf_counter()
        rows = rollups.rebuild(workspace_id=workspace.pk)
        rebuild_seconds = round(time.perf_counter() - rebuild_started, 1)
        print(f"  rollups rebuild: {rows:,} summary rows in {rebuild_seconds} s", flush=True)
    vacuum_started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in ("event", "event_key", *SUMMARY_TABLES):
            cursor.execute(f"VACUUM ANALYZE {table}")
        # Write the loaded pages out now, so the checkpoint does not compete with the timed reads.
        cursor.execute("CHECKPOINT")
    return {
        "events": want - have,
        "seconds": round(seconds, 1),
        "events_per_second": round((want - have) / seconds) if want > have else None,
        "last_statement_rates": rates,
        "bulk": bulk,
        "rebuild_seconds": rebuild_seconds,
        "vacuum_seconds": round(time.perf_counter() - vacuum_started, 1),
    }


def compact(workspace: Workspace) -> dict:
    """What each pass of the refresh loop does (rollups.compact of the hours before the previous
    one), then VACUUM ANALYZE of every summary table and a CHECKPOINT."""
    started = time.perf_counter()
    folded = rollups.compact(before=refresh.compaction_horizon(), workspace_id=workspace.pk)
    compact_seconds = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in sorted({summary.table for summary in rollups.SUMMARIES}):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("CHECKPOINT")
    return {
        "slot_rows_folded": sum(folded.values()),
        "compact_seconds": round(compact_seconds, 1),
        "vacuum_analyze_seconds": round(time.perf_counter() - started, 1),
    }


def verify(workspace: Workspace) -> dict:
    started = time.perf_counter()
    found = rollups.differences(workspace_id=workspace.pk)
    result = {"differences": len(found), "seconds": round(time.perf_counter() - started, 1)}
    if found:
        result["first"] = [f"{d.table} {d.key} {d.column}: {d.summary} != {d.recomputed}" for d in found[:5]]
    print(f"  rollups verify: {len(found)} differences in {result['seconds']} s", flush=True)
    return result


# Measuring ------------------------------------------------------------------------------------


def percentiles(samples: list[float]) -> dict:
    samples = sorted(samples)
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[min(len(samples) - 1, int(0.95 * len(samples)))], 2),
        "n": len(samples),
    }


def round_robin(calls: dict, repeat: int, *, budget: float) -> dict:
    """p50/p95 of `repeat` rounds of one call each, after a warm-up of each; stops early (after 20
    rounds) when past `budget` seconds."""
    for call in calls.values():
        call()
    samples = {name: [] for name in calls}
    deadline = time.perf_counter() + budget
    for done in range(1, repeat + 1):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            samples[name].append((time.perf_counter() - started) * 1000)
        if done >= 20 and time.perf_counter() > deadline:
            break
    return {name: percentiles(values) for name, values in samples.items()}


def timed(call, repeat: int, *, budget: float, least: int = 3) -> dict:
    call()
    samples = []
    deadline = time.perf_counter() + budget
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
        if len(samples) >= least and time.perf_counter() > deadline:
            break
    return percentiles(samples)


def get(client: Client, url: str, query: dict):
    def call():
        response = client.get(url, query, HTTP_AUTHORIZATION=client.token)
        assert response.status_code == 200, (url, query, response.content[:500])
        return response

    return call


def requests(shape: dict) -> dict:
    """name -> (url, query) of every judged endpoint."""
    t0, end = span(shape)
    week_start = end - timedelta(days=7)
    week = {"from": week_start.isoformat(), "to": end.isoformat()}
    quarter = {"from": t0.isoformat(), "to": end.isoformat(), "granularity": "day"}
    last_day = (end - timedelta(days=1)).date().isoformat()
    week_days = {"start_date": week_start.date().isoformat(), "end_date": last_day}
    quarter_days = {"start_date": t0.date().isoformat(), "end_date": last_day}
    channel, agent = channel_ids(shape["channels"])[0], "agent-1"
    created, resolved = {"metric": "conversations_created"}, {"metric": "resolutions"}
    return {
        "overview": ("/api/v1/summaries/overview", week),
        "overview_channel": ("/api/v1/summaries/overview", {**week, "channel": channel}),
        "overview_agent": ("/api/v1/summaries/overview", {**week, "agent": agent}),
        "timeseries": ("/api/v1/summaries/timeseries", {**quarter, **created}),
        "timeseries_channel": ("/api/v1/summaries/timeseries", {**quarter, **created, "channel": channel}),
        "timeseries_agent": ("/api/v1/summaries/timeseries", {**quarter, **resolved, "agent": agent}),
        "agents_list": ("/api/v1/summaries/agents", {**week, "ordering": "-resolutions"}),
        "channels_list": ("/api/v1/summaries/channels", week),
        "customer_interactions": ("/api/v1/customers/cust-1/interactions", quarter_days),
        "events_trend": ("/api/v1/events/trend", week_days),
        "events_frequency": ("/api/v1/events/frequency", week_days),
        "events_stats": ("/api/v1/events/stats", week),
        "uniques_week": ("/api/v1/events/uniques", {**week, "by": "session", "granularity": "day"}),
        "uniques_quarter": ("/api/v1/events/uniques", {**quarter, "by": "session", "granularity": "month"}),
    }


def window_rows(workspace: Workspace, shape: dict) -> dict:
    t0, end = span(shape)
    start = end - timedelta(days=7)
    values = {
        "ws": workspace.pk,
        "t0": t0,
        "start": start,
        "end": end,
        "previous_start": start - timedelta(days=7),
        "channel": channel_ids(shape["channels"])[0],
        "agent": "agent-1",
        "customer": "cust-1",
    }
    return {name: scalar(sql, values) for name, sql in WINDOW_ROWS.items()}


def measure(workspace: Workspace, client: Client, *, shape: dict, repeat: int, raw_repeat: int) -> dict:
    calls = {name: get(client, url, query) for name, (url, query) in requests(shape).items()}
    # Every endpoint answers something: a read that found no rows would be fast for the wrong reason.
    overview = calls["overview"]().json()
    assert overview["conversations_created"] > 0, overview
    assert sum(calls["customer_interactions"]().json()["data"]["interactions"].values()) > 0
    assert calls["events_frequency"]().json(), "no events in the week"
    assert len(calls["agents_list"]().json()["results"]) > 0

    _, end = span(shape)
    week = {"from": (end - timedelta(days=7)).isoformat(), "to": end.isoformat()}
    window = params.parse_window(week, workspace=workspace)
    sql_params = summaries.window_params(workspace, window)

    def overview_sql():
        summaries.overview(workspace=workspace, window=window)

    def raw_overview_sql():
        return summaries.fetch(RAW_OVERVIEW, sql_params)

    calls["overview_sql"] = overview_sql
    latency = round_robin(calls, repeat, budget=900.0)
    latency["raw_overview_sql"] = timed(raw_overview_sql, raw_repeat, budget=60.0)
    summary = summaries.overview(workspace=workspace, window=window)
    raw = {row["key"]: row for row in raw_overview_sql()}["current"]
    compared = ("conversations_created", "resolutions", "open_now", "unanswered_now")
    latency["raw_and_summary_agree_on"] = {name: summary[name] == raw[name] for name in compared} | {
        "first_response_count": summary["first_response"]["count"] == raw["first_response_count"],
        "resolution_count": summary["resolution"]["count"] == raw["resolution_count"],
    }
    return latency


def summary_rows(workspace: Workspace) -> dict:
    return {
        table: scalar(f"SELECT count(*) FROM {table} WHERE workspace_id = %s", [workspace.pk])
        for table in SUMMARY_TABLES
    }


def table_megabytes() -> dict:
    sizes = {
        "event": scalar(
            "SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = 'event'::regclass"
        )
        or 0,
    }
    for table in ("event_key", *SUMMARY_TABLES):
        sizes[table] = scalar("SELECT pg_total_relation_size(%s)", [table])
    return {table: round(size / 2**20, 1) for table, size in sizes.items()}


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def at_size(workspace: Workspace, client: Client, *, size: int, shape: dict, args, database: str, check: bool) -> dict:
    have = event_count(workspace)
    print(f"{size:,} events in {database} (have {have:,})", flush=True)
    loading = (
        load(workspace, have=have, want=size, shape=shape, bulk=args.bulk)
        if size > have
        else {"events": 0, "seconds": 0}
    )
    compaction = compact(workspace)
    print(
        f"  compacted {compaction['slot_rows_folded']:,} slot rows in {compaction['compact_seconds']} s, "
        f"VACUUM ANALYZE {compaction['vacuum_analyze_seconds']} s; measuring",
        flush=True,
    )
    before = load_average()
    latency = measure(workspace, client, shape=shape, repeat=args.repeat, raw_repeat=args.raw_repeat)
    result = {
        "events": event_count(workspace),
        "database": database,
        "load": loading,
        "compaction": compaction,
        "summary_rows": summary_rows(workspace),
        "window_rows": window_rows(workspace, shape),
        "table_megabytes": table_megabytes(),
        "load_average_before_after": [before, load_average()],
        "latency": latency,
    }
    print_sizes([result])
    result["verify"] = None
    args.results.append(result)
    args.save()  # the figures are on disk before a long verify
    if check:
        result["verify"] = verify(workspace)
        args.save()
    return result


def run_database(name: str, sizes: list[int], *, shape: dict, args, fresh: bool, check_first: bool) -> None:
    """Loads and measures `sizes` (ascending) in database `name`, which is open; appends to args.results."""
    if fresh or stored_shape() is None:
        if not fresh and scalar("SELECT count(*) FROM event"):
            raise SystemExit(f"{name} holds events but no {SHAPE_TABLE}: made by an older bench/reads.py; drop it")
        store_shape(shape)
    workspace = prepare_workspace(shape)
    _, key = token_create(workspace=workspace, scopes=["read"], name="bench")
    client = Client()
    client.token = f"Token {key}"
    for index, size in enumerate(sizes):
        check = args.verify == "all" or (check_first and index == 0)
        at_size(workspace, client, size=size, shape=shape, args=args, database=name, check=check)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k events, 30 requests each")
    parser.add_argument("--sizes", default=None, help=f"comma-separated event counts (default {DEFAULT_SIZES})")
    parser.add_argument("--requests", type=int, default=None, help="timed requests per endpoint and size")
    parser.add_argument("--channels", type=int, default=8)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--tz", default="Europe/Berlin", help="the workspace's zone, in which business hours fall")
    parser.add_argument("--keep", action="store_true", help="keep the bench database(s) at the end")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help=f"keep {DATABASE} as it is and load only what a size needs beyond it (implies --keep for it)",
    )
    parser.add_argument(
        "--verify",
        choices=("smallest", "all"),
        default="smallest",
        help="run rollups verify at the smallest size only (default) or at every size (minutes at 10M)",
    )
    parser.add_argument(
        "--bulk",
        action="store_true",
        help="load with the triggers off, then build the summaries with rollups rebuild (much faster)",
    )
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args()
    sizes = sorted(int(size) for size in (args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)).split(","))
    args.repeat = args.requests or (30 if args.quick else 200)
    args.raw_repeat = 5 if args.quick else 10
    base = f"{args.database}_base"

    setup_test_environment()
    original = connection.settings_dict["NAME"]
    server = scalar("SHOW server_version")
    print(f"PostgreSQL {server}; {args.repeat} requests per endpoint and size", flush=True)
    started = time.perf_counter()
    args.results = results = []
    shape = None

    def save(complete: bool = False) -> dict:
        """Writes what is measured so far (complete=False until the last size is measured and verified)."""
        report = {
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "postgres": server,
                "note": "2 shared, slow cores; test suites of other work ran beside this benchmark: absolute "
                "latencies are noisy (+-30% between runs), ratios within one run are the figure to quote",
            },
            "method": __doc__.strip(),
            "command": " ".join(["bench/reads.py", *sys.argv[1:]]),
            "quick": args.quick,
            "complete": complete,
            "seconds": round(time.perf_counter() - started),
            "desk": {
                **shape,
                "channel_ids": channel_ids(shape["channels"]),
                "teams": teams(shape["channels"], shape["agents"]),
            },
            "target": {"p95_ms": TARGET_P95_MS, "ratio_to_smallest": TARGET_RATIO},
            "verdict": verdict(results),
            "sizes": results,
        }
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(json.dumps(report, indent=2, default=str) + "\n")
        return report

    args.save = save
    open_database(args.database, fresh=not args.reuse)
    try:
        shape = stored_shape() if args.reuse else None
        if shape is not None:
            wanted = {name: getattr(args, name) for name in ("channels", "agents", "customers", "tz")}
            held = {name: shape[name] for name in wanted}
            if wanted != held:
                raise SystemExit(f"{args.database} holds a desk of {held}, not {wanted}: drop it or pass those options")
        shape = shape or new_shape(args)
        have = scalar("SELECT count(*) FROM event")
        below = [size for size in sizes if size < have]
        here = [size for size in sizes if size >= have]
        if below:
            print(f"{args.database} holds {have:,} events: {below} go to a fresh {base}", flush=True)
            close_database(original, keep=True)
            open_database(base, fresh=True)
            try:
                run_database(base, below, shape=shape, args=args, fresh=True, check_first=True)
            finally:
                close_database(original, keep=args.keep)
            open_database(args.database, fresh=False)
        run_database(args.database, here, shape=shape, args=args, fresh=not args.reuse, check_first=not below)
    finally:
        close_database(original, keep=args.keep or args.reuse)

    report = save(complete=True)
    print()
    print_sizes(results)
    print()
    print_verdict(report["verdict"], results)
    print(f"written to {args.output}")


def verdict(results: list[dict]) -> dict:
    """Per judged endpoint: p95 at the smallest and largest size, their ratio, pass/fail."""
    first, last = results[0], results[-1]
    judged = {}
    for name in JUDGED:
        small, large = first["latency"][name]["p95_ms"], last["latency"][name]["p95_ms"]
        ratio = large / small
        failing = [f"p95 > {TARGET_P95_MS:g} ms"] if large > TARGET_P95_MS else []
        failing += [f"ratio > {TARGET_RATIO:g}"] if ratio > TARGET_RATIO else []
        judged[name] = {
            "p95_ms_smallest": small,
            "p95_ms_largest": large,
            "ratio": round(ratio, 2),
            "pass": not failing,
            "fails": failing,
        }
    return {"smallest": first["events"], "largest": last["events"], "endpoints": judged}


def print_sizes(results: list[dict]) -> None:
    names = [*JUDGED, "overview_sql", "raw_overview_sql", "uniques_week", "uniques_quarter"]
    headers = " | ".join(f"{result['events']:,} events p50 / p95 ms (n)" for result in results)
    print(f"| endpoint | {headers} |")
    print(f"| --- | {' | '.join('---:' for _ in results)} |")
    for name in names:
        cells = []
        for result in results:
            figure = result["latency"][name]
            cells.append(f"{figure['p50_ms']:.2f} / {figure['p95_ms']:.2f} ({figure['n']})")
        print(f"| {name} | {' | '.join(cells)} |")


def print_verdict(judged: dict, results: list[dict]) -> None:
    small, large = f"{judged['smallest']:,}", f"{judged['largest']:,}"
    target = f"<= {TARGET_P95_MS:g} ms and <= {TARGET_RATIO:g}x"
    print(f"| endpoint | p95 ms at {small} | p95 ms at {large} | ratio | {target} |")
    print("| --- | ---: | ---: | ---: | --- |")
    for name, figure in judged["endpoints"].items():
        outcome = "pass" if figure["pass"] else "FAIL: " + ", ".join(figure["fails"])
        print(
            f"| {name} | {figure['p95_ms_smallest']:.2f} | {figure['p95_ms_largest']:.2f} | "
            f"{figure['ratio']:.2f} | {outcome} |"
        )
    for result in results:
        if result.get("verify") is not None:
            print(f"rollups verify at {result['events']:,} events: {result['verify']['differences']} differences")
        loading = result["load"]
        if loading.get("events_per_second"):
            print(f"loaded {loading['events']:,} events at {loading['events_per_second']:,} events/s")


if __name__ == "__main__":
    main()

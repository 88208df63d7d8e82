"""Refresh time of each materialized rollup (sql/views/) over the hourly tables of 1M and 10M raw
events.

    .venv/bin/python bench/rollups.py            # 1M and 10M events' worth (a few minutes here)
    .venv/bin/python bench/rollups.py --quick    # 100k and 1M, one timing each (under a minute)

It creates its own database (`tally_bench_rollups`, on the configured server, migrated like any
other; dropped at the end unless `--keep`). Inserting 10M events through the triggers takes far
longer than the refreshes being measured, so the hourly tables are generated directly: a stream of
N events is generated in SQL (generate_series) into a scratch table, never into `event`, and each
hourly table is filled with what the triggers make of that stream. The stream has the shape of
bench/reads.py (conversations of 8 events: created, assigned, agent reply, customer reply, agent
reply, resolved, then a reopen for 1 in 10 or a page.view, and a purchase with a value; 4
channels, 20 agents, 5000 customers, spread over the 90 days that end 3 days before today), over
10 workspaces in 10 timezones. Before timing, the script checks that claim: it inserts a small
stream into `event` with the triggers on and compares the hourly tables with the generator's
rows (`generator_matches_triggers` in the results).

For each size and view it times a plain REFRESH MATERIALIZED VIEW (a full rebuild that blocks
readers: what the first population costs) and `rollups refresh`'s CONCURRENTLY (readers go on;
the new contents are diffed against the old), with the server's default settings. Results:
bench/results/rollups.json.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from analytics import refresh  # noqa: E402
from analytics.models import DURATION_BINS  # noqa: E402
from analytics.rollups import SUMMARIES  # noqa: E402
from bench.common import scalar, scratch_database  # noqa: E402
from core.models import Workspace  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "rollups.json"
DATABASE = "tally_bench_rollups"
SPAN = timedelta(days=90)
CHECK_EVENTS = 8_000
DEFAULT_SIZES = "1000000,10000000"
QUICK_SIZES = "100000,1000000"
TIMEZONES = (
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "America/Los_Angeles",
    "Europe/London",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "Asia/Kathmandu",
)
HOURLY_TABLES = ("event_hourly", "customer_interaction_hourly", "support_hourly", "support_duration_hourly")

# The event stream: event i is step i % 8 of conversation i / 8; the conversation's workspace,
# start, channel, agent and customer are hashes of its number.
STREAM = """
CREATE UNLOGGED TABLE bench_events AS
WITH numbered AS (
    SELECT i, i / 8 AS c, (i %% 8)::int AS k
    FROM generate_series(0, %(events)s::bigint - 1) AS i
),
shaped AS (
    SELECT i, c, k,
           (%(workspaces)s::bigint[])[1 + ((c * 2246822519) %% 4294967291) %% cardinality(%(workspaces)s::bigint[])]
               AS workspace_id,
           %(t0)s::timestamptz
               + %(span)s::interval * (((c * 2654435761) %% 4294967296)::float8 / 4294967296) AS created_at,
           (ARRAY['email', 'chat', 'phone', 'whatsapp'])[1 + (c %% 4)::int] AS channel_id,
           'agent-' || (1 + (c * 7) %% 20) AS agent,
           'cust-' || (1 + (c * 13) %% 5000) AS customer,
           c %% 10 = 0 AS reopens
    FROM numbered
)
SELECT workspace_id, c, k, created_at, reopens, channel_id,
       'b' || i AS event_id,
       CASE k WHEN 0 THEN 'conversation.created'
              WHEN 1 THEN 'conversation.assigned'
              WHEN 2 THEN 'conversation.agent_replied'
              WHEN 3 THEN 'conversation.customer_replied'
              WHEN 4 THEN 'conversation.agent_replied'
              WHEN 5 THEN 'conversation.resolved'
              WHEN 6 THEN CASE WHEN reopens THEN 'conversation.reopened' ELSE 'page.view' END
              ELSE 'purchase' END AS name,
       created_at + make_interval(secs => CASE k
              WHEN 0 THEN 0
              WHEN 1 THEN 30 + c %% 600
              WHEN 2 THEN 60 + (c * 31) %% 14400
              WHEN 3 THEN 14400 + c %% 3600
              WHEN 4 THEN 18000 + c %% 3600
              WHEN 5 THEN 21600 + (c * 17) %% 172800
              WHEN 6 THEN 200000 + c %% 3600
              ELSE 1800 + c %% 3600 END) AS occurred_at,
       CASE WHEN k <= 5 OR (k = 6 AND reopens) THEN 'conv-' || c END AS conversation_id,
       CASE WHEN k IN (1, 2, 4, 5) THEN agent END AS agent_id,
       CASE WHEN k IN (0, 3, 7) THEN customer END AS customer_id,
       CASE WHEN k = 6 AND NOT reopens THEN 'sess-' || c END AS session_id,
       CASE WHEN k = 7 THEN (c %% 100) + 0.5 END AS value
FROM shaped
"""

INSERT_EVENTS = """
INSERT INTO event (workspace_id, event_id, name, occurred_at, conversation_id, channel_id, channel_name,
                   agent_id, agent_name, customer_id, session_id, value, properties)
SELECT workspace_id, event_id, name, occurred_at, conversation_id, channel_id, initcap(channel_id),
       agent_id, 'Agent ' || agent_id, customer_id, session_id, value, '{}'::jsonb
FROM bench_events
ORDER BY event_id
"""

# What the triggers make of bench_events, table by table (sql/triggers/). In the stream the first
# reply is step 2, the only resolution step 5, and a reopen (step 6) comes after it, so a
# reopened conversation is open and has no resolution time.
GENERATED = {
    "event_hourly": """
        SELECT workspace_id, date_trunc('hour', occurred_at, 'UTC') AS bucket, name, channel_id,
               COALESCE(agent_id, '') AS agent_id, count(*) AS events, count(value) AS value_count,
               COALESCE(sum(value), 0) AS value_sum, min(value) AS value_min, max(value) AS value_max
        FROM bench_events
        GROUP BY 1, 2, 3, 4, 5
    """,
    "customer_interaction_hourly": """
        SELECT workspace_id, date_trunc('hour', occurred_at, 'UTC') AS bucket, customer_id, channel_id,
               count(*) AS interactions
        FROM bench_events
        WHERE customer_id IS NOT NULL
        GROUP BY 1, 2, 3, 4
    """,
    "support_hourly": """
        WITH contributions AS (
            SELECT workspace_id, date_trunc('hour', occurred_at, 'UTC') AS bucket, channel_id,
                   COALESCE(agent_id, '') AS agent_id,
                   (k = 0)::int AS conversations_created,
                   (name = 'conversation.assigned')::int AS conversations_assigned,
                   (name = 'conversation.agent_replied')::int AS agent_replies,
                   (name = 'conversation.customer_replied')::int AS customer_replies,
                   (name = 'conversation.resolved')::int AS resolutions,
                   (name = 'conversation.reopened')::int AS reopens,
                   (k = 2)::int AS first_response_count,
                   CASE WHEN k = 2 THEN EXTRACT(EPOCH FROM occurred_at - created_at) ELSE 0 END
                       AS first_response_seconds,
                   (k = 5 AND NOT reopens)::int AS resolution_count,
                   CASE WHEN k = 5 AND NOT reopens THEN EXTRACT(EPOCH FROM occurred_at - created_at) ELSE 0 END
                       AS resolution_seconds
            FROM bench_events
            WHERE name LIKE 'conversation.%%'
        )
        SELECT workspace_id, bucket, channel_id, agent_id,
               sum(conversations_created), sum(conversations_assigned), sum(agent_replies),
               sum(customer_replies), sum(resolutions), sum(reopens), sum(first_response_count),
               sum(first_response_seconds), sum(resolution_count), sum(resolution_seconds)
        FROM contributions
        GROUP BY 1, 2, 3, 4
    """,
    "support_duration_hourly": """
        SELECT workspace_id, date_trunc('hour', occurred_at, 'UTC') AS bucket, channel_id, agent_id,
               CASE k WHEN 2 THEN 'first_response' ELSE 'resolution' END AS metric,
               (%(bins)s::int[])[width_bucket(EXTRACT(EPOCH FROM occurred_at - created_at), %(bins)s::int[])]
                   AS bin_start_seconds,
               count(*) AS conversations
        FROM bench_events
        WHERE k = 2 OR (k = 5 AND NOT reopens)
        GROUP BY 1, 2, 3, 4, 5, 6
    """,
    "support_live": """
        SELECT workspace_id, channel_id, count(*) AS open, 0 AS unassigned, 0 AS unanswered
        FROM bench_events
        WHERE k = 0 AND reopens
        GROUP BY 1, 2
    """,
    "agent": """
        SELECT workspace_id, agent_id, 'Agent ' || agent_id AS name,
               min(occurred_at) AS first_seen_at, max(occurred_at) AS last_seen_at
        FROM bench_events
        WHERE agent_id IS NOT NULL
        GROUP BY 1, 2
    """,
}
COLUMNS = {
    "event_hourly": "workspace_id, bucket, name, channel_id, agent_id, events, value_count, value_sum, value_min, "
    "value_max",
    "customer_interaction_hourly": "workspace_id, bucket, customer_id, channel_id, interactions",
    "support_hourly": "workspace_id, bucket, channel_id, agent_id, conversations_created, conversations_assigned, "
    "agent_replies, customer_replies, resolutions, reopens, first_response_count, first_response_seconds, "
    "resolution_count, resolution_seconds",
    "support_duration_hourly": "workspace_id, bucket, channel_id, agent_id, metric, bin_start_seconds, conversations",
    "support_live": "workspace_id, channel_id, open, unassigned, unanswered",
    "agent": "workspace_id, agent_id, name, first_seen_at, last_seen_at",
}
# Rows of additive tables whose values are all 0 equal a missing row (analytics/rollups.py).
NONZERO = {
    "support_hourly": "WHERE (conversations_created, conversations_assigned, agent_replies, customer_replies, "
    "resolutions, reopens, first_response_count, first_response_seconds, resolution_count, resolution_seconds) "
    "<> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)",
    "support_duration_hourly": "WHERE conversations <> 0",
    "support_live": "WHERE (open, unassigned, unanswered) <> (0, 0, 0)",
}


def execute(sql: str, params=None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def clear() -> None:
    execute(f"TRUNCATE event, event_key, rollup_refresh, {', '.join(summary.table for summary in SUMMARIES)}")
    execute("DROP TABLE IF EXISTS bench_events")


def stream(*, events: int, workspaces: list[int], t0: datetime) -> None:
    execute(STREAM, {"events": events, "workspaces": workspaces, "t0": t0, "span": SPAN})


def generator_matches_triggers(workspaces: list[int], t0: datetime) -> bool:
    """Inserts a small stream into `event` with the triggers on; True when every table equals the generator's rows."""
    clear()
    stream(events=CHECK_EVENTS, workspaces=workspaces, t0=t0)
    execute(INSERT_EVENTS)
    matches = True
    for table, sql in GENERATED.items():
        stored = f"SELECT {COLUMNS[table]} FROM {table} {NONZERO.get(table, '')}"
        made = f"SELECT * FROM ({sql}) AS g"
        differing = scalar(
            f"SELECT count(*) FROM (({stored} EXCEPT ALL {made}) UNION ALL ({made} EXCEPT ALL {stored})) AS d",
            {"bins": list(DURATION_BINS)},
        )
        if differing:
            print(f"  {table}: {differing} rows differ between the triggers and the generator", flush=True)
            matches = False
    clear()
    return matches


def load(*, events: int, workspaces: list[int], t0: datetime) -> dict:
    """Fills the hourly tables (and agent, support_live) with what `events` raw events would have made."""
    started = time.perf_counter()
    clear()
    stream(events=events, workspaces=workspaces, t0=t0)
    for table, sql in GENERATED.items():
        execute(f"INSERT INTO {table} ({COLUMNS[table]}) {sql}", {"bins": list(DURATION_BINS)})
    execute("DROP TABLE bench_events")
    for table in (*HOURLY_TABLES, "agent", "support_live"):
        execute(f"VACUUM ANALYZE {table}")
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "raw_events_represented": scalar("SELECT sum(events)::bigint FROM event_hourly"),
        "hourly_rows": {table: scalar(f"SELECT count(*) FROM {table}") for table in HOURLY_TABLES},
    }


def timed_refreshes(repeat: int) -> dict:
    views = {}
    for view in refresh.materialized_views():
        table = view._meta.db_table
        plain = []
        for _ in range(repeat):
            started = time.perf_counter()
            execute(f"REFRESH MATERIALIZED VIEW {table}")
            plain.append((time.perf_counter() - started) * 1000)
        concurrent = [refresh.view_refresh(view=view).duration_ms for _ in range(repeat)]
        views[table] = {
            "rows": scalar(f"SELECT count(*) FROM {table}"),
            "plain_ms": round(statistics.median(plain)),
            "concurrently_ms": round(statistics.median(concurrent)),
        }
        print(
            f"  {table:<24} {views[table]['rows']:>10,} rows  plain {views[table]['plain_ms']:>7,} ms  "
            f"concurrently {views[table]['concurrently_ms']:>7,} ms",
            flush=True,
        )
    return views


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100k and 1M events, one timing each")
    parser.add_argument("--sizes", default=None, help=f"comma-separated raw event counts (default {DEFAULT_SIZES})")
    parser.add_argument("--repeat", type=int, default=None, help="timings per view and kind, median kept (default 3)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database at the end")
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args()
    sizes = [int(size) // 8 * 8 for size in (args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)).split(",")]
    repeat = args.repeat or (1 if args.quick else 3)

    started = time.perf_counter()
    original = scratch_database(DATABASE)
    try:
        workspaces = [
            Workspace.objects.create(slug=f"bench-{number}", name=f"Bench {number}", timezone=zone).pk
            for number, zone in enumerate(TIMEZONES)
        ]
        t0 = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=3) - SPAN
        server = scalar("SHOW server_version")
        print(f"PostgreSQL {server}, database {DATABASE}", flush=True)
        matches = generator_matches_triggers(workspaces, t0)
        print(f"generator matches the triggers on {CHECK_EVENTS:,} events: {matches}", flush=True)
        results = []
        for size in sizes:
            print(f"{size:,} events' worth of hourly rows", flush=True)
            loading = load(events=size, workspaces=workspaces, t0=t0)
            print(f"  generated in {loading['seconds']}s: {loading['hourly_rows']}", flush=True)
            results.append({"events": size, "load": loading, "views": timed_refreshes(repeat)})
        server_settings = {
            name: scalar(f"SHOW {name}") for name in ("work_mem", "shared_buffers", "max_parallel_workers_per_gather")
        }
    finally:
        connection.creation.destroy_test_db(original, verbosity=0, keepdb=args.keep)

    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "postgres": server},
        "server_settings": server_settings,
        "method": __doc__.strip(),
        "parameters": {
            "quick": args.quick,
            "repeat": repeat,
            "workspaces": len(TIMEZONES),
            "timezones": list(TIMEZONES),
            "span_days": SPAN.days,
            "channels": 4,
            "agents": 20,
            "customers": 5000,
            "events_per_conversation": 8,
        },
        "generator_matches_triggers": matches,
        "seconds_total": round(time.perf_counter() - started, 1),
        "sizes": results,
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    print_table(results)
    print(f"written to {args.output}")


def print_table(results: list[dict]) -> None:
    print()
    headers = [f"{result['events']:,} events" for result in results]
    print(f"{'view':<24} " + " ".join(f"{header:>34}" for header in headers))
    print(f"{'':<24} " + " ".join(f"{'rows / plain ms / concurrently ms':>34}" for _ in results))
    for view in results[0]["views"]:
        figures = [result["views"][view] for result in results]
        cells = [f"{f['rows']:,} / {f['plain_ms']:,} / {f['concurrently_ms']:,}" for f in figures]
        print(f"{view:<24} " + " ".join(f"{cell:>34}" for cell in cells))
    for result in results:
        rows = sum(result["load"]["hourly_rows"].values())
        print(f"{result['events']:,} events: {rows:,} hourly rows")


if __name__ == "__main__":
    main()

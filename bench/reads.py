"""Read latency of the summary endpoints at growing numbers of raw events, and the same overview
computed from the raw table for comparison.

    .venv/bin/python bench/reads.py            # 10k, 1M and 10M events (about half an hour here)
    .venv/bin/python bench/reads.py --quick    # 10k and 100k, fewer requests (under 2 minutes)

It creates its own database (`tally_bench_reads`, on the configured server; dropped at the end
unless `--keep`), loads one workspace in steps up to each size and, at each size, times requests
through the whole Django/DRF stack with the test client and a real `read` token:

- overview: GET /api/v1/summaries/overview for the last 7 days of the data;
- timeseries: GET /api/v1/summaries/timeseries?metric=conversations_created&granularity=day over 90 days;
- interactions: GET /api/v1/customers/cust-1/interactions over the same 90 days;
- overview_channel, agents_list: the overview filtered by channel=email, and the agents list, for
  the 7 days (these read the per-channel/agent rows, not support_total_hourly);
- overview_sql / raw_overview_sql: the overview's SQL alone, and the same figures (counts,
  durations, live counters) computed with count()/GROUP BY over the raw `event` table.

Events are generated in SQL (generate_series) and inserted with every trigger on, 10k rows a
statement, so the summaries are built the way ingestion builds them. Loading slows as the
tables grow (about 12k events/s at first, 5k near 10M here): the events are spread uniformly over
90 days, so every statement's upserts land on random pages of large summary indexes. Statement
size is not the cause: at 2M events, statements of 1k, 10k and 50k events ran at about 5k, 7k
and 9k events/s. They are conversations of 8 events (created, assigned, agent reply, customer
reply, agent reply, resolved, then a reopen for 1 in 10 or a page.view, and a purchase with a
value), on 4 channels, 20 agents and 5000 customers, spread evenly over 90 days that end 3 days
before today. Results: bench/results/reads.json.
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
from django.test import Client  # noqa: E402

from analytics import params, summaries  # noqa: E402
from bench.common import scalar, scratch_database  # noqa: E402
from core.auth import token_create  # noqa: E402
from core.models import Workspace  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "reads.json"
DATABASE = "tally_bench_reads"
EVENTS_PER_CONVERSATION = 8
CHUNK = 10_000
SPAN = timedelta(days=90)
SUMMARY_TABLES = (
    "support_total_hourly",
    "support_hourly",
    "support_duration_hourly",
    "event_hourly",
    "customer_interaction_hourly",
)
DEFAULT_SIZES = "10000,1000000,10000000"
QUICK_SIZES = "10000,100000"

GENERATE = """
WITH numbered AS (
    SELECT i, i / 8 AS c, (i %% 8)::int AS k
    FROM generate_series(%(first)s::bigint, %(last)s::bigint - 1) AS i
),
shaped AS (
    SELECT i, c, k,
           %(t0)s::timestamptz
               + %(span)s::interval * (((c * 2654435761) %% 4294967296)::float8 / 4294967296) AS created_at,
           (ARRAY['email', 'chat', 'phone', 'whatsapp'])[1 + (c %% 4)::int] AS channel_id,
           'agent-' || (1 + (c * 7) %% 20) AS agent_id,
           'cust-' || (1 + (c * 13) %% 5000) AS customer_id,
           c %% 10 = 0 AS reopens
    FROM numbered
)
INSERT INTO event (workspace_id, event_id, name, occurred_at, conversation_id, channel_id, channel_name,
                   agent_id, agent_name, customer_id, session_id, value, properties)
SELECT %(workspace)s,
       'b' || i,
       CASE k WHEN 0 THEN 'conversation.created'
              WHEN 1 THEN 'conversation.assigned'
              WHEN 2 THEN 'conversation.agent_replied'
              WHEN 3 THEN 'conversation.customer_replied'
              WHEN 4 THEN 'conversation.agent_replied'
              WHEN 5 THEN 'conversation.resolved'
              WHEN 6 THEN CASE WHEN reopens THEN 'conversation.reopened' ELSE 'page.view' END
              ELSE 'purchase' END,
       created_at + make_interval(secs => CASE k
              WHEN 0 THEN 0
              WHEN 1 THEN 30 + c %% 600
              WHEN 2 THEN 60 + (c * 31) %% 14400
              WHEN 3 THEN 14400 + c %% 3600
              WHEN 4 THEN 18000 + c %% 3600
              WHEN 5 THEN 21600 + (c * 17) %% 172800
              WHEN 6 THEN 200000 + c %% 3600
              ELSE 1800 + c %% 3600 END),
       CASE WHEN k <= 5 OR (k = 6 AND reopens) THEN 'conv-' || c END,
       channel_id,
       initcap(channel_id),
       CASE WHEN k IN (1, 2, 4, 5) THEN agent_id END,
       CASE WHEN k IN (1, 2, 4, 5) THEN 'Agent ' || agent_id END,
       CASE WHEN k IN (0, 3, 7) THEN customer_id END,
       CASE WHEN k = 6 AND NOT reopens THEN 'sess-' || c END,
       CASE WHEN k = 7 THEN (c %% 100) + 0.5 END,
       '{}'::jsonb
FROM shaped
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
           avg(s.first_response_seconds) FILTER (WHERE s.first_response_at >= p.lo AND s.first_response_at < p.hi)
               AS first_response_avg_seconds,
           percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY s.first_response_seconds)
               FILTER (WHERE s.first_response_at >= p.lo AND s.first_response_at < p.hi) AS first_response_percentiles,
           count(*) FILTER (WHERE s.resolved AND s.last_resolved_at >= p.lo AND s.last_resolved_at < p.hi)
               AS resolution_count,
           avg(s.resolution_seconds)
               FILTER (WHERE s.resolved AND s.last_resolved_at >= p.lo AND s.last_resolved_at < p.hi)
               AS resolution_avg_seconds,
           percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY s.resolution_seconds)
               FILTER (WHERE s.resolved AND s.last_resolved_at >= p.lo AND s.last_resolved_at < p.hi)
               AS resolution_percentiles
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


def load(workspace: Workspace, *, have: int, want: int, t0: datetime) -> dict:
    """Inserts events [have, want) with the triggers on; returns timing."""
    started = time.perf_counter()
    for first in range(have, want, CHUNK):
        last = min(first + CHUNK, want)
        chunk_started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(GENERATE, {"first": first, "last": last, "t0": t0, "span": SPAN, "workspace": workspace.pk})
        rate = (last - first) / (time.perf_counter() - chunk_started)
        if (last - have) % (50 * CHUNK) == 0 or last == want:
            print(f"  loaded {last:>10,} events ({rate:,.0f} events/s in the last statement)", flush=True)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        for table in ("event", *SUMMARY_TABLES):
            cursor.execute(f"VACUUM ANALYZE {table}")
        # Write the loaded pages out now, so the checkpoint does not compete with the timed reads.
        cursor.execute("CHECKPOINT")
    return {"seconds": round(seconds, 1), "events_per_second": round((want - have) / seconds) if want > have else None}


def timed(call, repeat: int, *, budget: float = 120.0) -> dict:
    """p50/p95 of `repeat` calls after a warm-up; stops early (after 5) when past `budget` seconds."""
    call()
    samples = []
    deadline = time.perf_counter() + budget
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
        if len(samples) >= 5 and time.perf_counter() > deadline:
            break
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[min(len(samples) - 1, int(0.95 * len(samples)))], 2),
        "n": len(samples),
    }


def get(client: Client, url: str, query: dict):
    def call():
        response = client.get(url, query, HTTP_AUTHORIZATION=client.token)
        assert response.status_code == 200, response.content

    return call


def measure(workspace: Workspace, client: Client, *, end: datetime, repeat: int, raw_repeat: int) -> dict:
    week = {"from": (end - timedelta(days=7)).isoformat(), "to": end.isoformat()}
    quarter = {"from": (end - SPAN).isoformat(), "to": end.isoformat()}
    days = {"start_date": (end - SPAN).date().isoformat(), "end_date": (end - timedelta(days=1)).date().isoformat()}
    window = params.parse_window(week, workspace=workspace)
    sql_params = summaries.window_params(workspace, window)

    def overview_sql():
        summaries.overview(workspace=workspace, window=window)

    def raw_overview_sql():
        return summaries.fetch(RAW_OVERVIEW, sql_params)

    latency = {
        "overview": timed(get(client, "/api/v1/summaries/overview", week), repeat),
        "timeseries_day_90d": timed(
            get(client, "/api/v1/summaries/timeseries", {**quarter, "metric": "conversations_created"}), repeat
        ),
        "customer_interactions_90d": timed(get(client, "/api/v1/customers/cust-1/interactions", days), repeat),
        # Filtered and per-agent reads use the per-channel/agent rows, not support_total_hourly.
        "overview_channel": timed(get(client, "/api/v1/summaries/overview", {**week, "channel": "email"}), repeat),
        "agents_list": timed(get(client, "/api/v1/summaries/agents", {**week, "ordering": "-resolutions"}), repeat),
        "overview_sql": timed(overview_sql, repeat),
        "raw_overview_sql": timed(raw_overview_sql, raw_repeat, budget=60.0),
    }
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
    return {
        table: round(scalar("SELECT pg_total_relation_size(%s)", [table]) / 2**20, 1)
        for table in ("event", *SUMMARY_TABLES)
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k events, 30 requests each")
    parser.add_argument("--sizes", default=None, help="comma-separated event counts (default 10000,1000000,10000000)")
    parser.add_argument("--requests", type=int, default=None, help="timed requests per endpoint and size")
    parser.add_argument("--keep", action="store_true", help="keep the bench database at the end")
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args()
    sizes = [int(size) for size in (args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)).split(",")]
    repeat = args.requests or (30 if args.quick else 200)
    raw_repeat = max(5, repeat // 10) if args.quick else 20

    original = scratch_database(DATABASE)
    try:
        workspace, _ = Workspace.objects.get_or_create(slug="bench", defaults={"name": "Bench", "timezone": "UTC"})
        _, key = token_create(workspace=workspace, scopes=["read"], name="bench")
        client = Client()
        client.token = f"Token {key}"
        end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=3)
        t0 = end - SPAN
        server = scalar("SHOW server_version")
        print(f"PostgreSQL {server}, database {DATABASE}; {repeat} requests per endpoint and size", flush=True)
        results = []
        for size in sizes:
            have = scalar("SELECT count(*) FROM event WHERE workspace_id = %s", [workspace.pk])
            print(f"{size:,} events (have {have:,})", flush=True)
            loading = load(workspace, have=have, want=size, t0=t0) if size > have else {"seconds": 0}
            results.append(
                {
                    "events": scalar("SELECT count(*) FROM event WHERE workspace_id = %s", [workspace.pk]),
                    "load": loading,
                    "summary_rows": summary_rows(workspace),
                    "table_megabytes": table_megabytes(),
                    "latency": measure(workspace, client, end=end, repeat=repeat, raw_repeat=raw_repeat),
                }
            )
    finally:
        connection.creation.destroy_test_db(original, verbosity=0, keepdb=args.keep)

    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "postgres": server},
        "method": __doc__.strip(),
        "quick": args.quick,
        "sizes": results,
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    print_table(results)
    print(f"written to {args.output}")


def print_table(results: list[dict]) -> None:
    columns = (
        "overview",
        "timeseries_day_90d",
        "customer_interactions_90d",
        "overview_channel",
        "agents_list",
        "raw_overview_sql",
    )
    print()
    print(f"{'events':>12} " + " ".join(f"{name:>27}" for name in columns))
    print(f"{'':>12} " + " ".join(f"{'p50 / p95 ms':>27}" for _ in columns))
    for result in results:
        figures = [result["latency"][name] for name in columns]
        cells = [f"{figure['p50_ms']:>12.2f} / {figure['p95_ms']:<10.2f}" for figure in figures]
        print(f"{result['events']:>12,} " + " ".join(f"{cell:>27}" for cell in cells))
    base = results[0]["latency"]
    for result in results[1:]:
        ratio = result["latency"]["overview"]["p50_ms"] / base["overview"]["p50_ms"]
        print(f"overview p50 at {result['events']:,} events = {ratio:.2f} x at {results[0]['events']:,}")


if __name__ == "__main__":
    main()

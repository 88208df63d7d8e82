"""The event catalogue's costs: ingest with declared properties against ingest without, and the
reads of the catalogue and of the stats over properties at millions of events (issue 14).

    .venv/bin/python bench/catalogue.py                      # ingest ratio, then reads at 10M events
    .venv/bin/python bench/catalogue.py --events 1000000     # reads at 1M
    .venv/bin/python bench/catalogue.py --skip-reads         # the ingest ratio only (minutes)
    .venv/bin/python bench/catalogue.py --skip-ingest --bulk --keep   # reads at 10M, loaded without
                                                             # the triggers, then rollups rebuild

Ingest: the same events, each carrying 20 properties (3 that become dimensions, 1 measure and 16
others), spread over the hour before this one (`live`: what a backend sends as events happen)
or over the two days before it (`history`: a replay), rendered beforehand as the INSERT the API
runs (analytics.services.INSERT_EVENTS) in batches of 1000 and sent from 2 connections with every
trigger on, into emptied tables; once with nothing declared, once with the definition declaring 3
dimensions (caps 100) and 1 measure. The runs alternate, `--rounds` times each, and the ratio is
events/s with properties over events/s without (all rounds' events over all rounds' seconds;
each round is listed). Target: >= 0.85.

Reads: `--events` events of `cta click` over 90 days ending this hour are generated in SQL
(generate_series; every value a hash of the event number, so each run loads the same events) and
inserted 10k a statement with every trigger on, the definition declaring browser (8 values,
skewed), page (60 values), country (30) as dimensions and price as a measure before the load, so
the trigger keeps the rows (with `--bulk`: the triggers off during the load, then `rollups
rebuild`, the recomputation the trigger's rows must equal, in slot 0; the trigger path does about
1,000 events/s here, hours for 10M). Then compaction of closed hours (what the refresh loop does), VACUUM
ANALYZE, and requests through the whole Django/DRF stack (test client, a real `read` token)
round-robin over the reads (stats by a declared property, exact unique users and sessions per
day, week and month, the catalogue), p50/p95 after a warm-up. Target: p95 <= 25 ms.

Results: bench/results/catalogue.json. The database (`tally_bench_catalogue` on the configured
server) is dropped at the end unless `--keep`.
"""

import argparse
import json
import platform
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    base_url,
    connect,
    prepare_database,
    render_inserts,
    reset,
    run_statements,
    setup_django,
    with_database,
)

RESULTS = ROOT / "bench" / "results" / "catalogue.json"
NAME = "cta click"
DECLARED = [
    {"key": "browser", "kind": "dimension", "cap": 100},
    {"key": "page", "kind": "dimension", "cap": 100},
    {"key": "country", "kind": "dimension", "cap": 100},
    {"key": "price", "kind": "measure", "cap": None},
]
BROWSERS = ["chrome", "safari", "firefox", "edge", "samsung", "opera", "brave", "other"]


def twenty_properties(rng: random.Random) -> dict:
    properties = {
        "browser": rng.choice(BROWSERS),
        "page": f"/page/{rng.randrange(60)}",
        "country": f"c{rng.randrange(30)}",
        "price": round(rng.uniform(1, 500), 2),
    }
    for number in range(16):
        properties[f"extra_{number}"] = rng.choice([rng.randrange(10_000), f"text-{rng.randrange(1000)}", True])
    return properties


PROFILES = {"live": timedelta(hours=1), "history": timedelta(days=2)}
"""How long before this hour the events of a run spread: live traffic (what a backend sends as it
happens, each batch within the hour) and a replay of two days of history."""


def ingest_events(count: int, seed: int, spread: timedelta) -> list[dict]:
    rng = random.Random(seed)
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - spread
    return [
        {
            "id": f"ev-{seed}-{number}",
            "name": NAME,
            "occurred_at": (start + timedelta(seconds=rng.randrange(int(spread.total_seconds())))).isoformat(),
            "session_id": f"s{rng.randrange(5000)}",
            "user_id": f"u{rng.randrange(2000)}",
            "properties": twenty_properties(rng),
        }
        for number in range(count)
    ]


def declare(url: str, workspace_id: int, declared: bool) -> None:
    with connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("DELETE FROM event_property WHERE workspace_id = %s", [workspace_id])
        cursor.execute("DELETE FROM event_definition WHERE workspace_id = %s", [workspace_id])
        cursor.execute(
            "INSERT INTO event_definition (workspace_id, name, description, category) VALUES (%s, %s, '', '')",
            [workspace_id, NAME],
        )
        if declared:
            for item in DECLARED:
                cursor.execute(
                    "INSERT INTO event_property (workspace_id, name, key, kind, cap) VALUES (%s, %s, %s, %s, %s)",
                    [workspace_id, NAME, item["key"], item["kind"], item["cap"]],
                )


def ingest_ratio(url: str, workspace_id: int, *, events: int, rounds: int, profile: str) -> dict:
    generated = ingest_events(events, 1, PROFILES[profile])
    statements = render_inserts(url=url, workspace_id=workspace_id, events=generated, size=1000)
    runs = []
    for number in range(rounds):
        for declared in (False, True):
            declare(url, workspace_id, declared)
            reset(url)
            with connect(url) as connection, connection.cursor() as cursor:
                cursor.execute("CHECKPOINT")
            result = run_statements(url=url, statements=statements, clients=2)
            runs.append({"round": number + 1, "declared": declared, **result})
            print(
                f"ingest {profile:7} round {number + 1} "
                f"{'3 dimensions + 1 measure' if declared else 'nothing declared':24} "
                f"{result['events_per_second']:8.0f} events/s  p50 {result['p50_ms']:.1f} ms  "
                f"errors {result['errors']}",
                flush=True,
            )

    def rate(declared: bool) -> float:
        chosen = [run for run in runs if run["declared"] == declared]
        return sum(run["events_inserted"] for run in chosen) / sum(run["seconds"] for run in chosen)

    ratio = rate(True) / rate(False)
    print(f"ingest {profile}: ratio with / without declared properties {ratio:.3f} (target >= 0.85)", flush=True)
    return {
        "profile": profile,
        "spread_seconds": PROFILES[profile].total_seconds(),
        "events": events,
        "batch": 1000,
        "clients": 2,
        "properties_per_event": 20,
        "events_per_second_without": round(rate(False)),
        "events_per_second_with": round(rate(True)),
        "ratio": round(ratio, 3),
        "target": 0.85,
        "runs": runs,
    }


# Event n of N: a moment in the 90 days before `end`, and its properties, all hashes of n.
LOAD = """
INSERT INTO event (workspace_id, event_id, name, occurred_at, session_id, user_id, properties)
SELECT %(workspace)s, 'r' || n, %(name)s,
       %(end)s::timestamptz - (abs(hashint8extended(n, 1)) %% (90 * 86400000000::bigint)) * interval '1 microsecond',
       's' || abs(hashint8extended(n, 2)) %% 200000,
       'u' || abs(hashint8extended(n, 3)) %% 50000,
       jsonb_build_object(
           'browser',
           (%(browsers)s::text[])[1 + floor(8 * power((abs(hashint8extended(n, 4)) %% 1000000) / 1e6, 2))::int],
           'page', '/page/' || abs(hashint8extended(n, 5)) %% 60,
           'country', 'c' || abs(hashint8extended(n, 6)) %% 30,
           'price', round((abs(hashint8extended(n, 7)) %% 50000) / 100.0, 2) + 1,
           'plan', CASE WHEN n %% 3 = 0 THEN 'pro' ELSE 'free' END)
FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS n
"""


def load(url: str, workspace_id: int, *, events: int, end: datetime, bulk: bool = False) -> dict:
    """Inserts the events with every trigger on, or (`bulk`) with the triggers off and then
    `rollups rebuild` of the workspace: every summary as its recomputation, in slot 0, the rows
    compaction would leave, in a fraction of the time."""
    setup_django(url)
    from analytics import partitions, rollups

    partitions.ensure([end - timedelta(days=day) for day in range(92)])
    connection = connect(url)
    connection.autocommit = True
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if bulk:
            cursor.execute("SET session_replication_role = replica")  # skips the triggers
        for first in range(1, events + 1, 10_000):
            last = min(events, first + 9_999)
            cursor.execute(
                LOAD,
                {
                    "workspace": workspace_id,
                    "name": NAME,
                    "end": end,
                    "browsers": BROWSERS,
                    "first": first,
                    "last": last,
                },
            )
            if last % 500_000 == 0 or last == events:
                elapsed = time.perf_counter() - started
                print(f"loaded {last:>10,} events  {last / elapsed:8.0f} events/s", flush=True)
    seconds = time.perf_counter() - started
    rebuild_seconds = None
    if bulk:
        with connection.cursor() as cursor:
            cursor.execute("RESET session_replication_role")
            cursor.execute("VACUUM ANALYZE event")
        rebuild_started = time.perf_counter()
        rows = rollups.rebuild(workspace_id=workspace_id)
        rebuild_seconds = round(time.perf_counter() - rebuild_started, 1)
        print(f"rollups rebuild: {rows:,} summary rows in {rebuild_seconds} s", flush=True)
    connection.close()
    return {
        "events": events,
        "seconds": round(seconds, 1),
        "events_per_second": round(events / seconds),
        "bulk": bulk,
        "rebuild_seconds": rebuild_seconds,
    }


def measure_reads(url: str, workspace_id: int, *, end: datetime, requests: int) -> dict:
    setup_django(url)
    from django.test import Client
    from django.test.utils import setup_test_environment

    from analytics import rollups
    from core.auth import token_create
    from core.models import Workspace

    started = time.perf_counter()
    rollups.compact(before=datetime.now(UTC).replace(minute=0, second=0, microsecond=0))
    compact_seconds = time.perf_counter() - started
    connection = connect(url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        for table in (
            "event_property_hourly_slot",
            "event_property_daily",
            "event_name_hourly",
            "event_name_lifetime",
            "event_property",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("SELECT count(*) FROM event_property_hourly_slot")
        rows = cursor.fetchone()[0]
        cursor.execute("CHECKPOINT")
    connection.close()
    setup_test_environment()  # the test client's host, allowed
    _, key = token_create(workspace=Workspace.objects.get(pk=workspace_id), scopes=["read"])
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    week = {"name": NAME, "from": (end - timedelta(days=7)).isoformat(), "to": end.isoformat()}
    quarter = {"name": NAME, "from": (end - timedelta(days=90)).isoformat(), "to": end.isoformat()}
    reads = {
        "stats_by_browser_7d": (
            "/api/v1/events/stats",
            {**week, "group_by": "properties.browser", "aggregate": "events"},
        ),
        "stats_price_by_page_7d": (
            "/api/v1/events/stats",
            {
                **week,
                "group_by": "properties.page",
                "measure": "price",
                "aggregate": "sum",
                "sort_by": "sum",
                "order": "desc",
            },
        ),
        "stats_price_by_country_90d": (
            "/api/v1/events/stats",
            {**quarter, "group_by": "properties.country", "measure": "price", "aggregate": "avg"},
        ),
        "stats_price_per_day_90d": (
            "/api/v1/events/stats",
            {**quarter, "group_by": "day", "measure": "price", "aggregate": "max"},
        ),
        # Every event name (no name=), then the one name.
        "uniques_users_7d_by_day": (
            "/api/v1/events/uniques",
            {"from": week["from"], "to": week["to"], "by": "user", "granularity": "day"},
        ),
        "uniques_sessions_90d_by_month": (
            "/api/v1/events/uniques",
            {**quarter, "by": "session", "granularity": "month"},
        ),
        "uniques_users_90d_by_week": ("/api/v1/events/uniques", {**quarter, "by": "user", "granularity": "week"}),
        "catalogue_list": ("/api/v1/catalogue/events/", {}),
        "catalogue_entry": ("/api/v1/catalogue/events/cta%20click", {}),
    }
    samples: dict[str, list[float]] = {name: [] for name in reads}
    for name, (path, query) in reads.items():
        response = client.get(path, query)
        assert response.status_code == 200, (name, response.content[:300])
    for _ in range(requests):
        for name, (path, query) in reads.items():
            began = time.perf_counter()
            response = client.get(path, query)
            samples[name].append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200

    def percentile(values: list[float], p: float) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 2)

    result = {
        name: {"p50_ms": percentile(values, 50), "p95_ms": percentile(values, 95), "n": len(values)}
        for name, values in samples.items()
    }
    for name, figures in result.items():
        print(f"{name:28} p50 {figures['p50_ms']:7.2f} ms  p95 {figures['p95_ms']:7.2f} ms", flush=True)
    return {
        "compact_seconds": round(compact_seconds, 1),
        "property_rows": rows,
        "reads": result,
        "target_p95_ms": 25,
        "sql_side_by_side": side_by_side(workspace_id, week=week, quarter=quarter, requests=requests),
    }


# The breakdown as it was read before event_property_daily: every hour of the window from the view.
HOURLY_ONLY = """
SELECT CASE WHEN h.kind = 0 THEN h.value END AS key, h.kind = 2 AS other, {expression} AS value
FROM event_property_hourly AS h
WHERE h.workspace_id = %(workspace)s AND h.name = %(name)s AND h.dimension = %(dimension)s
  AND h.measure = %(measure)s AND h.bucket >= %(start)s AND h.bucket < %(end)s
GROUP BY 1, 2
"""


def side_by_side(workspace_id: int, *, week: dict, quarter: dict, requests: int) -> dict:
    """The SQL of each breakdown alone, the hours only (HOURLY_ONLY, the read before the days) and
    as read now (days and hours: analytics.catalogue.stats), alternating in one run: ms p50/p95,
    and checks that both give the same rows."""
    from datetime import datetime as parsed

    from django.db import connection

    from analytics.catalogue.stats import AGGREGATES, BREAKDOWN, whole_days

    cases = {
        "browser_7d_events": (week, "browser", "events"),
        "page_7d_sum": (week, "page", "sum"),
        "country_90d_avg": (quarter, "country", "avg"),
    }
    result = {}
    with connection.cursor() as cursor:
        for label, (span, dimension, aggregate) in cases.items():
            start, end = parsed.fromisoformat(span["from"]), parsed.fromisoformat(span["to"])
            params = {
                "workspace": workspace_id,
                "name": NAME,
                "dimension": dimension,
                "measure": "price",
                "start": start,
                "end": end,
            }
            params.update(whole_days(SimpleNamespace(start=start, end=end)))
            forms = {
                "hours_only": HOURLY_ONLY.format(expression=AGGREGATES[aggregate]),
                "days_and_hours": BREAKDOWN.format(expression=AGGREGATES[aggregate]),
            }
            answers = {}
            timings: dict[str, list[float]] = {form: [] for form in forms}
            for _ in range(requests):
                for form, sql in forms.items():
                    began = time.perf_counter()
                    cursor.execute(f"SELECT * FROM ({sql}) AS s ORDER BY 1, 2", params)
                    answers[form] = cursor.fetchall()
                    timings[form].append((time.perf_counter() - began) * 1000)
            assert answers["hours_only"] == answers["days_and_hours"], label
            ordered = {form: sorted(values) for form, values in timings.items()}
            result[label] = {
                form: {
                    "p50_ms": round(values[len(values) // 2], 2),
                    "p95_ms": round(values[min(len(values) - 1, int(0.95 * len(values)))], 2),
                }
                for form, values in ordered.items()
            }
            result[label]["p50_ratio"] = round(
                result[label]["hours_only"]["p50_ms"] / result[label]["days_and_hours"]["p50_ms"], 1
            )
            print(
                f"sql {label:20} hours only p50 {result[label]['hours_only']['p50_ms']:7.2f} ms  "
                f"days and hours p50 {result[label]['days_and_hours']['p50_ms']:7.2f} ms  "
                f"({result[label]['p50_ratio']}x)",
                flush=True,
            )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000, help="events loaded for the reads")
    parser.add_argument("--ingest-events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=100, help="requests of each read")
    parser.add_argument("--skip-reads", action="store_true")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--bulk", action="store_true", help="load the reads' events with the triggers off, then rollups rebuild"
    )
    parser.add_argument("--reuse", action="store_true", help="measure the reads of the events a --keep run loaded")
    args = parser.parse_args()
    url = with_database(base_url(), "tally_bench_catalogue")
    if args.reuse:
        with connect(url) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT id FROM workspace WHERE slug = 'bench'")
            (workspace_id,) = cursor.fetchone()
    else:
        workspace_id, _ = prepare_database(url)
    report = {
        "timestamp": datetime.now(UTC).isoformat(),
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version()},
    }
    if not args.skip_ingest:
        report["ingest"] = [
            ingest_ratio(url, workspace_id, events=args.ingest_events, rounds=args.rounds, profile=profile)
            for profile in PROFILES
        ]
        RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    if not args.skip_reads and args.reuse:
        with connect(url) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT count(*), date_trunc('hour', max(occurred_at)) + interval '1 hour' FROM event")
            events, end = cursor.fetchone()
        report["load"] = {"events": events, "reused": True}
        report["reads"] = measure_reads(url, workspace_id, end=end, requests=args.requests)
    elif not args.skip_reads:
        reset(url)
        declare(url, workspace_id, True)
        end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        report["load"] = load(url, workspace_id, events=args.events, end=end, bulk=args.bulk)
        report["reads"] = measure_reads(url, workspace_id, end=end, requests=args.requests)
        RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    with connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        report["postgres"] = cursor.fetchone()[0]
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    if not args.keep:
        admin = connect(with_database(url, "postgres"))
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute("DROP DATABASE IF EXISTS tally_bench_catalogue WITH (FORCE)")
        admin.close()


if __name__ == "__main__":
    main()

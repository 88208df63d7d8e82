"""The data lifecycle of issue 11, side by side in one run: ingest into the partitioned raw table
against an unpartitioned one, dropping a month of raw partitions while 4 writers ingest,
`rollups verify --since` one day, full verify and rebuild, and the raw bytes per million events.

    .venv/bin/python bench/lifecycle.py                   # 1M events (about 20 minutes here)
    .venv/bin/python bench/lifecycle.py --events 10000000 # what issue 11 asks (hours here)
    .venv/bin/python bench/lifecycle.py --quick           # 100k events, fewer statements

Two scratch databases on the configured server (dropped at the end unless `--keep`):

- `tally_bench_lifecycle`: migrated to the latest migration. `event` is partitioned by month of
  occurred_at (TALLY_PARTITION_INTERVAL, default month); the idempotency key is claimed in
  event_key by the ingest statement (analytics.services.INSERT_EVENTS).
- `tally_bench_lifecycle_flat`: migrated to 0009_write_slots, the last migration before
  partitioning (with TALLY_SYNC_VIEWS_ON_MIGRATE=0, as tests/analytics/test_partition_migration.py
  does: today's views read tables of later migrations). One heap with a unique index on
  (workspace_id, event_id), and 0009's ingest statement (INSERT ... ON CONFLICT DO NOTHING,
  reproduced below as FLAT_INSERT_EVENTS). The triggers are the same as long as no migration
  after 0009 changes one (0010 recreates them from the catalog, 0011 changes none): the
  benchmark compares the triggers on event of both databases (definition and function body),
  records it, and marks the ingest ratio as not comparable when they differ.

Loading: both databases get the same --events events, generated in SQL by bench/reads.py's
statement (a desk of 8 channels, 200 agents, 50,000 customers; 8 events a conversation), 10k
rows a statement with every trigger on, the key claimed in event_key first in the partitioned
one. The conversations are created from the first day of the month four months back to three
days before today (UTC), so there are whole months of raw partitions to retain. The two loads
run at once (one connection each); then VACUUM ANALYZE and a CHECKPOINT.

1. Ingest, partitioned / unpartitioned: `--rounds` rounds, each with its own simulated events
   (analytics.simulation.history, the last 2 days, a new seed a round; validated by the API's
   serializer and rendered to SQL beforehand, so the timing is the database and the socket),
   the same events for both databases. In a round: --batch-events events in statements of 1000,
   then --single-events single-event statements, each statement its own transaction, one
   connection per database. The two variants take turns statement by statement (A B A B ...;
   B A B A ... in the next round), so that load from other work on the machine, and the
   background work each statement leaves behind, hit both alike. Events/s = rows really
   inserted / the sum of that variant's statement times; the ratio pools every round (sum of
   events / sum of seconds per variant). Target >= 0.95.
2. Retention while 4 writers ingest (partitioned database): 4 connections each run single-event
   statements (INSERT_EVENTS, autocommit) of conversation events dated now, as fast as they can;
   every statement's start and latency is recorded. After --calm seconds, analytics.retention.
   retain(before=<first day of the second month>) drops the oldest month's partition (detach
   CONCURRENTLY, seal, drop); --calm seconds after it the writers stop. Reported: retain's
   duration (target < 1 s) and that of its steps (record the horizon, detach, seal and drop),
   the longest statement latency of any writer that overlapped the retain window (target
   < 200 ms) against the longest outside it, and what a sampler saw in pg_stat_activity every
   10 ms: writers waiting on a lock, on which relation, and the statement (other than a
   writer's) ahead of them.
3. Verify and rebuild (partitioned database, no writers): analytics.rollups.differences for one
   day, three times each (median; target <= 1 s): `--from D --to D+1` for D the last weekday of
   the load (a day of its usual volume, 1/days of the events, plus the later events of the
   days before; the conversations with an event inside it are recomputed from all their
   events), and `--since now - 1 day` (what an operator runs now; here mostly the load's tails
   and this benchmark's own ingest). The events in each range are reported. Then a full
   differences(), a full rebuild() and a last full differences(); both must be [] (exactness
   after loading, ingest, retention and rebuild).
4. Raw bytes per million events: pg_table_size (heap, TOAST) + pg_indexes_size of every
   partition of event, plus event_key, in the partitioned database; of event in the
   unpartitioned one; after loading (same events in both), and in the partitioned database again
   after retention (event_key keeps the keys of the dropped events, on purpose).

The machine has 2 shared cores and other work runs beside the benchmark: absolute figures move
by +-30% between runs; quote the ratios and the comparisons of one run. Load averages are
recorded before each phase. Results: bench/results/lifecycle.json.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from analytics import partitions, retention, rollups  # noqa: E402
from analytics.serializers import EventSerializer  # noqa: E402
from analytics.services import INSERT_EVENTS, event_row, insert_params  # noqa: E402
from analytics.simulation import history  # noqa: E402
from bench.common import PYTHON, base_url, connect, scalar, with_database  # noqa: E402
from bench.reads import GENERATE, close_database, generate_params, open_database  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "lifecycle.json"
DATABASE = "tally_bench_lifecycle"
FLAT_DATABASE = "tally_bench_lifecycle_flat"
FLAT_MIGRATION = "0009_write_slots"
CHUNK = 10_000
BATCH = 1000
MONTHS = 4
WRITERS = 4
WRITER_NAME = "lifecycle-writer"
TARGET = {"ingest_ratio": 0.95, "retain_seconds": 1.0, "stall_ms": 200.0, "verify_day_seconds": 1.0}
SUMMARY_TABLES = sorted({summary.table for summary in rollups.SUMMARIES})

# The ingest statement of migration 0009 (analytics/services.py before partitioning): the
# unique index on event itself is the idempotency key.
FLAT_INSERT_EVENTS = """
INSERT INTO event (
    workspace_id, event_id, name, occurred_at, conversation_id,
    channel_id, channel_name, agent_id, agent_name, agent_email,
    customer_id, customer_name, customer_type, session_id, user_id, value, properties
)
SELECT workspace_id, event_id, name, occurred_at, conversation_id,
       channel_id, channel_name, agent_id, agent_name, agent_email,
       customer_id, customer_name, customer_type, session_id, user_id, value, properties
FROM unnest(
    %s::bigint[], %s::varchar[], %s::varchar[], %s::timestamptz[], %s::varchar[],
    %s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[],
    %s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[], %s::numeric[], %s::jsonb[]
) WITH ORDINALITY AS batch (
    workspace_id, event_id, name, occurred_at, conversation_id,
    channel_id, channel_name, agent_id, agent_name, agent_email,
    customer_id, customer_name, customer_type, session_id, user_id, value, properties, position
)
ORDER BY workspace_id, event_id, position
ON CONFLICT (workspace_id, event_id) DO NOTHING
RETURNING workspace_id, event_id
"""

# bench/reads.py's generated batch, stored the way 0009 stored events (no event_key).
FLAT_GENERATE = (
    GENERATE[: GENERATE.index("claimed AS (")].rstrip().rstrip(",")
    + """
INSERT INTO event (workspace_id, event_id, name, occurred_at, conversation_id, channel_id, channel_name,
                   agent_id, agent_name, customer_id, session_id, value, properties)
SELECT workspace_id, event_id, name, occurred_at, conversation_id, channel_id, channel_name,
       agent_id, agent_name, customer_id, session_id, value, '{}'::jsonb
FROM batch
ORDER BY workspace_id, event_id
ON CONFLICT (workspace_id, event_id) DO NOTHING
"""
)

# Writers' events: conversation lifecycles, dated when the statement is made.
WRITER_STEPS = ("conversation.created", "conversation.assigned", "conversation.agent_replied", "conversation.resolved")


def commit() -> dict:
    """The commit measured, and whether tracked files differed from it."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    return {
        "commit": git("rev-parse", "HEAD") or None,
        "modified": git("status", "--porcelain", "--untracked-files=no"),
    }


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def month_start(day: date, back: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - back, 12)
    return date(year, month + 1, 1)


def new_shape() -> dict:
    """The desk of bench/reads.py in UTC, from the first day MONTHS months back to 3 days ago."""
    today = datetime.now(UTC).date()
    first = month_start(today, MONTHS)
    end = today - timedelta(days=3)
    return {
        "channels": 8,
        "agents": 200,
        "customers": 50_000,
        "tz": "UTC",
        "days": (end - first).days,
        "first_day": first.isoformat(),
        "end_day": end.isoformat(),
        "business_share": 0.9,
        "team_share": 0.9,
    }


# Databases ------------------------------------------------------------------------------------


def create_flat(url: str) -> None:
    admin = connect(with_database(url, "postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{FLAT_DATABASE}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{FLAT_DATABASE}"')
    admin.close()
    env = {**os.environ, "DATABASE_URL": url, "TALLY_SYNC_VIEWS_ON_MIGRATE": "0"}
    command = [PYTHON, "manage.py", "migrate", "analytics", FLAT_MIGRATION, "--noinput", "-v0"]
    subprocess.run(command, cwd=ROOT, env=env, check=True)


def drop_flat(url: str) -> None:
    admin = connect(with_database(url, "postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{FLAT_DATABASE}" WITH (FORCE)')
    admin.close()


def workspace_in(url: str) -> int:
    with connect(url) as own, own.cursor() as cursor:
        cursor.execute("INSERT INTO workspace (slug, name, timezone) VALUES ('bench', 'Bench', 'UTC') RETURNING id")
        return cursor.fetchone()[0]


def event_triggers(url: str) -> dict:
    """{trigger name: (definition, md5 of its function's body)} of the user triggers on event."""
    with connect(url) as own, own.cursor() as cursor:
        cursor.execute(
            "SELECT t.tgname, pg_get_triggerdef(t.oid), md5(p.prosrc) FROM pg_trigger AS t "
            "JOIN pg_proc AS p ON p.oid = t.tgfoid WHERE t.tgrelid = 'event'::regclass AND NOT t.tgisinternal"
        )
        return {name: (definition, body) for name, definition, body in cursor.fetchall()}


def same_triggers(urls: dict) -> dict:
    """Whether both databases fire the same triggers with the same bodies on event: the ingest
    ratio compares partitioning only when they do (a later migration that changes a trigger
    makes the 0009 database fire older ones)."""
    partitioned, flat = (event_triggers(urls[name]) for name in ("partitioned", "unpartitioned"))
    differing = sorted(name for name in partitioned.keys() | flat.keys() if partitioned.get(name) != flat.get(name))
    return {"identical": not differing, "triggers": len(partitioned), "differing": differing}


def raw_bytes(url: str, *, partitioned: bool) -> dict:
    with connect(url) as own, own.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM event")
        (events,) = cursor.fetchone()
        if partitioned:
            cursor.execute(
                "SELECT sum(pg_table_size(inhrelid)), sum(pg_indexes_size(inhrelid)), count(*) "
                "FROM pg_inherits WHERE inhparent = 'event'::regclass"
            )
            heap, indexes, count = cursor.fetchone()
            cursor.execute("SELECT pg_total_relation_size('event_key'), (SELECT count(*) FROM event_key)")
            key_bytes, keys = cursor.fetchone()
        else:
            cursor.execute("SELECT pg_table_size('event'), pg_indexes_size('event')")
            heap, indexes = cursor.fetchone()
            count, key_bytes, keys = 1, 0, 0
    total = int(heap) + int(indexes) + int(key_bytes)
    return {
        "events": events,
        "partitions": count,
        "event_heap_bytes": int(heap),
        "event_index_bytes": int(indexes),
        "event_key_bytes": int(key_bytes),
        "event_key_rows": keys,
        "total_bytes": total,
        "bytes_per_million_events": round(total / events * 1e6) if events else None,
        "megabytes_per_million_events": round(total / events * 1e6 / 2**20, 1) if events else None,
    }


# Loading --------------------------------------------------------------------------------------


def load(url: str, sql: str, *, events: int, generate: dict, progress: dict, name: str) -> None:
    own = connect(url)
    own.autocommit = True
    started = time.perf_counter()
    with own.cursor() as cursor:
        for first in range(0, events, CHUNK):
            cursor.execute(sql, {**generate, "first": first, "last": min(first + CHUNK, events)})
            progress[name] = min(first + CHUNK, events)
        for table in ("event", "event_key", *SUMMARY_TABLES):
            cursor.execute(f"SELECT to_regclass('{table}') IS NOT NULL")
            if cursor.fetchone()[0]:
                cursor.execute(f"VACUUM ANALYZE {table}")
    progress[f"{name}_seconds"] = round(time.perf_counter() - started, 1)
    own.close()


def load_both(urls: dict, *, events: int, shape: dict, workspaces: dict) -> dict:
    progress: dict = {}
    threads = [
        threading.Thread(
            target=load,
            args=(urls[name], sql),
            kwargs={
                "events": events,
                "generate": generate_params(shape, workspaces[name]),
                "progress": progress,
                "name": name,
            },
        )
        for name, sql in (("partitioned", GENERATE), ("unpartitioned", FLAT_GENERATE))
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        time.sleep(15)
        done = ", ".join(f"{name} {progress.get(name, 0):,}" for name in urls)
        print(f"  loading: {done} of {events:,} ({time.perf_counter() - started:,.0f} s)", flush=True)
    for thread in threads:
        thread.join()
    for url in urls.values():
        with connect(url) as own:
            own.autocommit = True
            with own.cursor() as cursor:
                cursor.execute("CHECKPOINT")
    loaded = {name: count_events(url) for name, url in urls.items()}
    if len(set(loaded.values())) != 1:
        raise SystemExit(f"the two loads differ: {loaded}")
    return {
        "events": loaded["partitioned"],
        "seconds": {name: progress[f"{name}_seconds"] for name in urls},
        "concurrently": True,
    }


def count_events(url: str) -> int:
    with connect(url) as own, own.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM event")
        return cursor.fetchone()[0]


# Ingest A/B -----------------------------------------------------------------------------------


def render(cursor, events: list[dict], *, size: int, workspaces: dict) -> dict:
    """{variant: [statement]}: the same events, through each database's ingest statement."""
    statements = {"partitioned": [], "unpartitioned": []}
    for start in range(0, len(events), size):
        serializer = EventSerializer(data=events[start : start + size], many=True)
        serializer.is_valid(raise_exception=True)
        rows = [event_row(event) for event in serializer.validated_data]
        for variant, sql in (("partitioned", INSERT_EVENTS), ("unpartitioned", FLAT_INSERT_EVENTS)):
            params = insert_params([(workspaces[variant], row) for row in rows])
            statements[variant].append(cursor.mogrify(sql, params))
    return statements


def run_interleaved(urls: dict, work: dict, order: tuple[str, str]) -> dict:
    """The i-th statement of each variant, one after the other in `order`, then the (i+1)-th: each
    on its variant's connection, its own transaction. Background work that one variant's statement
    leaves (WAL, autovacuum) then falls on the other's next statement as often as on its own.
    Events/s = rows inserted / the sum of the variant's statement times."""
    connections = {variant: connect(urls[variant]) for variant in order}
    cursors = {}
    for variant, own in connections.items():
        own.autocommit = True
        cursors[variant] = own.cursor()
    latencies = {variant: [] for variant in order}
    inserted = dict.fromkeys(order, 0)
    for pair in zip(*(work[variant] for variant in order), strict=True):
        for variant, statement in zip(order, pair, strict=True):
            started = time.perf_counter()
            cursors[variant].execute(statement)
            latencies[variant].append(time.perf_counter() - started)
            inserted[variant] += cursors[variant].rowcount
    for own in connections.values():
        own.close()
    measured = {}
    for variant in order:
        times = sorted(latencies[variant])
        seconds = sum(times)
        measured[variant] = {
            "statements": len(times),
            "events": inserted[variant],
            "seconds": round(seconds, 3),
            "events_per_second": round(inserted[variant] / seconds),
            "p50_ms": round(times[len(times) // 2] * 1000, 2),
            "p99_ms": round(times[min(len(times) - 1, int(0.99 * len(times)))] * 1000, 2),
        }
    return measured


def ingest_ab(urls: dict, *, args, workspaces: dict) -> dict:
    renderer = connect(urls["partitioned"])
    rounds = []
    with renderer.cursor() as cursor:
        for number in range(args.rounds):
            pool = history(
                end=datetime.now(UTC),
                days=2,
                conversations=(args.batch_events + args.single_events) // 4,
                seed=101 + number,
            )
            events = list(pool)[: args.batch_events + args.single_events]
            if len(events) < args.batch_events + args.single_events:
                raise SystemExit("the simulation made fewer events than asked; raise conversations")
            work = {
                "batched": render(cursor, events[: args.batch_events], size=BATCH, workspaces=workspaces),
                "single": render(cursor, events[args.batch_events :], size=1, workspaces=workspaces),
            }
            order = ("partitioned", "unpartitioned") if number % 2 == 0 else ("unpartitioned", "partitioned")
            measured = {"order": list(order), "load_average": load_average()}
            for mode in ("batched", "single"):
                for variant, figures in run_interleaved(urls, work[mode], order).items():
                    measured[f"{mode}_{variant}"] = figures
                line = ", ".join(
                    f"{variant} {measured[f'{mode}_{variant}']['events_per_second']:,} events/s" for variant in order
                )
                print(f"  round {number + 1} {mode}: {line}", flush=True)
            rounds.append(measured)
    renderer.close()
    summary = {}
    for mode in ("batched", "single"):
        pooled = {}
        for variant in ("partitioned", "unpartitioned"):
            runs = [measured[f"{mode}_{variant}"] for measured in rounds]
            pooled[variant] = {
                "events": sum(run["events"] for run in runs),
                "seconds": round(sum(run["seconds"] for run in runs), 3),
                "events_per_second": round(sum(run["events"] for run in runs) / sum(run["seconds"] for run in runs)),
                "p50_ms_median_of_rounds": round(statistics.median(run["p50_ms"] for run in runs), 2),
            }
        if pooled["partitioned"]["events"] != pooled["unpartitioned"]["events"]:
            raise SystemExit(f"{mode}: the two databases stored different numbers of events: {pooled}")
        per_round = [
            measured[f"{mode}_partitioned"]["events_per_second"]
            / measured[f"{mode}_unpartitioned"]["events_per_second"]
            for measured in rounds
        ]
        summary[mode] = {
            **pooled,
            "ratio": round(
                pooled["partitioned"]["events_per_second"] / pooled["unpartitioned"]["events_per_second"], 3
            ),
            "ratio_per_round": [round(ratio, 3) for ratio in per_round],
        }
    return {"rounds": rounds, "pooled": summary}


# Retention under ingest -----------------------------------------------------------------------


def writer_statement(cursor, *, writer: int, number: int, workspace_id: int) -> bytes:
    step = WRITER_STEPS[number % len(WRITER_STEPS)]
    agent = f"agent-{1 + (writer * 7919 + number) % 200}"
    row = event_row(
        {
            "id": f"w{writer}-{number}",
            "name": step,
            "occurred_at": datetime.now(UTC),
            "conversation_id": f"wconv-{writer}-{number // len(WRITER_STEPS)}",
            "channel": {"id": ("email", "chat", "phone", "whatsapp")[number % 4], "name": "Channel"},
            "agent": {"id": agent, "name": f"Agent {agent}"} if step != "conversation.created" else None,
            "customer": {"id": f"cust-{1 + number % 5000}"} if step == "conversation.created" else None,
            "properties": {},
        }
    )
    return cursor.mogrify(INSERT_EVENTS, insert_params([(workspace_id, row)]))


@contextmanager
def phases_timed():
    """Times the steps of retention.retain (record the horizon, detach each partition, seal and
    drop) by wrapping its module functions for the duration; nothing else changes."""
    phases: dict[str, float] = {}
    originals = {name: getattr(retention, name) for name in ("_record", "_detach", "_seal")}

    def wrap(name, function):
        def timed_step(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                phases[name.lstrip("_")] = round(phases.get(name.lstrip("_"), 0) + time.perf_counter() - started, 3)

        return timed_step

    for name, function in originals.items():
        setattr(retention, name, wrap(name, function))
    try:
        yield phases
    finally:
        for name, function in originals.items():
            setattr(retention, name, function)


def retain_under_ingest(url: str, *, before: datetime, calm: float, workspace_id: int) -> dict:
    stop = threading.Event()
    ready = threading.Barrier(WRITERS + 1)
    timelines: list[list[tuple[float, float]]] = [[] for _ in range(WRITERS)]
    errors: list[str] = []
    origin = time.perf_counter()

    def writer(index: int) -> None:
        own = connect(url)
        own.autocommit = True
        with own.cursor() as cursor:
            cursor.execute(f"SET application_name = '{WRITER_NAME}'")
            ready.wait()
            number = 0
            while not stop.is_set():
                statement = writer_statement(cursor, writer=index, number=number, workspace_id=workspace_id)
                started = time.perf_counter()
                try:
                    cursor.execute(statement)
                except Exception as exc:  # an error here is a finding: count it, show it
                    errors.append(f"{type(exc).__name__}: {exc}".strip()[:300])
                timelines[index].append((started - origin, time.perf_counter() - started))
                number += 1
        own.close()

    waits: list[dict] = []

    def sampler() -> None:
        own = connect(url)
        own.autocommit = True
        with own.cursor() as cursor:
            while not stop.is_set():
                cursor.execute(
                    """
                    SELECT w.wait_event, l.relation::regclass::text, l.mode,
                           (SELECT string_agg(DISTINCT left(b.query, 80), ' | ') FROM pg_stat_activity AS b
                            WHERE b.pid = ANY(pg_blocking_pids(w.pid)) AND b.application_name <> %s)
                    FROM pg_stat_activity AS w
                    JOIN pg_locks AS l ON l.pid = w.pid AND NOT l.granted
                    WHERE w.application_name = %s AND w.wait_event_type = 'Lock'
                    """,
                    [WRITER_NAME, WRITER_NAME],
                )
                for event, relation, mode, blocker in cursor.fetchall():
                    waits.append(
                        {
                            "at": round(time.perf_counter() - origin, 3),
                            "wait": f"{event} {mode} on {relation}",
                            "by": blocker,
                        }
                    )
                time.sleep(0.01)
        own.close()

    threads = [threading.Thread(target=writer, args=(index,)) for index in range(WRITERS)]
    for thread in threads:
        thread.start()
    ready.wait()
    watcher = threading.Thread(target=sampler)
    watcher.start()
    time.sleep(calm)
    window_start = time.perf_counter() - origin
    with phases_timed() as phases:
        retained = retention.retain(before=before)
    window_end = time.perf_counter() - origin
    time.sleep(calm)
    stop.set()
    for thread in [*threads, watcher]:
        thread.join()

    def overlaps(began: float, latency: float) -> bool:
        return began < window_end and began + latency > window_start

    inside = [latency for line in timelines for began, latency in line if overlaps(began, latency)]
    outside = sorted(latency for line in timelines for began, latency in line if not overlaps(began, latency))
    per_writer = []
    for line in timelines:
        during = [latency for began, latency in line if overlaps(began, latency)]
        rest = [latency for began, latency in line if not overlaps(began, latency)]
        per_writer.append(
            {
                "statements": len(line),
                "during_retain": len(during),
                "max_ms_during_retain": round(max(during, default=0) * 1000, 1),
                "max_ms_outside": round(max(rest, default=0) * 1000, 1),
            }
        )
    during_waits = [wait for wait in waits if window_start <= wait["at"] <= window_end]
    return {
        "before": before.isoformat(),
        "partitions_dropped": retained.partitions,
        "events_dropped": retained.events,
        "horizon": retained.horizon.isoformat() if retained.horizon else None,
        "retain_seconds": round(window_end - window_start, 3),
        "retain_phase_seconds": phases,
        "window_seconds_from_writers_start": [round(window_start, 3), round(window_end, 3)],
        "writers": WRITERS,
        "statements": sum(len(line) for line in timelines),
        "statements_overlapping_retain": len(inside),
        "max_ms_during_retain": round(max(inside, default=0) * 1000, 1),
        "max_ms_outside_retain": round(max(outside, default=0) * 1000, 1),
        "p50_ms_outside_retain": round(outside[len(outside) // 2] * 1000, 2) if outside else None,
        "p99_ms_outside_retain": round(outside[min(len(outside) - 1, int(0.99 * len(outside)))] * 1000, 2)
        if outside
        else None,
        "errors": errors[:10],
        "error_count": len(errors),
        "per_writer": per_writer,
        "lock_wait_samples": len(waits),
        "lock_wait_samples_during_retain": len(during_waits),
        "lock_wait_seconds_from_writers_start": [waits[0]["at"], waits[-1]["at"]] if waits else None,
        "lock_waits_seen": sorted({(wait["wait"], wait["by"]) for wait in waits}, key=str)[:10],
        "timeline": [
            {
                "began_ms": [round(began * 1000, 1) for began, _ in line],
                "latency_ms": [round(latency * 1000, 2) for _, latency in line],
            }
            for line in timelines
        ],
    }


# Verify and rebuild ---------------------------------------------------------------------------


def timed(call) -> tuple[float, object]:
    started = time.perf_counter()
    value = call()
    return round(time.perf_counter() - started, 3), value


def busiest_day(shape: dict) -> datetime:
    """The last weekday on which the load created conversations: a day of the load's usual volume,
    with the later events of the days before it."""
    day = date.fromisoformat(shape["end_day"]) - timedelta(days=1)
    while day.isoweekday() > 5:
        day -= timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def verify_day(label: str, since: datetime, until: datetime | None) -> dict:
    runs = []
    for _ in range(3):
        seconds, found = timed(lambda: rollups.differences(since=since, until=until))
        runs.append({"seconds": seconds, "differences": len(found)})
    bounds = "occurred_at >= %s" + (" AND occurred_at < %s" if until else "")
    result = {
        "since": since.isoformat(),
        "until": until.isoformat() if until else None,
        "events_in_range": scalar(f"SELECT count(*) FROM event WHERE {bounds}", [since, until] if until else [since]),
        "runs": runs,
        "median_seconds": statistics.median(run["seconds"] for run in runs),
    }
    print(
        f"  verify {label}: {runs[-1]['differences']} differences, median {result['median_seconds']} s "
        f"({result['events_in_range']:,} events in range)",
        flush=True,
    )
    return result


def verify_and_rebuild(shape: dict) -> dict:
    day = busiest_day(shape)
    bounded = verify_day(f"--from {day:%Y-%m-%d} --to +1 day", day, day + timedelta(days=1))
    recent = verify_day("--since now - 1 day", datetime.now(UTC) - timedelta(days=1), None)
    full_seconds, full = timed(rollups.differences)
    print(f"  verify (full): {len(full)} differences in {full_seconds} s", flush=True)
    rebuild_seconds, written = timed(rollups.rebuild)
    print(f"  rebuild (full): {written:,} rows in {rebuild_seconds} s", flush=True)
    final_seconds, final = timed(rollups.differences)
    print(f"  verify after rebuild: {len(final)} differences in {final_seconds} s", flush=True)

    def shown(found: list) -> list[str]:
        return [f"{d.table} {d.key} {d.column}: {d.summary} != {d.recomputed}" for d in found[:5]]

    return {
        "events_retained": scalar("SELECT count(*) FROM event"),
        "verify_day": bounded,
        "verify_since_last_24h": recent,
        "verify_full": {"seconds": full_seconds, "differences": len(full), "first": shown(full)},
        "rebuild_full": {"seconds": rebuild_seconds, "rows": written},
        "verify_after_rebuild": {"seconds": final_seconds, "differences": len(final), "first": shown(final)},
    }


# Report ---------------------------------------------------------------------------------------


def verdict(report: dict) -> list[dict]:
    ingest = report["ingest"]["pooled"]
    retained = report["retention"]
    checks = report["verify"]
    sizes = report["raw_bytes"]
    caveat = "" if report["triggers"]["identical"] else " (trigger sets differ: not comparable)"
    rows = [
        {
            "figure": f"ingest batched (1000/statement), partitioned / unpartitioned events/s{caveat}",
            "value": ingest["batched"]["ratio"],
            "target": f">= {TARGET['ingest_ratio']}",
            "pass": ingest["batched"]["ratio"] >= TARGET["ingest_ratio"],
        },
        {
            "figure": f"ingest single-event statements, partitioned / unpartitioned events/s{caveat}",
            "value": ingest["single"]["ratio"],
            "target": f">= {TARGET['ingest_ratio']}",
            "pass": ingest["single"]["ratio"] >= TARGET["ingest_ratio"],
        },
        {
            "figure": f"retain: drop {len(retained['partitions_dropped'])} month partition(s), "
            f"{retained['events_dropped']:,} events (s)",
            "value": retained["retain_seconds"],
            "target": f"< {TARGET['retain_seconds']:g} s",
            "pass": retained["retain_seconds"] < TARGET["retain_seconds"],
        },
        {
            "figure": f"longest writer statement during retain, {WRITERS} writers (ms; outside: "
            f"{retained['max_ms_outside_retain']} ms)",
            "value": retained["max_ms_during_retain"],
            "target": f"< {TARGET['stall_ms']:g} ms",
            "pass": retained["max_ms_during_retain"] < TARGET["stall_ms"],
        },
        {
            "figure": f"rollups verify one day ({checks['verify_day']['since'][:10]}, "
            f"{checks['verify_day']['events_in_range']:,} events), median of 3 (s)",
            "value": checks["verify_day"]["median_seconds"],
            "target": f"<= {TARGET['verify_day_seconds']:g} s",
            "pass": checks["verify_day"]["median_seconds"] <= TARGET["verify_day_seconds"],
        },
        {
            "figure": f"rollups verify --since now - 1 day ({checks['verify_since_last_24h']['events_in_range']:,} "
            "events), median of 3 (s)",
            "value": checks["verify_since_last_24h"]["median_seconds"],
            "target": f"<= {TARGET['verify_day_seconds']:g} s",
            "pass": checks["verify_since_last_24h"]["median_seconds"] <= TARGET["verify_day_seconds"],
        },
        {
            "figure": "rollups verify, full (s)",
            "value": checks["verify_full"]["seconds"],
            "target": "reported",
            "pass": None,
        },
        {
            "figure": "rollups rebuild, full (s)",
            "value": checks["rebuild_full"]["seconds"],
            "target": "reported",
            "pass": None,
        },
        {
            "figure": "differences: full verify before rebuild / after rebuild",
            "value": f"{checks['verify_full']['differences']} / {checks['verify_after_rebuild']['differences']}",
            "target": "0 / 0",
            "pass": checks["verify_full"]["differences"] == 0 and checks["verify_after_rebuild"]["differences"] == 0,
        },
    ]
    for name, label in (
        ("unpartitioned", "unpartitioned event"),
        ("partitioned", "partitioned event + event_key"),
        ("partitioned_after_retain", "partitioned after retain (event_key keeps dropped keys)"),
    ):
        rows.append(
            {
                "figure": f"raw bytes per million events, {label} (MiB)",
                "value": sizes[name]["megabytes_per_million_events"],
                "target": "reported",
                "pass": None,
            }
        )
    return rows


def print_table(report: dict) -> None:
    print(f"\n{report['events']:,} events loaded; load average {report['load_average']['start']} at the start")
    print("| figure | value | target | result |")
    print("| --- | ---: | --- | --- |")
    for row in report["verdict"]:
        outcome = {True: "pass", False: "FAIL", None: "-"}[row["pass"]]
        print(f"| {row['figure']} | {row['value']} | {row['target']} | {outcome} |")
    print()
    for mode in ("batched", "single"):
        pooled = report["ingest"]["pooled"][mode]
        print(
            f"{mode}: partitioned {pooled['partitioned']['events_per_second']:,} events/s, "
            f"unpartitioned {pooled['unpartitioned']['events_per_second']:,} events/s, "
            f"ratio per round {pooled['ratio_per_round']}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events loaded into each database")
    parser.add_argument("--rounds", type=int, default=6, help="A/B rounds of the ingest comparison")
    parser.add_argument("--batch-events", type=int, default=30_000, help="events a round, 1000 a statement")
    parser.add_argument("--single-events", type=int, default=1_500, help="single-event statements a round")
    parser.add_argument("--calm", type=float, default=5.0, help="seconds of writers before and after retain")
    parser.add_argument("--quick", action="store_true", help="100k events, 10k batched and 500 single a round")
    parser.add_argument("--keep", action="store_true", help="keep both scratch databases at the end")
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args()
    if args.quick:
        args.events, args.batch_events, args.single_events = 100_000, 10_000, 500

    setup_test_environment()
    original = connection.settings_dict["NAME"]
    server = scalar("SHOW server_version")
    base = base_url()
    urls = {"partitioned": with_database(base, DATABASE), "unpartitioned": with_database(base, FLAT_DATABASE)}
    started = time.perf_counter()
    report: dict = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "postgres": server,
            "platform": platform.platform(),
            "note": "2 shared cores; other work (another benchmark, test suites) ran beside this one: "
            "absolute figures are noisy, the ratios and comparisons within one run are the figures to quote",
        },
        "method": __doc__.strip(),
        "command": " ".join(["bench/lifecycle.py", *sys.argv[1:]]),
        "code": commit(),
        "events": args.events,
        "partition_interval": settings.TALLY_PARTITION_INTERVAL,
        "load_average": {"start": load_average()},
    }
    print(f"PostgreSQL {server}; {args.events:,} events into {DATABASE} and {FLAT_DATABASE}", flush=True)
    try:
        create_flat(urls["unpartitioned"])
        open_database(DATABASE, fresh=True)
        shape = new_shape()
        first = date.fromisoformat(shape["first_day"])
        # No default partition: the months of the load (the last events lie up to 3 days after their
        # conversation's creation) and the ones ahead.
        moments = [
            datetime(first.year, first.month, 1, tzinfo=UTC) + timedelta(days=n) for n in range(shape["days"] + 4)
        ]
        partitions.ensure(moments)
        partitions.ensure_ahead()
        workspaces = {name: workspace_in(url) for name, url in urls.items()}
        report["shape"] = shape
        report["triggers"] = same_triggers(urls)
        if not report["triggers"]["identical"]:
            print(
                f"  the trigger sets differ ({report['triggers']['differing']}): "
                "the ingest ratio is not partitioning alone"
            )

        print("loading both databases at once ...", flush=True)
        report["load"] = load_both(urls, events=args.events, shape=shape, workspaces=workspaces)
        report["raw_bytes"] = {name: raw_bytes(url, partitioned=name == "partitioned") for name, url in urls.items()}
        sizes = {name: figure["megabytes_per_million_events"] for name, figure in report["raw_bytes"].items()}
        print(f"  loaded in {report['load']['seconds']} s; MiB per million events {sizes}", flush=True)

        report["load_average"]["ingest"] = load_average()
        print("ingest, partitioned / unpartitioned, alternating ...", flush=True)
        report["ingest"] = ingest_ab(urls, args=args, workspaces=workspaces)

        report["load_average"]["retention"] = load_average()
        second = month_start(first, -1)
        before = datetime(second.year, second.month, 1, tzinfo=UTC)
        print(f"retain --before {before:%Y-%m-%d} while {WRITERS} writers ingest ...", flush=True)
        report["retention"] = retain_under_ingest(
            urls["partitioned"], before=before, calm=args.calm, workspace_id=workspaces["partitioned"]
        )
        retained = report["retention"]
        print(
            f"  retain {retained['retain_seconds']} s, {retained['events_dropped']:,} events; longest writer statement "
            f"{retained['max_ms_during_retain']} ms during it, {retained['max_ms_outside_retain']} ms outside; "
            f"{retained['error_count']} errors",
            flush=True,
        )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE event_key")
        report["raw_bytes"]["partitioned_after_retain"] = raw_bytes(urls["partitioned"], partitioned=True)

        report["load_average"]["verify"] = load_average()
        print("verify and rebuild ...", flush=True)
        report["verify"] = verify_and_rebuild(shape)
        report["load_average"]["end"] = load_average()
    finally:
        close_database(original, keep=args.keep)
        if not args.keep:
            drop_flat(base)
    report["seconds"] = round(time.perf_counter() - started)
    report["verdict"] = verdict(report)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, indent=2, default=str) + "\n")
    print_table(report)
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()

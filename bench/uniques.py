"""What sessions and exact unique counts cost on ingest, and what their rows weigh: the same
events inserted with the installed summary trigger (`with`) and with the same trigger without
what is measured (`without`), side by side in one run, the forms alternating (with/without,
without/with, ...) so that drift of the machine falls on both. What `without` leaves out
(`--baseline`):

- `periods` (the default): the unique counts per period of the workspace's zone, i.e.
  event__count_uniques.sql reduced to its INSERT into event_unique_hourly (what it was before
  event_unique_period and event_unique_period_count);
- `none`: the statements of event__merge_sessions.sql and event__count_uniques.sql altogether.

Events: the simulated desk (analytics.simulation.history) over the last 7 days: conversations
and product events, the product events in sessions of one user each (about half of all events
carry a session_id and a user_id). Cases: batches of 1000 from 1 connection, and single-event
transactions from 8 connections (rows a workspace-hour's writers would share would show there).
Every `with` run is checked with `rollups verify`. After the last batched `with` run, the rows and
bytes (heap, primary key and other indexes) of `session`, `event_unique_hourly`,
`event_unique_period` and `event_unique_period_count`.

    .venv/bin/python bench/uniques.py                  # 3 rounds; writes bench/results/uniques.json
    .venv/bin/python bench/uniques.py --rounds 1 --events 10000 --single-events 1000
"""

import argparse
import json
import os
import platform
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analytics.simulation import history  # noqa: E402
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
from bench.triggers import verify  # noqa: E402

FORMS = ("with", "without")
NEW_FILES = ("merge_sessions", "count_uniques")
TABLES = ("session", "event_unique_hourly", "event_unique_period", "event_unique_period_count")
# event__count_uniques.sql without the period statements: the hourly sets alone.
HOURLY_ONLY = """-- @when EXISTS (SELECT 1 FROM new_events WHERE user_id IS NOT NULL OR session_id IS NOT NULL)
INSERT INTO event_unique_hourly (workspace_id, kind, name, bucket, member)
SELECT DISTINCT e.workspace_id, m.kind, n.name, date_trunc('hour', e.occurred_at, 'UTC'), m.member
FROM new_events AS e
CROSS JOIN LATERAL (VALUES ('user', e.user_id), ('session', e.session_id)) AS m (kind, member)
CROSS JOIN LATERAL (VALUES (e.name), ('')) AS n (name)
WHERE m.member IS NOT NULL
ORDER BY 1, 2, 3, 4, 5
ON CONFLICT (workspace_id, kind, name, bucket, member) DO NOTHING;
RETURN NULL;
"""


def install(url: str, form: str, *, baseline: str = "periods") -> None:
    """The summary trigger with every file (`with`), or without what `baseline` leaves out (`without`)."""
    import pgtrigger

    from analytics.models import Event
    from triggers import NEW_EVENTS, SUMMARY_TRIGGER_NAMES, _after_statement, sections_of, summary_trigger, trigger_sql
    from triggers.shards import sections_body

    with connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER IF EXISTS {summary_trigger().get_pgid(Event)} ON event")
        if form == "with":
            trigger = summary_trigger()
        elif baseline == "none":
            trigger = summary_trigger(tuple(n for n in SUMMARY_TRIGGER_NAMES if n not in NEW_FILES))
        else:
            bodies = {f"event__{name}.sql": trigger_sql(f"event__{name}.sql") for name in SUMMARY_TRIGGER_NAMES}
            bodies["event__count_uniques.sql"] = HOURLY_ONLY
            func = sections_body(sections_of(bodies), table="event", transition="new_events")
            trigger = _after_statement("summarize", pgtrigger.Insert, NEW_EVENTS, func)
        cursor.execute(trigger.compile(Event).install_sql)
    connection.close()


def sizes(url: str) -> dict:
    """Rows and bytes of each new table, after VACUUM (so the visibility map and free space are settled)."""
    found = {}
    connection = connect(url)
    # VACUUM runs outside a transaction block only.
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM event")
            (events,) = cursor.fetchone()
            for table in TABLES:
                cursor.execute(f"VACUUM ANALYZE {table}")
                cursor.execute(f"SELECT count(*), pg_table_size('{table}'), pg_indexes_size('{table}') FROM {table}")
                rows, heap, indexes = cursor.fetchone()
                found[table] = {
                    "rows": rows,
                    "heap_bytes": heap,
                    "index_bytes": indexes,
                    "bytes_per_row": round((heap + indexes) / rows, 1) if rows else None,
                    "rows_per_event": round(rows / events, 3) if events else None,
                }
            cursor.execute("SELECT count(*) FILTER (WHERE session_id IS NOT NULL OR user_id IS NOT NULL) FROM event")
            found["events"] = {"all": events, "with_session_or_user": cursor.fetchone()[0]}
    finally:
        connection.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--events", type=int, default=30_000, help="events of the batched runs (1000 a statement)")
    parser.add_argument("--single-events", type=int, default=3_000, help="single-event transactions per run")
    parser.add_argument("--baseline", choices=("periods", "none"), default="periods", help="what `without` leaves out")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "uniques.json"))
    args = parser.parse_args()
    url = with_database(base_url(), "tally_bench_uniques")
    setup_django(url)
    print(f"preparing {url.rsplit('/', 1)[-1].split('?')[0]} ...", flush=True)
    workspace_id, _ = prepare_database(url)
    pool = list(history(end=datetime.now(UTC), days=7, conversations=args.events // 9, seed=11))
    statements = {
        1000: render_inserts(url=url, workspace_id=workspace_id, events=pool[: args.events], size=1000),
        1: render_inserts(url=url, workspace_id=workspace_id, events=pool[: args.single_events], size=1),
    }
    cases = [(1000, 1), (1, 8)]
    rows, stored = [], None
    try:
        for round_number in range(args.rounds):
            order = FORMS if round_number % 2 == 0 else tuple(reversed(FORMS))
            for size, clients in cases:
                for form in order:
                    install(url, form, baseline=args.baseline)
                    reset(url)
                    result = run_statements(url=url, statements=statements[size], clients=clients)
                    result.update(
                        round=round_number,
                        events_per_statement=size,
                        clients=clients,
                        form=form,
                        verified=verify(url) if form == "with" else None,
                    )
                    if form == "with" and size == 1000:
                        stored = sizes(url)
                    rows.append(result)
                    print(
                        f"round {round_number}  batch {size:>4}  clients {clients:>2}  {form:<7}  "
                        f"{result['events_per_second']:8.0f} events/s  p50 {result['p50_ms']:6.2f} ms  "
                        f"errors {len(result['errors'])}  verify {result['verified']}",
                        flush=True,
                    )
    finally:
        install(url, "with")
    summary = []
    for size, clients in cases:
        median = {
            form: statistics.median(
                row["events_per_second"]
                for row in rows
                if (row["events_per_statement"], row["clients"], row["form"]) == (size, clients, form)
            )
            for form in FORMS
        }
        summary.append(
            {
                "events_per_statement": size,
                "clients": clients,
                "median_events_per_second": median,
                "with_over_without": round(median["with"] / median["without"], 3),
            }
        )
    with connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    report = {
        "timestamp": datetime.now(UTC).isoformat(),
        "command": " ".join(["bench/uniques.py", *sys.argv[1:]]),
        "server_version": server_version,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load_average": os.getloadavg()},
        "rounds": args.rounds,
        "baseline": args.baseline,
        "summary": summary,
        "stored": stored,
        "rows": rows,
        "all_verified": all(row["verified"] is not False for row in rows),
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    print("\n| per statement | connections | with | without | with / without |")
    print("| --- | --- | --- | --- | --- |")
    for row in summary:
        median = row["median_events_per_second"]
        print(
            f"| {row['events_per_statement']} | {row['clients']} | {median['with']:.0f} | {median['without']:.0f} "
            f"| {row['with_over_without']:.2f} |"
        )
    print(f"\nstored after {args.events} events: {json.dumps(stored)}")
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()

"""What the summary triggers cost on ingest: the same simulated events inserted with the
summaries written immediately (`on`: the trigger in the ingest transaction), deferred (`deferred`:
TALLY_SUMMARIES=deferred, the events stored as pending while one more connection settles them
continuously, as `rollups settle --every` or the reads do) and with the triggers disabled (`off`),
in batches of 1000 (1 and 8 connections) and as single-event transactions (1, 8 and 32
connections). The connections share the stream round-robin, so they write the same
workspace-hours, channels and conversations at once: without write slots every one of them would
queue on the same summary rows. Every run with summaries is checked with `rollups verify`.
Each run starts from the same history (`--warm-up` events, a quarter of `--events` by default,
stored with summaries and ANALYZEd, as autovacuum keeps a database in use); the timed events
follow it in time.

For `deferred`, events/s is what the ingest connections stored (acknowledged) per second of the
run, and `settled events/s` the same events over the run plus the time the settling connection
then needed to summarize what was still pending: the figure to compare with `on`, since a
summary is only there once settled (a read settles before it answers).

    .venv/bin/python bench/triggers.py            # 100k batched, 10k single; writes bench/results/triggers.json
    .venv/bin/python bench/triggers.py --quick    # 20k batched, 2k single
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analytics.simulation import history  # noqa: E402
from bench.common import (  # noqa: E402
    PYTHON,
    base_url,
    connect,
    prepare_database,
    render_inserts,
    reset_with_history,
    run_statements,
    settle_pending,
    with_database,
)

FORMS = ("on", "deferred", "off")
"""Summaries written in the ingest transaction, deferred to a settle, or not at all (triggers disabled)."""


def set_triggers(url: str, *, enabled: bool) -> None:
    with connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE event {'ENABLE' if enabled else 'DISABLE'} TRIGGER USER")


def verify(url: str) -> bool:
    command = [PYTHON, "manage.py", "rollups", "verify", "--limit", "5"]
    result = subprocess.run(command, cwd=ROOT, env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True)
    return result.returncode == 0


class Settler:
    """A connection that settles the workspace's pending events in a loop while ingest runs
    (bench.common.settle_pending then settles what is left, timed)."""

    def __init__(self, url: str, workspace_id: int):
        self.url, self.workspace_id = url, workspace_id
        self.stop = threading.Event()
        self.settled = 0
        self.thread = threading.Thread(target=self.run)

    def settle_once(self, cursor) -> int:
        cursor.execute("SELECT tally_settle(%s)", [self.workspace_id])
        return cursor.fetchone()[0]

    def run(self) -> None:
        with connect(self.url) as connection:
            connection.autocommit = True
            with connection.cursor() as cursor:
                while not self.stop.is_set():
                    moved = self.settle_once(cursor)
                    self.settled += moved
                    if not moved:
                        self.stop.wait(0.02)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop.set()
        self.thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000, help="events of the batched runs")
    parser.add_argument("--single-events", type=int, default=10_000, help="events of the single-event runs")
    parser.add_argument(
        "--warm-up",
        type=int,
        default=None,
        help="events stored (summaries on) and ANALYZEd before each run (default: a quarter of --events)",
    )
    parser.add_argument("--quick", action="store_true", help="--events 20000 --single-events 2000")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "triggers.json"))
    args = parser.parse_args()
    if args.quick:
        args.events, args.single_events = 20_000, 2_000
    url = with_database(base_url(), "tally_bench_triggers")
    print(f"preparing {url.rsplit('/', 1)[-1].split('?')[0]} ...", flush=True)
    workspace_id, _ = prepare_database(url)
    warm_up = args.events // 4 if args.warm_up is None else args.warm_up
    pool = list(history(end=datetime.now(UTC), days=7, conversations=(args.events + warm_up) // 9, seed=5))
    history_events, events = pool[:warm_up], pool[warm_up : warm_up + args.events]
    print(f"{len(history_events)} events of history before each run, then {len(events)} timed", flush=True)
    history_statements = render_inserts(url=url, workspace_id=workspace_id, events=history_events, size=1000)
    statements = {
        (size, deferred): render_inserts(
            url=url,
            workspace_id=workspace_id,
            events=events if size > 1 else events[: args.single_events],
            size=size,
            deferred=deferred,
        )
        for size in (1000, 1)
        for deferred in (False, True)
    }
    rows = []
    for size in (1000, 1):
        for clients in (1, 8) if size > 1 else (1, 8, 32):
            for form in FORMS:
                reset_with_history(url, history_statements)
                set_triggers(url, enabled=form != "off")
                if form == "deferred":
                    with Settler(url, workspace_id) as settler:
                        result = run_statements(url=url, statements=statements[size, True], clients=clients)
                    drain = settle_pending(url)
                    result.update(
                        drain_seconds=drain,
                        settled_during_run=settler.settled,
                        settled_events_per_second=result["events_inserted"] / (result["seconds"] + drain),
                    )
                else:
                    result = run_statements(url=url, statements=statements[size, False], clients=clients)
                    result["settled_events_per_second"] = result["events_per_second"] if form == "on" else None
                set_triggers(url, enabled=True)
                result.update(
                    events_per_statement=size,
                    clients=clients,
                    form=form,
                    triggers=form != "off",
                    verified=verify(url) if form != "off" else None,
                )
                rows.append(result)
                settled = result["settled_events_per_second"]
                print(
                    f"batch {size:>4}  clients {clients:>2}  {form:<8}  {result['events_per_second']:9.0f} events/s  "
                    f"settled {'-' if settled is None else f'{settled:.0f}':>6}/s  p99 {result['p99_ms']:7.1f} ms  "
                    f"errors {len(result['errors'])}  verify {result['verified']}",
                    flush=True,
                )

    def rate(size, clients, form, *, settled=False):
        row = next(
            row for row in rows if (row["events_per_statement"], row["clients"], row["form"]) == (size, clients, form)
        )
        return row["settled_events_per_second" if settled else "events_per_second"]

    ratios = {
        "batched_on_vs_off_1_connection": rate(1000, 1, "on") / rate(1000, 1, "off"),
        "batched_on_vs_off_8_connections": rate(1000, 8, "on") / rate(1000, 8, "off"),
        "single_on_vs_off_1_connection": rate(1, 1, "on") / rate(1, 1, "off"),
        "single_on_vs_off_8_connections": rate(1, 8, "on") / rate(1, 8, "off"),
        "single_on_vs_off_32_connections": rate(1, 32, "on") / rate(1, 32, "off"),
        "batched_8_vs_1_connections_triggers_on": rate(1000, 8, "on") / rate(1000, 1, "on"),
        "single_8_vs_1_connections_triggers_on": rate(1, 8, "on") / rate(1, 1, "on"),
        "single_32_vs_1_connections_triggers_on": rate(1, 32, "on") / rate(1, 1, "on"),
    }
    for size, clients, name in (
        (1000, 1, "batched"),
        (1000, 8, "batched"),
        (1, 1, "single"),
        (1, 8, "single"),
        (1, 32, "single"),
    ):
        suffix = f"{clients}_connection{'s' if clients > 1 else ''}"
        ratios[f"{name}_deferred_settled_vs_off_{suffix}"] = rate(size, clients, "deferred", settled=True) / rate(
            size, clients, "off"
        )
        ratios[f"{name}_deferred_acknowledged_vs_off_{suffix}"] = rate(size, clients, "deferred") / rate(
            size, clients, "off"
        )
    ratios["single_8_vs_1_connections_deferred_settled"] = rate(1, 8, "deferred", settled=True) / rate(
        1, 1, "deferred", settled=True
    )
    with connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    report = {
        "timestamp": datetime.now(UTC).isoformat(),
        "server_version": server_version,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "events": len(events),
        "history_events": len(history_events),
        "single_events": args.single_events,
        "rows": rows,
        "ratios": ratios,
        "targets": {
            "batched_on_vs_off_1_connection": ">= 0.8",
            "single_on_vs_off_8_connections": ">= 0.6",
            "single_8_vs_1_connections_triggers_on": ">= 2.0",
            "single_deferred_settled_vs_off_8_connections": ">= 0.6 (target 1 with deferred summaries)",
        },
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    print(
        "\n| events per statement | connections | summaries | events/s | settled events/s "
        "| p50 / p99 ms per statement | verify |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        check = {True: "0 differences", False: "DIFFERENCES", None: "-"}[row["verified"]]
        settled = row["settled_events_per_second"]
        print(
            f"| {row['events_per_statement']} | {row['clients']} | {row['form']} | "
            f"{row['events_per_second']:.0f} | {'-' if settled is None else f'{settled:.0f}'} | "
            f"{row['p50_ms']:.1f} / {row['p99_ms']:.1f} | {check} |"
        )
    print()
    for name, value in ratios.items():
        print(f"{name}: {value:.2f}")
    print(f"\nwritten to {args.output}")


if __name__ == "__main__":
    main()

"""What the summary triggers cost on ingest: the same simulated events inserted with the
triggers enabled and disabled, in batches of 1000 (1 and 8 connections) and as single-event
transactions (1, 8 and 32 connections). The connections share the stream round-robin, so they
write the same workspace-hours, channels and conversations at once: without write slots every
one of them would queue on the same summary rows. Every triggers-on run is checked with
`rollups verify`.

    .venv/bin/python bench/triggers.py            # 100k batched, 10k single; writes bench/results/triggers.json
    .venv/bin/python bench/triggers.py --quick    # 20k batched, 2k single
"""

import argparse
import json
import os
import platform
import subprocess
import sys
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
    reset,
    run_statements,
    with_database,
)


def set_triggers(url: str, *, enabled: bool) -> None:
    with connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE event {'ENABLE' if enabled else 'DISABLE'} TRIGGER USER")


def verify(url: str) -> bool:
    command = [PYTHON, "manage.py", "rollups", "verify", "--limit", "5"]
    result = subprocess.run(command, cwd=ROOT, env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True)
    return result.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000, help="events of the batched runs")
    parser.add_argument("--single-events", type=int, default=10_000, help="events of the single-event runs")
    parser.add_argument("--quick", action="store_true", help="--events 20000 --single-events 2000")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "triggers.json"))
    args = parser.parse_args()
    if args.quick:
        args.events, args.single_events = 20_000, 2_000
    url = with_database(base_url(), "tally_bench_triggers")
    print(f"preparing {url.rsplit('/', 1)[-1].split('?')[0]} ...", flush=True)
    workspace_id, _ = prepare_database(url)
    pool = list(history(end=datetime.now(UTC), days=7, conversations=args.events // 9, seed=5))
    events = pool[: args.events]
    print(f"{len(events)} simulated events", flush=True)
    statements = {
        1000: render_inserts(url=url, workspace_id=workspace_id, events=events, size=1000),
        1: render_inserts(url=url, workspace_id=workspace_id, events=events[: args.single_events], size=1),
    }
    rows = []
    for size in (1000, 1):
        for clients in (1, 8) if size > 1 else (1, 8, 32):
            for triggers in (True, False):
                reset(url)
                set_triggers(url, enabled=triggers)
                result = run_statements(url=url, statements=statements[size], clients=clients)
                set_triggers(url, enabled=True)
                result.update(
                    events_per_statement=size,
                    clients=clients,
                    triggers=triggers,
                    verified=verify(url) if triggers else None,
                )
                rows.append(result)
                print(
                    f"batch {size:>4}  clients {clients}  triggers {'on ' if triggers else 'off'}  "
                    f"{result['events_per_second']:9.0f} events/s  p99 {result['p99_ms']:7.1f} ms  "
                    f"errors {len(result['errors'])}  verify {result['verified']}",
                    flush=True,
                )

    def rate(size, clients, triggers):
        return next(
            row["events_per_second"]
            for row in rows
            if (row["events_per_statement"], row["clients"], row["triggers"]) == (size, clients, triggers)
        )

    ratios = {
        "batched_on_vs_off_1_connection": rate(1000, 1, True) / rate(1000, 1, False),
        "batched_on_vs_off_8_connections": rate(1000, 8, True) / rate(1000, 8, False),
        "single_on_vs_off_1_connection": rate(1, 1, True) / rate(1, 1, False),
        "single_on_vs_off_8_connections": rate(1, 8, True) / rate(1, 8, False),
        "single_on_vs_off_32_connections": rate(1, 32, True) / rate(1, 32, False),
        "batched_8_vs_1_connections_triggers_on": rate(1000, 8, True) / rate(1000, 1, True),
        "single_8_vs_1_connections_triggers_on": rate(1, 8, True) / rate(1, 1, True),
        "single_32_vs_1_connections_triggers_on": rate(1, 32, True) / rate(1, 1, True),
    }
    with connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    report = {
        "timestamp": datetime.now(UTC).isoformat(),
        "server_version": server_version,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "events": len(events),
        "single_events": args.single_events,
        "rows": rows,
        "ratios": ratios,
        "targets": {
            "batched_on_vs_off_1_connection": ">= 0.8",
            "single_on_vs_off_8_connections": ">= 0.6",
            "single_8_vs_1_connections_triggers_on": ">= 2.0",
        },
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    print("\n| events per statement | connections | triggers | events/s | p50 / p99 ms per statement | verify |")
    print("| --- | --- | --- | --- | --- | --- |")
    for row in rows:
        check = {True: "0 differences", False: "DIFFERENCES", None: "-"}[row["verified"]]
        print(
            f"| {row['events_per_statement']} | {row['clients']} | {'on' if row['triggers'] else 'off'} | "
            f"{row['events_per_second']:.0f} | {row['p50_ms']:.1f} / {row['p99_ms']:.1f} | {check} |"
        )
    print()
    for name, value in ratios.items():
        print(f"{name}: {value:.2f}")
    print(f"\nwritten to {args.output}")


if __name__ == "__main__":
    main()

"""Ingest through a Citus coordinator against a single node, on the local cluster of
scripts/citus_cluster.py (coordinator and two workers, all on this machine). The single node is a
plain database (no citus extension) on the coordinator's own server, so both have the same
settings and the same cores. Through the coordinator, two forms of the same statements: the
routed call that the API sends on Citus (sql/citus/tally_ingest_workspace.sql, delegated whole
to the workspace's worker) and INSERT_EVENTS, which Citus pulls to the coordinator (what the API
sent before, and still sends for a statement spanning several workspaces). Each statement runs
in its own BEGIN ... COMMIT, as the API's atomic() sends it (so the routed call is delegated
with force_delegation). Rounds rotate the order of the three.

On one machine this measures the overhead of the coordinator and of the trigger's shard form
(planning of EXECUTE, routing, the connection from coordinator to worker), not the scale: the
three servers share the same 2 cores. The events go to one workspace, so to one shard of
`event` and its co-located summaries: the per-shard figure. Every run is checked with `rollups
verify`. The result is merged into bench/results/citus.json under "benchmark", with an estimate
on paper for 4 and 16 workers.

    .venv/bin/python bench/citus.py                  # 3 rounds, 20k batched, 1000 single
    .venv/bin/python bench/citus.py --rounds 1 --events 5000 --single-events 300
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import PYTHON, render_inserts, reset, run_statements, setup_django  # noqa: E402
from bench.triggers import verify  # noqa: E402
from scripts import citus_cluster as cluster  # noqa: E402

SINGLE, CITUS = "tally_bench_single", "tally_bench_citus"
# The three ways an ingest statement is run: (label, database, routed call).
VARIANTS = (
    ("single node", SINGLE, False),
    ("citus, routed", CITUS, True),
    ("citus, INSERT_EVENTS", CITUS, False),
)


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(node: cluster.Node) -> float:
    """CPU time used so far by a node's server: its postmaster, the children it has reaped
    (cutime/cstime) and those still running (from /proc)."""
    postmaster = int((node.data / "postmaster.pid").read_text().split()[0])
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid == postmaster:
            total += sum(int(value) for value in fields[11:15])
        elif ppid == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


def prepare(database: str, *, distributed: bool) -> int:
    if distributed:
        cluster.create(database)
    else:
        cluster.psql(cluster.COORDINATOR, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        cluster.psql(cluster.COORDINATOR, f'CREATE DATABASE "{database}"')
    env = {**os.environ, "DATABASE_URL": cluster.url(database)}
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    if distributed:
        subprocess.run([PYTHON, "manage.py", "citus_distribute"], cwd=ROOT, env=env, check=True, capture_output=True)
    return int(
        cluster.psql(
            cluster.COORDINATOR,
            "INSERT INTO workspace (slug, name, timezone) VALUES ('bench', 'Bench', 'UTC') RETURNING id",
            database=database,
        )
    )


def per_worker_estimate(rows: list[dict]) -> dict:
    """Events/s of a cluster of 4 and 16 workers, on paper, from the CPU seconds per event that
    the coordinator and the workers used in the routed Citus runs (medians over rounds), for nodes of
    this machine's cores: a worker does its shards' share of the events, so W workers take W
    times one worker's rate, as long as the nodes that accept ingest keep up (the coordinator,
    or every node: with Citus's metadata on all nodes any of them can take the same SQL)."""
    cores = os.cpu_count()
    estimate = {"cores_per_node": cores, "cases": []}
    for size, clients in {(row["events_per_statement"], row["clients"]) for row in rows}:
        runs = [
            row for row in rows
            if row["node"] == "citus, routed" and (row["events_per_statement"], row["clients"]) == (size, clients)
        ]  # fmt: skip
        coordinator = statistics.median(row["cpu_seconds"]["coordinator"] / row["events_inserted"] for row in runs)
        workers = statistics.median(
            sum(row["cpu_seconds"][worker.name] for worker in cluster.WORKERS) / row["events_inserted"] for row in runs
        )
        per_worker = cores / workers
        per_coordinator = cores / coordinator
        estimate["cases"].append(
            {
                "events_per_statement": size,
                "clients": clients,
                "coordinator_cpu_ms_per_event": round(coordinator * 1000, 3),
                "worker_cpu_ms_per_event": round(workers * 1000, 3),
                "events_per_second_per_worker": round(per_worker),
                "events_per_second_per_coordinator": round(per_coordinator),
                "4_workers_one_coordinator": round(min(4 * per_worker, per_coordinator)),
                "16_workers_one_coordinator": round(min(16 * per_worker, per_coordinator)),
                "4_workers_ingest_on_every_node": round(4 * cores / (workers + coordinator)),
                "16_workers_ingest_on_every_node": round(16 * cores / (workers + coordinator)),
            }
        )
    estimate["cases"].sort(key=lambda case: (-case["events_per_statement"], case["clients"]))
    estimate["note"] = (
        "CPU only (no WAL fsync, no network latency), from /proc of each server's processes; on a shared machine "
        "the wall-clock rates stay below what the CPU allows. A conservative floor: the measured per-shard rate "
        "through the coordinator (summary) times the number of workers, with ingest spread over every node."
    )
    return estimate


def cpu_per_event(rows: list[dict]) -> list[dict]:
    """Median CPU milliseconds per event of all three servers, for each variant."""
    cases = []
    measured = {(row["events_per_statement"], row["clients"]) for row in rows}
    for size, clients in sorted(measured, key=lambda case: (-case[0], case[1])):
        case = {"events_per_statement": size, "clients": clients}
        for node, _, _ in VARIANTS:
            case[node] = round(
                statistics.median(
                    sum(row["cpu_seconds"].values()) / row["events_inserted"] * 1000
                    for row in rows
                    if (row["node"], row["events_per_statement"], row["clients"]) == (node, size, clients)
                ),
                3,
            )
        cases.append(case)
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--events", type=int, default=20_000, help="events of the batched runs (1000 a statement)")
    parser.add_argument("--single-events", type=int, default=1_000, help="single-event transactions per run")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "citus.json"))
    args = parser.parse_args()
    missing = cluster.citus_missing()
    if missing:
        print(f"Citus is not installed ({missing}): nothing to measure.")
        return
    cluster.up()
    setup_django(cluster.url(SINGLE))
    from django.db import connection as django_connection

    from analytics import partitions
    from analytics.simulation import history

    workspaces = {SINGLE: prepare(SINGLE, distributed=False), CITUS: prepare(CITUS, distributed=True)}
    pool = list(history(end=datetime.now(UTC), days=7, conversations=args.events // 9, seed=5))
    moments = [datetime.fromisoformat(event["occurred_at"]) for event in pool]
    for database in (SINGLE, CITUS):  # on Citus, a partition attached to event is distributed with it
        django_connection.close()
        django_connection.settings_dict["NAME"] = database
        partitions.ensure(moments)
    django_connection.close()
    statements = {}
    for label, database, routed in VARIANTS:
        url, workspace_id = cluster.url(database), workspaces[database]
        statements[label] = {
            size: render_inserts(url=url, workspace_id=workspace_id, events=pool[:events], size=size, routed=routed)
            for size, events in ((1000, args.events), (1, args.single_events))
        }
    cases = [(1000, 1), (1, 1), (1, 8)]
    rows = []
    for round_number in range(args.rounds):
        shift = round_number % len(VARIANTS)
        order = VARIANTS[shift:] + VARIANTS[:shift]
        for size, clients in cases:
            for label, database, _ in order:
                url = cluster.url(database)
                reset(url)
                before = {node.name: cpu_seconds(node) for node in cluster.NODES}
                result = run_statements(url=url, statements=statements[label][size], clients=clients, transaction=True)
                result["cpu_seconds"] = {
                    node.name: round(cpu_seconds(node) - before[node.name], 3) for node in cluster.NODES
                }
                result.update(
                    round=round_number,
                    events_per_statement=size,
                    clients=clients,
                    node=label,
                    verified=verify(url),
                )
                result["errors"] = len(result["errors"])
                rows.append(result)
                print(
                    f"round {round_number}  batch {size:>4}  clients {clients}  {result['node']:<20}  "
                    f"{result['events_per_second']:8.0f} events/s  p50 {result['p50_ms']:7.2f} ms  "
                    f"errors {result['errors']}  verify {result['verified']}",
                    flush=True,
                )
    summary = []
    for size, clients in cases:
        median = {
            label: statistics.median(
                row["events_per_second"]
                for row in rows
                if (row["events_per_statement"], row["clients"], row["node"]) == (size, clients, label)
            )
            for label, _, _ in VARIANTS
        }
        summary.append(
            {
                "events_per_statement": size,
                "clients": clients,
                "median_events_per_second": median,
                "routed_vs_single": median["citus, routed"] / median["single node"],
                "insert_events_vs_single": median["citus, INSERT_EVENTS"] / median["single node"],
                "routed_vs_insert_events": median["citus, routed"] / median["citus, INSERT_EVENTS"],
            }
        )
    estimate = per_worker_estimate(rows)
    output = Path(args.output)
    report = json.loads(output.read_text()) if output.exists() else {}
    report["benchmark"] = {
        "timestamp": datetime.now(UTC).isoformat(),
        "command": " ".join(["bench/citus.py", *sys.argv[1:]]),
        "what": "one workspace (one shard group) through the coordinator, as the routed call and as "
        "INSERT_EVENTS, vs a plain database on the coordinator's server; each statement in its own "
        "BEGIN ... COMMIT as the API sends it; 3 servers on the same 2 cores: overhead, not scale",
        "summary": summary,
        "rows": rows,
        "all_verified": all(row["verified"] for row in rows),
        "cpu_ms_per_event": cpu_per_event(rows),
        "estimate": estimate,
    }
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(
        "\n| events per statement | connections | single node events/s | Citus, routed | Citus, INSERT_EVENTS "
        "| routed / INSERT_EVENTS | CPU ms per event: single / routed / INSERT_EVENTS |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    cpu = {(case["events_per_statement"], case["clients"]): case for case in report["benchmark"]["cpu_ms_per_event"]}
    for row in summary:
        median = row["median_events_per_second"]
        case = cpu[(row["events_per_statement"], row["clients"])]
        print(
            f"| {row['events_per_statement']} | {row['clients']} | {median['single node']:,.0f} | "
            f"{median['citus, routed']:,.0f} ({row['routed_vs_single']:.2f}x) | "
            f"{median['citus, INSERT_EVENTS']:,.0f} ({row['insert_events_vs_single']:.2f}x) | "
            f"{row['routed_vs_insert_events']:.2f}x | "
            f"{case['single node']} / {case['citus, routed']} / {case['citus, INSERT_EVENTS']} |"
        )
    print(
        "\n| events per statement | connections | CPU ms/event coordinator / workers | per worker | 4 workers "
        "| 16 workers | 16, ingest on every node |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for case in estimate["cases"]:
        print(
            f"| {case['events_per_statement']} | {case['clients']} | {case['coordinator_cpu_ms_per_event']} / "
            f"{case['worker_cpu_ms_per_event']} | {case['events_per_second_per_worker']} | "
            f"{case['4_workers_one_coordinator']} | {case['16_workers_one_coordinator']} | "
            f"{case['16_workers_ingest_on_every_node']} |"
        )
    print(f"\nall runs verified: {report['benchmark']['all_verified']}; written to {output}")


if __name__ == "__main__":
    main()

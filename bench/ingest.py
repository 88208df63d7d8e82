"""Ingest throughput over HTTP, side by side with the database's own ceiling for the same rows.

The service runs the way `make run` and the Docker image serve it (gunicorn with the project's
gunicorn.conf.py: gthread workers, keep-alive, access log), three times side by side: with group
commit (the default, analytics/group_commit.py), with TALLY_GROUP_COMMIT=0, and with group commit
and deferred summaries (TALLY_SUMMARIES=deferred, with `rollups settle --every 1` beside it as
docker compose runs it; "settled events/s" adds the time to settle what was pending at the end). wrk (a C load
generator, so the client costs the shared cores as little as possible) POSTs bodies of
simulated events from bench/ingest.lua. The ceiling sends the same INSERT statement the API
runs (analytics.services.INSERT_EVENTS, rendered beforehand) from psycopg2 threads with the
same batch sizes and concurrency, one statement per request, triggers on. Each run starts from
the same ANALYZEd history (5,000 events, bench/common.reset_with_history) with fresh event ids.

    .venv/bin/python bench/ingest.py            # full run, writes bench/results/ingest.json
    .venv/bin/python bench/ingest.py --quick    # about a minute

Needs wrk (`apt-get install wrk`).
"""

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analytics.simulation import history  # noqa: E402
from bench.common import (  # noqa: E402
    base_url,
    connect,
    count_events,
    prepare_database,
    render_inserts,
    reset_with_history,
    run_statements,
    settle_pending,
    with_database,
)

PYTHON = sys.executable
# (label, events per request, concurrent clients, events prepared per second of run): enough
# for the fastest rate seen here with room to spare, without rendering 200k statements for a
# 10-second single-event run.
WARM_UP = 5000
"""Events stored with summaries and ANALYZEd before every run."""

SHAPES = (
    ("single", 1, 1, 2_000),
    ("single", 1, 8, 2_000),
    ("single", 1, 32, 2_000),
    ("batch", 100, 2, 40_000),
    ("batch", 1000, 2, 40_000),
)


def tagged(events: list[dict], tag: str) -> list[dict]:
    return [{**event, "id": f"{tag}-{event['id']}"} for event in events]


def chunks(events: list, size: int) -> list[list]:
    return [events[start : start + size] for start in range(0, len(events), size)]


def deal(items: list, hands: int) -> list[list]:
    return [items[hand::hands] for hand in range(hands)]


SERVERS = (
    # (group commit, summaries): the default, without group commit, and deferred summaries.
    (True, "immediate"),
    (False, "immediate"),
    (True, "deferred"),
)


def start_server(
    url: str, port: int, workers: int | None, threads: int | None, group_commit: bool, summaries: str
) -> subprocess.Popen:
    """gunicorn as gunicorn.conf.py configures it; --workers/--threads override it when given."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "0",
        "TALLY_GROUP_COMMIT": "1" if group_commit else "0",
        "TALLY_SUMMARIES": summaries,
    }
    if workers is not None:
        env["TALLY_WORKERS"] = str(workers)
    if threads is not None:
        env["TALLY_THREADS"] = str(threads)
    command = [PYTHON, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def run_http(*, url, port, key, events, size, clients, seconds, workdir, history) -> dict:
    threads = min(clients, 2)
    bodies = [json.dumps(batch[0] if size == 1 else batch) for batch in chunks(events, size)]
    prefix = Path(workdir) / f"bodies-{size}-{clients}"
    for index, hand in enumerate(deal(bodies, threads)):
        prefix.with_name(f"{prefix.name}.{index}").write_text("\n".join(hand) + "\n")
    reset_with_history(url, history)
    stored_before = count_events(url)
    command = [
        "wrk", "-t", str(threads), "-c", str(clients), "-d", f"{seconds:g}s", "--timeout", "10s",
        "-s", str(ROOT / "bench" / "ingest.lua"), f"http://127.0.0.1:{port}", "--", str(prefix), key,
    ]  # fmt: skip
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    inserted = count_events(url) - stored_before
    # What was pending when the run ended; the settling loop beside the servers settled the rest.
    drain = settle_pending(url)
    result.update(
        requests_per_second=result["requests"] / result["seconds"],
        events_per_second=inserted / result["seconds"],
        events_inserted=inserted,
        bodies_available=len(bodies),
        drain_seconds=drain,
        settled_events_per_second=inserted / (result["seconds"] + drain),
    )
    return result


def run_ceiling(*, url, workspace_id, events, size, clients, seconds, history) -> dict:
    """The API's INSERT, rendered ahead of time, from `clients` psycopg2 connections (one statement per transaction)."""
    statements = render_inserts(url=url, workspace_id=workspace_id, events=events, size=size)
    reset_with_history(url, history)
    return run_statements(url=url, statements=statements, clients=clients, seconds=seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs, for a check in about a minute")
    parser.add_argument("--seconds", type=float, default=None, help="length of each run (default 10, quick 3)")
    parser.add_argument(
        "--workers", type=int, default=None, help="gunicorn worker processes (default: gunicorn.conf.py)"
    )
    parser.add_argument("--threads", type=int, default=None, help="threads per worker (default: gunicorn.conf.py)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "ingest.json"))
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/ingest.py needs wrk: apt-get install wrk")
    seconds = args.seconds or (3 if args.quick else 10)
    url = with_database(base_url(), "tally_bench_ingest")
    print(f"preparing {urlparse(url).path.lstrip('/')} ...", flush=True)
    workspace_id, key = prepare_database(url)
    conversations = 6000 if args.quick else 40000
    pool = list(history(end=datetime.now(UTC), days=14, conversations=conversations, seed=11))
    # Every run starts from the same ANALYZEd history (bench/common.reset_with_history).
    past = render_inserts(url=url, workspace_id=workspace_id, events=tagged(pool[:WARM_UP], "h"), size=1000)
    pool = pool[WARM_UP:]
    print(f"{len(pool)} simulated events; each run lasts {seconds:g}s", flush=True)
    servers = [
        start_server(url, args.port + offset, args.workers, args.threads, group_commit=mode, summaries=summaries)
        for offset, (mode, summaries) in enumerate(SERVERS)
    ]
    # As docker compose runs it: settles deferred summaries every second (finds nothing otherwise).
    settler = subprocess.Popen(
        [PYTHON, "manage.py", "rollups", "settle", "--every", "1"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
    )
    servers.append(settler)
    rows = []
    try:
        with tempfile.TemporaryDirectory() as workdir:
            for number, (label, size, clients, per_second) in enumerate(SHAPES):
                prepared = pool[: int(per_second * seconds)]
                ceiling = run_ceiling(
                    url=url, workspace_id=workspace_id, events=tagged(prepared, f"c{number}"), size=size,
                    clients=clients, seconds=seconds, history=past,
                )  # fmt: skip
                for offset, (group_commit, summaries) in enumerate(SERVERS):
                    http = run_http(
                        url=url, port=args.port + offset, key=key, events=tagged(prepared, f"r{number}-{offset}"),
                        size=size, clients=clients, seconds=seconds, workdir=workdir, history=past,
                    )  # fmt: skip
                    row = {
                        "shape": label,
                        "events_per_request": size,
                        "clients": clients,
                        "group_commit": group_commit,
                        "summaries": summaries,
                        "http": http,
                        "ceiling": ceiling,
                        "ratio": http["events_per_second"] / ceiling["events_per_second"],
                    }
                    rows.append(row)
                    print(
                        f"{label:6} x{size:<5} c={clients:<3} group commit {'on ' if group_commit else 'off'} "
                        f"{summaries:9} http {http['requests_per_second']:8.0f} req/s "
                        f"{http['events_per_second']:8.0f} ev/s (settled {http['settled_events_per_second']:8.0f}) "
                        f"p99 {http['p99_ms']:7.1f} ms non-201 {http['non_201']} | ceiling "
                        f"{ceiling['events_per_second']:8.0f} ev/s | ratio {row['ratio']:.2f}",
                        flush=True,
                    )
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
    with connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    report = {
        "timestamp": datetime.now(UTC).isoformat(),
        "server_version": server_version,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "gunicorn": {
            "config": "gunicorn.conf.py",
            "workers": args.workers or int(os.environ.get("TALLY_WORKERS", "2")),
            "threads": args.threads or int(os.environ.get("TALLY_THREADS", "16")),
        },
        "seconds_per_run": seconds,
        "load_generator": "wrk 4.1 with bench/ingest.lua",
        "rows": rows,
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(
        "| shape | clients | group commit | summaries | HTTP req/s | HTTP events/s | settled events/s "
        "| p50 / p95 / p99 ms | ceiling events/s | HTTP ÷ ceiling |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        http, ceiling = row["http"], row["ceiling"]
        print(
            f"| {row['shape']} of {row['events_per_request']} | {row['clients']} | "
            f"{'on' if row['group_commit'] else 'off'} | {row['summaries']} | {http['requests_per_second']:.0f} | "
            f"{http['events_per_second']:.0f} | {http['settled_events_per_second']:.0f} | "
            f"{http['p50_ms']:.1f} / {http['p95_ms']:.1f} / {http['p99_ms']:.1f} | "
            f"{ceiling['events_per_second']:.0f} | {row['ratio']:.2f} |"
        )
    print(f"\nwritten to {args.output}")


if __name__ == "__main__":
    main()

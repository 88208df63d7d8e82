"""What the Citus-aware trigger bodies (triggers/shards.py) cost on plain PostgreSQL: the same
events ingested with the installed bodies (the file's statements inside
`IF TG_TABLE_NAME = 'event' THEN ... ELSE <Citus form> END IF`) and with the bare statements of
the files without that wrapper, as they were installed before. Rounds alternate A/B, B/A, ... so drift of the machine
falls on both; every round is checked with `rollups verify`.

    .venv/bin/python bench/trigger_dispatch.py            # 5 rounds; writes bench/results/trigger-dispatch.json
    .venv/bin/python bench/trigger_dispatch.py --rounds 3 --single-events 1000
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


def install(url: str, *, shard_aware: bool) -> None:
    """Installs the summary trigger of event in the given form (pgtrigger's own install SQL)."""
    import pgtrigger

    from analytics.models import Event
    from triggers import summaries_sql, summary_trigger

    trigger = summary_trigger()
    if not shard_aware:
        trigger = pgtrigger.Trigger(
            name=trigger.name,
            level=trigger.level,
            when=trigger.when,
            operation=trigger.operation,
            referencing=trigger.referencing,
            func=summaries_sql(),
        )
    connection = connect(url)
    with connection, connection.cursor() as cursor:
        cursor.execute(trigger.compile(Event).install_sql)
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="rounds per form (each form once per round)")
    parser.add_argument("--single-events", type=int, default=2_000, help="single-event transactions per run")
    parser.add_argument("--events", type=int, default=20_000, help="events of the batched runs (1000 a statement)")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "trigger-dispatch.json"))
    args = parser.parse_args()
    url = with_database(base_url(), "tally_bench_dispatch")
    setup_django(url)  # before anything imports core.settings with another DATABASE_URL
    print(f"preparing {url.rsplit('/', 1)[-1].split('?')[0]} ...", flush=True)
    workspace_id, _ = prepare_database(url)
    pool = list(history(end=datetime.now(UTC), days=7, conversations=args.events // 9, seed=5))
    from analytics import partitions

    partitions.ensure(datetime.fromisoformat(event["occurred_at"]) for event in pool)
    statements = {
        1000: render_inserts(url=url, workspace_id=workspace_id, events=pool[: args.events], size=1000),
        1: render_inserts(url=url, workspace_id=workspace_id, events=pool[: args.single_events], size=1),
    }
    cases = [(1000, 1), (1, 1), (1, 8)]
    rows = []
    for round_number in range(args.rounds):
        order = (True, False) if round_number % 2 == 0 else (False, True)
        for size, clients in cases:
            for shard_aware in order:
                install(url, shard_aware=shard_aware)
                reset(url)
                result = run_statements(url=url, statements=statements[size], clients=clients)
                result.update(
                    round=round_number,
                    events_per_statement=size,
                    clients=clients,
                    body="shard-aware" if shard_aware else "static",
                    verified=verify(url),
                )
                rows.append(result)
                print(
                    f"round {round_number}  batch {size:>4}  clients {clients}  {result['body']:<11}  "
                    f"{result['events_per_second']:8.0f} events/s  p50 {result['p50_ms']:6.2f} ms  "
                    f"errors {len(result['errors'])}  verify {result['verified']}",
                    flush=True,
                )
    install(url, shard_aware=True)

    summary = []
    for size, clients in cases:
        rates = {
            body: [
                row["events_per_second"]
                for row in rows
                if (row["events_per_statement"], row["clients"], row["body"]) == (size, clients, body)
            ]
            for body in ("shard-aware", "static")
        }
        median = {body: statistics.median(values) for body, values in rates.items()}
        summary.append(
            {
                "events_per_statement": size,
                "clients": clients,
                "median_events_per_second": median,
                "shard_aware_vs_static": median["shard-aware"] / median["static"],
            }
        )
    with connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    report = {
        "timestamp": datetime.now(UTC).isoformat(),
        "command": " ".join(["bench/trigger_dispatch.py", *sys.argv[1:]]),
        "server_version": server_version,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "rounds": args.rounds,
        "summary": summary,
        "rows": rows,
        "all_verified": all(row["verified"] for row in rows),
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    print("\n| events per statement | connections | static events/s | shard-aware events/s | ratio |")
    print("| --- | --- | --- | --- | --- |")
    for row in summary:
        median = row["median_events_per_second"]
        print(
            f"| {row['events_per_statement']} | {row['clients']} | {median['static']:.0f} | "
            f"{median['shard-aware']:.0f} | {row['shard_aware_vs_static']:.3f} |"
        )
    print(f"\nall rounds verified: {report['all_verified']}; written to {args.output}")


if __name__ == "__main__":
    main()

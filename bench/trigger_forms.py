"""What the form of the summary triggers costs on ingest: the same events inserted with

- `one`: the installed form, one AFTER INSERT statement trigger (`summarize`) whose function runs
  the statements of every sql/triggers file in SUMMARY_TRIGGER_NAMES;
- `six`: the form before migration 0016, one trigger per file (the same statements, six
  function calls per INSERT);
- `off`: no summary trigger (the raw INSERT alone),

in batches of 1000 (1 connection) and as single-event transactions (1, 8 and 32 connections),
all in one run with the forms alternating A/B/C, C/B/A, ... so that drift of the machine falls on
each. Every `one` and `six` run is checked with `rollups verify`. Ends with the installed form.

    .venv/bin/python bench/trigger_forms.py             # 3 rounds; writes bench/results/trigger-forms.json
    .venv/bin/python bench/trigger_forms.py --rounds 1 --single-events 1000 --events 10000
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

FORMS = ("one", "six", "off")


def install(url: str, form: str) -> None:
    """Drops every AFTER INSERT summary trigger of event, then installs those of `form`."""
    from analytics.models import Event
    from triggers import SUMMARY_TRIGGER_NAMES, summary_trigger

    per_file = [summary_trigger((name,), name=name) for name in SUMMARY_TRIGGER_NAMES]
    installed = {"one": [summary_trigger()], "six": per_file, "off": []}[form]
    with connect(url) as connection, connection.cursor() as cursor:
        for trigger in (summary_trigger(), *per_file):
            cursor.execute(f"DROP TRIGGER IF EXISTS {trigger.get_pgid(Event)} ON event")
        for trigger in installed:
            cursor.execute(trigger.compile(Event).install_sql)
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="rounds (each form once per case and round)")
    parser.add_argument("--single-events", type=int, default=3_000, help="single-event transactions per run")
    parser.add_argument("--events", type=int, default=30_000, help="events of the batched runs (1000 a statement)")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "trigger-forms.json"))
    args = parser.parse_args()
    url = with_database(base_url(), "tally_bench_forms")
    setup_django(url)  # before anything imports core.settings with another DATABASE_URL
    print(f"preparing {url.rsplit('/', 1)[-1].split('?')[0]} ...", flush=True)
    workspace_id, _ = prepare_database(url)
    pool = list(history(end=datetime.now(UTC), days=7, conversations=args.events // 9, seed=5))
    statements = {
        1000: render_inserts(url=url, workspace_id=workspace_id, events=pool[: args.events], size=1000),
        1: render_inserts(url=url, workspace_id=workspace_id, events=pool[: args.single_events], size=1),
    }
    cases = [(1000, 1), (1, 1), (1, 8), (1, 32)]
    rows = []
    try:
        for round_number in range(args.rounds):
            order = FORMS if round_number % 2 == 0 else tuple(reversed(FORMS))
            for size, clients in cases:
                for form in order:
                    install(url, form)
                    reset(url)
                    result = run_statements(url=url, statements=statements[size], clients=clients)
                    result.update(
                        round=round_number,
                        events_per_statement=size,
                        clients=clients,
                        form=form,
                        verified=None if form == "off" else verify(url),
                    )
                    rows.append(result)
                    print(
                        f"round {round_number}  batch {size:>4}  clients {clients:>2}  {form:<3}  "
                        f"{result['events_per_second']:8.0f} events/s  p50 {result['p50_ms']:6.2f} ms  "
                        f"p99 {result['p99_ms']:7.2f} ms  errors {len(result['errors'])}  verify {result['verified']}",
                        flush=True,
                    )
    finally:
        install(url, "one")

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
                "one_vs_off": median["one"] / median["off"],
                "six_vs_off": median["six"] / median["off"],
                "one_vs_six": median["one"] / median["six"],
            }
        )
    single = {row["clients"]: row["median_events_per_second"] for row in summary if row["events_per_statement"] == 1}
    scaling = {
        form: {"8_vs_1": single[8][form] / single[1][form], "32_vs_1": single[32][form] / single[1][form]}
        for form in FORMS
    }
    with connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    report = {
        "timestamp": datetime.now(UTC).isoformat(),
        "command": " ".join(["bench/trigger_forms.py", *sys.argv[1:]]),
        "server_version": server_version,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load_average": os.getloadavg()},
        "rounds": args.rounds,
        "summary": summary,
        "scaling": scaling,
        "rows": rows,
        "all_verified": all(row["verified"] is not False for row in rows),
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    print(
        "\n| events per statement | connections | off events/s | six triggers | one trigger "
        "| six / off | one / off | one / six |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in summary:
        median = row["median_events_per_second"]
        print(
            f"| {row['events_per_statement']} | {row['clients']} | {median['off']:.0f} | {median['six']:.0f} | "
            f"{median['one']:.0f} | {row['six_vs_off']:.2f} | {row['one_vs_off']:.2f} | {row['one_vs_six']:.2f} |"
        )
    print("\n| form | single events 8 / 1 connections | 32 / 1 |")
    print("| --- | --- | --- |")
    for form in FORMS:
        print(f"| {form} | {scaling[form]['8_vs_1']:.2f} | {scaling[form]['32_vs_1']:.2f} |")
    print(f"\nload average {os.getloadavg()}; all runs verified: {report['all_verified']}; written to {args.output}")


if __name__ == "__main__":
    main()

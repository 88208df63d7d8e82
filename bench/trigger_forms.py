"""What the form of the summary triggers costs on ingest: the same events inserted with

- `one`: the installed form, one AFTER INSERT statement trigger (`summarize`) whose function runs
  the statements of every sql/triggers file in SUMMARY_TRIGGER_NAMES;
- `six`: one trigger per file, as before migration 0016 (the same statements, six
  function calls per INSERT);
- `before` (with `--before REV`): the six triggers with the SQL files of git revision REV, as
  that revision installed them (e.g. `--before 271d77f`, the last commit before migration 0016);
- `off`: no summary trigger (the raw INSERT alone),

simulated support events in batches of 1000 (1 connection) and as single-event transactions (1,
8 and 32 connections), and single product events (no conversation, agent, channel or customer),
all in one run with the forms alternating A/B/C, C/B/A, ... so that drift of the machine falls on
each. Every `one` and `six` run is checked with `rollups verify`. Ends with the installed form.

    .venv/bin/python bench/trigger_forms.py             # 3 rounds; writes bench/results/trigger-forms.json
    .venv/bin/python bench/trigger_forms.py --rounds 1 --single-events 1000 --events 10000
    .venv/bin/python bench/trigger_forms.py --before 271d77f
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import UTC, datetime, timedelta
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


def files_at(revision: str) -> dict[str, str]:
    """The summary trigger files of SUMMARY_TRIGGER_NAMES as git revision `revision` had them."""
    from triggers import MARKER, SUMMARY_TRIGGER_NAMES

    def show(name: str) -> str:
        command = ["git", "show", f"{revision}:sql/triggers/event__{name}.sql"]
        return MARKER.sub("", subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout)

    return {name: show(name) for name in SUMMARY_TRIGGER_NAMES}


def product_events(count: int) -> list[dict]:
    """Product events of the last hours (names and properties as a shop sends them), none naming a
    conversation, an agent, a channel or a customer: what the guarded merges can skip."""
    now = datetime.now(UTC).replace(microsecond=0)
    names = ("page.view", "cart.added", "checkout.completed")
    return [
        {
            "id": f"product-{index}",
            "name": names[index % 3],
            "occurred_at": (now - timedelta(seconds=7 * index)).isoformat(),
            "value": index % 50,
            "properties": {"path": f"/p/{index % 40}", "browser": ("firefox", "chrome")[index % 2]},
        }
        for index in range(count)
    ]


def install(url: str, form: str, *, before: dict[str, str] | None = None) -> None:
    """Drops every AFTER INSERT summary trigger of event, then installs those of `form`."""
    import pgtrigger

    from analytics.models import Event
    from triggers import NEW_EVENTS, SUMMARY_TRIGGER_NAMES, statement_trigger, summary_trigger

    per_file = [summary_trigger((name,), name=name) for name in SUMMARY_TRIGGER_NAMES]
    installed = {"one": [summary_trigger()], "six": per_file, "off": []}.get(form)
    if form == "before":
        installed = [
            statement_trigger(table="event", name=name, operation=pgtrigger.Insert, referencing=NEW_EVENTS, sql=sql)
            for name, sql in (before or {}).items()
        ]
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
    parser.add_argument("--before", metavar="REV", help="also the six triggers of git revision REV")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "trigger-forms.json"))
    args = parser.parse_args()
    forms = ("one", "six", "before", "off") if args.before else FORMS
    before = files_at(args.before) if args.before else None
    url = with_database(base_url(), "tally_bench_forms")
    setup_django(url)  # before anything imports core.settings with another DATABASE_URL
    print(f"preparing {url.rsplit('/', 1)[-1].split('?')[0]} ...", flush=True)
    workspace_id, _ = prepare_database(url)
    pool = list(history(end=datetime.now(UTC), days=7, conversations=args.events // 9, seed=5))
    statements = {
        ("support", 1000): render_inserts(url=url, workspace_id=workspace_id, events=pool[: args.events], size=1000),
        ("support", 1): render_inserts(url=url, workspace_id=workspace_id, events=pool[: args.single_events], size=1),
        ("product", 1): render_inserts(
            url=url, workspace_id=workspace_id, events=product_events(args.single_events), size=1
        ),
    }
    cases = [("support", 1000, 1), ("support", 1, 1), ("support", 1, 8), ("support", 1, 32), ("product", 1, 1)]
    rows = []
    try:
        for round_number in range(args.rounds):
            order = forms if round_number % 2 == 0 else tuple(reversed(forms))
            for stream, size, clients in cases:
                for form in order:
                    install(url, form, before=before)
                    reset(url)
                    result = run_statements(url=url, statements=statements[(stream, size)], clients=clients)
                    result.update(
                        round=round_number,
                        stream=stream,
                        events_per_statement=size,
                        clients=clients,
                        form=form,
                        verified=None if form == "off" else verify(url),
                    )
                    rows.append(result)
                    print(
                        f"round {round_number}  {stream}  batch {size:>4}  clients {clients:>2}  {form:<6}  "
                        f"{result['events_per_second']:8.0f} events/s  p50 {result['p50_ms']:6.2f} ms  "
                        f"p99 {result['p99_ms']:7.2f} ms  cpu {result['backend_cpu_ms_per_event'] or 0:.3f} ms/event  "
                        f"errors {len(result['errors'])}  verify {result['verified']}",
                        flush=True,
                    )
    finally:
        install(url, "one")

    summary = []
    for stream, size, clients in cases:
        key = (stream, size, clients)
        median = {
            form: statistics.median(
                row["events_per_second"]
                for row in rows
                if (row["stream"], row["events_per_statement"], row["clients"], row["form"]) == (*key, form)
            )
            for form in forms
        }
        cpu = {
            form: statistics.median(
                row["backend_cpu_ms_per_event"] or 0.0
                for row in rows
                if (row["stream"], row["events_per_statement"], row["clients"], row["form"]) == (*key, form)
            )
            for form in forms
        }
        summary.append(
            {
                "stream": stream,
                "events_per_statement": size,
                "clients": clients,
                "median_events_per_second": median,
                "median_backend_cpu_ms_per_event": cpu,
                "vs_off": {form: median[form] / median["off"] for form in forms if form != "off"},
            }
        )
    single = {
        row["clients"]: row["median_events_per_second"]
        for row in summary
        if (row["stream"], row["events_per_statement"]) == ("support", 1)
    }
    scaling = {
        form: {"8_vs_1": single[8][form] / single[1][form], "32_vs_1": single[32][form] / single[1][form]}
        for form in forms
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
        "forms": {"before": args.before} if args.before else {},
        "summary": summary,
        "scaling": scaling,
        "rows": rows,
        "all_verified": all(row["verified"] is not False for row in rows),
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    on = [form for form in forms if form != "off"]
    print("\nEvents/s (median of the rounds), and each form / off:\n")
    heading = " | ".join([*forms, *(f"{form} / off" for form in on)])
    print(f"| events | per statement | connections | {heading} |")
    print("| --- " * (3 + len(forms) + len(on)) + "|")
    for row in summary:
        median = row["median_events_per_second"]
        print(
            f"| {row['stream']} | {row['events_per_statement']} | {row['clients']} | "
            + " | ".join(f"{median[form]:.0f}" for form in forms)
            + " | "
            + " | ".join(f"{row['vs_off'][form]:.2f}" for form in on)
            + " |"
        )
    print("\nBackend CPU per event, ms (from /proc: what the server processes used; barely moved by other load):\n")
    print("| events | per statement | connections | " + " | ".join(forms) + " |")
    print("| --- " * (3 + len(forms)) + "|")
    for row in summary:
        cpu = row["median_backend_cpu_ms_per_event"]
        figures = " | ".join(f"{cpu[form]:.3f}" for form in forms)
        print(f"| {row['stream']} | {row['events_per_statement']} | {row['clients']} | {figures} |")
    print("\n| form | single events 8 / 1 connections | 32 / 1 |")
    print("| --- | --- | --- |")
    for form in forms:
        print(f"| {form} | {scaling[form]['8_vs_1']:.2f} | {scaling[form]['32_vs_1']:.2f} |")
    print(f"\nload average {os.getloadavg()}; all runs verified: {report['all_verified']}; written to {args.output}")


if __name__ == "__main__":
    main()

"""What the summary trigger of one revision costs against another's, per statement, in backend CPU:
the same INSERT statements run one after another, each in a transaction that is rolled back, so
every form starts from the same database (the same conversations under way, the same summary
rows) and nothing is committed. Forms:

- `REV`: the summary trigger as the files of git revision REV make it (`HEAD`, `main`, a commit),
  with the business-hours functions (sql/functions/tally_business_*.sql) of that revision too;
- `REV~CUT`: the same without what `bench/support_figures.py --cut CUT` leaves out of the
  conversation trigger (`all`: the issue 17 figures; `business-sla`: business hours and SLAs);
- `off`: no summary trigger (the raw INSERT alone).

The database is made once (`--prepare`): migrated, a workspace with a business schedule (Monday to
Friday 09:00-18:00 Berlin, a holiday) and SLA targets (first response 1 h in business time,
resolution 1 day in calendar time), and `--history` simulated events ingested with the installed
trigger and ANALYZEd; the timed statements are the events that follow them in time (batches of
`--size`). `--schedule` puts the schedule and the targets in effect for the simulated week (as
bench/support_figures.py does), otherwise they start in 2100 (as on a workspace without them).
Forms alternate A/B, B/A per round. The figure is the backend's CPU time per statement, from
/proc (steadier than wall time when other work shares the cores; 10 ms ticks, so the mean over
many statements), next to the median wall time. What it leaves out: the commit (WAL flush) and
contention between connections, which bench/trigger_forms.py and bench/support_figures.py
measure.

    env -u DATABASE_URL TALLY_PGDATA=/tmp/pgcpu .venv/bin/python bench/trigger_cpu.py --prepare main HEAD off
    env -u DATABASE_URL TALLY_PGDATA=/tmp/pgcpu .venv/bin/python bench/trigger_cpu.py --schedule --size 1 \
        --statements 300 main HEAD off
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analytics.simulation import history  # noqa: E402
from bench.common import (  # noqa: E402
    backend_cpu_seconds,
    base_url,
    connect,
    prepare_database,
    render_inserts,
    reset,
    run_statements,
    setup_django,
    with_database,
)
from bench.support_figures import SCHEDULE_AND_TARGETS  # noqa: E402

FUNCTIONS = ("tally_business_seconds", "tally_business_due")
# Simulated events end at a fixed instant, so that a prepared database and later runs agree.
END = datetime(2026, 12, 8, tzinfo=UTC)


def show(revision: str, path: str) -> str:
    return subprocess.run(
        ["git", "show", f"{revision}:{path}"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def install_sql(form: str) -> str:
    """The SQL that installs `form`'s summary trigger (and its revision's functions), or drops it."""
    import pgtrigger

    from analytics.models import Event
    from triggers import MARKER, NEW_EVENTS, SUMMARY_TRIGGER_NAMES, sections_of, summary_trigger
    from triggers.shards import WORKSPACE_VARIABLE, sections_body

    installed = summary_trigger()
    if form == "off":
        return f"DROP TRIGGER IF EXISTS {installed.get_pgid(Event)} ON event"
    from bench.support_figures import without_new_figures

    form, _, cut = form.partition("~")
    bodies = {
        f"event__{name}.sql": MARKER.sub("", show(form, f"sql/triggers/event__{name}.sql"))
        for name in SUMMARY_TRIGGER_NAMES
    }
    if cut:
        conversations = "event__merge_conversations.sql"
        bodies[conversations] = without_new_figures(bodies[conversations], cut)
    trigger = pgtrigger.Trigger(
        name=installed.name,
        level=pgtrigger.Statement,
        when=pgtrigger.After,
        operation=pgtrigger.Insert,
        referencing=NEW_EVENTS,
        declare=[(WORKSPACE_VARIABLE, "bigint")],
        func=sections_body(sections_of(bodies), table="event", transition="new_events"),
    )
    functions = "".join(show(form, f"sql/functions/{name}.sql") for name in FUNCTIONS)
    return trigger.compile(Event).install_sql + ";\n" + functions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("forms", nargs="+", help="git revisions, or off")
    parser.add_argument("--prepare", action="store_true", help="make the database first")
    parser.add_argument("--schedule", action="store_true", help="the schedule and SLA targets in effect")
    parser.add_argument("--size", type=int, default=1000, help="events per statement")
    parser.add_argument("--statements", type=int, default=10, help="statements per form and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--history", type=int, default=10_000)
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "trigger-cpu.json"))
    args = parser.parse_args()
    url = with_database(base_url(), "tally_trigger_cpu")
    setup_django(url)
    from analytics import partitions

    if args.prepare:
        workspace_id, _ = prepare_database(url)
        with connect(url) as connection, connection.cursor() as cursor:
            cursor.execute(SCHEDULE_AND_TARGETS, {"workspace": workspace_id})
    with connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT id FROM workspace WHERE slug = 'bench'")
        workspace_id = cursor.fetchone()[0]
        cursor.execute(
            "UPDATE business_schedule SET effective_from = %(at)s; UPDATE sla_policy SET effective_from = %(at)s",
            {"at": "2000-01-01T00:00Z" if args.schedule else "2100-01-01T00:00Z"},
        )
    wanted = args.history + args.size * args.statements
    pool = list(history(end=END, days=7, conversations=max(wanted, 20_000) // 9 + 1, seed=5))
    partitions.ensure(datetime.fromisoformat(event["occurred_at"]) for event in pool)
    earlier, later = pool[: args.history], pool[args.history : wanted]
    if args.prepare:
        reset(url)
        run_statements(
            url=url, statements=render_inserts(url=url, workspace_id=workspace_id, events=earlier, size=1000), clients=1
        )
        with connect(url) as connection, connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    statements = render_inserts(url=url, workspace_id=workspace_id, events=later, size=args.size)
    installs = {form: install_sql(form) for form in args.forms}
    samples = {form: {"cpu_ms": [], "wall_ms": []} for form in args.forms}
    try:
        for round_number in range(args.rounds):
            for form in args.forms if round_number % 2 == 0 else args.forms[::-1]:
                with connect(url) as connection, connection.cursor() as cursor:
                    cursor.execute(installs[form])
                connection = connect(url)
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    pid = cursor.fetchone()[0]
                    connection.rollback()
                    # Plans made and cached before timing: the last statements, so that a statement
                    # with a lean form (triggers/shards.py) has both of its forms planned.
                    for statement in statements[-20:]:
                        cursor.execute(statement)
                        connection.rollback()
                    for statement in statements:
                        cpu, began = backend_cpu_seconds(pid), time.perf_counter()
                        cursor.execute(statement)
                        wall, cpu = time.perf_counter() - began, backend_cpu_seconds(pid) - cpu
                        connection.rollback()
                        samples[form]["cpu_ms"].append(cpu * 1000)
                        samples[form]["wall_ms"].append(wall * 1000)
                connection.close()
    finally:
        with connect(url) as connection, connection.cursor() as cursor:
            cursor.execute(install_sql("HEAD"))
    base = statistics.mean(samples[args.forms[0]]["cpu_ms"])
    summary = [
        {
            "form": form,
            "cpu_ms_per_statement": statistics.mean(samples[form]["cpu_ms"]),
            "wall_ms_median": statistics.median(samples[form]["wall_ms"]),
            "cpu_vs_first": statistics.mean(samples[form]["cpu_ms"]) / base,
        }
        for form in args.forms
    ]
    with connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    report = {
        "timestamp": datetime.now(UTC).isoformat(),
        "command": " ".join(["bench/trigger_cpu.py", *sys.argv[1:]]),
        "revisions": {
            form: subprocess.run(
                ["git", "rev-parse", "--short", form.partition("~")[0]], cwd=ROOT, capture_output=True, text=True
            ).stdout.strip()
            for form in args.forms
            if form != "off"
        },
        "server_version": server_version,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load": os.getloadavg()},
        "schedule_in_effect": args.schedule,
        "events_per_statement": args.size,
        "statements_per_form": args.statements * args.rounds,
        "summary": summary,
    }
    output = Path(args.output)
    runs = json.loads(output.read_text())["runs"] if output.exists() else []
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps({"runs": [*runs, report]}, indent=2) + "\n")
    print(f"\n{args.size} events a statement, schedule and SLA targets in effect: {args.schedule}")
    print("| form | backend CPU ms per statement | wall ms (median) | CPU / first |")
    print("| --- | --- | --- | --- |")
    for row in summary:
        cpu, wall = row["cpu_ms_per_statement"], row["wall_ms_median"]
        print(f"| {row['form']} | {cpu:.2f} | {wall:.2f} | {row['cpu_vs_first']:.3f} |")


if __name__ == "__main__":
    main()

"""What CSAT, the per-team and per-label figures, reply times, business hours and SLAs cost on
ingest: the same simulated events (with ratings and teams) ingested with the conversation trigger
as installed, and with the same trigger without those figures (the team and label CTEs and the
business-hours and SLA upserts cut out of sql/triggers/event__merge_conversations.sql, and the
reply-time, CSAT, business-hours and SLA CTEs fed nothing: they share the per-grain upserts with
the other figures; everything else identical). With `--cut business-sla` only the business-hours
and SLA inputs are emptied: what those cost alone. The workspace
has a business schedule (Monday to Friday 09:00-18:00, a holiday) and SLA targets (first response
1 h in business time, resolution 1 day in calendar time) in effect for the whole simulated week,
so every conversation is measured and held to them. Batches of 1000 on one
connection and single-event transactions on 1 and 8 connections.

How the two forms share the machine: two databases (`support_bench_figures_with` and
`support_bench_figures_without`), prepared alike, take turns (bench.common.run_side_by_side):
statement by statement on one connection (A B, B A, ...), and in bursts of 25 statements per
client on 8 connections (the 8 clients of one form, then those of the other). The speed of this
shared machine moves by 25% within a minute, which a whole run of one form after the other
(`--whole-runs`, how runs before session 16 were made; rounds alternating A/B, B/A) cannot cancel.
Per shape the report has the medians of the rounds and the pooled ratio (all rounds' events over
all rounds' seconds, per form), in events/s and, on a local server, in the backends' CPU per event
(what the connections' server processes used, from /proc). Every run with the new figures is
checked with `rollups verify`.

Each connection first runs its first `--warm-up` statements (50; one statement of 1000 when
batched) and rolls each back, untimed, so that the timed part is what a connection of the running
service does: the trigger's statements are planned once per server process (PL/pgSQL keeps the
plans), and the service keeps its connections (DJANGO_CONN_MAX_AGE, the group commit's writer).
Without it (`--warm-up 0`, how runs before session 16 were made) each connection plans them inside
its timed statements: a fixed cost per connection that a service pays once a minute, not once per
250 events. (Measured side by side on one connection: no difference beyond the noise.)

Each run starts from the same desk: the first `--history` events of the simulated week ingested
(with the new figures, in batches) and ANALYZEd, as a database in service is, so the timed events
continue conversations already under way and the planner knows the table (on a table never
analyzed it cannot tell the conversation index from the primary key). The timed events are the
ones that follow in time.

    .venv/bin/python bench/support_figures.py            # 3 rounds; writes bench/results/support-figures.json
    .venv/bin/python bench/support_figures.py --rounds 1 --events 5000 --single-events 500
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
    run_side_by_side,
    run_statements,
    setup_django,
    with_database,
)
from bench.triggers import verify  # noqa: E402

FORMS = ("with", "without")
# The per-team, per-label, business-hours and SLA upserts: one span, cut out. It ends where the
# SLA targets still pending begin: support_live's upsert, the statement's last, reads sla_holders
# (which gets no rows once the measuring is fed nothing, below).
TEAM_TO_SLA = ("-- Per team (of the conversation's latest assignment", "sla_pending (workspace_id, conversation_id")
# The business-hours and SLA measuring (business_changed ... sla_deltas) comes before the per-grain
# upserts, which add the SLA outcomes: it is not cut but fed nothing, so every business-hours and
# SLA CTE gets no rows.
BUSINESS_SLA_EMPTIED = (
    "    FROM changed\n    WHERE ROW((before_row).created_at,",
    "    FROM changed\n    WHERE false AND ROW((before_row).created_at,",
)
# Reply times and CSAT feed the per-grain upserts the other figures share, so they are not cut but
# emptied: the statement's messages and ratings read nothing, and the CTEs that pair and sum them
# (and the reply and CSAT upserts) get no rows.
EMPTIED = (
    (
        "    FROM new_events\n    WHERE name IN ('conversation.customer_replied', 'conversation.agent_replied')\n",
        "    FROM new_events\n    WHERE false\n",
    ),
    ("    FROM versions\n    WHERE rated_at IS NOT NULL\n", "    FROM versions\n    WHERE false\n"),
)
CUTS = {
    "all": ((TEAM_TO_SLA,), (*EMPTIED, BUSINESS_SLA_EMPTIED)),
    "business-sla": ((), (BUSINESS_SLA_EMPTIED,)),
}
SCHEDULE_AND_TARGETS = """
INSERT INTO business_schedule (workspace_id, effective_from, time_zone, weekdays, start_minutes, end_minutes,
                               holidays, created_at)
VALUES (%(workspace)s, '2000-01-01T00:00Z', 'Europe/Berlin', '{1,2,3,4,5}', '{540,540,540,540,540}',
        '{1080,1080,1080,1080,1080}', ARRAY[(now() - interval '3 days')::date], now());
INSERT INTO sla_policy (workspace_id, effective_from, first_response_seconds, first_response_business,
                        resolution_seconds, resolution_business, created_at)
VALUES (%(workspace)s, '2000-01-01T00:00Z', 3600, true, 86400, false, now());
"""


def without_new_figures(sql: str, cut: str = "all") -> str:
    """The installed statements of event__merge_conversations.sql without the team and label CTEs
    and the business-hours and SLA upserts, with the reply-time, CSAT, business-hours and SLA inputs
    emptied; with cut="business-sla", with the business-hours and SLA inputs emptied only."""
    from triggers.shards import LEAN_WHEN

    spans, emptied = CUTS[cut]
    # One form without the figures: the lean form of the installed statement (the same statement
    # without the figures' spans, for a statement of messages) has nothing left to leave out.
    sql = LEAN_WHEN.sub("", sql)
    for start, end in spans:
        begin = sql.index(start)
        sql = sql[:begin] + sql[sql.index(end, begin) :]
    for text, replacement in emptied:
        assert text in sql, text
        sql = sql.replace(text, replacement)
    return sql


def install(url: str, *, form: str, cut: str = "all") -> None:
    """Installs the summary trigger of event with or without the new figures (pgtrigger's install
    SQL); "with" is exactly the trigger migrations install."""
    import pgtrigger

    from analytics.models import Event
    from triggers import NEW_EVENTS, SUMMARY_TRIGGER_NAMES, sections_of, summary_trigger, trigger_sql
    from triggers.shards import WORKSPACE_VARIABLE, sections_body

    trigger = summary_trigger()
    if form == "without":
        bodies = {f"event__{name}.sql": trigger_sql(f"event__{name}.sql") for name in SUMMARY_TRIGGER_NAMES}
        conversations = "event__merge_conversations.sql"
        bodies[conversations] = without_new_figures(bodies[conversations], cut)
        trigger = pgtrigger.Trigger(
            name=trigger.name,
            level=pgtrigger.Statement,
            when=pgtrigger.After,
            operation=pgtrigger.Insert,
            referencing=NEW_EVENTS,
            declare=[(WORKSPACE_VARIABLE, "bigint")],
            func=sections_body(sections_of(bodies), table="event", transition="new_events"),
        )
    with connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(trigger.compile(Event).install_sql)


def side_by_side(args) -> None:
    """The same comparison on two databases, one per form, prepared alike, that take turns: statement
    by statement on one connection, in bursts of 25 statements per client on 8 (run_side_by_side)."""
    urls = {form: with_database(base_url(), f"support_bench_figures_{form}") for form in FORMS}
    setup_django(urls["with"])
    wanted = args.history + args.events
    pool = list(history(end=datetime.now(UTC), days=7, conversations=wanted // 9 + 1, seed=5))
    earlier, later = pool[: args.history], pool[args.history : wanted]
    names = [event["name"] for event in later]
    history_statements, statements = {}, {1000: {}, 1: {}}
    for form, url in urls.items():
        print(f"preparing {url.rsplit('/', 1)[-1].split('?')[0]} ...", flush=True)
        workspace_id, _ = prepare_database(url)
        with connect(url) as connection, connection.cursor() as cursor:
            cursor.execute(SCHEDULE_AND_TARGETS, {"workspace": workspace_id})
        history_statements[form] = render_inserts(url=url, workspace_id=workspace_id, events=earlier, size=1000)
        statements[1000][form] = render_inserts(url=url, workspace_id=workspace_id, events=later, size=1000)
        statements[1][form] = render_inserts(
            url=url, workspace_id=workspace_id, events=later[: args.single_events], size=1
        )

    def start_from_history() -> None:
        for form, url in urls.items():
            install(url, form="with")
            reset(url)
            run_statements(url=url, statements=history_statements[form], clients=1)
            with connect(url) as connection, connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            install(url, form=form, cut=args.cut)

    cases = [(1000, 1), (1, 1), (1, 8)]
    rows = []
    for round_number in range(args.rounds):
        for size, clients in cases:
            start_from_history()
            planned = 0 if not args.warm_up else (1 if size > 1 else args.warm_up)
            results = run_side_by_side(
                urls=urls, statements=statements[size], clients=clients, warm_up=planned, first=round_number
            )
            verified = verify(urls["with"])
            for form in FORMS:
                result = results[form]
                result.update(
                    round=round_number,
                    events_per_statement=size,
                    clients=clients,
                    form=form,
                    verified=verified if form == "with" else None,
                )
                rows.append(result)
            print(
                f"round {round_number}  batch {size:>4}  clients {clients}  "
                + "  ".join(f"{form} {results[form]['events_per_second']:7.0f} events/s" for form in FORMS)
                + f"  ratio {results['with']['events_per_second'] / results['without']['events_per_second']:.3f}"
                f"  errors {len(results['with']['errors']) + len(results['without']['errors'])}  verify {verified}",
                flush=True,
            )
    report(args, rows, cases, names=names, history_events=len(earlier), later=len(later), url=urls["with"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="rounds per form (each form once per round)")
    parser.add_argument("--single-events", type=int, default=2_000, help="single-event transactions per run")
    parser.add_argument("--events", type=int, default=20_000, help="events of the batched runs (1000 a statement)")
    parser.add_argument("--history", type=int, default=20_000, help="events ingested before each timed run")
    parser.add_argument("--cut", choices=tuple(CUTS), default="all", help="what the 'without' form leaves out")
    parser.add_argument(
        "--warm-up",
        type=int,
        default=50,
        help="single-event statements each connection runs and rolls back before it is timed (0: none; "
        "batched runs warm up with one statement of 1000)",
    )
    parser.add_argument(
        "--whole-runs",
        action="store_true",
        help="time each form in a run of its own, one form after the other (how runs before session 16 were "
        "made), instead of two databases taking turns statement by statement",
    )
    parser.add_argument("--output", default=None, help="default: bench/results/support-figures[-business-sla].json")
    args = parser.parse_args()
    if args.output is None:
        suffix = "" if args.cut == "all" else f"-{args.cut}"
        args.output = str(ROOT / "bench" / "results" / f"support-figures{suffix}.json")
    if not args.whole_runs:
        side_by_side(args)
        return
    url = with_database(base_url(), "support_bench_figures")
    setup_django(url)  # before anything imports core.settings with another DATABASE_URL
    print(f"preparing {url.rsplit('/', 1)[-1].split('?')[0]} ...", flush=True)
    workspace_id, _ = prepare_database(url)
    with connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(SCHEDULE_AND_TARGETS, {"workspace": workspace_id})
    wanted = args.history + args.events
    pool = list(history(end=datetime.now(UTC), days=7, conversations=wanted // 9 + 1, seed=5))
    from analytics import partitions

    partitions.ensure(datetime.fromisoformat(event["occurred_at"]) for event in pool)
    earlier, later = pool[: args.history], pool[args.history : wanted]
    names = [event["name"] for event in later]
    warm_up = render_inserts(url=url, workspace_id=workspace_id, events=earlier, size=1000)
    statements = {
        1000: render_inserts(url=url, workspace_id=workspace_id, events=later, size=1000),
        1: render_inserts(url=url, workspace_id=workspace_id, events=later[: args.single_events], size=1),
    }

    def start_from_history() -> None:
        install(url, form="with")
        reset(url)
        run_statements(url=url, statements=warm_up, clients=1)
        with connect(url) as connection, connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    cases = [(1000, 1), (1, 1), (1, 8)]
    rows = []
    for round_number in range(args.rounds):
        order = FORMS if round_number % 2 == 0 else FORMS[::-1]
        for size, clients in cases:
            for form in order:
                start_from_history()
                install(url, form=form, cut=args.cut)
                planned = 0 if not args.warm_up else (1 if size > 1 else args.warm_up)
                result = run_statements(url=url, statements=statements[size], clients=clients, warm_up=planned)
                result.update(
                    round=round_number,
                    events_per_statement=size,
                    clients=clients,
                    form=form,
                    verified=verify(url) if form == "with" else None,
                )
                rows.append(result)
                print(
                    f"round {round_number}  batch {size:>4}  clients {clients}  {form:<7}  "
                    f"{result['events_per_second']:8.0f} events/s  p50 {result['p50_ms']:6.2f} ms  "
                    f"errors {len(result['errors'])}  verify {result['verified']}",
                    flush=True,
                )
    install(url, form="with")
    report(args, rows, cases, names=names, history_events=len(earlier), later=len(later), url=url)


def round_ratios(rows: list[dict], size: int, clients: int) -> list[float]:
    """with ÷ without in each round of a shape (round by round, as the two forms ran in it)."""
    rate = {
        (row["round"], row["form"]): row["events_per_second"]
        for row in rows
        if (row["events_per_statement"], row["clients"]) == (size, clients)
    }
    rounds = sorted({number for number, _ in rate})
    return [rate[number, "with"] / rate[number, "without"] for number in rounds]


def pooled(rows: list[dict], size: int, clients: int) -> float:
    """with ÷ without over every round of a shape: each form's events over its seconds, summed."""
    rate = {}
    for form in FORMS:
        mine = [
            row for row in rows if (row["events_per_statement"], row["clients"], row["form"]) == (size, clients, form)
        ]
        rate[form] = sum(row["events_inserted"] for row in mine) / sum(row["seconds"] for row in mine)
    return rate["with"] / rate["without"]


def report(args, rows: list[dict], cases, *, names: list[str], history_events: int, later: int, url: str) -> None:
    """Writes the JSON report and prints the table: per shape, the ratio of the forms' medians, the
    pooled ratio (every round's events over every round's seconds, per form) and the median of the
    rounds' own ratios (the figure to quote when the forms took turns)."""
    summary = []
    for size, clients in cases:

        def median_of(field: str, size: int = size, clients: int = clients) -> dict:
            values = {
                form: [
                    row[field]
                    for row in rows
                    if (row["events_per_statement"], row["clients"], row["form"]) == (size, clients, form)
                ]
                for form in FORMS
            }
            return {form: statistics.median(v) if None not in v else None for form, v in values.items()}

        median, cpu = median_of("events_per_second"), median_of("backend_cpu_ms_per_event")
        summary.append(
            {
                "events_per_statement": size,
                "clients": clients,
                "median_events_per_second": median,
                "with_vs_without": median["with"] / median["without"],
                # The same comparison in the backends' CPU per event (None on a remote server):
                # it barely moves with other work on the machine, where events/s moves by 10%.
                "median_backend_cpu_ms_per_event": cpu,
                "cpu_with_vs_without": cpu["without"] / cpu["with"] if None not in cpu.values() else None,
                "pooled_with_vs_without": pooled(rows, size, clients),
                "round_ratios": round_ratios(rows, size, clients),
                "median_round_ratio": statistics.median(round_ratios(rows, size, clients)),
            }
        )
    with connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    report = {
        "timestamp": datetime.now(UTC).isoformat(),
        "command": " ".join(["bench/support_figures.py", *sys.argv[1:]]),
        "cut": args.cut,
        "server_version": server_version,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "rounds": args.rounds,
        "warm_up_statements_per_connection": {"single": args.warm_up, "batched": 1 if args.warm_up else 0},
        "method": "whole runs, one form after the other" if args.whole_runs else "two databases taking turns",
        "history_events": history_events,
        "batched_events": {
            "total": later,
            "customer_replied": names.count("conversation.customer_replied"),
            "agent_replied": names.count("conversation.agent_replied"),
            "rated": names.count("conversation.rated"),
        },
        "target": "with_vs_without >= 0.9",
        "summary": summary,
        "rows": rows,
        "all_verified": all(row["verified"] for row in rows if row["form"] == "with"),
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    print(
        "\n| events per statement | connections | without events/s | with events/s | with / without "
        "| pooled | median of the rounds' ratios | CPU ms per event without / with | in CPU |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in summary:
        median, cpu = row["median_events_per_second"], row["median_backend_cpu_ms_per_event"]
        in_cpu = "n/a" if row["cpu_with_vs_without"] is None else f"{row['cpu_with_vs_without']:.3f}"
        cpu_ms = "n/a" if in_cpu == "n/a" else f"{cpu['without']:.3f} / {cpu['with']:.3f}"
        print(
            f"| {row['events_per_statement']} | {row['clients']} | {median['without']:.0f} | "
            f"{median['with']:.0f} | {row['with_vs_without']:.3f} | {row['pooled_with_vs_without']:.3f} | "
            f"{row['median_round_ratio']:.3f} | {cpu_ms} | {in_cpu} |"
        )
    print(f"\nevery run with the new figures verified: {report['all_verified']}; written to {args.output}")


if __name__ == "__main__":
    main()

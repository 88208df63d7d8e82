"""The agent list's reads side by side with those of a git revision (issue 10 target 4, issue 15
target 8), on a database that bench/reads.py loaded and kept:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/agent_list.py \
        --database tally_bench_reads --before b8c2551 --rounds 30

REV's analytics/summaries.py and analytics/summary_serializers.py are loaded from git as modules of
their own beside the current ones, and each read is called with both in turn, in the same rounds,
so that load from other work on the machine hits them alike (quote the ratios). Before timing,
every read's rows are compared: the selector's rows by the repr of every value (the same digits,
not only equal numbers) and the written JSON and CSV bytes. The reads, over the last 7 days of the
desk: `page` is the first 50 agents ordered by -resolutions (GET /api/v1/summaries/agents as
bench/reads.py asks for it), `table` the first 100 (the dashboard's agents page), `every row` all
of them written as CSV (?format=csv, the dashboard's download); the others (orderings by a
percentile, business hours, a channel filter, an odd window, the channel list, teams, the overview)
are compared only. Results: bench/results/agent_list.json.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import types
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")

import django  # noqa: E402
import psycopg2  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from rest_framework.renderers import JSONRenderer  # noqa: E402

from analytics import params, summaries, summary_serializers  # noqa: E402
from analytics.figures_csv import rows_csv  # noqa: E402
from bench import reads  # noqa: E402
from bench.common import base_url, connect, scalar, with_database  # noqa: E402
from core.models import Workspace  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "agent_list.json"


def module_at(rev: str, path: str, name: str) -> types.ModuleType:
    """The file `path` of git revision `rev` as a module named `name` (its imports are the current code's)."""
    source = subprocess.run(
        ["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    module = types.ModuleType(name)
    module.__file__ = f"{rev}:{path}"
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


def stored_shape(database: str) -> dict | None:
    """The desk bench/reads.py stored in `database`, read without migrating it; None without one."""
    try:
        connection_ = connect(with_database(base_url(), database))
    except psycopg2.OperationalError:
        return None
    with connection_, connection_.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [reads.SHAPE_TABLE])
        if not cursor.fetchone()[0]:
            return None
        cursor.execute(f"SELECT shape::text FROM {reads.SHAPE_TABLE}")
        shape = json.loads(cursor.fetchone()[0])
    connection_.close()
    return shape


def windows(workspace, shape: dict) -> dict:
    _, end = reads.span(shape)
    week = {"from": (end - timedelta(days=7)).isoformat(), "to": end.isoformat()}

    def window(**extra) -> params.Window:
        query = QueryDict(mutable=True)
        query.update({**week, **extra})
        return params.parse_window(query, workspace=workspace, business_hours=True)

    odd = {"from": (end - timedelta(days=3, hours=5)).isoformat(), "to": (end - timedelta(hours=7)).isoformat()}
    return {
        "week": window(),
        "business": window(business_hours="true"),
        "channel": window(channel=reads.channel_ids(shape["channels"])[0]),
        "agent": window(agent="agent-1"),
        "odd": window(**odd),
    }


def reads_of(selectors, serializers, workspace, spans: dict) -> dict:
    """name -> call(): each read as the API or the dashboard does it, with `selectors` (a summaries
    module) and `serializers` (a summary_serializers module)."""

    def listed(dimension: str, span: str, ordering: str, page: slice):
        rows = selectors.dimension_rows(workspace=workspace, window=spans[span], dimension=dimension, ordering=ordering)
        return lambda: rows[page]

    def csv(span: str, ordering: str):
        window = spans[span]

        def call():
            rows = selectors.dimension_rows(workspace=workspace, window=window, dimension="agent", ordering=ordering)
            data = serializers.AgentSummarySerializer(rows[:], many=True, context={"tz": window.tz}).data
            return rows_csv(serializers.AgentSummarySerializer, data)

        return call

    def page_json(page: slice):
        window = spans["week"]

        def call():
            rows = selectors.dimension_rows(
                workspace=workspace, window=window, dimension="agent", ordering="-resolutions"
            )
            data = serializers.AgentSummarySerializer(rows[page], many=True, context={"tz": window.tz}).data
            return JSONRenderer().render(data)

        return call

    return {
        "page": page_json(slice(0, 50)),
        "table": page_json(slice(0, 100)),
        "every row": csv("week", "-resolutions"),
        "page 2 by id": listed("agent", "week", "id", slice(50, 100)),
        "by p90 first response": listed("agent", "week", "-first_response_p90_seconds", slice(0, 50)),
        "every row by p50 reply time": listed("agent", "week", "reply_time_p50_seconds", slice(None)),
        "by CSAT share": listed("agent", "week", "-csat_satisfied_share", slice(0, 50)),
        "business hours": csv("business", "-resolutions"),
        "business hours by p50 resolution": listed("agent", "business", "-resolution_p50_seconds", slice(0, 50)),
        "channel filter": listed("agent", "channel", "-resolutions", slice(None)),
        "agent filter": listed("agent", "agent", "id", slice(None)),
        "odd window": listed("agent", "odd", "-agent_replies", slice(None)),
        "channels": listed("channel", "week", "-resolutions", slice(None)),
        "channels by one agent": listed("channel", "agent", "id", slice(None)),
        "teams": lambda: selectors.team_rows(
            workspace=workspace, window=spans["week"], ordering="-resolution_p90_seconds"
        )[:],
        "overview": lambda: selectors.overview(workspace=workspace, window=spans["week"]),
        "overview in business hours": lambda: selectors.overview(workspace=workspace, window=spans["business"]),
    }


TIMED = ("page", "table", "every row")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=reads.DATABASE, help="a database bench/reads.py kept")
    parser.add_argument("--before", default="main", metavar="REV", help="the revision to compare with")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args()

    try:
        connect(with_database(base_url(), args.database)).close()
    except psycopg2.OperationalError:
        raise SystemExit(f"no database {args.database}: load one with bench/reads.py --keep") from None
    setup_test_environment()
    original = connection.settings_dict["NAME"]
    reads.open_database(args.database, fresh=False)
    try:
        # reads.py keeps the desk's shape in its main database only, not in the 10k one beside it.
        shape = reads.stored_shape() or stored_shape(reads.DATABASE)
        if shape is None:
            raise SystemExit(f"no desk in {args.database} or {reads.DATABASE}: load one with bench/reads.py --keep")
        workspace = Workspace.objects.get(slug="bench")
        events = reads.event_count(workspace)
        spans = windows(workspace, shape)
        before = reads_of(
            module_at(args.before, "analytics/summaries.py", "summaries_before"),
            module_at(args.before, "analytics/summary_serializers.py", "summary_serializers_before"),
            workspace,
            spans,
        )
        after = reads_of(summaries, summary_serializers, workspace, spans)
        different = [name for name in before if repr(before[name]()) != repr(after[name]())]
        print(f"{len(before) - len(different)} of {len(before)} reads give the same rows and bytes", flush=True)
        if different:
            raise SystemExit(f"different: {', '.join(different)}")
        load_before = reads.load_average()
        calls = {
            f"{side} {name}": reads_side[name]
            for name in TIMED
            for side, reads_side in (("before", before), ("after", after))
        }
        latency = reads.round_robin(calls, args.rounds, budget=600.0)
        load_after = reads.load_average()
    finally:
        reads.close_database(original, keep=True)

    print(f"\n{events:,} events, {args.rounds} rounds, load average {load_before} -> {load_after}: p50 / p95 ms")
    print(f"| read | {args.before} | this tree | p50 ratio | p95 ratio |\n| --- | --- | --- | --- | --- |")
    figures = {}
    for name in TIMED:
        old, new = latency[f"before {name}"], latency[f"after {name}"]
        figures[name] = {"before": old, "after": new}
        print(
            f"| {name} | {old['p50_ms']} / {old['p95_ms']} | {new['p50_ms']} / {new['p95_ms']}"
            f" | {new['p50_ms'] / old['p50_ms']:.2f} | {new['p95_ms'] / old['p95_ms']:.2f} |"
        )
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "postgres": scalar("SHOW server_version"),
        },
        "method": __doc__.strip(),
        "command": " ".join(["bench/agent_list.py", *sys.argv[1:]]),
        "database": args.database,
        "events": events,
        "before": args.before,
        "head": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
        "compared": len(before),
        "load_average_before_after": [load_before, load_after],
        "reads": figures,
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()

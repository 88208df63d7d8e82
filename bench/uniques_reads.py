"""Unique counts read from the period counts against count(DISTINCT) over the hourly sets, side by
side on the desk that `bench/reads.py --keep` leaves (issue 14: p95 <= 25 ms at 10M events).

For each read (a week by day and the 90 days by month, the windows of bench/reads.py, by session
and by user; the desk's product events carry sessions only, so by user reads empty sets), the
selector `analytics.summaries.unique_counts` in the workspace's zone (what the API serves: the
period counts) and the same window in another zone, which reads the hourly sets as every read did
before (`count(DISTINCT member)`), and the read before this change (count(DISTINCT) over the hourly
sets in the workspace's zone), called in turn, `--repeat` times each; the period counts' figures
are checked equal to the hourly sets' first. Prints p50/p95 in ms (the selector's SQL, without
the HTTP stack).

    .venv/bin/python bench/uniques_reads.py --database tally_bench_reads --repeat 30
"""

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from analytics import summaries  # noqa: E402
from analytics.params import Window  # noqa: E402
from bench.reads import SHAPE_TABLE, span  # noqa: E402
from core.models import Workspace  # noqa: E402


def hourly(*, workspace, window: Window, kind: str) -> list[dict]:
    """The read as it was before the period counts: count(DISTINCT) over event_unique_hourly."""
    params = {**summaries.window_params(workspace, window), "kind": kind, "name": ""}
    sql = summaries.series_sql(
        window,
        table="event_unique_hourly",
        value="count(DISTINCT h.member)",
        conditions="AND h.kind = %(kind)s AND h.name = %(name)s",
        zero=True,
    )
    return summaries.fetch(sql, params)


def percentiles(samples: list[float]) -> dict:
    samples = sorted(samples)
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[min(len(samples) - 1, int(0.95 * len(samples)))], 2),
        "n": len(samples),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="tally_bench_reads")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "uniques_reads.json"))
    args = parser.parse_args()
    settings.DATABASES["default"]["NAME"] = args.database
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT shape FROM {SHAPE_TABLE}")
        (shape,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM event")
        (events,) = cursor.fetchone()
    shape = shape if isinstance(shape, dict) else json.loads(shape)
    workspace = Workspace.objects.get()
    zone = ZoneInfo(workspace.timezone)
    t0, end = span(shape)
    windows = {"week_by_day": (end - timedelta(days=7), end, "day"), "quarter_by_month": (t0, end, "month")}
    calls = {}
    for label, (start, stop, granularity) in windows.items():
        for kind in ("session", "user"):
            window = Window(start=start, end=stop, tz=zone, granularity=granularity, channel=None, agent=None)
            other = Window(start=start, end=stop, tz=ZoneInfo("UTC"), granularity=granularity, channel=None, agent=None)
            periods = summaries.unique_counts(workspace=workspace, window=window, kind=kind, name=None)
            assert periods == hourly(workspace=workspace, window=window, kind=kind), (label, kind)
            calls[f"{label} {kind} periods"] = lambda w=window, k=kind: summaries.unique_counts(
                workspace=workspace, window=w, kind=k, name=None
            )
            calls[f"{label} {kind} hourly"] = lambda w=window, k=kind: hourly(workspace=workspace, window=w, kind=k)
            calls[f"{label} {kind} other zone (UTC)"] = lambda w=other, k=kind: summaries.unique_counts(
                workspace=workspace, window=w, kind=k, name=None
            )
    samples = {name: [] for name in calls}
    for _ in range(args.repeat):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            samples[name].append((time.perf_counter() - started) * 1000)
    result = {name: percentiles(values) for name, values in samples.items()}
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["bench/uniques_reads.py", *sys.argv[1:]]),
        "database": args.database,
        "events": events,
        "load_average": os.getloadavg(),
        "reads": result,
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    print(f"{events:,} events in {args.database}; p50 / p95 ms of {args.repeat} calls each, in turn")
    print("| read | p50 | p95 |")
    print("| --- | --- | --- |")
    for name, figures in result.items():
        print(f"| {name} | {figures['p50_ms']} | {figures['p95_ms']} |")
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()

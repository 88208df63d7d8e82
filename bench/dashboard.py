"""Server time of every dashboard page beside the API endpoints it reads, on the realistic desk of
bench/reads.py, against the target of issue 15: every page's p95 <= 50 ms at 10M events.

    .venv/bin/python bench/dashboard.py --sizes 10000,1000000         # load and measure (about 10 min)
    .venv/bin/python bench/dashboard.py --reuse --sizes 10000000      # grow the kept database to 10M (hours)
    .venv/bin/python bench/dashboard.py --quick                        # 10k events, 20 requests
    .venv/bin/python bench/dashboard.py --reuse --sizes 1000000 --before 553bee1   # and each page as of 553bee1

The desk, its loading (SQL-generated events through every trigger), compaction and VACUUM ANALYZE
are bench/reads.py's own functions (`--bulk` as there: triggers off, then `rollups rebuild`), into
a database of this benchmark (`dash_bench_dashboard`, dropped at the end unless `--keep` or
`--reuse`; with `--reuse` it grows to each size; `--database tally_bench_reads --reuse` measures
the desk bench/reads.py kept).

Each page is a GET through the whole Django stack (test client, a logged-in member's session),
with the filters of bench/reads.py: the last 7 days of the data (`from`/`to`), the busiest channel
for the filtered overview, cust-1 for the customer page. Beside each page, the API endpoints whose
selectors it calls, with the same query and a real `read` token. Requests go round-robin over all
of them (one of each, then the next round) after one warm-up each; p50/p95 per request, and the
bytes and SQL queries of each page. A page's own cost beyond its endpoints is the session, the
query of the user's workspaces and filter choices, the writing of its HTML and the template.

With `--before REV`, each page is also measured as git revision REV's dashboard writes it, in the
same rounds: REV's views and templates served under /before/ (its models and static files are
the current ones), so that a change to the pages is measured against what it replaced on the same
database at the same load.

The machine has 2 shared, slow cores, and other work runs beside the benchmark: quote ratios of
one run. Results: bench/results/dashboard.json.
"""

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import types
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.template import engines  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import clear_url_caches, include, path  # noqa: E402

from bench import reads  # noqa: E402  (sets Django up)
from bench.common import scalar  # noqa: E402
from core.auth import token_create  # noqa: E402
from dashboard import services  # noqa: E402

RESULTS = reads.ROOT / "bench" / "results" / "dashboard.json"
DATABASE = "dash_bench_dashboard"
TARGET_P95_MS = 50.0


def pages(shape: dict) -> dict:
    """page -> (dashboard path, query, [(api path, query), ...] of the endpoints it reads)."""
    _, end = reads.span(shape)
    week = {"from": (end - timedelta(days=7)).isoformat(), "to": end.isoformat()}
    days = {
        "start_date": (end - timedelta(days=7)).date().isoformat(),
        "end_date": (end - timedelta(days=1)).date().isoformat(),
    }
    channel = reads.channel_ids(shape["channels"])[0]
    series = {**week, "metric": "conversations_created", "granularity": "day"}
    return {
        "overview": (
            "/w/bench/",
            week,
            [("/api/v1/summaries/overview", week), ("/api/v1/summaries/timeseries", series)],
        ),
        "overview_channel": (
            "/w/bench/",
            {**week, "channel": channel},
            [
                ("/api/v1/summaries/overview", {**week, "channel": channel}),
                ("/api/v1/summaries/timeseries", {**series, "channel": channel}),
            ],
        ),
        "heatmap": ("/w/bench/heatmap", week, [("/api/v1/summaries/heatmap", week)]),
        "agents": (
            "/w/bench/agents",
            {**week, "ordering": "-resolutions"},
            [("/api/v1/summaries/agents", {**week, "ordering": "-resolutions", "format": "csv"})],
        ),
        "agents_csv": (
            "/w/bench/agents",
            {**week, "ordering": "-resolutions", "format": "csv"},
            [("/api/v1/summaries/agents", {**week, "ordering": "-resolutions", "format": "csv"})],
        ),
        "channels": (
            "/w/bench/channels",
            week,
            [("/api/v1/summaries/channels", {**week, "format": "csv"})],
        ),
        "customers": (
            "/w/bench/customers",
            {**week, "customer": "cust-1"},
            [("/api/v1/customers/cust-1/interactions", days)],
        ),
        "events": (
            "/w/bench/events",
            week,
            [
                ("/api/v1/summaries/timeseries", {**week, "metric": "events", "granularity": "day"}),
                ("/api/v1/events/frequency", days),
                ("/api/v1/events/trend", days),
                ("/api/v1/catalogue/events/", {"page_size": 100}),
            ],
        ),
    }


def api_name(path: str, query: dict) -> str:
    name = path.removeprefix("/api/v1/").replace("/", "_").replace("cust-1_", "")
    extras = [f"{key}={value}" for key, value in query.items() if key in ("channel", "metric", "format")]
    return name.rstrip("_") + (f" ({', '.join(extras)})" if extras else "")


BEFORE_PREFIX = "/before"
BEFORE_MODULES = ("__init__", "charts", "display", "selectors", "urls", "views")


def git_show(rev: str, path: str) -> str:
    return subprocess.run(
        ["git", "show", f"{rev}:{path}"], cwd=reads.ROOT, capture_output=True, text=True, check=True
    ).stdout


def serve_before(rev: str) -> None:
    """Serves git revision REV's dashboard pages under BEFORE_PREFIX, beside the current URLs: its
    modules of BEFORE_MODULES as the package `dashboard_before`, and its templates as
    `dashboard_before/*.html` (the names, and the modules' imports of each other, rewritten). Its
    models and static files are the current ones."""
    folder = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    package, templates = folder / "dashboard_before", folder / "templates" / "dashboard_before"
    package.mkdir()
    templates.mkdir(parents=True)
    local = "|".join(BEFORE_MODULES[1:])
    for module in BEFORE_MODULES:
        source = git_show(rev, f"dashboard/{module}.py")
        source = re.sub(r"^from dashboard import ", "from dashboard_before import ", source, flags=re.MULTILINE)
        source = re.sub(rf"^from dashboard\.({local}) import ", r"from dashboard_before.\1 import ", source, flags=re.M)
        (package / f"{module}.py").write_text(source.replace('"dashboard/', '"dashboard_before/'))
    names = subprocess.run(
        ["git", "ls-tree", "--name-only", rev, "dashboard/templates/dashboard/"],
        cwd=reads.ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in names:
        source = re.sub(r'({% (?:extends|include) )"dashboard/', r'\1"dashboard_before/', git_show(rev, name))
        (templates / Path(name).name).write_text(source)
    engines["django"].engine.dirs.append(str(templates.parent))
    sys.path.insert(0, str(folder))
    from dashboard_before import urls as before_urls  # noqa: PLC0415  (written just above)

    urlconf = types.ModuleType("bench_dashboard_urls")
    urlconf.urlpatterns = [
        path(f"{BEFORE_PREFIX.strip('/')}/", include((before_urls.urlpatterns, "dashboard_before"))),
        path("", include(settings.ROOT_URLCONF)),
    ]
    sys.modules[urlconf.__name__] = urlconf
    settings.ROOT_URLCONF = urlconf.__name__
    clear_url_caches()


def get(client: Client, url: str, query: dict, *, token: str | None = None):
    headers = {"HTTP_AUTHORIZATION": token} if token else {}

    def call():
        response = client.get(url, query, **headers)
        assert response.status_code == 200, (url, query, response.content[:300])
        return response

    return call


def measure(session: Client, api: Client, shape: dict, *, repeat: int, before: str | None) -> dict:
    calls, bytes_of, queries, uses, before_bytes = {}, {}, {}, {}, {}
    for page, (page_path, query, endpoints) in pages(shape).items():
        with CaptureQueriesContext(connection) as captured:
            response = session.get(page_path, query)
        assert response.status_code == 200, (page, response.content[:300])
        bytes_of[page], queries[page] = len(response.content), len(captured)
        calls[f"page {page}"] = get(session, page_path, query)
        if before:
            response = session.get(BEFORE_PREFIX + page_path, query)
            assert response.status_code == 200, (page, before, response.content[:300])
            before_bytes[page] = len(response.content)
            calls[f"before {page}"] = get(session, BEFORE_PREFIX + page_path, query)
        uses[page] = []
        for endpoint, endpoint_query in endpoints:
            name = api_name(endpoint, endpoint_query)
            uses[page].append(name)
            calls.setdefault(f"api {name}", get(api, endpoint, endpoint_query, token=api.token))
    latency = reads.round_robin(calls, repeat, budget=600.0)
    return {
        "pages": {
            page: {
                **latency[f"page {page}"],
                "bytes": bytes_of[page],
                "queries": queries[page],
                "api": {name: latency[f"api {name}"] for name in uses[page]},
                **(
                    {"before": {"revision": before, **latency[f"before {page}"], "bytes": before_bytes[page]}}
                    if before
                    else {}
                ),
            }
            for page in uses
        }
    }


def at_size(
    workspace, session: Client, api: Client, *, size: int, shape: dict, repeat: int, bulk: bool, before: str | None
) -> dict:
    have = reads.event_count(workspace)
    print(f"{size:,} events (have {have:,})", flush=True)
    loading = reads.load(workspace, have=have, want=size, shape=shape, bulk=bulk) if size > have else {"events": 0}
    compaction = reads.compact(workspace)
    # Not `before`: that is the revision measured beside (a load average there asked for its pages
    # whether or not --before was given).
    load_before = reads.load_average()
    result = {
        "events": reads.event_count(workspace),
        "load": loading,
        "compaction": compaction,
        **measure(session, api, shape, repeat=repeat, before=before),
        "load_average_before_after": [load_before, reads.load_average()],
    }
    print_size(result)
    return result


def print_size(result: dict) -> None:
    """A line per page: p50/p95, the sum of its endpoints' p95 and the page's p95 over it, with
    --before the same page as REV wrote it, then the endpoints."""
    print(f"\n{result['events']:,} events: p50 / p95 ms (target: page p95 <= {TARGET_P95_MS:g})")
    print(
        f"{'page':<18} {'page p50/p95':>14} {'KB':>6} {'SQL':>4} {'API p95':>8} {'ratio':>6} {'before p50/p95':>16}"
        "  the API endpoints it reads, p50/p95"
    )
    for page, figures in result["pages"].items():
        endpoints = "; ".join(f"{name} {api['p50_ms']}/{api['p95_ms']}" for name, api in figures["api"].items())
        api_p95 = sum(api["p95_ms"] for api in figures["api"].values())
        verdict = "" if figures["p95_ms"] <= TARGET_P95_MS else "  NOT MET"
        timing = f"{figures['p50_ms']:>6}/{figures['p95_ms']:<7}"
        before = figures.get("before")
        before_timing = f"{before['p50_ms']:>7}/{before['p95_ms']:<8}" if before else " " * 16
        print(
            f"{page:<18} {timing} {figures['bytes'] / 1024:>6.1f} {figures['queries']:>4} {api_p95:>8.1f}"
            f" {figures['p95_ms'] / api_p95:>6.2f} {before_timing}  {endpoints}{verdict}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k events, 20 requests")
    parser.add_argument("--sizes", default="10000,1000000", help="comma-separated event counts")
    parser.add_argument("--requests", type=int, default=None, help="timed requests per page and endpoint (100)")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--reuse", action="store_true", help="keep the database and grow it to each size")
    parser.add_argument(
        "--bulk", action="store_true", help="load as bench/reads.py --bulk does (triggers off, rebuild)"
    )
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--before", metavar="REV", help="also each page as git revision REV's dashboard code writes it")
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args()
    sizes = [10_000] if args.quick else sorted(int(size) for size in args.sizes.split(","))
    repeat = args.requests or (20 if args.quick else 100)
    shape_args = argparse.Namespace(channels=8, agents=200, customers=50_000, tz="Europe/Berlin")

    setup_test_environment()
    if args.before:
        serve_before(args.before)
    original = connection.settings_dict["NAME"]
    server = scalar("SHOW server_version")
    started = time.perf_counter()
    results, shape = [], None

    def save(complete: bool) -> None:
        """Writes what is measured so far (complete once every size is)."""
        report = {
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "postgres": server},
            "method": __doc__.strip(),
            "command": " ".join(["bench/dashboard.py", *sys.argv[1:]]),
            "complete": complete,
            "seconds": round(time.perf_counter() - started),
            "target": {"page_p95_ms": TARGET_P95_MS},
            "desk": shape,
            "sizes": results,
        }
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(json.dumps(report, indent=2, default=str) + "\n")

    reads.open_database(args.database, fresh=not args.reuse)
    try:
        shape = (reads.stored_shape() if args.reuse else None) or reads.new_shape(shape_args)
        reads.store_shape(shape)
        workspace = reads.prepare_workspace(shape)
        services.member_add(username="bench", workspace=workspace)
        session = Client()
        session.force_login(workspace.memberships.get().user)
        _, key = token_create(workspace=workspace, scopes=["read"], name="bench")
        api = Client()
        api.token = f"Token {key}"
        for size in sizes:
            results.append(
                at_size(
                    workspace, session, api, size=size, shape=shape, repeat=repeat, bulk=args.bulk, before=args.before
                )
            )
            save(complete=False)
    finally:
        reads.close_database(original, keep=args.keep or args.reuse)
    save(complete=True)
    print(f"\nwritten to {args.output}")


if __name__ == "__main__":
    main()

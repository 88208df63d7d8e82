"""What the benchmarks share: a scratch database on the configured server, migrated, with a workspace."""

import os
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def base_url() -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    from core import embedded_db

    return embedded_db.database_url()


def with_database(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


def connect(url: str):
    import psycopg2

    from core.settings import database_from_url

    settings = database_from_url(url)
    return psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    )


def prepare_database(url: str) -> tuple[int, str]:
    admin = connect(with_database(url, "postgres"))
    admin.autocommit = True
    name = urlparse(url).path.lstrip("/")
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    key = subprocess.run(
        [PYTHON, "manage.py", "create_token", "--workspace", "bench", "--scope", "ingest"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    with connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT id FROM workspace WHERE slug = 'bench'")
        return cursor.fetchone()[0], key


def setup_django(url: str) -> None:
    """Django's settings for `url`, so the benchmark can use the project's own code and SQL."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from core.settings import database_from_url

    # core.settings may have been imported (by connect) before DATABASE_URL named this database.
    wanted = database_from_url(url)
    if settings.DATABASES["default"]["NAME"] != wanted["NAME"]:
        connection.close()
        settings.DATABASES["default"].update(wanted)


def scratch_database(name: str) -> str:
    """Points Django's default connection at a fresh, migrated database `name`, made the way the
    test runner makes its own; returns the configured database's name (for destroy_test_db)."""
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.DATABASES["default"]["TEST"] = {**settings.DATABASES["default"].get("TEST", {}), "NAME": name}
    original = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=False)
    return original


def scalar(sql: str, params=None):
    """The first column of the first row, on Django's default connection."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def reset(url: str) -> None:
    """Empties the raw table and every summary the triggers keep (analytics.rollups.SUMMARIES)."""
    setup_django(url)
    from analytics.rollups import SUMMARIES

    with connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE event, event_key, event_pending, {', '.join(summary.table for summary in SUMMARIES)}")


def reset_with_history(url: str, statements: list[bytes]) -> None:
    """Empties every table, stores the history with summaries and ANALYZEs, as autovacuum leaves
    a database in use. Without statistics (a partition just emptied, or analyzed while empty) the
    planner estimates the conversation look-ups of the summary trigger at one row through any
    index and may take the workspace's (workspace_id, occurred_at) index: a scan of the
    workspace's history per conversation (docs/performance.md)."""
    reset(url)
    with connect(url) as connection:
        connection.autocommit = True
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
            cursor.execute("ANALYZE event")


def settle_pending(url: str) -> float:
    """Settles every event that deferred summaries left pending (tally_settle, until none is left);
    the seconds it took."""
    began = time.monotonic()
    with connect(url) as connection:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT workspace_id FROM event_pending")
            for (workspace_id,) in cursor.fetchall():
                cursor.execute("SELECT tally_settle(%s)", [workspace_id])
                while cursor.fetchone()[0]:
                    cursor.execute("SELECT tally_settle(%s)", [workspace_id])
    return time.monotonic() - began


def count_events(url: str) -> int:
    """The events stored: in `event`, and pending where summaries are deferred (analytics/settling.py)."""
    with connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT count(*) FROM event) + (SELECT count(*) FROM event_pending)")
        return cursor.fetchone()[0]


def render_inserts(
    *, url: str, workspace_id: int, events: list[dict], size: int, routed: bool = False, deferred: bool = False
) -> list[bytes]:
    """The INSERT the API runs (analytics.services), one statement per `size` events, rendered to SQL
    beforehand so that timing measures the database only; with `routed`, the call of the routed
    ingest function that the API sends on a Citus cluster; with `deferred`, the INSERT of deferred
    summaries (TALLY_SUMMARIES=deferred). Creates the raw partitions the events
    need (a week of history reaches into last month's, which migrate does not make)."""
    setup_django(url)
    from analytics import partitions
    from analytics.serializers import EventSerializer
    from analytics.services import event_row, insert_statement

    partitions.ensure(datetime.fromisoformat(event["occurred_at"]) for event in events)

    connection = connect(url)
    statements = []
    with connection.cursor() as cursor:
        for start in range(0, len(events), size):
            serializer = EventSerializer(data=events[start : start + size], many=True)
            serializer.is_valid(raise_exception=True)
            rows = [event_row(event) for event in serializer.validated_data]
            pairs = [(workspace_id, row) for row in rows]
            statements.append(cursor.mogrify(*insert_statement(pairs, routed=routed, deferred=deferred)))
    connection.close()
    return statements


def backend_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a local PostgreSQL backend has used so far (from /proc), or None
    where the server's processes are not visible (a remote server). Unlike throughput it barely
    moves when other work shares the cores."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def warm(own, cursor, statements: list[bytes]) -> None:
    """Runs the statements on `own` and rolls each back, so that its server process has the
    trigger's statements planned and nothing of them is stored (one at a time: no row lock is held
    across statements)."""
    own.autocommit = False
    for statement in statements:
        cursor.execute(statement)
        own.rollback()


def latency_percentiles(latencies: list[float]) -> dict:
    """p50/p95/p99 in ms of latencies in seconds (0.0 when there are none)."""
    ordered = sorted(latencies)

    def percentile(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000 if ordered else 0.0

    return {"p50_ms": percentile(50), "p95_ms": percentile(95), "p99_ms": percentile(99)}


def run_statements(
    *,
    url: str,
    statements: list[bytes],
    clients: int,
    seconds: float | None = None,
    transaction: bool = False,
    warm_up: int = 0,
) -> dict:
    """Runs the statements from `clients` connections at once (dealt round-robin, each its own
    transaction: autocommit, or with `transaction` a BEGIN ... COMMIT block as Django's atomic()
    sends it), until done or `seconds` pass; events/s counts the rows really inserted (by them), and
    backend CPU is what the connections' server processes used meanwhile (None if not local).

    With `warm_up`, each connection first runs the first `warm_up` statements of its hand, each
    rolled back, untimed: the server process then has the trigger's statements
    parsed and planned, as a connection of a running service has (Django keeps its connections
    for DJANGO_CONN_MAX_AGE; the group commit writer keeps its own), and nothing of them is stored.
    Without it, every connection plans each trigger statement on first use inside the timed part:
    a fixed cost per connection, which weighs on a run of few statements per connection."""
    barrier = threading.Barrier(clients + 1)
    stop = threading.Event()
    stored_before = count_events(url)
    latencies: list[float] = []
    errors: list[str] = []
    cpu: list[float | None] = []

    def client(hand: list[bytes]) -> None:
        own = connect(url)
        own.autocommit = not transaction
        with own.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
            if transaction:
                own.commit()
            warm(own, cursor, hand[:warm_up])
            own.autocommit = not transaction
            began_cpu = backend_cpu_seconds(pid)
            barrier.wait()
            for statement in hand:
                if stop.is_set():
                    break
                began = time.perf_counter()
                try:
                    cursor.execute(statement)
                    if transaction:
                        own.commit()
                except Exception as exc:  # a deadlock here would be a bug: count it, show it in the table
                    errors.append(type(exc).__name__)
                    if transaction:
                        own.rollback()
                latencies.append(time.perf_counter() - began)
            ended_cpu = backend_cpu_seconds(pid)
            cpu.append(None if began_cpu is None or ended_cpu is None else ended_cpu - began_cpu)
        own.close()

    workers = [threading.Thread(target=client, args=(statements[hand::clients],)) for hand in range(clients)]
    for worker in workers:
        worker.start()
    barrier.wait()
    began = time.monotonic()
    timer = threading.Timer(seconds, stop.set) if seconds else None
    if timer:
        timer.start()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - began
    if timer:
        timer.cancel()
    inserted = count_events(url) - stored_before
    return {
        "statements": len(latencies),
        "seconds": elapsed,
        "errors": errors,
        "requests_per_second": len(latencies) / elapsed,
        "events_per_second": inserted / elapsed,
        "events_inserted": inserted,
        **latency_percentiles(latencies),
        "backend_cpu_ms_per_event": (
            None if None in cpu or not inserted else sum(cpu) / inserted * 1000  # type: ignore[arg-type]
        ),
    }


def run_side_by_side(
    *,
    urls: dict[str, str],
    statements: dict[str, list[bytes]],
    clients: int,
    warm_up: int = 0,
    burst: int = 25,
    first: int = 0,
) -> dict[str, dict]:
    """Runs the same statements against several databases (one per variant: {variant: url}, with
    each variant's rendering of them) taking turns, so that the machine's drift falls on every
    variant alike: with one client, statement by statement (A B, then B A, ...); with several,
    in bursts of `burst` statements per client, all clients of one variant at once, then the
    other's. Each client keeps one connection per variant for the whole run (with `warm_up`, its
    first statements run and rolled back first, as in run_statements). Per variant: events/s =
    rows inserted / the sum of its turns' seconds, statement latencies, and the backends' CPU per
    event. `first` picks which variant starts (alternate it between rounds)."""
    from concurrent.futures import ThreadPoolExecutor

    variants = list(urls)
    variants = variants[first % len(variants) :] + variants[: first % len(variants)]
    stored_before = {variant: count_events(url) for variant, url in urls.items()}
    connections = {variant: [connect(url) for _ in range(clients)] for variant, url in urls.items()}
    hands = {variant: [statements[variant][hand::clients] for hand in range(clients)] for variant in variants}
    pids, cpu_before = {}, {}
    for variant in variants:
        for index, own in enumerate(connections[variant]):
            own.autocommit = True
            with own.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pids[variant, index] = cursor.fetchone()[0]
                warm(own, cursor, hands[variant][index][:warm_up])
                own.autocommit = True
            cpu_before[variant, index] = backend_cpu_seconds(pids[variant, index])
    seconds = dict.fromkeys(variants, 0.0)
    latencies: dict[str, list[float]] = {variant: [] for variant in variants}
    errors: dict[str, list[str]] = {variant: [] for variant in variants}
    step = 1 if clients == 1 else burst

    def turn(variant: str, index: int, start: int) -> None:
        with connections[variant][index].cursor() as cursor:
            for statement in hands[variant][index][start : start + step]:
                began = time.perf_counter()
                try:
                    cursor.execute(statement)
                except Exception as exc:  # counted and shown, as in run_statements
                    errors[variant].append(type(exc).__name__)
                latencies[variant].append(time.perf_counter() - began)

    longest = max(len(hand) for hand in hands[variants[0]])
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for number, start in enumerate(range(0, longest, step)):
            for variant in variants if number % 2 == 0 else variants[::-1]:
                began = time.perf_counter()
                if clients == 1:
                    turn(variant, 0, start)
                else:
                    for future in [pool.submit(turn, variant, index, start) for index in range(clients)]:
                        future.result()
                seconds[variant] += time.perf_counter() - began
    results = {}
    for variant, url in urls.items():
        cpu = [backend_cpu_seconds(pids[variant, index]) for index in range(clients)]
        for own in connections[variant]:
            own.close()
        inserted = count_events(url) - stored_before[variant]
        used = None
        if None not in cpu and None not in (cpu_before[variant, index] for index in range(clients)) and inserted:
            used = sum(cpu[index] - cpu_before[variant, index] for index in range(clients)) / inserted * 1000
        results[variant] = {
            "statements": len(latencies[variant]),
            "seconds": seconds[variant],
            "errors": errors[variant],
            "events_per_second": inserted / seconds[variant] if seconds[variant] else 0.0,
            "events_inserted": inserted,
            **latency_percentiles(latencies[variant]),
            "backend_cpu_ms_per_event": used,
        }
    return results

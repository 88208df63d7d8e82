"""`make citus-test`: Tally's tests against a local Citus cluster of its own (scripts/citus_cluster.py:
a coordinator and two workers on ports 9700-9702, data in TALLY_CITUS_DIR), and a shard move and a
rebalance while events are ingested. Where Citus is not installed it says so and exits 0 (CI has
no Citus).

1. A test database on every node (citus extension, both workers), migrated and converted with
   `manage.py citus_distribute`; then pytest --reuse-db against the coordinator: the Hypothesis
   invariant tests, the concurrency tests (write slots, lock order), the HTTP API tests (with
   tests/api/test_citus_routing.py: EXPLAIN of every read shows one shard).
2. A second database with worker1 only: 8 workspaces, 4 connections ingesting through the
   coordinator (2 single-event, by the routed call of tally_ingest_workspace, 2 batches of 200
   events over several workspaces, a failed statement retried as a client would: event ids make
   it idempotent), while worker2 is added and the shards are rebalanced onto it, then one shard
   group is moved back. Then the raw event count equals the events acknowledged, and `rollups
   verify` finds 0 differences.

3. On the second database, after the moves: the lifecycle on the cluster (lifecycle_on_the_cluster:
   business hours and SLA settings, 60 days of history with labels, compact, retain, rebuild,
   erase_customer, erase_user, deleting a workspace), each step followed by `rollups verify`.

Writes bench/results/citus.json (command, versions, test counts, move/rebalance, lifecycle, verify).

    .venv/bin/python scripts/citus_test.py                     # everything
    .venv/bin/python scripts/citus_test.py --skip-tests        # phases 2 and 3 only
    .venv/bin/python scripts/citus_test.py --groups schema,lifecycle   # some pytest groups (the
                                                               # others keep their previous results)
"""

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts import citus_cluster as cluster  # noqa: E402

PYTHON = sys.executable
TEST_DATABASE = "tally_citus_test"
MOVES_DATABASE = "tally_citus_moves"
SHARD_COUNT = 8
TEST_GROUPS = {
    "schema (citus_distribute)": ["tests/analytics/test_citus.py"],
    # Second, on the database no other group wrote yet: the retention tests expect the raw partitions
    # that migrate creates, and transactional tests of the later groups leave theirs behind.
    "lifecycle and settings": [
        "tests/analytics/test_rollups_command.py",
        "tests/analytics/test_retention.py",
        "tests/analytics/test_erasure.py",
        "tests/analytics/test_business_hours.py",
        "tests/analytics/test_sla.py",
        "tests/analytics/test_label_figures.py",
        "tests/analytics/test_team_figures.py",
        "tests/analytics/test_group_business_sla.py",
    ],
    "invariant (Hypothesis)": ["tests/analytics/test_invariant.py"],
    "concurrency": ["tests/analytics/test_write_slots.py", "tests/analytics/test_lock_order.py"],
    "HTTP API": ["tests/api"],
}


def manage(database: str, *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": cluster.url(database)},
        capture_output=True,
        text=True,
    )
    if result.returncode not in (0, 1) or (result.returncode == 1 and args[:2] != ("rollups", "verify")):
        raise RuntimeError(f"manage.py {' '.join(args)}: {result.stdout}{result.stderr}")
    return result.stdout


def last_line(database: str, *args: str, first: bool = False) -> str:
    """The last (or first) line manage.py prints: verify's count of differences, a summary."""
    lines = manage(database, *args).strip().splitlines()
    return (lines[0] if first else lines[-1]) if lines else ""


def django_for(database: str) -> None:
    """Django in this process, on `database` of the cluster (once)."""
    os.environ["DATABASE_URL"] = cluster.url(database)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    import django

    django.setup()


def prepare(database: str, *, workers=cluster.WORKERS) -> None:
    cluster.create(database, workers=workers)
    manage(database, "migrate", "--noinput", "-v0")
    manage(database, "citus_distribute", "--shard-count", str(SHARD_COUNT))


def run_tests(selected: list[str], previous: dict) -> dict:
    """The pytest groups named in `selected` (by their first word); the others keep the results
    of the previous run, marked as such."""
    prepare(TEST_DATABASE)
    groups = {}
    for group, paths in TEST_GROUPS.items():
        if group.split()[0].lower() not in selected:
            if group in previous.get("groups", {}):
                groups[group] = {**previous["groups"][group], "from_previous_run": True}
            continue
        report = cluster.DIRECTORY / f"{group.split()[0]}.xml"
        began = time.monotonic()
        result = subprocess.run(
            [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--reuse-db", f"--junitxml={report}", *paths],
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": cluster.url("postgres"),
                "TALLY_TEST_DATABASE": TEST_DATABASE,
                "HYPOTHESIS_PROFILE": "citus",
            },
            capture_output=True,
            text=True,
        )
        suite = ElementTree.parse(report).getroot()
        suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
        counts = {key: int(suite.get(key, 0)) for key in ("tests", "failures", "errors", "skipped")}
        failed = [
            f"{case.get('classname')}::{case.get('name')}"
            for case in suite.iter("testcase")
            if case.find("failure") is not None or case.find("error") is not None
        ]
        groups[group] = {
            "paths": paths,
            **counts,
            "passed": counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"],
            "seconds": round(time.monotonic() - began, 1),
            "failed": failed,
        }
        print(f"{group}: {groups[group]['passed']} passed, {counts['failures'] + counts['errors']} failed, "
              f"{counts['skipped']} skipped ({groups[group]['seconds']} s)", flush=True)  # fmt: skip
        if result.returncode not in (0, 1):
            print(result.stdout[-3000:], result.stderr[-3000:])
    verify = manage(TEST_DATABASE, "rollups", "verify").strip().splitlines()
    return {"database": TEST_DATABASE, "groups": groups, "verify_after_tests": verify[-1] if verify else ""}


def ingest_statements(database: str, workspaces: list[int], *, size: int, count: int, seed: int) -> list[bytes]:
    """`count` statements of `size` simulated events spread over `workspaces`, as the API sends
    them on the cluster: a statement of one workspace (every single event) is the routed call of
    tally_ingest_workspace, one of several workspaces INSERT_EVENTS."""
    django_for(database)
    from analytics.serializers import EventSerializer
    from analytics.services import event_row, insert_statement
    from analytics.simulation import history

    rng = random.Random(seed)
    events = list(history(end=datetime.now(UTC), days=1, conversations=size * count // 8, seed=seed))
    statements = []
    with connect(database) as connection, connection.cursor() as cursor:
        for start in range(0, min(len(events), size * count), size):
            serializer = EventSerializer(data=events[start : start + size], many=True)
            serializer.is_valid(raise_exception=True)
            rows = [(rng.choice(workspaces), event_row(event)) for event in serializer.validated_data]
            statements.append(cursor.mogrify(*insert_statement(rows, routed=True)))
    return statements


def connect(database: str):
    import psycopg2

    return psycopg2.connect(host=cluster.HOST, port=cluster.COORDINATOR.port, user="postgres", dbname=database)


def shard_moves_during_ingest() -> dict:
    first, second = cluster.WORKERS
    prepare(MOVES_DATABASE, workers=(first,))
    with connect(MOVES_DATABASE) as connection, connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO workspace (slug, name, timezone) SELECT 'w' || n, 'W' || n, 'UTC' "
            "FROM generate_series(1, 8) AS n RETURNING id"
        )
        workspaces = [row[0] for row in cursor.fetchall()]
    # Partitions for the simulated day exist (migrate creates the current and next intervals);
    # a day back may fall in the previous one.
    manage(MOVES_DATABASE, "partitions")
    hands = [
        ingest_statements(MOVES_DATABASE, workspaces[:4], size=1, count=1500, seed=1),
        ingest_statements(MOVES_DATABASE, workspaces[4:], size=1, count=1500, seed=2),
        ingest_statements(MOVES_DATABASE, workspaces, size=200, count=40, seed=3),
        ingest_statements(MOVES_DATABASE, workspaces, size=200, count=40, seed=4),
    ]
    stop = threading.Event()
    stats = {"statements": 0, "acknowledged": 0, "retries": 0, "errors": {}}
    lock = threading.Lock()

    def writer(statements: list[bytes]) -> None:
        connection = connect(MOVES_DATABASE)
        connection.autocommit = True
        position = 0
        while not stop.is_set():
            statement = statements[position % len(statements)]
            try:
                with connection.cursor() as cursor:
                    cursor.execute(statement)
                    # The routed call returns the array of ids stored, INSERT_EVENTS a row each.
                    routed = b"tally_ingest_workspace(" in statement[:40]
                    stored = len(cursor.fetchone()[0]) if routed else cursor.rowcount
                with lock:
                    stats["statements"] += 1
                    stats["acknowledged"] += stored
                position += 1
            except Exception as error:  # noqa: BLE001 - a client retries; the kind is reported
                with lock:
                    stats["retries"] += 1
                    name = str(error).splitlines()[0][:120]
                    stats["errors"][name] = stats["errors"].get(name, 0) + 1
                time.sleep(0.05)
            if position >= len(statements):
                break
        connection.close()

    threads = [threading.Thread(target=writer, args=(hand,)) for hand in hands]
    timeline = []
    began = time.monotonic()

    def step(what: str, sql: str) -> None:
        started = time.monotonic()
        with connect(MOVES_DATABASE) as connection, connection.cursor() as cursor:
            cursor.execute(sql)
            result = cursor.fetchall() if cursor.description else None
        timeline.append(
            {
                "at_seconds": round(started - began, 1),
                "step": what,
                "seconds": round(time.monotonic() - started, 1),
                "events_so_far": stats["acknowledged"],
                "result": str(result)[:200] if result else None,
            }
        )
        print(f"  {what}: {timeline[-1]['seconds']} s ({stats['acknowledged']} events so far)", flush=True)

    placements = (
        "SELECT nodeport, count(*) FROM pg_dist_shard_placement JOIN pg_dist_shard USING (shardid) "
        "WHERE logicalrelid = 'event'::regclass GROUP BY 1 ORDER BY 1"
    )
    for thread in threads:
        thread.start()
    time.sleep(3)
    step("add worker2", f"SELECT citus_add_node('{cluster.HOST}', {second.port})")
    # Separate statements: the background job must be committed before anything waits for it.
    step("rebalance start (background job)", "SELECT citus_rebalance_start()")
    step("rebalance wait", "SELECT citus_rebalance_wait()")
    step("placements of event after rebalance", placements)
    with connect(MOVES_DATABASE) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT shardid FROM pg_dist_shard_placement JOIN pg_dist_shard USING (shardid) "
            "WHERE logicalrelid = 'event'::regclass AND nodeport = %s ORDER BY shardid LIMIT 1",
            [second.port],
        )
        moved = cursor.fetchone()[0]
    step(
        f"move shard group of event shard {moved} to worker1",
        f"SELECT citus_move_shard_placement({moved}, '{cluster.HOST}', {second.port}, '{cluster.HOST}', {first.port})",
    )
    step("placements of event after the move", placements)
    stop.set()
    for thread in threads:
        thread.join()
    with connect(MOVES_DATABASE) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM event")
        stored = cursor.fetchone()[0]
        cursor.execute("SELECT citus_version()")
        citus_version = cursor.fetchone()[0]
    verify = manage(MOVES_DATABASE, "rollups", "verify").strip().splitlines()
    return {
        "citus_version": citus_version,
        "database": MOVES_DATABASE,
        "writers": "2 single-event (the routed call), 2 batches of 200 over 8 workspaces (INSERT_EVENTS), "
        "through the coordinator",
        "timeline": timeline,
        "statements": stats["statements"],
        "events_acknowledged": stats["acknowledged"],
        "events_stored": stored,
        "statements_retried": stats["retries"],
        "errors_retried": stats["errors"],
        "verify": verify[-1] if verify else "",
    }


def lifecycle_on_the_cluster() -> dict:
    """After the moves (MOVES_DATABASE, both workers): two new workspaces with a business schedule
    and an SLA policy from before their first event get 60 simulated days and label events; then
    compaction, retention of the raw partitions before this month (DETACH and DROP of distributed
    partitions, sealing), a full and a ranged rebuild, the erasure of a customer whose events
    straddle the horizon and of a user, and the deletion of a workspace, each followed by
    `rollups verify`."""
    django_for(MOVES_DATABASE)
    from django.db import connection as django_connection

    from analytics.serializers import EventSerializer
    from analytics.services import events_ingest
    from core.models import Workspace

    now = datetime.now(UTC)
    month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    steps = []

    def verified(what: str, action) -> None:
        started = time.monotonic()
        detail = action()
        seconds = round(time.monotonic() - started, 1)
        verify = last_line(MOVES_DATABASE, "rollups", "verify")
        steps.append({"step": what, "seconds": seconds, "detail": detail, "verify": verify})
        print(f"  {what}: {seconds} s, {detail}; rollups verify: {steps[-1]['verify']}", flush=True)

    def settings() -> str:
        with connect(MOVES_DATABASE) as connection, connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO workspace (slug, name, timezone) VALUES ('l1', 'L1', 'UTC'), ('l2', 'L2', 'UTC')"
            )
            # History's versions go in by SQL (the API only accepts future ones), before its events.
            cursor.execute(
                "INSERT INTO business_schedule (workspace_id, effective_from, time_zone, weekdays, start_minutes, "
                "end_minutes, holidays) SELECT id, '2000-01-01', 'Europe/Berlin', '{1,2,3,4,5}', "
                "'{540,540,540,540,540}', '{1080,1080,1080,1080,1080}', ARRAY[%s::date] "
                "FROM workspace WHERE slug IN ('l1', 'l2')",
                [(month - timedelta(days=20)).date()],
            )
            cursor.execute(
                "INSERT INTO sla_policy (workspace_id, effective_from, first_response_seconds, "
                "first_response_business, resolution_seconds, resolution_business) "
                "SELECT id, '2000-01-01', 1800, slug = 'l1', 14400, slug = 'l2' "
                "FROM workspace WHERE slug IN ('l1', 'l2')"
            )
        return "business_schedule and sla_policy versions for l1, l2"

    def history() -> str:
        for slug, seed in (("l1", 11), ("l2", 12)):
            manage(MOVES_DATABASE, "simulate", "--workspace", slug, "--days", "60", "--conversations", "300",
                   "--seed", str(seed))  # fmt: skip
        workspace = Workspace.objects.get(slug="l1")
        with django_connection.cursor() as cursor:
            cursor.execute(
                "SELECT conversation_id, channel_id, min(occurred_at) FROM event WHERE workspace_id = %s "
                "AND name = 'conversation.created' GROUP BY 1, 2 ORDER BY 1 LIMIT 120",
                [workspace.pk],
            )
            created = cursor.fetchall()
        events = []
        for index, (conversation, channel, at) in enumerate(created):
            labels = [("lbl", 60, "labeled", "billing"), ("lbl", 120, "labeled", ["bug", "vip"][index % 2])]
            if index % 3 == 0:
                labels.append(("unl", 7200, "unlabeled", "billing"))
            events += [
                {
                    "id": f"{prefix}-{conversation}-{offset}",
                    "name": f"conversation.{name}",
                    "occurred_at": (at + timedelta(seconds=offset)).isoformat(),
                    "conversation_id": conversation,
                    "channel": channel,
                    "properties": {"label": label},
                }
                for prefix, offset, name, label in labels
            ]
        serializer = EventSerializer(data=events, many=True)
        serializer.is_valid(raise_exception=True)
        accepted = events_ingest(workspace=workspace, events=serializer.validated_data).accepted
        with django_connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM event WHERE workspace_id IN (SELECT id FROM workspace WHERE slug IN ('l1', 'l2'))"
            )
            stored = cursor.fetchone()[0]
        return f"60 days for l1, l2 ({stored} events, {accepted} label events)"

    def retain() -> str:
        return last_line(MOVES_DATABASE, "rollups", "retain", "--before", month.date().isoformat())

    def erase_customer() -> str:
        with django_connection.cursor() as cursor:
            # A customer with events on both sides of the horizon, so the sealed state changes too.
            cursor.execute(
                "SELECT e.customer_id FROM event AS e JOIN customer_sealed AS s USING (workspace_id, customer_id) "
                "WHERE e.workspace_id = (SELECT id FROM workspace WHERE slug = 'l1') ORDER BY 1 LIMIT 1"
            )
            (customer,) = cursor.fetchone()
        return last_line(MOVES_DATABASE, "erase_customer", "--workspace", "l1", customer, first=True)

    def erase_user() -> str:
        with django_connection.cursor() as cursor:
            cursor.execute(
                "SELECT user_id FROM event WHERE workspace_id = (SELECT id FROM workspace WHERE slug = 'l2') "
                "AND user_id IS NOT NULL ORDER BY occurred_at LIMIT 1"
            )
            (user,) = cursor.fetchone()
        return last_line(MOVES_DATABASE, "erase_user", "--workspace", "l2", user, first=True)

    def delete_workspace() -> str:
        Workspace.objects.get(slug="w8").delete()
        return "w8 deleted"

    verified("business hours and SLA settings (reference tables)", settings)
    verified("history with labels through the coordinator", history)
    verified("rollups compact", lambda: last_line(MOVES_DATABASE, "rollups", "compact"))
    verified(f"rollups retain --before {month.date()}", retain)
    verified("rollups rebuild", lambda: last_line(MOVES_DATABASE, "rollups", "rebuild"))
    since = (now - timedelta(days=3)).date().isoformat()
    verified(
        f"rollups rebuild --since {since}",
        lambda: last_line(MOVES_DATABASE, "rollups", "rebuild", "--since", since),
    )
    verified("erase_customer (events on both sides of the horizon)", erase_customer)
    verified("erase_user", erase_user)
    verified("delete a workspace", delete_workspace)
    with connect(MOVES_DATABASE) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*), coalesce(sum(events), 0)::bigint FROM raw_retention WHERE events > 0")
        dropped, sealed = cursor.fetchone()
        cursor.execute("SELECT logicalrelid::regclass::text FROM pg_dist_partition WHERE repmodel = 't' ORDER BY 1")
        references = [name for (name,) in cursor.fetchall()]
    return {
        "database": MOVES_DATABASE,
        "reference_tables": references,
        "partitions_retired": dropped,
        "events_sealed": sealed,
        "steps": steps,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-tests", action="store_true", help="only the shard moves and the lifecycle phase")
    parser.add_argument(
        "--groups",
        default=",".join(group.split()[0].lower() for group in TEST_GROUPS),
        help="pytest groups to run, by first word (default: all): " + ", ".join(TEST_GROUPS),
    )
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "citus.json"))
    args = parser.parse_args()
    missing = cluster.citus_missing()
    if missing:
        print(f"Citus is not installed ({missing}): make citus-test skipped.")
        return
    cluster.up()
    with connect("postgres") as connection, connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        postgres = cursor.fetchone()[0]
        cursor.execute("SELECT default_version FROM pg_available_extensions WHERE name = 'citus'")
        extension = cursor.fetchone()[0]
    print(f"{postgres}; citus extension {extension}; coordinator {cluster.COORDINATOR.port}, "
          f"workers {', '.join(str(worker.port) for worker in cluster.WORKERS)}", flush=True)  # fmt: skip
    report = {
        "timestamp": datetime.now(UTC).isoformat(),
        "command": "make citus-test" + (f" ARGS='{' '.join(sys.argv[1:])}'" if sys.argv[1:] else ""),
        "postgres": postgres,
        "citus_extension": extension,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "cluster": "coordinator + 2 workers on one machine, ports 9700-9702",
        "shard_count": SHARD_COUNT,
    }
    output = Path(args.output)
    previous = json.loads(output.read_text()) if output.exists() else {}
    if not args.skip_tests:
        report["tests"] = run_tests(args.groups.lower().split(","), previous.get("tests", {}))
    elif "tests" in previous:
        report["tests"] = previous["tests"]
    print("shard move and rebalance during ingest:", flush=True)
    report["shard_moves_during_ingest"] = shard_moves_during_ingest()
    report["citus"] = report["shard_moves_during_ingest"].pop("citus_version")
    print("lifecycle on the cluster (after the moves):", flush=True)
    report["lifecycle"] = lifecycle_on_the_cluster()
    if "benchmark" in previous:
        report["benchmark"] = previous["benchmark"]
    output.write_text(json.dumps(report, indent=2) + "\n")
    moves = report["shard_moves_during_ingest"]
    print(f"events acknowledged {moves['events_acknowledged']}, stored {moves['events_stored']}, "
          f"statements retried {moves['statements_retried']}; rollups verify: {moves['verify']}")  # fmt: skip
    failed = sum(group["failures"] + group["errors"] for group in report.get("tests", {}).get("groups", {}).values())
    lifecycle_ok = all(step["verify"] == "0 differences" for step in report["lifecycle"]["steps"])
    ok = (
        failed == 0
        and moves["verify"] == "0 differences"
        and moves["events_stored"] == moves["events_acknowledged"]
        and lifecycle_ok
    )
    print(f"written to {output}; {'ok' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

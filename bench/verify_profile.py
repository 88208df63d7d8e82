"""Where a ranged `rollups verify` spends its time: the statements that set up the scope (its events,
the recompute tables) and each summary's compare, for one UTC day of an existing database (the
10M desk of bench/reads.py --keep, for instance).

    .venv/bin/python bench/verify_profile.py tally_verify_10m 2026-12-03
    .venv/bin/python bench/verify_profile.py tally_verify_10m 2026-12-03 --only event_unique_period --explain

Each compare runs in a savepoint under --timeout seconds (reported as TIMEOUT when it runs out);
--explain prints EXPLAIN (ANALYZE, BUFFERS) of the compared summaries first (the statement then
runs a second time, on warmer caches). Nothing is written: the transaction is rolled back.
"""

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")

import django  # noqa: E402

django.setup()

from django.db import OperationalError, connection, transaction  # noqa: E402

from analytics import rollups  # noqa: E402


class Captured:
    """A cursor that keeps the compare's statement instead of running it (the prefix walk runs)."""

    def __init__(self, cursor):
        self.cursor, self.rows = cursor, []

    def execute(self, sql, params=None):
        if "WITH RECURSIVE" in sql:
            self.cursor.execute(sql, params)
            self.rows = self.cursor.fetchall()
        else:
            self.sql, self.params, self.rows = sql, params, []

    def fetchall(self):
        return self.rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database")
    parser.add_argument("day", help="the UTC day verified: --from DAY --to DAY+1")
    parser.add_argument("--only", default="", help="comma-separated summary names")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--timeout", type=int, default=120)
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))
    connection.settings_dict["NAME"] = args.database
    connection.close()
    since = datetime.fromisoformat(args.day).replace(tzinfo=UTC)
    scope = rollups.Scope(None, since, since + timedelta(days=1))
    statements = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append((time.perf_counter() - started, " ".join(sql.split())[:110]))

    compares = 0.0
    with connection.execute_wrapper(timed):
        started = time.perf_counter()
        with rollups.scoped(scope) as (cursor, horizon):
            print(f"setup {time.perf_counter() - started:.3f} s")
            for seconds, sql in statements:
                if seconds >= 0.01:
                    print(f"  {seconds:8.3f}  {sql}")
            for summary in rollups.SUMMARIES:
                if not scope.covers(summary) or (only and summary.name not in only):
                    continue
                with rollups.shadowed_source(cursor, summary, scope=scope, horizon=horizon):
                    if args.explain:
                        captured = Captured(cursor)
                        rollups.summary_differences(summary, captured, scope=scope, horizon=horizon)
                        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + captured.sql, captured.params)
                        print("\n".join(row[0] for row in cursor.fetchall()))
                    begun = time.perf_counter()
                    try:
                        with transaction.atomic():
                            cursor.execute(f"SET LOCAL statement_timeout = '{args.timeout}s'")
                            found = len(rollups.summary_differences(summary, cursor, scope=scope, horizon=horizon))
                    except OperationalError:
                        found = "TIMEOUT"
                    seconds = time.perf_counter() - begun
                compares += seconds
                print(f"  {seconds:8.3f}  {summary.name} ({found} differences)", flush=True)
    print(f"compares {compares:.3f} s, total {time.perf_counter() - started:.3f} s")


if __name__ == "__main__":
    main()

"""What the seal of retention (analytics/retention.py `_seal`) costs, with every recompute view that
others read computed into a temporary table (`every`: what the seal did before it named what it
reads) against only those the sealed summaries need (`sealed`: recompute_conversation_label and
recompute_conversation, for conversation, conversation_label, agent, channel, customer and
session), side by side in one run.

The database (`tally_bench_seal`, on the configured server or the embedded one) holds `--events`
simulated events over 60 days, ingested with the summary trigger, with a business schedule and
SLA targets in effect; the sealed events are those of the first `--days` days (as the detached
partitions of a retain would be). Each timed seal runs in a transaction that is rolled back, so
every form starts from the same database; forms alternate A/B, B/A per round. After each seal,
before the rollback, a digest of the six sealed tables: the forms must write the same rows.

    .venv/bin/python bench/seal.py                       # 100,000 events; bench/results/seal.json
    .venv/bin/python bench/seal.py --events 20000 --rounds 1
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
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
    run_statements,
    setup_django,
    with_database,
)
from bench.support_figures import SCHEDULE_AND_TARGETS  # noqa: E402

DAYS = 60
FORMS = ("every", "sealed")


def digest(cursor, tables: list[str]) -> str:
    """One md5 over the rows of `tables`, each in a fixed order."""
    parts = []
    for table in tables:
        cursor.execute(f"SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM {table} AS t")
        parts.append(cursor.fetchone()[0] or "")
    return "/".join(parts)


def seal_once(form: str, before: datetime) -> dict:
    """The seal's work on the events before `before`, rolled back: wall and backend CPU seconds."""
    from django.db import connection, transaction

    from analytics import retention

    read = None if form == "every" else [summary for _, summary, _, _ in retention.SEALED]
    sealed_tables = [model._meta.db_table for model, _, _, _ in retention.SEALED]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
        cpu, began = backend_cpu_seconds(pid), time.perf_counter()
        events = "SELECT * FROM public.event WHERE occurred_at < %(before)s"
        with retention.scoped_recompute(cursor, events, {"before": before}, read=read):
            for model, summary, key, carries in retention.SEALED:
                retention._merge_sealed(cursor, model, summary, key, carries)
        wall, cpu = time.perf_counter() - began, backend_cpu_seconds(pid) - cpu
        result = {"wall_s": wall, "cpu_s": cpu, "digest": digest(cursor, sealed_tables)}
        transaction.set_rollback(True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000, help="about this many (whole conversations)")
    parser.add_argument("--days", type=int, default=30, help="the sealed days, from the first")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "seal.json"))
    args = parser.parse_args()
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    url = with_database(base_url(), "tally_bench_seal")
    setup_django(url)
    from analytics import partitions

    workspace_id, _ = prepare_database(url)
    with connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(SCHEDULE_AND_TARGETS, {"workspace": workspace_id})
    events = list(history(end=end, days=DAYS, conversations=args.events // 9 + 1, seed=11))
    partitions.ensure(datetime.fromisoformat(event["occurred_at"]) for event in events)
    began = time.perf_counter()
    run_statements(
        url=url, statements=render_inserts(url=url, workspace_id=workspace_id, events=events, size=1000), clients=1
    )
    loaded = time.perf_counter() - began
    with connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    before = end - timedelta(days=DAYS) + timedelta(days=args.days)
    with connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM event WHERE occurred_at < %s", [before])
        sealed_events = cursor.fetchone()[0]
    samples = {form: [] for form in FORMS}
    seal_once("sealed", before)  # plans and caches warmed before timing
    for round_number in range(args.rounds):
        for form in FORMS if round_number % 2 == 0 else FORMS[::-1]:
            samples[form].append(seal_once(form, before))
    digests = {sample["digest"] for form in FORMS for sample in samples[form]}
    figures = {
        form: {
            "wall_s_median": statistics.median(s["wall_s"] for s in samples[form]),
            "cpu_s_median": statistics.median(s["cpu_s"] for s in samples[form]),
            "wall_s": [round(s["wall_s"], 3) for s in samples[form]],
        }
        for form in FORMS
    }
    ratio = figures["sealed"]["wall_s_median"] / figures["every"]["wall_s_median"]
    print(
        f"{len(events):,} events over {DAYS} days ({loaded:.0f} s to load); sealing the first {args.days} days: "
        f"{sealed_events:,} events; the forms wrote {'the same' if len(digests) == 1 else 'DIFFERENT'} sealed rows"
    )
    print("| form | wall s (median) | backend CPU s (median) | wall ÷ every |")
    print("| --- | --- | --- | --- |")
    for form in FORMS:
        share = figures[form]["wall_s_median"] / figures["every"]["wall_s_median"]
        print(f"| {form} | {figures[form]['wall_s_median']:.2f} | {figures[form]['cpu_s_median']:.2f} | {share:.2f} |")
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "server": platform.node(),
        "load_average": os.getloadavg(),
        "events": len(events),
        "sealed_events": sealed_events,
        "rounds": args.rounds,
        "same_sealed_rows": len(digests) == 1,
        "forms": figures,
        "sealed_over_every": round(ratio, 3),
    }
    Path(args.output).write_text(json.dumps(result, indent=2) + "\n")
    if len(digests) != 1:
        sys.exit("the forms wrote different sealed rows")


if __name__ == "__main__":
    main()

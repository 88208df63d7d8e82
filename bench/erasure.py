"""What an erasure costs, and how long ingestion waits for it.

    .venv/bin/python bench/erasure.py                       # 5,000 conversations over 40 days (~52k events)
    .venv/bin/python bench/erasure.py --conversations 50000 # ~520k events

It loads a scratch database `tally_bench_erasure` on the configured server with `simulate` (the
ingest code path, every trigger on), ANALYZEs it, then, one after the other:

- erases single events (DELETE /api/v1/events/{id} calls analytics.erasure.erase_events), picked
  at random, and times each;
- erases customers with growing numbers of events (erase_customer, without the view refresh);
- runs 4 writers that send single events (services.events_ingest, one transaction each) for a
  calm window, then for a window in which the main thread erases events one by one: the writers'
  latencies in the two windows show what the erasure's SHARE ROW EXCLUSIVE lock on event costs
  them;
- checks `rollups verify`: 0 differences.

The machine has 2 shared cores: compare the two writer windows of one run, not runs of different
days. Results: bench/results/erasure.json. The database is dropped at the end.
"""

import argparse
import json
import os
import random
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, base_url, scratch_database, setup_django  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "erasure.json"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)


def summary(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50_ms": percentile(values, 0.5),
        "p95_ms": percentile(values, 0.95),
        "p99_ms": percentile(values, 0.99),
        "max_ms": round(max(values), 1),
    }


def timed_ms(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def writer_event(writer: int, number: int) -> dict:
    return {
        "id": f"bench-writer-{writer}-{number}",
        "name": "conversation.created" if number % 2 == 0 else "conversation.customer_replied",
        "occurred_at": datetime.now(UTC).isoformat(),
        "conversation_id": f"bench-writer-{writer}-{number // 2}",
        "channel": "chat",
        "customer": f"bench-customer-{writer}",
    }


def writers(seconds: float, during=None) -> dict:
    """4 writers for `seconds`; `during()` runs in this thread meanwhile. Returns their latencies."""
    from django.db import connections

    from analytics import services
    from analytics.serializers import EventSerializer

    def validated(batch: list[dict]) -> list[dict]:
        serializer = EventSerializer(data=batch, many=True)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    stop = threading.Event()
    latencies: list[float] = []
    lock = threading.Lock()
    start_number = int(time.time() * 1000) % 10**9 * 10

    def run(writer: int) -> None:
        number = start_number
        try:
            while not stop.is_set():
                events = validated([writer_event(writer, number)])
                took = timed_ms(lambda batch=events: services.events_ingest(workspace=WORKSPACE, events=batch))
                with lock:
                    latencies.append(took)
                number += 1
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(writer,)) for writer in range(4)]
    for thread in threads:
        thread.start()
    done = []
    started = time.perf_counter()
    if during is not None:
        done = during()
    time.sleep(max(0.0, seconds - (time.perf_counter() - started)))
    stop.set()
    for thread in threads:
        thread.join()
    return {"writers": summary(latencies), "erasures": summary(done) if done else None}


WORKSPACE = None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=5000)
    parser.add_argument("--days", type=int, default=40)
    parser.add_argument("--events", type=int, default=40, help="single events erased one by one")
    parser.add_argument("--window", type=float, default=8.0, help="seconds of each writer window")
    args = parser.parse_args()

    setup_django(base_url())
    from django.core.management import call_command
    from django.db import connection

    from analytics import erasure, rollups
    from core.models import Workspace

    original = scratch_database("tally_bench_erasure")
    global WORKSPACE
    try:
        started = time.perf_counter()
        with open(os.devnull, "w") as quiet:
            call_command("simulate", workspace="bench", days=args.days, conversations=args.conversations, stdout=quiet)
        load_seconds = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            cursor.execute("SELECT count(*) FROM event")
            (events,) = cursor.fetchone()
        WORKSPACE = Workspace.objects.get(slug="bench")
        rng = random.Random(20261203)
        with connection.cursor() as cursor:
            cursor.execute("SELECT event_id FROM event ORDER BY event_id")
            ids = [row[0] for row in cursor.fetchall()]
            cursor.execute(
                "SELECT customer_id, count(*) FROM event WHERE customer_id IS NOT NULL GROUP BY 1 ORDER BY 2, 1"
            )
            customers = cursor.fetchall()
        picked = rng.sample(ids, args.events * 2)
        single = [
            timed_ms(lambda event_id=event_id: erasure.erase_events(workspace=WORKSPACE, event_ids=[event_id]))
            for event_id in picked[: args.events]
        ]

        # Customers near 10, 100, 1,000 events and the busiest.
        chosen, by_customer = [], []
        for target in (10, 100, 1000, 10**9):
            customer, count = min(customers, key=lambda item: abs(item[1] - target))
            if customer not in chosen:
                chosen.append(customer)
                took = timed_ms(lambda c=customer: erasure.erase_customer(workspace=WORKSPACE, customer_id=c))
                by_customer.append({"customer": customer, "events": count, "ms": round(took, 1)})

        calm = writers(args.window)

        def erase_rest() -> list[float]:
            return [
                timed_ms(lambda event_id=event_id: erasure.erase_events(workspace=WORKSPACE, event_ids=[event_id]))
                for event_id in picked[args.events :]
            ]

        erasing = writers(args.window, during=erase_rest)
        started = time.perf_counter()
        differences = len(rollups.differences())
        verify_seconds = time.perf_counter() - started
    finally:
        connection.creation.destroy_test_db(original, verbosity=0)

    report = {
        "generated_at": datetime.now(UTC).isoformat(),
        "command": "bench/erasure.py " + " ".join(sys.argv[1:]),
        "events_loaded": events,
        "load_seconds": round(load_seconds, 1),
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "erase_one_event": summary(single),
        "erase_customer": by_customer,
        "writers_calm": calm["writers"],
        "writers_while_erasing": erasing["writers"],
        "erasures_while_writing": erasing["erasures"],
        "verify_differences": differences,
        "verify_seconds": round(verify_seconds, 1),
    }
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")

    print(f"{events} events loaded in {load_seconds:.0f} s; load average {report['load_average']}")
    print(f"{'what':44} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    rows = [
        ("erase one event", report["erase_one_event"]),
        ("erase one event, 4 writers running", report["erasures_while_writing"]),
        ("writer's single event, calm", report["writers_calm"]),
        ("writer's single event, while erasing", report["writers_while_erasing"]),
    ]
    for label, figures in rows:
        print(f"{label:44} {figures['n']:>4} {figures['p50_ms']:>8} {figures['p95_ms']:>8} {figures['max_ms']:>8}")
    for row in by_customer:
        print(f"erase_customer {row['customer']} ({row['events']} events): {row['ms']:.0f} ms")
    print(f"verify: {differences} differences in {verify_seconds:.1f} s; written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

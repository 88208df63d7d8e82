"""Import throughput: `manage.py import_events` of a CSV against batched HTTP ingest of the same
events, side by side in one run, with the importer's peak memory.

    .venv/bin/python bench/import.py                  # 1,000,000 rows, 2 rounds (about 15 minutes here)
    .venv/bin/python bench/import.py --rows 100000    # a quick look

It writes an interactions file (`Date Start` as 04/10/2019 09:00, `Interaction`, `Customers`:
8 channels in mixed spelling, 50,000 customers, one row in 200 duplicated, one in 1000 with an
unreadable date) and, per round:

- import: the command, in a process of its own (peak RSS from the kernel's rusage of that
  process), `--preset interactions --date-format "%d/%m/%Y %H:%M"`, batches of 1000;
- http: the same rows, turned into the same events by the importer's own row_event(), POSTed as
  JSON lists of 1000 by one keep-alive client to gunicorn started as `make run` starts it
  (gunicorn.conf.py); the client's encoding is done before the clock starts.

Both start on emptied tables and write through the same statement and triggers. Rows/s counts
the rows of the file (refused and duplicated rows included) over the wall time. The ratio is
import / http of the same round. After the last round `rollups verify` must report 0 differences.
The machine has 2 shared cores and other work runs beside: quote the ratio, not the rates.
Results: bench/results/import.json.
"""

import argparse
import csv
import http.client
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import PYTHON, base_url, count_events, prepare_database, reset, with_database  # noqa: E402

CHANNELS = ["Email", "EMAIL", "email ", "Call", "Chat", "WhatsApp", "Bird", "Phone", "Web", "SMS"]
DATE_FORMAT = "%d/%m/%Y %H:%M"


def write_file(path: Path, rows: int) -> None:
    rng = random.Random(7)
    start = datetime(2019, 1, 1, 8, 0)
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["Date Start", "Interaction", "Customers"])
        previous = None
        for number in range(rows):
            if previous is not None and number % 200 == 0:
                writer.writerow(previous)
                continue
            moment = start + timedelta(minutes=number * 3)
            date = "soon" if number % 1000 == 999 else moment.strftime(DATE_FORMAT)
            previous = [date, rng.choice(CHANNELS), str(int(50_000 * rng.random() ** 2) + 1)]
            writer.writerow(previous)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_import(url: str, path: Path) -> dict:
    env = {**os.environ, "DATABASE_URL": url}
    command = [PYTHON, "manage.py", "import_events", str(path), "--workspace", "bench", "--preset", "interactions"]
    command += ["--date-format", DATE_FORMAT, "--report", str(path.with_suffix(".report.json"))]
    log = path.with_suffix(".log")
    with log.open("w") as output:
        began = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - began
    lines = log.read_text().strip().splitlines()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("import failed:\n" + "\n".join(lines[-20:]))
    summary = next((line for line in lines if " rows read, " in line), "")
    report = json.loads(path.with_suffix(".report.json").read_text())
    return {
        "seconds": round(seconds, 2),
        "imported": report["imported"],
        "duplicates": report["duplicates"],
        "refused": report["refused"],
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "summary": summary,
    }


def http_bodies(url: str, path: Path) -> list[bytes]:
    """The file's events as the importer builds them, in JSON lists of 1000."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    import django

    django.setup()
    from analytics import importing

    mapping = importing.Mapping.load(preset="interactions", path=None, date_format=DATE_FORMAT)
    report = importing.Report(file=path.name)
    bodies, batch = [], []
    for _, row in importing.file_rows(path, mapping):
        if row is None:
            continue
        try:
            batch.append(importing.row_event(row, mapping, report))
        except importing.Refused:
            continue
        if len(batch) == 1000:
            bodies.append(json.dumps(batch).encode())
            batch = []
    if batch:
        bodies.append(json.dumps(batch).encode())
    return bodies


def run_http(url: str, key: str, bodies: list[bytes]) -> dict:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "TALLY_BIND": f"127.0.0.1:{port}", "TALLY_ACCESS_LOG": ""}
    server = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py"], cwd=ROOT, env=env, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        headers = {"Authorization": f"Token {key}", "Content-Type": "application/json"}
        accepted = 0
        began = time.perf_counter()
        for body in bodies:
            client.request("POST", "/api/v1/events/", body=body, headers=headers)
            response = client.getresponse()
            answer = json.loads(response.read())
            if response.status != 201:
                raise SystemExit(f"HTTP {response.status}: {answer}")
            accepted += answer["accepted"]
        seconds = time.perf_counter() - began
        client.close()
    finally:
        server.terminate()
        server.wait()
    return {"seconds": round(seconds, 2), "accepted": accepted, "requests": len(bodies)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="Keep the database tally_bench_import.")
    args = parser.parse_args()

    url = with_database(base_url(), "tally_bench_import")
    _, key = prepare_database(url)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "interactions.csv"
        write_file(path, args.rows)
        bodies = http_bodies(url, path)
        rounds = []
        for number in range(args.rounds):
            reset(url)
            imported = run_import(url, path)
            imported["stored"] = count_events(url)
            reset(url)
            sent = run_http(url, key, bodies)
            sent["stored"] = count_events(url)
            rounds.append({"round": number + 1, "import": imported, "http": sent})
        reset(url)
        final = run_import(url, path)
    verify = subprocess.run(
        [PYTHON, "manage.py", "rollups", "verify"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
    )
    rows = args.rows
    print(f"{'round':>5}  {'import rows/s':>13}  {'http rows/s':>11}  {'import/http':>11}  {'peak RSS MB':>11}  stored")
    for entry in rounds:
        a, b = entry["import"], entry["http"]
        entry["ratio"] = round(b["seconds"] / a["seconds"], 2)
        print(
            f"{entry['round']:>5}  {rows / a['seconds']:>13,.0f}  {rows / b['seconds']:>11,.0f}  {entry['ratio']:>11}  "
            f"{a['peak_rss_mb']:>11}  {a['stored']} / {b['stored']}"
        )
    print(f"rollups verify after a last import: {verify.stdout.strip().splitlines()[-1]}")
    result = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "bench/import.py " + " ".join(sys.argv[1:]),
        "method": __doc__,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_before": load_before,
            "load_after": os.getloadavg(),
        },
        "rows": rows,
        "target": "import rows/s >= 0.5 x batched HTTP rows/s of the same round",
        "rounds": rounds,
        "final_import": final,
        "verify": verify.stdout.strip().splitlines()[-1],
        "verify_exit": verify.returncode,
    }
    (ROOT / "bench" / "results" / "import.json").write_text(json.dumps(result, indent=2) + "\n")
    if not args.keep:
        from bench.common import connect

        admin = connect(with_database(url, "postgres"))
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute('DROP DATABASE IF EXISTS "tally_bench_import" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    main()

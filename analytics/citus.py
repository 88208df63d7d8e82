"""Tally on a Citus cluster: which table becomes what, and the conversion of a migrated database
on a Citus coordinator (`manage.py citus_distribute`), in the only order that keeps the summaries
exact. docs/scale-out.md explains it for operators.

- `workspace` and `api_token` become reference tables (a copy on every node): a join with
  workspace (its timezone, in the daily rollups) runs on each shard's node, and a token is
  checked on whichever node reads it.
- So do the workspace settings `business_schedule` and `sla_policy` (versions, a few rows a
  workspace), although keyed by workspace_id: the recomputation views join them LATERAL to
  recompute_conversation, which verify and rebuild compute once into a temporary table on the
  coordinator, and Citus refuses a lateral join of a local table with a distributed one ("cannot
  perform a lateral outer join when a distributed subquery references complex subqueries, CTEs
  or local tables") but runs it against the coordinator's copy of a reference table. The trigger
  reads them on the worker through the name of their one shard, present on every node
  (triggers/shards.py). A database distributed before they were listed here has them
  distributed: they are undistributed (copied back to the coordinator) and made reference tables.
- Every table whose primary key starts with `workspace_id` (the raw table, event_key, the
  conversation and dimension state, every summary) is distributed by it, co-located with `event`:
  the shard of a workspace's events and the shards of its summaries are on the same node, so the
  triggers (triggers/shards.py) write them locally, and every read filtered by workspace goes to
  one shard.
- Tables without a workspace (raw_retention, rollup_refresh, Django's own) stay plain tables on
  the coordinator; the materialized rollups too (analytics/materialized.py).

Order (a trigger that fires while Citus copies the existing rows into the shards would count
them a second time): drop the triggers of the tables to distribute, drop their foreign keys,
make the reference tables, distribute `event` and then every other table co-located with it,
create the triggers again. Each step checks what is already done, so the command can run again
(after an interruption, or after a migration created a new table, which it then distributes).

Last, the routed ingest function (sql/citus/tally_ingest_workspace.sql) is created and
distributed by its workspace_id argument, co-located with `event`: the coordinator then sends a
one-workspace ingest whole to the worker of that workspace (analytics/services.py uses it when
`routed_ingest()` finds it). It is replaced when the file changes (its comment holds the file's
md5), so after a change to the ingest columns `citus_distribute` installs the new one.

The foreign key of `event` to `workspace` is not restored (every other table of Tally has none
already): a transaction that modifies a table referencing a reference table must run all its
earlier multi-shard statements over one connection per node, and fails if one ran in parallel
("cannot modify table event because there was a parallel operation"). Ingest only ever writes
the workspace of the token it authenticated.
"""

import hashlib
from dataclasses import dataclass

from django.db import connection, transaction

from core.sql import read_sql

REFERENCE_TABLES = ("workspace", "api_token", "business_schedule", "sla_policy")
ANCHOR = "event"
DISTRIBUTION_COLUMN = "workspace_id"
ROUTED_INGEST_FILE = "citus/tally_ingest_workspace.sql"
# The routed ingest function's arguments: the workspace, then one array per column of
# analytics.services.COLUMNS, in that order. Its signature and the API's call of it are built here.
ROUTED_INGEST_TYPES = (
    "bigint",
    "varchar[]",
    "varchar[]",
    "timestamptz[]",
    *("varchar[]",) * 12,
    "numeric[]",
    "jsonb[]",
    "varchar[]",
)
ROUTED_INGEST = f"tally_ingest_workspace({', '.join(ROUTED_INGEST_TYPES)})"
ROUTED_INGEST_CALL = f"SELECT tally_ingest_workspace({', '.join(f'%s::{kind}' for kind in ROUTED_INGEST_TYPES)})"


def is_citus() -> bool:
    """True when the database has the citus extension (a coordinator or a worker)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus')")
        return cursor.fetchone()[0]


_clusters: dict[str, bool] = {}
_routed: dict[str, bool] = {}


def on_cluster() -> bool:
    """is_citus(), asked once per process and database."""
    name = connection.settings_dict["NAME"]
    if name not in _clusters:
        _clusters[name] = is_citus()
    return _clusters[name]


def routed_ingest() -> bool:
    """True when this database is a Citus cluster on which citus_distribute installed the routed
    ingest function (distributed, delegated inside transactions). Asked once per process and
    database: plain PostgreSQL answers from pg_extension alone."""
    name = connection.settings_dict["NAME"]
    if name not in _routed:
        if not on_cluster():
            _routed[name] = False
        else:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT EXISTS (SELECT FROM pg_dist_object WHERE objid = to_regprocedure(%s) "
                    "AND distribution_argument_index IS NOT NULL AND force_delegation)",
                    [ROUTED_INGEST],
                )
                _routed[name] = cursor.fetchone()[0]
    return _routed[name]


def routed_ingest_steps(cursor) -> list["Step"]:
    """Creating (or replacing) and distributing the routed ingest function, unless the installed
    one is distributed and was made from the file as it is now."""
    body = read_sql(ROUTED_INGEST_FILE)
    digest = hashlib.md5(body.encode()).hexdigest()
    cursor.execute(
        "SELECT obj_description(to_regprocedure(%s), 'pg_proc') = %s AND EXISTS (SELECT FROM pg_dist_object "
        "WHERE objid = to_regprocedure(%s) AND distribution_argument_index IS NOT NULL AND force_delegation)",
        [ROUTED_INGEST, digest, ROUTED_INGEST],
    )
    if cursor.fetchone()[0]:
        return []
    return [
        Step("routed ingest function tally_ingest_workspace", body),
        Step("routed ingest function: its version", f"COMMENT ON FUNCTION {ROUTED_INGEST} IS '{digest}'"),
        Step(
            "routed ingest function: distribute by workspace_id, co-located with event",
            f"SELECT create_distributed_function('{ROUTED_INGEST}', distribution_arg_name := 'workspace_id', "
            f"colocate_with := '{ANCHOR}', force_delegation := true)",
        ),
    ]


def citus_tables(cursor) -> dict[str, str]:
    """Table name -> 'distributed' / 'reference' / 'local' for the tables Citus knows."""
    cursor.execute(
        """
        SELECT logicalrelid::regclass::text,
               CASE WHEN partmethod = 'h' THEN 'distributed'
                    WHEN repmodel = 't' THEN 'reference'
                    ELSE 'local' END
        FROM pg_dist_partition
        """
    )
    return dict(cursor.fetchall())


def tables_to_distribute(cursor) -> list[str]:
    """Every table of the public schema whose primary key starts with workspace_id, not a
    partition and not a reference table; `event` first. (A table of workspace_id with another
    key, like the dashboard's memberships, keyed by user, stays on the coordinator.)"""
    cursor.execute(
        """
        SELECT c.relname
        FROM pg_class AS c
        JOIN pg_namespace AS n ON n.oid = c.relnamespace
        JOIN pg_index AS i ON i.indrelid = c.oid AND i.indisprimary
        JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attname = %s
        ORDER BY c.relname <> %s, c.relname
        """,
        [DISTRIBUTION_COLUMN, ANCHOR],
    )
    return [name for (name,) in cursor.fetchall() if name not in REFERENCE_TABLES]


@dataclass(frozen=True)
class Step:
    what: str
    sql: str


def plan(cursor, *, shard_count: int | None = None) -> list[Step]:
    """The statements that remain to convert this database, in order; [] when it is converted."""
    known = citus_tables(cursor)
    pending = [name for name in tables_to_distribute(cursor) if known.get(name) != "distributed"]
    references = [name for name in REFERENCE_TABLES if known.get(name) != "reference"]
    if not pending and not references:
        return routed_ingest_steps(cursor)
    steps = []
    cursor.execute(
        """
        SELECT t.tgrelid::regclass::text, t.tgname, pg_get_triggerdef(t.oid)
        FROM pg_trigger AS t
        WHERE t.tgrelid = ANY (%s::regclass[]) AND NOT t.tgisinternal
        ORDER BY 1, 2
        """,
        [pending],
    )
    triggers = cursor.fetchall()
    steps += [
        Step(f"drop trigger {name} on {table}", f'DROP TRIGGER "{name}" ON {table}') for table, name, _ in triggers
    ]
    cursor.execute(
        """
        SELECT conrelid::regclass::text, conname
        FROM pg_constraint
        WHERE contype = 'f' AND conrelid = ANY (%s::regclass[]) AND conparentid = 0
        ORDER BY 1, 2
        """,
        [pending],
    )
    steps += [
        Step(f"drop foreign key {name} of {table}", f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for table, name in cursor.fetchall()
    ]
    for name in references:
        if known.get(name) == "distributed":
            steps.append(Step(f"undistribute {name}", f"SELECT undistribute_table('{name}')"))
        steps.append(Step(f"reference table {name}", f"SELECT create_reference_table('{name}')"))
    shards = f", shard_count => {int(shard_count)}" if shard_count else ""
    for name in pending:
        if name == ANCHOR:
            sql = f"SELECT create_distributed_table('{name}', '{DISTRIBUTION_COLUMN}'{shards})"
        else:
            sql = f"SELECT create_distributed_table('{name}', '{DISTRIBUTION_COLUMN}', colocate_with => '{ANCHOR}')"
        steps.append(Step(f"distribute {name}", sql))
    steps += [Step(f"trigger {name} on {table}", definition) for table, name, definition in triggers]
    # After the tables: the function is co-located with the distributed event.
    steps += routed_ingest_steps(cursor)
    return steps


def distribute(*, shard_count: int | None = None, log=print) -> int:
    """Converts the database (see the module docstring); the number of steps run. One transaction:
    if a step fails, nothing has changed."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL citus.enable_unsafe_triggers = on")
        # Distributing copies through one connection per node inside this transaction.
        cursor.execute("SET LOCAL citus.multi_shard_modify_mode = 'sequential'")
        steps = plan(cursor, shard_count=shard_count)
        for step in steps:
            log(step.what)
            cursor.execute(step.sql)
        cursor.execute("SELECT current_database()")
        database = cursor.fetchone()[0]
        cursor.execute(f'ALTER DATABASE "{database}" SET citus.enable_unsafe_triggers = on')
        # The triggers run on the workers: a SET LOCAL of a tally.* setting that they read
        # (tally.deleted_workspaces, analytics/erasure.py) must reach them.
        cursor.execute(f"ALTER DATABASE \"{database}\" SET citus.propagate_set_commands = 'local'")
    return len(steps)

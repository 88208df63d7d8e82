"""The raw event table becomes partitioned by range of occurred_at; its idempotency key moves to
event_key (a unique index of a partitioned table must contain the partition key).

Under an ACCESS EXCLUSIVE lock: the table is renamed away, a partitioned `event` with the same
columns (and identity sequence position) is created with partitions for every interval that
holds data plus the ones ahead, the rows are copied with no trigger installed yet (so nothing
is counted twice; the summaries already hold them), event_key is filled from the same rows,
then the indexes, constraints, triggers and the views that read `event` are recreated as they
were, from the catalog. One pass over the table.
"""

from datetime import UTC, datetime

import django.db.models.deletion
from django.db import migrations, models

from analytics import partitions


def dependent_views(cursor) -> list[tuple[str, str, str]]:
    """(name, kind, definition) of every view reading event, directly or through another view,
    in an order in which they can be created."""
    cursor.execute(
        """
        WITH RECURSIVE deps (oid, depth) AS (
            SELECT 'event'::regclass::oid, 0
            UNION ALL
            SELECT r.ev_class, deps.depth + 1
            FROM pg_depend AS d
            JOIN pg_rewrite AS r ON r.oid = d.objid
            JOIN deps ON d.refobjid = deps.oid
            WHERE r.ev_class <> deps.oid
        )
        SELECT c.relname, c.relkind, pg_get_viewdef(c.oid), max(depth)
        FROM deps JOIN pg_class AS c ON c.oid = deps.oid
        WHERE depth > 0
        GROUP BY c.oid, c.relname, c.relkind
        ORDER BY max(depth), c.relname
        """
    )
    views = [(name, kind, definition) for name, kind, definition, _ in cursor.fetchall()]
    if any(kind != "v" for _, kind, _ in views):
        raise RuntimeError("a materialized view reads event directly; this migration only recreates plain views")
    return views


def partition_event(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("LOCK TABLE event IN ACCESS EXCLUSIVE MODE")
        views = dependent_views(cursor)
        cursor.execute(
            "SELECT pg_get_triggerdef(oid), tgname, obj_description(oid, 'pg_trigger') "
            "FROM pg_trigger WHERE tgrelid = 'event'::regclass AND NOT tgisinternal ORDER BY tgname"
        )
        triggers = cursor.fetchall()
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'event' AND schemaname = current_schema() "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'event'::regclass) "
            "AND indexname LIKE %s ORDER BY indexname",
            ["event_ws_%"],
        )
        indexes = [definition for (definition,) in cursor.fetchall()]
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'event'::regclass AND contype = 'f'"
        )
        foreign_keys = cursor.fetchall()

        for name, _, _ in reversed(views):
            cursor.execute(f"DROP VIEW {name}")
        cursor.execute("ALTER SEQUENCE event_id_seq RENAME TO event_unpartitioned_id_seq")
        cursor.execute("ALTER TABLE event RENAME TO event_unpartitioned")
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'event_unpartitioned'::regclass AND contype IN ('p', 'u', 'f')"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f"ALTER TABLE event_unpartitioned DROP CONSTRAINT {name}")
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'event_unpartitioned' AND schemaname = current_schema()"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f"DROP INDEX {name}")

        cursor.execute(
            "CREATE TABLE event (LIKE event_unpartitioned INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING STORAGE) "
            "PARTITION BY RANGE (occurred_at)"
        )
        cursor.execute("SELECT setval('event_id_seq', last_value, is_called) FROM event_unpartitioned_id_seq")
        unit = partitions.interval()
        cursor.execute("SELECT DISTINCT date_trunc(%s, occurred_at, 'UTC') FROM event_unpartitioned", [unit])
        moments = [moment for (moment,) in cursor.fetchall()]
        partitions.ensure([*moments, *partitions.ahead_moments(datetime.now(UTC), unit)], unit=unit)

        cursor.execute("INSERT INTO event SELECT * FROM event_unpartitioned")
        cursor.execute(
            "INSERT INTO event_key (workspace_id, event_id, occurred_at) "
            "SELECT workspace_id, event_id, occurred_at FROM event_unpartitioned"
        )
        cursor.execute("ALTER TABLE event ADD CONSTRAINT event_pkey PRIMARY KEY (id, occurred_at)")
        for name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE event ADD CONSTRAINT {name} {definition}")
        for definition in indexes:
            cursor.execute(definition)
        for definition, name, comment in triggers:
            cursor.execute(definition)
            if comment is not None:
                cursor.execute(f"COMMENT ON TRIGGER {name} ON event IS %s", [comment])
        cursor.execute("DROP TABLE event_unpartitioned")
        for name, _, definition in views:
            cursor.execute(f"CREATE VIEW {name} AS {definition}")
        cursor.execute("ANALYZE event")


class Migration(migrations.Migration):
    atomic = True

    dependencies = [
        ("analytics", "0009_write_slots"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="EventKey",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "workspace_id", "event_id", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
                (
                    "workspace",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="core.workspace",
                    ),
                ),
                ("event_id", models.CharField(max_length=64)),
                (
                    "occurred_at",
                    models.DateTimeField(help_text="occurred_at of the stored event."),
                ),
            ],
            options={
                "db_table": "event_key",
            },
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(model_name="event", name="event_workspace_event_id_uniq"),
                migrations.AlterField(
                    model_name="event",
                    name="workspace",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="core.workspace",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(partition_event)],
        ),
    ]

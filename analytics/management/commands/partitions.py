from django.core.management.base import BaseCommand
from django.db import connection

from analytics import partitions


class Command(BaseCommand):
    help = (
        "Create the raw event partitions that now needs (the current interval, the next, and as far ahead as "
        "the API accepts occurred_at; migrate and `rollups refresh --every` do the same), then list every "
        "partition with its range, estimated rows and size, and the retention horizon. "
        "TALLY_PARTITION_INTERVAL sets day, week or month."
    )

    def handle(self, *args, **options):
        for name in partitions.ensure_ahead():
            self.stdout.write(f"created {name}")
        with connection.cursor() as cursor:
            found = partitions.existing(cursor)
            cursor.execute(
                "SELECT c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid) FROM pg_inherits AS i "
                "JOIN pg_class AS c ON c.oid = i.inhrelid WHERE i.inhparent = 'event'::regclass"
            )
            stats = {name: (rows, size) for name, rows, size in cursor.fetchall()}
            cursor.execute(
                "SELECT max(range_end), coalesce(sum(events), 0), count(*) FILTER (WHERE events > 0) FROM raw_retention"
            )
            horizon, sealed, dropped = cursor.fetchone()
        header = ("partition", "from", "to", "rows (estimate)", "size")
        lines = [
            (
                p.name,
                p.start.isoformat(),
                p.end.isoformat(),
                # reltuples is -1 until the first ANALYZE (autovacuum or by hand).
                str(stats[p.name][0]) if stats[p.name][0] >= 0 else "not analyzed",
                f"{stats[p.name][1] / 1048576:.1f} MB",
            )
            for p in found
        ]
        widths = [max(len(cell) for cell in column) for column in zip(header, *lines, strict=False)]
        for line in (header, *lines):
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
        if horizon is None:
            self.stdout.write("retention horizon: none (no raw partition retired)")
        else:
            self.stdout.write(
                f"retention horizon: {horizon.isoformat()} ({sealed} events sealed from {dropped} dropped partitions; "
                "table raw_retention)"
            )

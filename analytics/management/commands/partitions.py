from django.core.management.base import BaseCommand
from django.db import connection

from analytics import partitions


class Command(BaseCommand):
    help = (
        "Create the raw event partitions that now needs (the current interval, the next, and as far ahead as "
        "the API accepts occurred_at; migrate and `rollups refresh --every` do the same), then list every "
        "partition with its range, estimated rows and size. TALLY_PARTITION_INTERVAL sets day, week or month."
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
        header = ("partition", "from", "to", "rows (estimate)", "size")
        lines = [
            (
                p.name,
                p.start.isoformat(),
                p.end.isoformat(),
                str(max(stats[p.name][0], 0)),
                f"{stats[p.name][1] / 1048576:.1f} MB",
            )
            for p in found
        ]
        widths = [max(len(cell) for cell in column) for column in zip(header, *lines, strict=False)]
        for line in (header, *lines):
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))

from django.core.management.base import BaseCommand, CommandError

from analytics import citus


class Command(BaseCommand):
    help = (
        "Convert a migrated Tally database on a Citus coordinator: workspace and api_token become reference "
        "tables, every table with a workspace_id is distributed by it, co-located with event, with the triggers "
        "dropped while the rows are copied and created again afterwards (docs/scale-out.md). Idempotent: run it "
        "again after a migration that adds a table."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--shard-count", type=int, help="shards of event and its co-located tables (default: citus.shard_count)"
        )

    def handle(self, *args, shard_count=None, **options):
        if not citus.is_citus():
            raise CommandError(
                "this database has no citus extension: run it on a Citus coordinator (docs/scale-out.md)"
            )
        steps = citus.distribute(shard_count=shard_count, log=lambda line: self.stdout.write(line))
        self.stdout.write("already distributed, nothing to do" if steps == 0 else f"done: {steps} steps")

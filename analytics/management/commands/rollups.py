import signal
import threading
import time
from argparse import ArgumentTypeError
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from analytics import refresh, rollups
from core.models import Workspace
from core.progress import ProgressBar


def parse_moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"not an ISO datetime: {text!r}") from None
    if moment.tzinfo is None:
        raise ArgumentTypeError(f"needs a UTC offset or Z: {text!r}")
    return moment


class Command(BaseCommand):
    help = (
        "verify: print every summary row that differs from its recomputation from raw events (exit 1 if any). "
        "rebuild: replace the summaries with the recomputation in one transaction. "
        "refresh: refresh every materialized view concurrently (and compact), once or --every SECONDS until "
        "SIGTERM/Ctrl-C. "
        "compact: fold the write slots of the hours before --before (default: the hour before the current one) "
        "into one row per key; figures do not change."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "rebuild", "refresh", "compact"])
        parser.add_argument("--workspace", metavar="SLUG", help="Limit to one workspace.")
        parser.add_argument("--limit", type=int, default=50, help="verify: print at most this many differences.")
        parser.add_argument(
            "--every", type=float, metavar="SECONDS", help="refresh: keep refreshing, a pass every SECONDS."
        )
        parser.add_argument(
            "--before",
            type=parse_moment,
            metavar="DATETIME",
            help="compact: fold hours that start before this ISO datetime with offset (default: the previous hour).",
        )

    def handle(self, *args, action, workspace, limit, every, before, **options):
        if action == "refresh":
            self.refresh_views(workspace=workspace, every=every)
            return
        if every is not None:
            raise CommandError("--every applies to refresh only.")
        if before is not None and action != "compact":
            raise CommandError("--before applies to compact only.")
        workspace_id = self._workspace_id(workspace)
        if action == "compact":
            self.compact(workspace_id=workspace_id, before=before)
        elif action == "verify":
            self.verify(workspace_id=workspace_id, limit=limit)
        else:
            self.rebuild(workspace_id=workspace_id)

    def _workspace_id(self, slug: str | None) -> int | None:
        if slug is None:
            return None
        try:
            return Workspace.objects.get(slug=slug).pk
        except Workspace.DoesNotExist:
            raise CommandError(f"No workspace with slug {slug!r}.") from None

    def verify(self, *, workspace_id: int | None, limit: int) -> None:
        found = list(rollups.differences(workspace_id=workspace_id))
        if not found:
            self.stdout.write("0 differences")
            return
        header = ("table", "key", "column", "summary", "recomputed")
        rows = [
            (d.table, ", ".join(f"{k}={v}" for k, v in d.key.items()), d.column, str(d.summary), str(d.recomputed))
            for d in found[:limit]
        ]
        widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
        for line in (header, *rows):
            self.stdout.write("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)))
        if len(found) > limit:
            self.stdout.write(f"... and {len(found) - limit} more")
        raise CommandError(f"{len(found)} differences", returncode=1)

    def rebuild(self, *, workspace_id: int | None) -> None:
        started = time.monotonic()
        bar = ProgressBar(self.stdout, len(rollups.SUMMARIES))
        written = rollups.rebuild(
            workspace_id=workspace_id, progress=lambda summary, rows: bar.advance(label=f"{summary.table}: {rows} rows")
        )
        self.stdout.write(
            f"rebuilt {len(rollups.SUMMARIES)} summaries, {written} rows, in {time.monotonic() - started:.2f}s"
        )

    def compact(self, *, workspace_id: int | None, before: datetime | None) -> None:
        started = time.monotonic()
        before = before or refresh.compaction_horizon()
        folded = rollups.compact(before=before, workspace_id=workspace_id)
        for name, rows in folded.items():
            self.stdout.write(f"{name}: {rows} slot rows folded")
        self.stdout.write(
            f"compacted hours before {before.isoformat()}: {sum(folded.values())} slot rows folded "
            f"in {time.monotonic() - started:.2f}s"
        )

    def refresh_views(self, *, workspace: str | None, every: float | None) -> None:
        if workspace is not None:
            raise CommandError("refresh covers every workspace; --workspace does not apply.")
        if every is None:
            for done in refresh.views_refresh():
                self.stdout.write(str(done))
            return
        if every <= 0:
            raise CommandError("--every must be a positive number of seconds.")
        stop = threading.Event()
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
        self.stdout.write(f"refreshing every {every:g}s; SIGTERM or Ctrl-C stops")
        try:
            refresh.refresh_loop(every=every, stop=stop)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
        self.stdout.write("stopped")

import signal
import threading
import time
from argparse import ArgumentTypeError
from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from analytics import refresh, retention, rollups, settling
from core.models import Workspace
from core.progress import ProgressBar


def parse_moment(text: str) -> datetime:
    """An ISO datetime with a UTC offset or Z, or a date (midnight UTC)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"not an ISO date or datetime: {text!r}") from None
    if moment.tzinfo is None:
        if len(text) == 10:
            return moment.replace(tzinfo=UTC)
        raise ArgumentTypeError(f"needs a UTC offset or Z: {text!r}")
    return moment


class Command(BaseCommand):
    help = (
        "verify: print every summary row that differs from its recomputation from raw events (exit 1 if any). "
        "rebuild: replace the summaries with the recomputation in one transaction. "
        "refresh: refresh every materialized view concurrently (and compact), once or --every SECONDS until "
        "SIGTERM/Ctrl-C. "
        "compact: fold the write slots of the hours before --before (default: the hour before the current one) "
        "into one row per key; figures do not change. "
        "settle: summarize the events that deferred summaries (TALLY_SUMMARIES=deferred) hold as pending, once "
        "or --every SECONDS until SIGTERM/Ctrl-C. "
        "retain: drop the raw event partitions that end at or before --before, sealing what they merged into; "
        "summaries stay. verify and rebuild take --since/--from and --to to cover only those hours (and the "
        "conversations with events in them); they never touch the hours before the retention horizon."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "rebuild", "refresh", "compact", "retain", "settle"])
        parser.add_argument("--workspace", metavar="SLUG", help="Limit to one workspace.")
        parser.add_argument("--limit", type=int, default=50, help="verify: print at most this many differences.")
        parser.add_argument(
            "--every", type=float, metavar="SECONDS", help="refresh, settle: keep going, a pass every SECONDS."
        )
        parser.add_argument(
            "--before",
            type=parse_moment,
            metavar="DATETIME",
            help="compact: fold hours that start before this ISO datetime with offset (default: the previous hour). "
            "retain: drop raw partitions that end at or before it (required).",
        )
        parser.add_argument(
            "--since",
            "--from",
            dest="since",
            type=parse_moment,
            metavar="DATETIME",
            help="verify/rebuild: from this date or datetime on (widened to the hour).",
        )
        parser.add_argument(
            "--to", dest="until", type=parse_moment, metavar="DATETIME", help="verify/rebuild: up to this moment."
        )

    def handle(self, *args, action, workspace, limit, every, before, since, until, **options):
        if (since is not None or until is not None) and action not in ("verify", "rebuild"):
            raise CommandError("--since/--from and --to apply to verify and rebuild only.")
        if since is not None and until is not None and since >= until:
            raise CommandError("--since must be before --to.")
        if action == "refresh":
            self.refresh_views(workspace=workspace, every=every)
            return
        if action == "settle":
            self.settle(workspace=workspace, every=every)
            return
        if every is not None:
            raise CommandError("--every applies to refresh and settle only.")
        if before is not None and action not in ("compact", "retain"):
            raise CommandError("--before applies to compact and retain only.")
        if action == "retain":
            if before is None or workspace is not None:
                raise CommandError("retain needs --before and covers every workspace (partitions hold them all).")
            self.retain(before=before)
            return
        workspace_id = self._workspace_id(workspace)
        if action == "compact":
            self.compact(workspace_id=workspace_id, before=before)
        elif action == "verify":
            self.verify(workspace_id=workspace_id, limit=limit, since=since, until=until)
        else:
            self.rebuild(workspace_id=workspace_id, since=since, until=until)

    def _workspace_id(self, slug: str | None) -> int | None:
        if slug is None:
            return None
        try:
            return Workspace.objects.get(slug=slug).pk
        except Workspace.DoesNotExist:
            raise CommandError(f"No workspace with slug {slug!r}.") from None

    def verify(self, *, workspace_id: int | None, limit: int, since: datetime | None, until: datetime | None) -> None:
        found = rollups.differences(workspace_id=workspace_id, since=since, until=until)
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

    def rebuild(self, *, workspace_id: int | None, since: datetime | None, until: datetime | None) -> None:
        started = time.monotonic()
        scope = rollups.Scope(workspace_id, since, until)
        covered = [summary for summary in rollups.SUMMARIES if scope.covers(summary)]
        bar = ProgressBar(self.stdout, len(covered))
        written = rollups.rebuild(
            workspace_id=workspace_id,
            since=since,
            until=until,
            progress=lambda summary, rows: bar.advance(label=f"{summary.table}: {rows} rows"),
        )
        self.stdout.write(f"rebuilt {len(covered)} summaries, {written} rows, in {time.monotonic() - started:.2f}s")

    def retain(self, *, before: datetime) -> None:
        started = time.monotonic()
        done = retention.retain(before=before)
        horizon = done.horizon.isoformat() if done.horizon is not None else "none"
        self.stdout.write(
            f"dropped {len(done.partitions)} raw partitions ({', '.join(done.partitions) or 'none due'}), "
            f"{done.events} events sealed, horizon {horizon}, in {time.monotonic() - started:.2f}s"
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
        self.run_loop(refresh.refresh_loop, every=every, doing="refreshing")

    def settle(self, *, workspace: str | None, every: float | None) -> None:
        if every is not None:
            if workspace is not None:
                raise CommandError("settle --every covers every workspace; --workspace does not apply.")
            self.run_loop(refresh.settle_loop, every=every, doing="settling")
            return
        started = time.monotonic()
        workspace_id = self._workspace_id(workspace)
        events = settling.settle_all() if workspace_id is None else settling.settle(workspace_id)
        self.stdout.write(f"settled {events} pending events in {time.monotonic() - started:.2f}s")

    def run_loop(self, loop, *, every: float, doing: str) -> None:
        """Runs loop(every=, stop=) until SIGTERM or Ctrl-C."""
        if every <= 0:
            raise CommandError("--every must be a positive number of seconds.")
        stop = threading.Event()
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
        self.stdout.write(f"{doing} every {every:g}s; SIGTERM or Ctrl-C stops")
        try:
            loop(every=every, stop=stop)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
        self.stdout.write("stopped")

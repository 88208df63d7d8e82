import time
from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from analytics import services, simulation
from analytics.serializers import EventSerializer
from core.models import Workspace
from core.progress import ProgressBar


class Command(BaseCommand):
    help = (
        "Fill a workspace with a realistic support-desk history through the ingest code path (validation and the "
        "one-statement INSERT of POST /api/v1/events/), or with --live keep sending events in real time."
    )

    def add_arguments(self, parser):
        parser.add_argument("--workspace", required=True, metavar="SLUG", help="Created if missing.")
        parser.add_argument("--days", type=int, default=7)
        parser.add_argument("--conversations", type=int, default=2000)
        parser.add_argument("--batch", type=int, default=500, help="Events per ingest call.")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--live", action="store_true", help="Send events in real time until stopped.")
        parser.add_argument("--rate", type=float, default=20.0, help="--live: events per second.")
        parser.add_argument("--duration", type=float, default=None, help="--live: stop after this many seconds.")

    def handle(self, *args, workspace, days, conversations, batch, seed, live, rate, duration, **options):
        if batch < 1 or rate <= 0 or days < 1 or conversations < 0:
            raise CommandError("--batch, --rate and --days must be positive, --conversations not negative.")
        target, _ = Workspace.objects.get_or_create(slug=workspace, defaults={"name": workspace})
        if live:
            self.live(target, rate=rate, seed=seed, duration=duration)
        else:
            self.history(target, days=days, conversations=conversations, batch=batch, seed=seed)

    def send(self, workspace: Workspace, events: list[dict]) -> services.IngestResult:
        serializer = EventSerializer(data=events, many=True)
        serializer.is_valid(raise_exception=True)
        return services.events_ingest(workspace=workspace, events=serializer.validated_data)

    def history(self, workspace: Workspace, *, days: int, conversations: int, batch: int, seed: int) -> None:
        events = list(
            simulation.history(
                end=datetime.now(UTC), days=days, conversations=conversations, seed=seed, tz=workspace.timezone
            )
        )
        bar = ProgressBar(self.stdout, len(events))
        accepted = duplicates = 0
        started = time.monotonic()
        for start in range(0, len(events), batch):
            result = self.send(workspace, events[start : start + batch])
            accepted, duplicates = accepted + result.accepted, duplicates + result.duplicates
            bar.advance(min(batch, len(events) - start))
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"{workspace.slug}: {accepted} events accepted, {duplicates} duplicates, "
            f"in {elapsed:.1f}s ({len(events) / max(elapsed, 1e-9):.0f} events/s)"
        )

    def live(self, workspace: Workspace, *, rate: float, seed: int, duration: float | None) -> None:
        self.stdout.write(f"sending ~{rate:g} events/s to {workspace.slug}; Ctrl-C stops")
        started, sent, pending = time.monotonic(), 0, []
        stream = simulation.live(rate=rate, seed=seed, tz=workspace.timezone)
        try:
            for offset, event in stream:
                if duration is not None and offset > duration:
                    break
                wait = started + offset - time.monotonic()
                if wait > 0.2 and pending:
                    sent += self.send(workspace, pending).accepted
                    pending = []
                if wait > 0:
                    time.sleep(wait)
                pending.append(event)
        except KeyboardInterrupt:
            pass
        if pending:
            sent += self.send(workspace, pending).accepted
        self.stdout.write(f"sent {sent} events in {time.monotonic() - started:.1f}s")

from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from analytics import importing
from core.models import Workspace
from core.progress import ProgressBar


def as_of_moment(text: str) -> datetime:
    parsed = parse_datetime(text) if "T" in text or " " in text else None
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError as error:
            raise CommandError(f"--as-of {text!r} is not an ISO date or datetime.") from error
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = (
        "Import a .csv or .xlsx file as events through the ingest path of the API (the same validation, statement "
        "and triggers). A mapping (a preset, or a TOML/JSON file) says which column is which event field. Event ids "
        "are derived from each row, so importing a file twice stores nothing twice. Prints a cleaning report and "
        "writes it next to the file (FILE.import-report.json, or --report PATH ending in .json or .csv)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, metavar="FILE")
        parser.add_argument("--workspace", required=True, metavar="SLUG", help="An existing workspace.")
        parser.add_argument("--preset", choices=sorted(importing.PRESETS), help="A built-in mapping.")
        parser.add_argument("--mapping", type=Path, metavar="FILE", help="A mapping file (.toml or .json).")
        parser.add_argument("--date-format", metavar="FORMAT", help='strptime codes, e.g. "%%d/%%m/%%Y %%H:%%M".')
        parser.add_argument("--timezone", metavar="TZ", help="The zone of dates without an offset (default UTC).")
        parser.add_argument("--as-of", metavar="DATETIME", help="customers: when the attributes were true.")
        parser.add_argument("--dry-run", action="store_true", help="Validate and report; write nothing.")
        parser.add_argument("--batch", type=int, default=1000, help="Events per ingest statement (at most 1000).")
        parser.add_argument("--report", type=Path, metavar="PATH", help="Where to write the report.")

    def handle(
        self, *args, file, workspace, preset, mapping, date_format, timezone, as_of, dry_run, batch, report, **options
    ):
        if preset is None and mapping is None:
            raise CommandError("Give --preset or --mapping.")
        if not file.is_file():
            raise CommandError(f"{file}: no such file.")
        target = Workspace.objects.filter(slug=workspace).first()
        if target is None:
            raise CommandError(f"No workspace {workspace!r} (create_token --workspace {workspace} creates one).")
        try:
            chosen = importing.Mapping.load(
                preset=preset,
                path=mapping,
                as_of=as_of_moment(as_of) if as_of else None,
                date_format=date_format,
                timezone=timezone,
            )
            bar = ProgressBar(self.stdout, importing.count_rows(file, chosen))
            result = importing.import_file(
                file, workspace=target, mapping=chosen, dry_run=dry_run, batch=batch, progress=bar.advance
            )
        except (importing.MappingError, importing.UnreadableFile) as error:
            raise CommandError(str(error)) from error
        destination = report or file.with_name(file.name + ".import-report.json")
        importing.write_report(result, destination)
        self.stdout.write(("dry run: " if dry_run else "") + result.summary())
        for refusal in result.refused[:20]:
            column = f" column {refusal['column']!r}" if refusal["column"] else ""
            self.stdout.write(f"  row {refusal['row']}{column}: {refusal['reason']}")
        if len(result.refused) > 20:
            self.stdout.write(f"  ... and {importing.counted(len(result.refused) - 20, 'more refusal')}")
        for detail, count in sorted(result.normalizations.items()):
            self.stdout.write(f"  normalized: {detail} ({importing.counted(count, 'row')})")
        for warning in result.warnings:
            self.stdout.write(f"  warning: {warning}")
        self.stdout.write(f"report: {destination}")

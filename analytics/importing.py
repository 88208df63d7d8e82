"""Import of history from CSV and Excel files through the ingest path of the API.

A mapping says how a row becomes an event: which column is which event field, the event name,
constants, and how dates are written. Each row is cleaned (text trimmed, channel ids case-folded
to one spelling), turned into an event in the API's JSON shape, validated by EventSerializer and
written in batches by services.events_ingest, so the same INSERT statement and triggers keep the
summaries exact. The event id is a hash of the mapping's name and the row's mapped values:
importing the same file twice stores nothing twice, and a duplicated row is a duplicate.

Dates are never guessed: a mapping with `date_format` (strptime codes, e.g. "%d/%m/%Y %H:%M")
reads every row that way. Without it, "04/10/2019 09:00" is accepted only where it can be read
one way: a day above 12 fixes the order ("13/10/2019"), and a date like "04/10/2019" is refused
with that reason. "01-2019" (month and year) is the first day of that month.

Files are read as streams (csv module; openpyxl in read-only mode), a batch at a time, so memory
stays bounded by the batch whatever the file size.
"""

import csv
import hashlib
import io
import json
import re
import tomllib
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import connection

from analytics import retention, services
from analytics.serializers import EventSerializer
from core.exceptions import flatten_errors
from core.models import Workspace

EVENT_FIELDS = ("conversation_id", "channel", "agent", "customer", "value", "session_id", "user_id")
"""Event fields a column can fill (besides occurred_at, name and properties)."""
CUSTOMER_ATTRIBUTES = ("name", "type", "occupation")

PRESETS: dict[str, dict] = {
    # Customers: Customer_Id, Occupation, Type. Each row is a customer.profile event that sets
    # the customer's type and occupation (merged like attributes from events: the latest as-of wins).
    "customers": {
        "name": "customer.profile",
        "columns": {"customer": "Customer_Id"},
        "customer_attributes": {"type": "Type", "occupation": "Occupation"},
        "occurred_at": {"constant": "as_of"},
    },
    # External interactions: Date Start (04/10/2019 09:00), Interaction (the channel), Customers.
    "interactions": {
        "name": "interaction",
        "columns": {"channel": "Interaction", "customer": "Customers"},
        "occurred_at": {"column": "Date Start"},
    },
    # Products of discussion: Date (01-2019, a month), Product.
    "products": {
        "name": "product.discussed",
        "properties": {"product": "Product"},
        "occurred_at": {"column": "Date"},
    },
}

DAY_MONTH = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
MONTH_YEAR = re.compile(r"^(\d{1,2})[/.-](\d{4})$")
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}")


def counted(number: int, noun: str) -> str:
    """`1 row`, `2 rows`: the counts of the report, in the singular where there is one."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


class MappingError(ValueError):
    """The mapping itself is wrong: nothing is imported."""


def table(data: dict, key: str) -> dict:
    """The mapping's table `key` (a TOML table, a JSON object); empty when absent."""
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise MappingError(f"{key} must be a table of names and values.")
    return dict(value)


def text_table(data: dict, key: str) -> dict[str, str]:
    """A table whose values name columns of the file."""
    value = table(data, key)
    for name, column in value.items():
        if not isinstance(column, str) or not column:
            raise MappingError(f"{key}: {name} must name a column.")
    return value


@dataclass(frozen=True)
class Mapping:
    name: str
    columns: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    customer_attributes: dict[str, str] = field(default_factory=dict)
    constants: dict[str, object] = field(default_factory=dict)
    occurred_at_column: str | None = None
    date_format: str | None = None
    timezone: str = "UTC"
    sheet: str | None = None

    @classmethod
    def from_dict(cls, data: dict, *, as_of: datetime | None = None) -> "Mapping":
        known = {"name", "columns", "properties", "customer_attributes", "constants", "occurred_at"}
        known |= {"date_format", "timezone", "sheet", "preset"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise MappingError(f"Unknown mapping keys: {', '.join(unknown)}.")
        name = data.get("name")
        if not isinstance(name, str) or not name:
            raise MappingError("The mapping needs `name`, the event name of every row.")
        columns = text_table(data, "columns")
        wrong = sorted(set(columns) - set(EVENT_FIELDS))
        if wrong:
            raise MappingError(f"columns: {', '.join(wrong)} is not an event field ({', '.join(EVENT_FIELDS)}).")
        attributes = text_table(data, "customer_attributes")
        if set(attributes) - set(CUSTOMER_ATTRIBUTES):
            raise MappingError(f"customer_attributes: the customer attributes are {', '.join(CUSTOMER_ATTRIBUTES)}.")
        if attributes and "customer" not in columns:
            raise MappingError("customer_attributes need a `customer` column.")
        constants = table(data, "constants")
        wrong = sorted(set(constants) - set(EVENT_FIELDS))
        if wrong:
            raise MappingError(f"constants: {', '.join(wrong)} is not an event field ({', '.join(EVENT_FIELDS)}).")
        for key, constant in constants.items():
            if isinstance(constant, bool) or not isinstance(constant, str | int | float):
                raise MappingError(f"constants: {key} must be a string or a number.")
        occurred = table(data, "occurred_at")
        if occurred.get("constant") == "as_of":
            if as_of is None:
                raise MappingError("This mapping dates every row at the import's --as-of time; give --as-of.")
            constants["occurred_at"] = as_of
        elif not isinstance(occurred.get("column"), str) or not occurred["column"]:
            raise MappingError('occurred_at needs a `column` (or `constant = "as_of"`).')
        for key in ("date_format", "timezone", "sheet"):
            if not isinstance(data.get(key, ""), str):
                raise MappingError(f"{key} must be a string.")
        tz = data.get("timezone", "UTC")
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise MappingError(f"timezone: unknown time zone {tz!r}.") from error
        return cls(
            name=name,
            columns=columns,
            properties=text_table(data, "properties"),
            customer_attributes=attributes,
            constants=constants,
            occurred_at_column=occurred.get("column"),
            date_format=data.get("date_format"),
            timezone=tz,
            sheet=data.get("sheet"),
        )

    @classmethod
    def load(cls, *, preset: str | None, path: Path | None, as_of: datetime | None = None, **overrides) -> "Mapping":
        """A preset, a TOML or JSON mapping file (which may name a preset to start from), plus
        overrides from the command line (date_format, timezone)."""
        data = None
        if path is not None:
            text = path.read_text()
            try:
                data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
            except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
                raise MappingError(f"{path}: {error}") from error
        return cls.load_dict(preset=preset, data=data, as_of=as_of, **overrides)

    @classmethod
    def load_dict(cls, *, preset: str | None, data: dict | None, as_of: datetime | None = None, **overrides):
        data = dict(data or {})
        preset = data.pop("preset", preset)
        if preset is not None:
            if preset not in PRESETS:
                raise MappingError(f"Unknown preset {preset!r}: {', '.join(PRESETS)}.")
            data = {**PRESETS[preset], **data}
        data.update({key: value for key, value in overrides.items() if value is not None})
        return cls.from_dict(data, as_of=as_of)

    def needed_columns(self) -> set[str]:
        needed = {*self.columns.values(), *self.properties.values(), *self.customer_attributes.values()}
        if self.occurred_at_column:
            needed.add(self.occurred_at_column)
        return needed


class UnreadableFile(ValueError):
    """The file is not what its name says (not UTF-8 text, not an xlsx workbook)."""


class Refused(Exception):
    def __init__(self, column: str | None, reason: str):
        super().__init__(reason)
        self.column, self.reason = column, reason


@dataclass
class Report:
    file: str
    read: int = 0
    blank: int = 0
    imported: int = 0
    duplicates: int = 0
    refused: list[dict] = field(default_factory=list)
    normalizations: Counter = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)

    def refuse(self, row: int, column: str | None, reason: str) -> None:
        self.refused.append({"row": row, "column": column, "reason": reason})

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "rows_read": self.read,
            "blank_rows_skipped": self.blank,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "refused": len(self.refused),
            "refusals": self.refused,
            "normalizations": dict(sorted(self.normalizations.items())),
            "warnings": self.warnings,
        }

    def summary(self) -> str:
        return (
            f"{self.file}: {counted(self.read, 'row')} read, {self.imported} imported, "
            f"{counted(self.duplicates, 'duplicate')}, {len(self.refused)} refused, "
            f"{counted(self.blank, 'blank row')} skipped"
        )


def parse_moment(text: str, mapping: Mapping) -> datetime:
    """A row's date in the mapping's zone, as UTC; Refused when it cannot be read one way only."""
    zone = ZoneInfo(mapping.timezone)
    if mapping.date_format:
        try:
            parsed = datetime.strptime(text, mapping.date_format)
        except ValueError as error:
            raise Refused(
                mapping.occurred_at_column, f"{text!r} does not match date_format {mapping.date_format!r}."
            ) from error
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)).astimezone(UTC)
    if ISO.match(text):
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError as error:
            raise Refused(mapping.occurred_at_column, f"{text!r} is not a date.") from error
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)).astimezone(UTC)
    month_year = MONTH_YEAR.match(text)
    if month_year:
        month, year = int(month_year[1]), int(month_year[2])
        if not 1 <= month <= 12:
            raise Refused(mapping.occurred_at_column, f"{text!r}: month {month} does not exist.")
        return datetime(year, month, 1, tzinfo=zone).astimezone(UTC)
    day_month = DAY_MONTH.match(text)
    if day_month:
        first, second, year = int(day_month[1]), int(day_month[2]), int(day_month[3])
        hour, minute, second_of_minute = (int(day_month[i] or 0) for i in (4, 5, 6))
        if first <= 12 and second <= 12 and first != second:
            raise Refused(
                mapping.occurred_at_column,
                f"{text!r} is ambiguous (day {first} of month {second}, or month {first} day {second}); "
                'set date_format in the mapping, e.g. "%d/%m/%Y %H:%M".',
            )
        day, month = (first, second) if first > 12 or first == second else (second, first)
        try:
            return datetime(year, month, day, hour, minute, second_of_minute, tzinfo=zone).astimezone(UTC)
        except ValueError as error:
            raise Refused(mapping.occurred_at_column, f"{text!r} is not a date: {error}.") from error
    raise Refused(mapping.occurred_at_column, f"{text!r} is not a date Tally can read; set date_format in the mapping.")


def clean(value, column: str, report: Report) -> str | None:
    if value is None:
        return None
    if isinstance(value, UncomputedFormula):
        raise Refused(
            column,
            f"Holds the formula {value.formula} without a computed value: save the file in a spreadsheet first.",
        )
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    stripped = text.strip()
    if stripped != text:
        report.normalizations[f"trimmed whitespace in {column}"] += 1
    return stripped or None


def row_event(row: dict[str, object], mapping: Mapping, report: Report, horizon: datetime | None = None) -> dict:
    """The API event of one row; Refused with the column and reason when it cannot be one, or
    when it is dated before the retention horizon."""
    values = {column: clean(row.get(column), column, report) for column in mapping.needed_columns()}
    event: dict = {"name": mapping.name}
    if mapping.occurred_at_column:
        raw = values.get(mapping.occurred_at_column)
        if raw is None:
            raise Refused(mapping.occurred_at_column, "Is empty: every row needs a date.")
        moment = parse_moment(raw, mapping)
    else:
        moment = mapping.constants["occurred_at"]
    if horizon is not None and moment < horizon:
        stamp = horizon.isoformat().replace("+00:00", "Z")
        raise Refused(mapping.occurred_at_column, f"Is before the retention horizon {stamp}.")
    event["occurred_at"] = moment.isoformat().replace("+00:00", "Z")
    for event_field, column in mapping.columns.items():
        value = values.get(column)
        if value is None:
            continue
        if event_field == "channel":
            folded = value.casefold()
            if folded != value:
                report.normalizations[f"channel {value!r} -> {folded!r}"] += 1
            # One spelling: the case-folded id, and no name (a name the channel has from the API's
            # events stays; an import never renames it).
            event["channel"] = folded
        elif event_field == "value":
            try:
                event["value"] = Decimal(value.replace(",", "")) if isinstance(value, str) else value
            except InvalidOperation as error:
                raise Refused(column, f"{value!r} is not a number.") from error
        else:
            event[event_field] = value
    for key, constant in mapping.constants.items():
        if key != "occurred_at":
            event.setdefault(key, constant)
    if mapping.customer_attributes:
        customer = event.get("customer")
        if customer is None:
            raise Refused(mapping.columns["customer"], "Is empty: a customer row needs the customer's id.")
        attributes = {key: values[column] for key, column in mapping.customer_attributes.items() if values[column]}
        event["customer"] = {"id": customer, **attributes}
    properties = {key: values[column] for key, column in mapping.properties.items() if values[column] is not None}
    if properties:
        event["properties"] = properties
    # The id: the mapping's event name and the row's mapped values, so a re-import or a
    # duplicated row is the same event.
    identity = json.dumps([mapping.name, sorted((k, v) for k, v in values.items())], ensure_ascii=False, default=str)
    event["id"] = "imp-" + hashlib.sha256(identity.encode()).hexdigest()[:40]
    return event


def require_columns(header: list[str], mapping: Mapping, name: str) -> None:
    """Every mapped column must be in the file's header: otherwise nothing is imported."""
    missing = sorted(mapping.needed_columns() - set(header))
    if missing:
        raise MappingError(f"{name} has no column {', '.join(repr(column) for column in missing)}.")


def csv_rows(stream: io.TextIOBase, mapping: Mapping, name: str) -> Iterator[tuple[int, dict | None]]:
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        return
    header = [column.strip() for column in header]
    require_columns(header, mapping, name)
    for cells in reader:
        number = reader.line_num
        if not any(cell.strip() for cell in cells):
            yield number, None
            continue
        yield number, dict(zip(header, cells, strict=False))


class UncomputedFormula:
    """A formula cell whose workbook holds no computed value (written by a program, never opened
    in a spreadsheet): there is nothing to import from it."""

    def __init__(self, formula: str):
        self.formula = formula


def xlsx_rows(path: Path, mapping: Mapping) -> Iterator[tuple[int, dict | None]]:
    from openpyxl import load_workbook

    # Two read-only streams of the same sheet in step: the formulas, and the values a spreadsheet
    # computed for them when it saved the file.
    formulas = load_workbook(path, read_only=True, data_only=False)
    values = load_workbook(path, read_only=True, data_only=True)
    try:
        name = mapping.sheet or formulas.sheetnames[0]
        if name not in formulas.sheetnames:
            raise MappingError(f"{path.name} has no sheet {name!r}.")
        formula_rows = formulas[name].iter_rows(values_only=True)
        value_rows = values[name].iter_rows(values_only=True)
        header = next(value_rows, None)
        next(formula_rows, None)
        if header is None:
            return
        header = [str(cell).strip() if cell is not None else "" for cell in header]
        require_columns(header, mapping, path.name)
        for number, (cells, written) in enumerate(zip(value_rows, formula_rows, strict=False), start=2):
            if all(cell is None or str(cell).strip() == "" for cell in cells) and not any(
                isinstance(cell, str) and cell.startswith("=") for cell in written
            ):
                yield number, None
                continue
            row = {}
            for column, value, source in zip(header, cells, written, strict=False):
                formula = isinstance(source, str) and source.startswith("=")
                row[column] = UncomputedFormula(source) if formula and value is None else value
            yield number, row
    finally:
        formulas.close()
        values.close()


def file_rows(path: Path, mapping: Mapping) -> Iterator[tuple[int, dict | None]]:
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            yield from xlsx_rows(path, mapping)
        elif suffix == ".csv":
            with path.open(newline="", encoding="utf-8-sig") as stream:
                yield from csv_rows(stream, mapping, path.name)
        else:
            raise UnreadableFile(f"{path.name}: only .csv and .xlsx files can be imported.")
    except UnicodeDecodeError as error:
        raise UnreadableFile(f"{path.name} is not UTF-8 text: save it as CSV UTF-8.") from error
    except (zipfile.BadZipFile, KeyError, OSError) as error:
        if suffix != ".xlsx":
            raise
        raise UnreadableFile(f"{path.name} is not an Excel workbook (.xlsx).") from error
    except csv.Error as error:
        raise UnreadableFile(f"{path.name}: {error}.") from error


def count_rows(path: Path, mapping: Mapping) -> int:
    """Data rows in the file (for the progress bar): lines after the header of a CSV, the sheet's
    recorded dimension of a workbook."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(path, read_only=True)
        except (zipfile.BadZipFile, KeyError, OSError) as error:
            raise UnreadableFile(f"{path.name} is not an Excel workbook (.xlsx).") from error
        try:
            worksheet = workbook[mapping.sheet] if mapping.sheet else workbook.worksheets[0]
            return max(0, (worksheet.max_row or 1) - 1)
        finally:
            workbook.close()
    with path.open("rb") as stream:
        return max(0, sum(1 for _ in stream) - 1)


UNDEFINED_SAMPLE = 10
"""How many undefined customers a warning names."""


def undefined_customers(*, workspace: Workspace, customers: set[str]) -> list[str]:
    """The customers of `customers` that have no name, type or occupation in the workspace: no
    customers import (nor any event) has defined them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT customer_id FROM customer WHERE workspace_id = %s AND customer_id = ANY(%s)"
            " AND (name IS NOT NULL OR type IS NOT NULL OR occupation IS NOT NULL)",
            [workspace.pk, sorted(customers)],
        )
        defined = {customer for (customer,) in cursor.fetchall()}
    return sorted(customers - defined)


def warn_undefined(report: Report, *, workspace: Workspace, mapping: Mapping, customers: set[str]) -> None:
    undefined = undefined_customers(workspace=workspace, customers=customers)
    if undefined:
        named = ", ".join(repr(customer) for customer in undefined[:UNDEFINED_SAMPLE])
        more = f" and {len(undefined) - UNDEFINED_SAMPLE} more" if len(undefined) > UNDEFINED_SAMPLE else ""
        report.warnings.append(
            f"{counted(len(undefined), 'customer')} in column {mapping.columns['customer']!r} "
            f"{'has' if len(undefined) == 1 else 'have'} no name, type or occupation in the workspace "
            f"(import them with the customers preset): {named}{more}."
        )


def import_file(
    path: Path, *, workspace: Workspace, mapping: Mapping, dry_run: bool = False, batch: int = 1000, progress=None
) -> Report:
    """Imports `path` into `workspace`; returns the cleaning report. With dry_run, validates only."""
    batch = max(1, min(batch, settings.TALLY_MAX_BATCH))
    report = Report(file=path.name)
    horizon = retention.horizon()
    pending: list[tuple[int, dict]] = []
    reported = 0
    # Rows that name a customer without defining it (an interactions file): which of those
    # customers nothing has defined is reported once the file is read.
    referenced: set[str] | None = set() if "customer" in mapping.columns and not mapping.customer_attributes else None

    def flush() -> None:
        if not pending:
            return
        serializer = EventSerializer(data=[event for _, event in pending], many=True)
        if not serializer.is_valid():
            # The errors are keyed by position in the batch (LIST_SERIALIZER_ERRORS_AS_DICT): each
            # such row is refused once, for its first error, naming the file's column where the
            # event field came from one.
            wrong = set()
            for error in flatten_errors(serializer.errors):
                if error["index"] is None:
                    raise MappingError(error["message"])
                if error["index"] in wrong:
                    continue
                field_name = error["field"] or ""
                column = mapping.columns.get(field_name.split(".")[0], field_name or None)
                report.refuse(pending[error["index"]][0], column, error["message"])
                wrong.add(error["index"])
            valid = [event for index, (_, event) in enumerate(pending) if index not in wrong]
            pending.clear()
            if not valid:
                return
            serializer = EventSerializer(data=valid, many=True)
            serializer.is_valid(raise_exception=True)
        events = serializer.validated_data
        if events and not dry_run:
            # Summaries written in the import's own statements, also with deferred summaries: a batch
            # pays the trigger's fixed cost once already, and settling it later would write every
            # event twice (docs/performance.md, "Deferred summaries on ingest").
            result = services.events_ingest(workspace=workspace, events=events, deferred=False)
            report.imported += result.accepted
            report.duplicates += result.duplicates
        elif events:
            report.imported += len(events)
        pending.clear()

    for number, row in file_rows(path, mapping):
        if row is None:
            report.blank += 1
            continue
        report.read += 1
        try:
            event = row_event(row, mapping, report, horizon)
        except Refused as refused:
            report.refuse(number, refused.column, refused.reason)
            continue
        pending.append((number, event))
        if referenced is not None and isinstance(event.get("customer"), str):
            referenced.add(event["customer"])
        if len(pending) >= batch:
            flush()
            if progress is not None:
                progress(report.read + report.blank - reported)
                reported = report.read + report.blank
    flush()
    if progress is not None:
        progress(report.read + report.blank - reported)
    if referenced:
        warn_undefined(report, workspace=workspace, mapping=mapping, customers=referenced)
    return report


def write_report(report: Report, destination: Path) -> None:
    if destination.suffix == ".csv":
        with destination.open("w", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(["kind", "row", "column", "detail", "count"])
            for name in ("rows_read", "blank_rows_skipped", "imported", "duplicates", "refused"):
                writer.writerow(["total", "", "", name, report.as_dict()[name]])
            for refusal in report.refused:
                writer.writerow(["refused", refusal["row"], refusal["column"] or "", refusal["reason"], 1])
            for detail, count in sorted(report.normalizations.items()):
                writer.writerow(["normalized", "", "", detail, count])
            for warning in report.warnings:
                writer.writerow(["warning", "", "", warning, ""])
    else:
        destination.write_text(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n")

"""manage.py import_events: CSV and Excel files through the ingest path, idempotent, with a
cleaning report; the fixtures in tests/fixtures/import hold the messy cases."""

import importlib
import io
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from openpyxl import Workbook

from analytics import importing, rollups, services
from analytics.models import Event, PendingEvent
from core.models import Workspace
from tests.factories import validated

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
DAY_FIRST = "%d/%m/%Y %H:%M"


@pytest.fixture
def files(tmp_path) -> Path:
    """A copy of the fixtures, so reports are written next to them in a temporary directory."""
    for fixture in FIXTURES.iterdir():
        shutil.copy(fixture, tmp_path / fixture.name)
    return tmp_path


@pytest.fixture
def acme(db) -> Workspace:
    return Workspace.objects.create(slug="acme", name="Acme")


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("import_events", *args, "--workspace", "acme", stdout=out)
    return out.getvalue()


def interactions_per_channel(workspace) -> dict[tuple[str, str], int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT customer_id, channel_id, sum(interactions) FROM customer_interaction_hourly "
            "WHERE workspace_id = %s GROUP BY 1, 2",
            [workspace.pk],
        )
        return {(customer, channel): count for customer, channel, count in cursor.fetchall()}


def test_interactions_with_a_declared_date_order_import_clean_and_exact(files, acme):
    """Verifies the interactions layout with --date-format: every readable row stored once (the
    duplicated row is a duplicate), the unreadable date refused with its row and column, the
    blank line skipped, channels case-folded to one spelling and trimmed, the summaries equal to
    their recomputation, and the report written next to the file."""
    output = run(str(files / "interactions.csv"), "--preset", "interactions", "--date-format", DAY_FIRST)
    assert "interactions.csv: 7 rows read, 5 imported, 1 duplicate, 1 refused, 1 blank row skipped" in output
    assert "  normalized: channel 'Bird' -> 'bird' (1 row)\n" in output
    assert "  normalized: channel 'Email' -> 'email' (2 rows)\n" in output
    report = json.loads((files / "interactions.csv.import-report.json").read_text())
    assert report["refusals"] == [
        {"row": 8, "column": "Date Start", "reason": "'soon' does not match date_format '%d/%m/%Y %H:%M'."}
    ]
    assert report["normalizations"] == {
        "channel 'Bird' -> 'bird'": 1,
        "channel 'Call' -> 'call'": 1,
        "channel 'EMAIL' -> 'email'": 1,
        "channel 'Email' -> 'email'": 2,
        "trimmed whitespace in Interaction": 1,
    }
    assert interactions_per_channel(acme) == {("1", "email"): 1, ("2", "call"): 1, ("7", "email"): 1, ("1", "bird"): 1}
    first = Event.objects.get(workspace=acme, customer_id="1", channel_id="email")
    assert first.occurred_at == datetime(2019, 10, 4, 9, 0, tzinfo=UTC)
    assert first.name == "interaction"
    assert Event.objects.filter(workspace=acme, channel_id__isnull=True).count() == 1
    assert rollups.differences() == []


def test_customers_referenced_but_never_defined_are_a_warning(files, acme):
    """Verifies an interactions import warns about the customers it names that no customers import
    defined (customer 7 of the fixtures), in the printed and the written report, and that a
    customers import or a dry run of a file against the workspace as it is says the same."""
    before = run(str(files / "interactions.csv"), "--preset", "interactions", "--date-format", DAY_FIRST, "--dry-run")
    assert "3 customers in column 'Customers' have no name, type or occupation in the workspace" in before
    run(str(files / "customers.csv"), "--preset", "customers", "--as-of", "2026-06-01T00:00:00Z")
    output = run(str(files / "interactions.csv"), "--preset", "interactions", "--date-format", DAY_FIRST)
    warning = (
        "1 customer in column 'Customers' has no name, type or occupation in the workspace "
        "(import them with the customers preset): '7'."
    )
    assert f"  warning: {warning}" in output
    assert json.loads((files / "interactions.csv.import-report.json").read_text())["warnings"] == [warning]
    assert "warning" not in run(
        str(files / "customers.csv"), "--preset", "customers", "--as-of", "2026-06-02T00:00:00Z"
    )


def test_importing_the_same_file_twice_stores_nothing_twice(files, acme):
    args = (str(files / "interactions.csv"), "--preset", "interactions", "--date-format", DAY_FIRST)
    run(*args)
    stored = Event.objects.count()
    output = run(*args)
    assert "0 imported, 6 duplicates, 1 refused" in output
    assert Event.objects.count() == stored
    assert rollups.differences() == []


def test_an_ambiguous_date_is_never_guessed(files, acme):
    """Verifies that without a date order only dates that read one way are imported (13/10/2019:
    the 13th), and 04/10/2019 is refused with the reason and the way out."""
    run(str(files / "interactions.csv"), "--preset", "interactions")
    report = json.loads((files / "interactions.csv.import-report.json").read_text())
    assert report["imported"] == 1
    assert Event.objects.get(workspace=acme).occurred_at == datetime(2019, 10, 13, 10, 30, tzinfo=UTC)
    ambiguous = [refusal for refusal in report["refusals"] if "ambiguous" in refusal["reason"]]
    assert [refusal["row"] for refusal in ambiguous] == [2, 4, 6, 7, 9]
    assert ambiguous[0] == {
        "row": 2,
        "column": "Date Start",
        "reason": "'04/10/2019 09:00' is ambiguous (day 4 of month 10, or month 4 day 10); "
        'set date_format in the mapping, e.g. "%d/%m/%Y %H:%M".',
    }


def test_products_dated_by_month_and_a_month_that_does_not_exist(files, acme):
    report_path = files / "products.csv.report.csv"
    output = run(str(files / "products.csv"), "--preset", "products", "--report", str(report_path))
    assert "4 rows read, 2 imported, 1 duplicate, 1 refused" in output
    products = dict(Event.objects.filter(workspace=acme).values_list("properties__product", "occurred_at"))
    assert products == {
        "Lightsaber": datetime(2019, 1, 1, tzinfo=UTC),
        "Batmobile": datetime(2019, 2, 1, tzinfo=UTC),
    }
    report = report_path.read_text().splitlines()
    assert report[0] == "kind,row,column,detail,count"
    assert "refused,4,Date,'13-2019': month 13 does not exist.,1" in report
    assert "normalized,,,trimmed whitespace in Product,1" in report


def test_customers_set_attributes_as_of_a_time_merged_like_events(files, acme):
    """Verifies the customers layout sets each customer's type and occupation as of --as-of, and
    that an older file imported later does not override a newer one while a newer one does (the
    latest as-of wins, as for events)."""
    run(str(files / "customers.csv"), "--preset", "customers", "--as-of", "2026-06-01")
    older = files / "older.csv"
    older.write_text("Customer_Id,Occupation,Type\n1,Padawan,Green\n2,Pilot,\n")
    run(str(older), "--preset", "customers", "--as-of", "2025-01-01")
    newer = files / "newer.csv"
    newer.write_text("Customer_Id,Occupation,Type\n3,General,\n")
    run(str(newer), "--preset", "customers", "--as-of", "2026-07-01")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT customer_id, type, occupation FROM customer WHERE workspace_id = %s ORDER BY 1", [acme.pk]
        )
        assert cursor.fetchall() == [
            ("1", "Red", "Jedi"),
            ("2", "Orange", "Batman"),
            ("3", "Red", "General"),
        ]
    assert not Event.objects.filter(workspace=acme, properties__has_key="occupation").exists()
    assert rollups.differences() == []


def test_customers_without_as_of_and_a_mapping_naming_a_missing_column_import_nothing(files, acme):
    with pytest.raises(CommandError, match="give --as-of"):
        run(str(files / "customers.csv"), "--preset", "customers")
    mapping = files / "mapping.toml"
    mapping.write_text('preset = "interactions"\ndate_format = "%d/%m/%Y %H:%M"\n[columns]\ncustomer = "Client"\n')
    with pytest.raises(CommandError, match="has no column 'Client'"):
        run(str(files / "interactions.csv"), "--mapping", str(mapping))
    assert not Event.objects.exists()


def test_a_mapping_file_with_constants_properties_and_a_time_zone(files, acme):
    mapping = files / "calls.json"
    mapping.write_text(
        json.dumps(
            {
                "name": "call.logged",
                "columns": {"customer": "Customers", "value": "Minutes"},
                "constants": {"channel": "phone"},
                "properties": {"kind": "Interaction"},
                "occurred_at": {"column": "Date Start"},
                "date_format": DAY_FIRST,
                "timezone": "Europe/Berlin",
            }
        )
    )
    calls = files / "calls.csv"
    calls.write_text(
        "Date Start,Interaction,Customers,Minutes\n04/10/2019 09:00,Call,1,12.5\n05/10/2019 09:00,Call,2,x\n"
    )
    output = run(str(calls), "--mapping", str(mapping))
    assert "2 rows read, 1 imported, 0 duplicates, 1 refused" in output
    assert "row 3 column 'Minutes': 'x' is not a number." in output
    event = Event.objects.get(workspace=acme)
    assert (event.name, event.channel_id, str(event.value), event.properties) == (
        "call.logged",
        "phone",
        "12.500000",
        {"kind": "Call"},
    )
    assert event.occurred_at == datetime(2019, 10, 4, 7, 0, tzinfo=UTC)  # 09:00 in Berlin (CEST)


def test_dry_run_validates_and_writes_nothing(files, acme):
    output = run(str(files / "interactions.csv"), "--preset", "interactions", "--date-format", DAY_FIRST, "--dry-run")
    assert "dry run: interactions.csv: 7 rows read, 6 imported" in output
    assert not Event.objects.exists()


def test_excel_rows_with_a_formula_blank_rows_and_dates_as_cells(files, acme):
    """Verifies an .xlsx file: date cells are read as dates, a blank row is skipped, and a formula
    cell the file holds no computed value for is refused with its row and column."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Date Start", "Interaction", "Customers"])
    sheet.append([datetime(2019, 10, 4, 9, 0), "Email", 1])
    sheet.append([None, None, None])
    sheet.append([datetime(2019, 10, 5, 9, 0), "Chat", "=A1+1"])
    sheet.append([datetime(2019, 10, 6, 9, 0), " chat", 2])
    path = files / "interactions.xlsx"
    workbook.save(path)
    output = run(str(path), "--preset", "interactions")
    assert "3 rows read, 2 imported, 0 duplicates, 1 refused, 1 blank row skipped" in output
    assert "row 4 column 'Customers': Holds the formula =A1+1 without a computed value" in output
    assert interactions_per_channel(acme) == {("1", "email"): 1, ("2", "chat"): 1}
    assert rollups.differences() == []


def test_mapping_errors_are_refused_before_anything_is_read(tmp_path):
    with pytest.raises(importing.MappingError, match="not an event field"):
        importing.Mapping.from_dict({"name": "x", "columns": {"colour": "C"}, "occurred_at": {"column": "D"}})
    with pytest.raises(importing.MappingError, match="unknown time zone"):
        importing.Mapping.from_dict({"name": "x", "occurred_at": {"column": "D"}, "timezone": "Mars/Olympus"})
    with pytest.raises(importing.MappingError, match="Unknown preset"):
        importing.Mapping.load(preset="crm", path=None)


def test_the_upgrade_gives_customers_imported_before_it_their_occupation(acme):
    """Verifies migration 0029: customer.profile events the customers preset imported with the
    occupation as a property get it as the customer's attribute (the latest as-of wins), other
    events keep theirs as they are, and verify is clean afterwards."""
    backfill = importlib.import_module("analytics.migrations.0029_backfill_customer_occupation")

    def profile(event_id: str, customer: str, occupation: str, day: int) -> dict:
        return {
            "id": event_id,
            "name": "customer.profile",
            "occurred_at": f"2026-06-0{day}T00:00:00Z",
            "customer": {"id": customer, "type": "Red"},
            "properties": {"occupation": occupation},
        }

    services.events_ingest(
        workspace=acme,
        events=validated(
            [
                profile("imp-old", "1", "Padawan", 1),
                profile("imp-new", "1", "Jedi", 2),
                profile("imp-other", "2", "Smuggler", 1),
                {**profile("api-1", "3", "Pilot", 1), "name": "signup"},
            ]
        ),
    )
    backfill.fill(connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT customer_id, occupation, occupation_event_id FROM customer ORDER BY 1")
        assert cursor.fetchall() == [("1", "Jedi", "imp-new"), ("2", "Smuggler", "imp-other"), ("3", None, None)]
    assert rollups.differences() == []


def test_an_import_is_summarized_in_its_own_statements_also_with_deferred_summaries(files, acme):
    """Verifies that with TALLY_SUMMARIES=deferred an import writes its events and their summaries
    at once (nothing pending): batches gain nothing from being settled later."""
    with override_settings(TALLY_SUMMARIES="deferred"):
        run(str(files / "interactions.csv"), "--preset", "interactions", "--date-format", DAY_FIRST)
    assert not PendingEvent.objects.exists()
    assert Event.objects.filter(workspace=acme).count() == 5
    assert interactions_per_channel(acme) == {("1", "email"): 1, ("2", "call"): 1, ("7", "email"): 1, ("1", "bird"): 1}

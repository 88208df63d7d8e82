"""The raw event table is partitioned by range of occurred_at: partitions exist ahead of time,
missing ones are created on demand, and an event id stays unique across partitions."""

import io
import random
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from analytics import partitions, rollups, services
from analytics.models import Event, EventKey
from core.models import Workspace
from tests.analytics.test_write_slots import run_writers
from tests.factories import validated


def product(event_id: str, occurred_at: str, value: int = 1) -> dict:
    return {"id": event_id, "name": "purchase", "occurred_at": occurred_at, "value": value}


def partition_of(event_id: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM event WHERE event_id = %s", [event_id])
        return cursor.fetchone()[0]


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("unit", "moment", "start", "end"),
    [
        ("month", utc(2026, 12, 31, 23, 59), utc(2026, 12, 1), utc(2027, 1, 1)),
        ("month", utc(2024, 2, 29, 12), utc(2024, 2, 1), utc(2024, 3, 1)),
        ("week", utc(2026, 12, 2, 8), utc(2026, 11, 30), utc(2026, 12, 7)),
        ("week", utc(2026, 11, 30), utc(2026, 11, 30), utc(2026, 12, 7)),
        ("day", utc(2026, 12, 2, 23, 59, 59), utc(2026, 12, 2), utc(2026, 12, 3)),
    ],
)
def test_intervals_are_utc_days_iso_weeks_and_months(unit, moment, start, end):
    """Verifies interval_start/interval_end for each TALLY_PARTITION_INTERVAL, on edges and leap days."""
    assert partitions.interval_start(moment, unit) == start
    assert partitions.interval_end(start, unit) == end


def test_a_new_interval_never_overlaps_partitions_of_an_earlier_setting():
    """Verifies gap_around narrows a month to the gap left between existing day partitions."""
    existing = [
        partitions.Partition("event_p20261201", utc(2026, 12, 1), utc(2026, 12, 2)),
        partitions.Partition("event_p20261215", utc(2026, 12, 15), utc(2026, 12, 16)),
    ]
    assert partitions.gap_around(existing, utc(2026, 12, 9), "month") == (utc(2026, 12, 2), utc(2026, 12, 15))
    assert partitions.gap_around(existing, utc(2026, 12, 20), "month") == (utc(2026, 12, 16), utc(2027, 1, 1))
    assert partitions.gap_around(existing, utc(2026, 11, 20), "month") == (utc(2026, 11, 1), utc(2026, 12, 1))


@pytest.mark.django_db
def test_event_is_partitioned_without_a_default_partition_and_has_the_months_ahead():
    """Verifies migrate leaves event partitioned by occurred_at with no default partition, and a
    partition for now and for the next interval."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT partstrat, partdefid FROM pg_partitioned_table WHERE partrelid = 'event'::regclass")
        assert cursor.fetchone() == ("r", 0)
        existing = partitions.existing(cursor)
    now = datetime.now(UTC)
    for moment in partitions.ahead_moments(now, partitions.interval()):
        assert partitions.covering(existing, moment) is not None, moment


@pytest.mark.django_db
def test_history_older_than_every_partition_gets_its_partition_on_demand(workspace, client_for):
    """Verifies an API batch from 2019 and 2021 creates both months' partitions, is stored in them,
    and leaves the summaries exact."""
    batch = [product("old-1", "2019-04-10T09:00:00Z", 5), product("old-2", "2021-07-31T23:59:59Z", 7)]
    response = client_for.post("/api/v1/events/", batch, format="json")
    assert response.status_code == 201, response.json()
    assert (partition_of("old-1"), partition_of("old-2")) == ("event_p20190401", "event_p20210701")
    assert list(rollups.differences()) == []


@pytest.mark.django_db
def test_the_statement_refused_for_lack_of_a_partition_claims_its_keys_only_on_the_retry(workspace):
    """Verifies the first statement, refused for lack of a partition, leaves no key behind: the
    retry stores the event and claims its key once, and the same event again is a duplicate."""
    events = validated([product("p-1", "2018-01-05T00:00:00Z")])
    stored = services.events_ingest(workspace=workspace, events=events)
    assert stored.accepted == 1
    assert EventKey.objects.filter(workspace=workspace).count() == 1
    again = services.events_ingest(workspace=workspace, events=events)
    assert (again.accepted, again.duplicates) == (0, 1)
    assert Event.objects.filter(workspace=workspace).count() == 1


@pytest.mark.django_db
@override_settings(TALLY_PARTITION_INTERVAL="day")
def test_a_day_partition_setting_creates_day_partitions_on_demand(workspace):
    """Verifies TALLY_PARTITION_INTERVAL=day gives an old event a one-day partition."""
    services.events_ingest(workspace=workspace, events=validated([product("d-1", "2017-03-04T05:06:07Z")]))
    assert partition_of("d-1") == "event_p20170304"
    with connection.cursor() as cursor:
        found = partitions.covering(partitions.existing(cursor), utc(2017, 3, 4, 5))
    assert (found.start, found.end) == (utc(2017, 3, 4), utc(2017, 3, 5))


@pytest.mark.django_db
def test_the_same_id_in_another_partition_is_a_duplicate_and_the_first_event_stays(workspace):
    """Verifies an id stored in 2020 and sent again dated 2026 is not stored twice: the first
    stored event stays, the second counts as a duplicate, the summaries count one purchase."""
    first = services.events_ingest(workspace=workspace, events=validated([product("same", "2020-05-05T10:00:00Z", 3)]))
    second = services.events_ingest(workspace=workspace, events=validated([product("same", "2026-11-05T10:00:00Z", 9)]))
    assert (first.accepted, second.accepted, second.duplicates) == (1, 0, 1)
    assert list(Event.objects.filter(workspace=workspace).values_list("occurred_at", "value")) == [
        (utc(2020, 5, 5, 10), 3)
    ]
    assert list(rollups.differences()) == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT sum(events), sum(value_sum) FROM event_hourly WHERE workspace_id = %s", [workspace.pk])
        assert cursor.fetchone() == (1, 3)


@pytest.mark.django_db(transaction=True)
def test_eight_connections_retrying_overlapping_ids_across_partitions_store_each_once():
    """Verifies 8 connections sending overlapping retries of 60 ids whose copies carry dates in three
    different years (so each id's copies fall into different partitions) store exactly one event
    per id, in the partitions of exactly one of its dates, and keep the summaries exact."""
    workspace = Workspace.objects.create(slug="retries", name="Retries")
    years = ("2022-02-02T02:00:00Z", "2024-06-06T06:00:00Z", "2026-11-30T23:00:00Z")
    copies = {f"r{n}": [product(f"r{n}", year, n) for year in years] for n in range(60)}

    def writer(index: int) -> None:
        rng = random.Random(index)
        ids = rng.sample(sorted(copies), 40)
        for start in range(0, len(ids), 4):
            batch = [rng.choice(copies[event_id]) for event_id in ids[start : start + 4]]
            services.events_ingest(workspace=workspace, events=validated(batch))

    assert run_writers(8, writer) == []
    stored = list(Event.objects.filter(workspace=workspace).values_list("event_id", flat=True))
    assert len(stored) == len(set(stored))
    assert set(stored) == set(EventKey.objects.filter(workspace=workspace).values_list("event_id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM event AS e JOIN event_key AS k USING (workspace_id, event_id) "
            "WHERE e.occurred_at <> k.occurred_at"
        )
        assert cursor.fetchone() == (0,)
    assert list(rollups.differences()) == []


@pytest.mark.django_db
def test_the_partitions_command_creates_what_is_missing_ahead_and_lists_every_partition():
    """Verifies `manage.py partitions` re-creates a dropped next-interval partition and lists it."""
    unit = partitions.interval()
    upcoming = partitions.interval_end(partitions.interval_start(datetime.now(UTC), unit), unit)
    name = f"event_p{upcoming:%Y%m%d}"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {name}")
    output = io.StringIO()
    call_command("partitions", stdout=output)
    lines = output.getvalue().splitlines()
    assert lines[0] == f"created {name}"
    assert any(line.startswith(f"{name}  {upcoming.isoformat()}") for line in lines[1:]), lines
    assert lines[-1] == "retention horizon: none (no raw partition retired)"
    output = io.StringIO()
    call_command("partitions", stdout=output)
    assert "created" not in output.getvalue()

"""Declared properties: the hourly rows of event_property_hourly equal their recomputation and an
independent oracle in Python, whatever the order, batching, write path and write slot of the
events, with a small cap so that the overflow bucket and evictions happen; backfill on declaring,
removal, erasure. The folded days (event_property_daily): a breakdown that reads them equals the
sum of its hours whatever the compactions, late events, erasures, declarations and zone."""

from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import example, given, settings
from hypothesis import strategies as st

from analytics import erasure, rollups, services
from analytics.catalogue import services as catalogue
from analytics.catalogue.stats import property_stats
from analytics.params import Window
from core.models import Workspace
from tests.analytics.test_invariant import PROPERTY_SETTINGS, reset_tables, snapshot, split, write
from tests.factories import BASE, at, examples, validated

CAP = 2
DECLARED = {
    "browser": {"kind": "dimension", "cap": CAP},
    "page": {"kind": "dimension", "cap": 3},
    "price": {"kind": "measure", "cap": None},
    "qty": {"kind": "measure", "cap": None},
}


def merged_rows(workspace) -> dict[tuple, tuple]:
    """event_property_hourly of the workspace: {(name, dimension, hour, measure, kind, value): figures}."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, dimension, bucket, measure, kind, value, events, amount_count, amount_sum, amount_min, "
            "amount_max FROM event_property_hourly WHERE workspace_id = %s",
            [workspace.pk],
        )
        return {row[:6]: tuple(row[6:]) for row in cursor.fetchall()}


def number(value) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def oracle(events: list[dict], declared: dict[str, dict], names: set[str]) -> dict[tuple, tuple]:
    """The rows the rule of docs/catalogue.md gives, computed from the distinct events alone."""
    unique = {event["id"]: event for event in reversed(events)}
    dimensions = {key: spec["cap"] for key, spec in declared.items() if spec["kind"] == "dimension"}
    measures = [key for key, spec in declared.items() if spec["kind"] == "measure"]
    cells: dict[tuple, list] = defaultdict(list)
    for event in unique.values():
        if event["name"] not in names:
            continue
        hour = datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00")).replace(minute=0, second=0)
        properties = event.get("properties", {})
        breakdowns = []
        for dimension in dimensions:
            raw = properties.get(dimension)
            breakdowns.append((dimension, raw if isinstance(raw, str) or raw is None else str(raw)))
        if measures:
            breakdowns.append(("", ""))
        for dimension, value in breakdowns:
            kinds = [(measure, number(properties.get(measure))) for measure in measures] or [("", None)]
            for measure, amount in kinds:
                kind, shown = (1, "") if value is None else (0, value)
                cells[(event["name"], dimension, hour, measure, kind, shown)].append(amount)
    admitted = defaultdict(set)
    for name, dimension, hour, _, kind, value in cells:
        if dimension and kind == 0:
            admitted[(name, dimension, hour)].add(value)
    first = {key: set(sorted(values)[: dimensions[key[1]]]) for key, values in admitted.items()}
    rows: dict[tuple, list] = defaultdict(list)
    for (name, dimension, hour, measure, kind, value), amounts in cells.items():
        if dimension and kind == 0 and value not in first[(name, dimension, hour)]:
            kind, value = 2, ""
        rows[(name, dimension, hour, measure, kind, value)] += amounts
    result = {}
    for key, amounts in rows.items():
        present = [amount for amount in amounts if amount is not None]
        result[key] = (
            len(amounts),
            len(present),
            sum(present, Decimal(0)),
            min(present, default=None),
            max(present, default=None),
        )
    return result


values = st.sampled_from(["a", "b", "c", "d", "é", ""])


@st.composite
def property_events(draw) -> list[dict]:
    events = []
    for number_ in range(draw(st.integers(0, 14))):
        properties = {}
        if draw(st.booleans()):
            properties["browser"] = draw(st.one_of(values, st.none(), st.integers(0, 2)))
        if draw(st.booleans()):
            properties["page"] = draw(values)
        if draw(st.booleans()):
            properties["price"] = draw(st.one_of(st.integers(-5, 5), st.sampled_from([0.5, 2.25, "3"])))
        if draw(st.booleans()):
            properties["qty"] = draw(st.integers(0, 3))
        event = {
            "id": f"e{number_}",
            "name": draw(st.sampled_from(["cta click", "page.view", "other"])),
            "occurred_at": at(draw(st.sampled_from([0, 10, 59, 60, 61]))),
            "properties": properties,
        }
        if draw(st.booleans()):
            event["value"] = draw(st.integers(-3, 3))
        events.append(event)
    if events:
        events.extend(draw(st.lists(st.sampled_from(events), max_size=3)))
    return draw(st.permutations(events))


@pytest.fixture
def declared(workspaces):
    for workspace, _ in workspaces:
        for name in ("cta click", "page.view"):
            catalogue.definition_create(workspace=workspace, name=name, properties=DECLARED)
    return workspaces


@pytest.fixture
def workspaces(db, make_client):
    result = []
    for slug in ("w1", "w2"):
        workspace = Workspace.objects.create(slug=slug, name=slug)
        result.append((workspace, make_client(workspace, scopes=["ingest"])))
    return result


def write_in_slot(workspace, batch, path, client, slot: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET tally.write_slot = %s", [slot])
    try:
        write(workspace, batch, path, client)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET tally.write_slot")


EVICTION = [
    {"id": "1", "name": "cta click", "occurred_at": at(1), "properties": {"browser": "d", "price": 1}},
    {"id": "2", "name": "cta click", "occurred_at": at(2), "properties": {"browser": "c"}},
    {"id": "3", "name": "cta click", "occurred_at": at(3), "properties": {"browser": "b", "price": 2.25}},
    {"id": "4", "name": "cta click", "occurred_at": at(4), "properties": {"browser": "a"}},
    {"id": "5", "name": "cta click", "occurred_at": at(5), "properties": {"browser": "d", "price": -1}},
]


@pytest.mark.django_db
@settings(max_examples=examples(60), **PROPERTY_SETTINGS)
@given(
    events=property_events(),
    sizes=st.lists(st.integers(1, 5), max_size=8),
    paths=st.lists(st.sampled_from(["service", "orm", "http"]), min_size=1, max_size=4),
    slots=st.lists(st.integers(1, 3), min_size=1, max_size=6),
)
# Values arriving largest first, one statement each, in one slot: every new one evicts; then the
# same over two slots, so a value one slot evicted is another's admitted one.
@example(events=EVICTION, sizes=[1, 1, 1, 1, 1], paths=["service"], slots=[1])
@example(events=EVICTION, sizes=[1, 1, 1, 1, 1], paths=["service"], slots=[1, 2])
@example(events=EVICTION[::-1], sizes=[2, 3], paths=["orm"], slots=[2, 1])
def test_property_rows_equal_the_oracle_and_the_recomputation_whatever_the_order(declared, events, sizes, paths, slots):
    """Verifies event_property_hourly equals the oracle, and verify finds 0 differences, for shuffled, repeated,
    batched events in random slots; compaction changes nothing."""
    reset_tables()
    workspace, client = declared[0]
    for number_, batch in enumerate(split(events, sizes)):
        write_in_slot(workspace, batch, paths[number_ % len(paths)], client, slots[number_ % len(slots)])
    assert merged_rows(workspace) == oracle(events, DECLARED, {"cta click", "page.view"})
    assert list(rollups.differences()) == []
    before = snapshot()
    rollups.compact(before=datetime(2100, 1, 1).astimezone())
    assert snapshot() == before
    assert list(rollups.differences()) == []


@pytest.mark.django_db
def test_declaring_later_backfills_and_removing_forgets(declared):
    """Verifies properties declared after their events count them (one transaction), and removed ones leave no row."""
    workspace, _ = declared[0]
    services.events_ingest(workspace=workspace, events=validated(EVICTION))
    catalogue.definition_create(workspace=workspace, name="late", properties={})
    late = [{**event, "id": f"late-{event['id']}", "name": "late"} for event in EVICTION]
    services.events_ingest(workspace=workspace, events=validated(late))
    assert not [key for key in merged_rows(workspace) if key[0] == "late"]
    catalogue.properties_set(workspace=workspace, name="late", properties=DECLARED)
    expected = oracle(late, DECLARED, {"late"})
    assert {key: row for key, row in merged_rows(workspace).items() if key[0] == "late"} == expected
    assert expected[("late", "browser", datetime.fromisoformat(at(0).replace("Z", "+00:00")), "price", 2, "")][0] == 3
    assert list(rollups.differences()) == []
    catalogue.properties_set(workspace=workspace, name="late", properties={"page": {"kind": "dimension", "cap": 1}})
    assert {key[1] for key in merged_rows(workspace) if key[0] == "late"} == {"page"}
    assert list(rollups.differences()) == []
    assert catalogue.definition_delete(workspace=workspace, name="late")
    assert not [key for key in merged_rows(workspace) if key[0] == "late"]
    assert list(rollups.differences()) == []


@pytest.mark.django_db
def test_erasing_an_admitted_value_admits_the_next(declared):
    """Verifies the erase trigger recomputes a touched hour: with `a` erased, `c` gets its own row."""
    workspace, _ = declared[0]
    services.events_ingest(workspace=workspace, events=validated(EVICTION))
    erasure.erase_events(workspace=workspace, event_ids=["4"])
    rows = merged_rows(workspace)
    browsers = {key[5]: row[0] for key, row in rows.items() if key[1] == "browser" and key[4] == 0}
    assert browsers == {"b": 1, "c": 1}
    assert rows[("cta click", "browser", datetime.fromisoformat(at(0).replace("Z", "+00:00")), "price", 2, "")][0] == 2
    assert merged_rows(workspace) == oracle([e for e in EVICTION if e["id"] != "4"], DECLARED, {"cta click"})
    assert list(rollups.differences()) == []


@pytest.mark.django_db
def test_a_slot_stores_at_most_cap_values_per_hour_and_dimension(declared):
    """Verifies values arriving largest first are evicted from the slot, so it never holds more than the cap."""
    workspace, client = declared[0]
    many = [
        {"id": f"m{n}", "name": "cta click", "occurred_at": at(n % 50), "properties": {"browser": f"v{99 - n:02}"}}
        for n in range(40)
    ]
    for event in many:
        write_in_slot(workspace, [event], "service", client, 4)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT measure, count(*) FROM event_property_hourly_slot "
            "WHERE workspace_id = %s AND dimension = 'browser' AND kind = 0 GROUP BY measure",
            [workspace.pk],
        )
        assert dict(cursor.fetchall()) == {"price": CAP, "qty": CAP}
    assert merged_rows(workspace) == oracle(many, DECLARED, {"cta click"})


# event_property_daily: whole UTC days of a breakdown read from the folded days.

ZONES = [ZoneInfo("UTC"), ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")]
DAY_HOURS = [0, 1, 15, 16, 17, 39, 40, 41, 63, 64]
"""Hours after BASE (08:00 UTC): on both sides of three UTC midnights."""


def hour_click(event_id: str, hours: int, **properties) -> dict:
    return {
        "id": event_id,
        "name": "cta click",
        "occurred_at": (BASE + timedelta(hours=hours, minutes=7)).isoformat().replace("+00:00", "Z"),
        "properties": properties,
    }


def breakdown(workspace, start: datetime, end: datetime, tz: ZoneInfo, aggregate: str, dimension: str = "browser"):
    """{(key, other): value} of the stats read by `dimension` over [start, end)."""
    window = Window(start=start, end=end, tz=tz, granularity=None, channel=None, agent=None)
    rows = property_stats(
        workspace=workspace,
        window=window,
        name="cta click",
        dimension=dimension,
        measure="price",
        aggregate=aggregate,
        by_figure=False,
        descending=False,
    )
    return {(row["key"], row["other"]): row["value"] for row in rows}


def hourly_breakdown(workspace, start: datetime, end: datetime, aggregate: str, dimension: str = "browser"):
    """The same figures summed from event_property_hourly alone, hour by hour in Python."""
    cells: dict[tuple, list] = defaultdict(list)
    for (name, dim, hour, measure, kind, value), figures in merged_rows(workspace).items():
        if name == "cta click" and dim == dimension and measure == "price" and start <= hour < end:
            cells[(value if kind == 0 else None, kind == 2)].append(figures)
    result = {}
    for key, rows in cells.items():
        events, count, total = sum(r[0] for r in rows), sum(r[1] for r in rows), sum(r[2] for r in rows)
        minima, maxima = [r[3] for r in rows if r[3] is not None], [r[4] for r in rows if r[4] is not None]
        result[key] = {
            "events": events,
            "count": count,
            "sum": total,
            "avg": total / count if count else None,
            "min": min(minima, default=None),
            "max": max(maxima, default=None),
        }[aggregate]
    return result


def daily_rows(workspace) -> dict[tuple, tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT dimension, bucket, measure, kind, value, events, amount_sum, amount_min, amount_max "
            "FROM event_property_daily WHERE workspace_id = %s AND name = 'cta click'",
            [workspace.pk],
        )
        return {row[:5]: row[5:] for row in cursor.fetchall()}


def assert_reads_match_the_hours(workspace, windows) -> None:
    for start, end, tz in windows:
        for aggregate in ("events", "count", "sum", "min", "max"):
            assert breakdown(workspace, start, end, tz, aggregate) == hourly_breakdown(
                workspace, start, end, aggregate
            ), (start, end, tz.key, aggregate)


@st.composite
def day_events(draw) -> list[dict]:
    events = [
        hour_click(
            f"d{number_}",
            draw(st.sampled_from(DAY_HOURS)),
            **{
                key: value
                for key, value in (
                    ("browser", draw(st.sampled_from(["a", "b", "c", "d", None]))),
                    ("page", draw(st.sampled_from(["x", "y"]))),
                    ("price", draw(st.one_of(st.none(), st.integers(-5, 5), st.sampled_from([0.5, 2.25])))),
                )
                if value is not None
            },
        )
        for number_ in range(draw(st.integers(1, 16)))
    ]
    return draw(st.permutations(events))


@st.composite
def local_windows(draw) -> list[tuple[datetime, datetime, ZoneInfo]]:
    """Windows from local midnights of a zone (whole local days, as the API's dates give) and from
    arbitrary hours, some holding whole UTC days, some none."""
    windows = []
    for _ in range(draw(st.integers(1, 3))):
        tz = draw(st.sampled_from(ZONES))
        if draw(st.booleans()):
            first = draw(st.integers(-1, 3))
            days = draw(st.integers(1, 4))
            start = datetime.combine(BASE.date() + timedelta(days=first), time(), tz)
            end = datetime.combine(BASE.date() + timedelta(days=first + days), time(), tz)
        else:
            start = BASE + timedelta(hours=draw(st.integers(-10, 70)))
            end = start + timedelta(hours=draw(st.integers(1, 80)))
        windows.append((start, end, tz))
    return windows


@pytest.mark.django_db
@settings(max_examples=examples(40), **PROPERTY_SETTINGS)
@given(
    events=day_events(),
    sizes=st.lists(st.integers(1, 5), max_size=6),
    slots=st.lists(st.integers(1, 3), min_size=1, max_size=4),
    compactions=st.lists(st.one_of(st.none(), st.sampled_from([16, 17, 40, 41, 200])), min_size=1, max_size=6),
    erased=st.lists(st.integers(0, 15), max_size=2),
    windows=local_windows(),
)
def test_whole_days_read_from_the_folded_days_equal_the_hours_whatever_the_compactions(
    declared, events, sizes, slots, compactions, erased, windows
):
    """Verifies a breakdown by a property (UTC, New York, Kolkata; whole local days and arbitrary
    hours) equals the sum of its hours in event_property_hourly, with compactions at any point
    between the batches (late events into folded days included) and erasures after; verify finds
    0 differences, event_property_daily included."""
    reset_tables()
    workspace, client = declared[0]
    for number_, batch in enumerate(split(events, sizes)):
        write_in_slot(workspace, batch, "service", client, slots[number_ % len(slots)])
        horizon = compactions[number_ % len(compactions)]
        if horizon is not None:
            rollups.compact(before=BASE + timedelta(hours=horizon))
        assert_reads_match_the_hours(workspace, windows)
    ids = sorted({event["id"] for event in events})
    gone = sorted({ids[index % len(ids)] for index in erased})
    if gone:
        erasure.erase_events(workspace=workspace, event_ids=gone)
        assert_reads_match_the_hours(workspace, windows)
    assert list(rollups.differences()) == []


def day(hours: int) -> datetime:
    """Midnight UTC of the day `hours` after BASE falls in."""
    return (BASE + timedelta(hours=hours)).replace(hour=0)


@pytest.mark.django_db
def test_compaction_folds_each_day_with_the_cap_of_each_hour(declared):
    """Verifies compaction writes a day's rows as its hours' capped rows summed: a value past the
    cap in one hour counts in `other` there and under its own row in another; the read of the
    day's window takes them from event_property_daily and gives the hours' figures."""
    workspace, _ = declared[0]
    clicks = [
        hour_click("1", 0, browser="a", price=1),
        hour_click("2", 0, browser="b", price=2),
        hour_click("3", 0, browser="c", price=4),
        hour_click("4", 1, browser="c", price=8),
        hour_click("5", 1, price=16),
    ]
    services.events_ingest(workspace=workspace, events=validated(clicks))
    first = day(0)
    start, end = first, first + timedelta(days=1)
    hours = {aggregate: hourly_breakdown(workspace, start, end, aggregate) for aggregate in ("events", "sum", "max")}
    assert daily_rows(workspace) == {}
    assert rollups.compact(before=BASE + timedelta(hours=2))["event_property_hourly"] > 0
    rows = {
        key[3:]: figures for key, figures in daily_rows(workspace).items() if key[0] == "browser" and key[2] == "price"
    }
    assert rows == {
        (0, "a"): (1, Decimal(1), Decimal(1), Decimal(1)),
        (0, "b"): (1, Decimal(2), Decimal(2), Decimal(2)),
        (0, "c"): (1, Decimal(8), Decimal(8), Decimal(8)),
        (1, ""): (1, Decimal(16), Decimal(16), Decimal(16)),
        (2, ""): (1, Decimal(4), Decimal(4), Decimal(4)),
    }
    with CaptureQueriesContext(connection) as queries:
        for aggregate, expected in hours.items():
            assert breakdown(workspace, start, end, ZoneInfo("UTC"), aggregate) == expected
    assert all("event_property_daily" in query["sql"] for query in queries.captured_queries)
    assert list(rollups.differences()) == []


@pytest.mark.django_db
def test_a_late_event_into_a_folded_day_is_read_by_the_hour_until_folded_again(declared):
    """Verifies a late event whose value sorts first, written into a folded hour, pushes the last
    admitted value into `other` at once (the day is read by the hour while it has unfolded rows),
    and the next compaction recomputes the day with it."""
    workspace, client = declared[0]
    services.events_ingest(
        workspace=workspace,
        events=validated([hour_click("1", 0, browser="b", price=1), hour_click("2", 0, browser="c", price=2)]),
    )
    rollups.compact(before=BASE + timedelta(hours=100))
    start, end, utc = day(0), day(0) + timedelta(days=1), ZoneInfo("UTC")
    assert breakdown(workspace, start, end, utc, "sum") == {("b", False): 1, ("c", False): 2}
    write_in_slot(workspace, [hour_click("3", 0, browser="a", price=4)], "service", client, 5)
    expected = {("a", False): 4, ("b", False): 1, (None, True): 2}
    assert breakdown(workspace, start, end, utc, "sum") == expected
    assert list(rollups.differences()) == []
    rollups.compact(before=BASE + timedelta(hours=100))
    assert {key[4] for key in daily_rows(workspace) if key[0] == "browser"} == {"a", "b", ""}
    assert breakdown(workspace, start, end, utc, "sum") == expected
    assert list(rollups.differences()) == []


@pytest.mark.django_db
def test_erasure_declarations_and_rebuild_keep_the_folded_days_exact(declared):
    """Verifies erasing an admitted value's event recomputes its folded day (the next value gets
    its own row), a new cap recomputes every day, and rebuild writes the days again as they were."""
    workspace, _ = declared[0]
    clicks = [
        hour_click("1", 0, browser="a", price=1),
        hour_click("2", 0, browser="b", price=2),
        hour_click("3", 0, browser="c", price=4),
        hour_click("4", 30, browser="d", price=8),
    ]
    services.events_ingest(workspace=workspace, events=validated(clicks))
    rollups.compact(before=BASE + timedelta(hours=100))
    start, end, utc = day(0), day(0) + timedelta(days=2), ZoneInfo("UTC")
    erasure.erase_events(workspace=workspace, event_ids=["1"])
    assert {key[4] for key in daily_rows(workspace) if key[0] == "browser" and key[1] == day(0)} == {"b", "c"}
    assert breakdown(workspace, start, end, utc, "sum") == {("b", False): 2, ("c", False): 4, ("d", False): 8}
    assert list(rollups.differences()) == []
    catalogue.properties_set(
        workspace=workspace, name="cta click", properties={**DECLARED, "browser": {"kind": "dimension", "cap": 1}}
    )
    assert breakdown(workspace, start, end, utc, "sum") == {("b", False): 2, (None, True): 4, ("d", False): 8}
    assert {key[3:] for key in daily_rows(workspace) if key[0] == "browser" and key[1] == day(0)} == {(0, "b"), (2, "")}
    assert list(rollups.differences()) == []
    before = daily_rows(workspace)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE event_property_daily SET events = events + 1")
    assert {difference.table for difference in rollups.differences()} == {"event_property_daily"}
    rollups.rebuild()
    assert daily_rows(workspace) == before
    assert list(rollups.differences()) == []

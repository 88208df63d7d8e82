"""Declared properties and the stats over them through HTTP with real tokens: declaring (and its
errors), the backfill, group_by a declared dimension, a declared measure, group_by=year, events,
sort_by/order for every group and aggregate; the same reads before and after compaction folds
the hours into days (event_property_daily), in any zone."""

from datetime import UTC, datetime

import pytest

from analytics import rollups

CATALOGUE = "/api/v1/catalogue/events/"
EVENTS = "/api/v1/events/"
STATS = "/api/v1/events/stats"
RANGE = {"from": "2026-03-01", "to": "2026-03-08", "tz": "UTC"}
PROPERTIES = [
    {"key": "browser", "kind": "dimension", "cap": 2},
    {"key": "price", "kind": "measure"},
]


def click(event_id: str, at: str, **properties) -> dict:
    return {"id": event_id, "name": "cta click", "occurred_at": at, "properties": properties}


CLICKS = [
    click("1", "2026-03-02T08:05:00Z", browser="firefox", price=10),
    click("2", "2026-03-02T08:10:00Z", browser="chrome", price=2.5),
    click("3", "2026-03-02T08:20:00Z", browser="safari", price=4),
    click("4", "2026-03-02T09:00:00Z", browser="safari"),
    click("5", "2026-03-03T10:00:00Z", browser="chrome", price=1),
    click("6", "2026-03-03T10:30:00Z", price=7),
]


@pytest.fixture
def owner(make_client, workspace):
    return make_client(workspace, scopes=("read", "ingest", "catalogue"))


def errors(response) -> list[tuple]:
    assert response.status_code == 400, response.content
    return [(error["field"], error["message"]) for error in response.json()["errors"]]


def stats(client, **query) -> list[dict]:
    response = client.get(STATS, {**RANGE, "name": "cta click", **query})
    assert response.status_code == 200, response.json()
    return response.json()


@pytest.mark.django_db
def test_properties_declared_later_are_backfilled_and_listed(owner):
    """Verifies events sent before the definition count once it declares properties, and the entry lists them."""
    assert owner.post(EVENTS, CLICKS, "json").status_code == 201
    created = owner.post(CATALOGUE, {"name": "cta click", "properties": PROPERTIES}, "json")
    assert created.status_code == 201, created.json()
    assert created.json()["properties"] == [
        {"key": "browser", "kind": "dimension", "cap": 2},
        {"key": "price", "kind": "measure", "cap": None},
    ]
    # Hour 08:00 holds firefox, chrome, safari: with cap 2 chrome and firefox keep rows, safari is other.
    assert stats(owner, group_by="properties.browser", aggregate="events") == [
        {"properties.browser": None, "events": 1, "other": False},
        {"properties.browser": "chrome", "events": 2, "other": False},
        {"properties.browser": "firefox", "events": 1, "other": False},
        {"properties.browser": "safari", "events": 1, "other": False},
        {"properties.browser": None, "events": 1, "other": True},
    ]
    assert list(rollups.differences()) == []


@pytest.mark.django_db
def test_stats_over_a_dimension_and_a_measure_for_every_aggregate_and_order(owner):
    """Verifies group_by a declared dimension with each aggregate of a declared measure, sorted by group and figure."""
    owner.post(CATALOGUE, {"name": "cta click", "properties": PROPERTIES}, "json")
    owner.post(EVENTS, CLICKS, "json")
    by_browser = {
        aggregate: stats(owner, group_by="properties.browser", measure="price", aggregate=aggregate)
        for aggregate in ("events", "count", "sum", "avg", "min", "max")
    }
    assert [(row["properties.browser"], row["other"], row["sum"]) for row in by_browser["sum"]] == [
        (None, False, 7.0),
        ("chrome", False, 3.5),
        ("firefox", False, 10.0),
        ("safari", False, 0.0),
        (None, True, 4.0),
    ]
    assert [row["count"] for row in by_browser["count"]] == [1, 2, 1, 0, 1]
    assert [row["avg"] for row in by_browser["avg"]] == [7.0, 1.75, 10.0, None, 4.0]
    assert [row["min"] for row in by_browser["min"]] == [7.0, 1.0, 10.0, None, 4.0]
    assert [row["max"] for row in by_browser["max"]] == [7.0, 2.5, 10.0, None, 4.0]
    assert [row["events"] for row in by_browser["events"]] == [1, 2, 1, 1, 1]
    descending = stats(
        owner, group_by="properties.browser", measure="price", aggregate="sum", sort_by="sum", order="desc"
    )
    assert [row["sum"] for row in descending] == [10.0, 7.0, 4.0, 3.5, 0.0]
    by_key_desc = stats(owner, group_by="properties.browser", aggregate="events", order="desc")
    assert [(row["properties.browser"], row["other"]) for row in by_key_desc] == [
        (None, True),
        ("safari", False),
        ("firefox", False),
        ("chrome", False),
        (None, False),
    ]


@pytest.mark.django_db
def test_a_measure_over_time_and_group_by_year(owner):
    """Verifies a declared measure per day (every day present) and the value's stats per year."""
    owner.post(CATALOGUE, {"name": "cta click", "properties": PROPERTIES}, "json")
    owner.post(
        EVENTS, [*CLICKS, {"id": "v", "name": "cta click", "occurred_at": "2026-03-04T10:00:00Z", "value": 3}], "json"
    )
    days = stats(owner, group_by="day", measure="price", aggregate="sum")
    assert [(row["day"][:10], row["sum"]) for row in days] == [
        ("2026-03-01", 0.0),
        ("2026-03-02", 16.5),
        ("2026-03-03", 8.0),
        ("2026-03-04", 0.0),
        ("2026-03-05", 0.0),
        ("2026-03-06", 0.0),
        ("2026-03-07", 0.0),
    ]
    by_max = stats(owner, group_by="day", measure="price", aggregate="max", sort_by="max", order="desc")
    assert [row["max"] for row in by_max][:2] == [10.0, 7.0]
    years = owner.get(
        STATS, {"from": "2025-06-01", "to": "2027-01-01", "group_by": "year", "aggregate": "events"}
    ).json()
    assert years == [
        {"year": "2025-01-01T00:00:00+00:00", "events": 0},
        {"year": "2026-01-01T00:00:00+00:00", "events": 7},
    ]
    years = owner.get(STATS, {"from": "2025-06-01", "to": "2027-01-01", "group_by": "year", "aggregate": "sum"}).json()
    assert years[1] == {"year": "2026-01-01T00:00:00+00:00", "sum": 3.0}


@pytest.mark.django_db
def test_undeclared_properties_and_bad_declarations_are_400s_naming_the_field(owner):
    """Verifies stats over an undeclared key, without name or with a channel, and bad declarations, are 400s."""
    owner.post(CATALOGUE, {"name": "cta click", "properties": PROPERTIES}, "json")
    assert errors(owner.get(STATS, {"group_by": "properties.browser"}))[0][0] == "name"
    assert errors(owner.get(STATS, {"name": "cta click", "group_by": "properties.page"}))[0][0] == "group_by"
    assert errors(owner.get(STATS, {"name": "cta click", "group_by": "properties.price"}))[0][0] == "group_by"
    assert errors(owner.get(STATS, {"name": "cta click", "measure": "browser"}))[0][0] == "measure"
    assert errors(owner.get(STATS, {"name": "cta click", "measure": "price", "channel": "web"}))[0][0] == "channel"
    assert (
        errors(owner.get(STATS, {"name": "cta click", "group_by": "properties.browser", "aggregate": "sum"}))[0][0]
        == "measure"
    )
    assert errors(owner.get(STATS, {"group_by": "properties.browser", "sort_by": "day", "name": "cta click"}))[0][
        0
    ] == ("sort_by")
    bad = [
        ([{"key": "browser", "kind": "dimension"}, {"key": "browser", "kind": "measure"}], "properties"),
        ([{"key": "price", "kind": "measure", "cap": 3}], "properties.0.cap"),
        ([{"key": "page", "kind": "dimension", "cap": 1001}], "properties.0.cap"),
        ([{"key": "page", "kind": "sum"}], "properties.0.kind"),
        ([{"key": "", "kind": "dimension"}], "properties.0.key"),
        ([{"key": "page", "kind": "dimension", "limit": 3}], "properties.0.limit"),
    ]
    for properties, field in bad:
        response = owner.patch(CATALOGUE + "cta%20click", {"properties": properties}, "json")
        assert [error[0] for error in errors(response)] == [field], properties


@pytest.mark.django_db
def test_patch_replaces_the_properties_and_put_without_them_clears_them(owner):
    """Verifies PATCH with properties replaces the declared list, PATCH without keeps it, PUT without clears it."""
    owner.post(EVENTS, CLICKS, "json")
    owner.post(CATALOGUE, {"name": "cta click", "properties": PROPERTIES}, "json")
    changed = owner.patch(CATALOGUE + "cta%20click", {"properties": [{"key": "browser", "kind": "dimension"}]}, "json")
    assert changed.json()["properties"] == [{"key": "browser", "kind": "dimension", "cap": 100}]
    assert [row["properties.browser"] for row in stats(owner, group_by="properties.browser", aggregate="events")] == [
        None,
        "chrome",
        "firefox",
        "safari",
    ]
    assert owner.patch(CATALOGUE + "cta%20click", {"description": "d"}, "json").json()["properties"] != []
    assert owner.put(CATALOGUE + "cta%20click", {"description": "d"}, "json").json()["properties"] == []
    assert errors(owner.get(STATS, {"name": "cta click", "group_by": "properties.browser"}))[0][0] == "group_by"
    assert list(rollups.differences()) == []


@pytest.mark.django_db
def test_a_breakdown_reads_the_same_before_and_after_compaction_in_any_zone(owner):
    """Verifies stats by a property over local days of UTC, New York and Kolkata, and over hours
    that hold no whole UTC day, give the same rows before and after compaction folds the hours
    into event_property_daily, for every aggregate, with a late event into a folded day too."""
    owner.post(CATALOGUE, {"name": "cta click", "properties": PROPERTIES}, "json")
    near_midnights = [
        click("7", "2026-03-02T18:45:00Z", browser="edge", price=3),  # 00:15 in Kolkata
        click("8", "2026-03-02T23:30:00Z", browser="chrome", price=6),
        click("9", "2026-03-03T04:45:00Z", browser="brave", price=2),  # 23:45 in New York
        click("10", "2026-03-05T12:00:00Z", browser="safari", price=9),
    ]
    assert owner.post(EVENTS, [*CLICKS, *near_midnights], "json").status_code == 201
    windows = [
        {"from": "2026-03-02", "to": "2026-03-05", "tz": "UTC"},
        {"from": "2026-03-02", "to": "2026-03-04", "tz": "America/New_York"},
        {"from": "2026-03-03", "to": "2026-03-06", "tz": "Asia/Kolkata"},
        {"from": "2026-03-02T08:30:00Z", "to": "2026-03-03T05:00:00Z"},
    ]

    def reads() -> list[list[dict]]:
        return [
            stats(owner, **window, group_by="properties.browser", measure="price", aggregate=aggregate)
            for window in windows
            for aggregate in ("events", "count", "sum", "avg", "min", "max")
        ]

    before = reads()
    assert before[0][:2] == [
        {"properties.browser": None, "events": 1, "other": False},
        {"properties.browser": "brave", "events": 1, "other": False},
    ]
    rollups.compact(before=datetime(2026, 3, 7, tzinfo=UTC))
    assert reads() == before
    late = click("11", "2026-03-03T10:10:00Z", browser="a", price=1)  # sorts first: chrome goes to other
    assert owner.post(EVENTS, [late], "json").status_code == 201
    after_late = reads()
    assert after_late != before
    rollups.compact(before=datetime(2026, 3, 7, tzinfo=UTC))
    assert reads() == after_late
    assert list(rollups.differences()) == []

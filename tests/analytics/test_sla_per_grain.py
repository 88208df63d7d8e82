"""SLA outcomes kept per grain: support_total_hourly, support_channel_hourly, support_agent_hourly
and support_agent_daily carry support_sla_hourly summed to their keys, so the overview, the lists
and the breach series read one row per hour and key for them. Exactness against the raw events is
the invariant's and verify's job (the recompute views of those tables sum
recompute_support_sla_hourly); here: the grains agree with support_sla_hourly through compaction
and late events that move a first response and a resolution, and migration 0046 fills the columns
of a database upgraded with SLA outcomes already stored."""

import importlib
from datetime import timedelta

import pytest
from django.db import connection

from analytics import rollups, services
from tests.analytics.test_quality_per_grain import EVENTS as QUALITY_EVENTS
from tests.factories import BASE, add_sla_policies, support_event, validated

SLA = ("first_response_targeted", "first_response_breaches", "resolution_targeted", "resolution_breaches")
GRAINS = {
    "support_total_hourly": "''",
    "support_channel_hourly": "channel_id",
    "support_agent_hourly": "agent_id",
}
# Four conversations (tests/analytics/test_quality_per_grain.py: first replies 9 minutes after
# created), each resolved 100 or 20 minutes after it was created.
STARTS = {
    "q0": (0, "email", "a1"),
    "q1": (30, "chat", "a2"),
    "q2": (24 * 60 + 50, "email", "a2"),
    "q3": (2 * 24 * 60, "chat", "a1"),
}
EVENTS = QUALITY_EVENTS + [
    support_event(
        "resolved",
        event_id=f"{key}-resolved",
        conversation=key,
        minutes=start + (100 if number % 2 else 20),
        channel=channel,
        agent=agent,
    )
    for number, (key, (start, channel, agent)) in enumerate(STARTS.items())
]


def grain_sums(rows: str, key: str) -> dict:
    """{key: (targeted and breached first responses and resolutions)} of the rows, every row of a
    key summed; keys whose sums are all 0 left out."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {key}, {', '.join(f'sum({name})' for name in SLA)} FROM {rows} GROUP BY 1 ORDER BY 1")
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall() if any(row[1:])}


def assert_grains_agree() -> None:
    for table, key in GRAINS.items():
        assert grain_sums(table, key) == grain_sums("support_sla_hourly", key), table
    assert grain_sums("support_agent_daily", "agent_id") == grain_sums(
        "(SELECT * FROM support_agent_hourly WHERE slot = 0) AS h", "agent_id"
    )


@pytest.fixture
def policy(workspace):
    """First response within 5 minutes, resolution within an hour, both in calendar time."""
    add_sla_policies(workspace, [("2000-01-01T00:00:00Z", (300, False), (3600, False))])
    return workspace


@pytest.mark.django_db
def test_every_grain_holds_the_sla_outcomes_of_support_sla_hourly(policy):
    """Verifies the per-total, channel and agent rows sum to support_sla_hourly: 4 first responses
    held to 5 minutes, all 4 breached (9 minutes), 4 resolutions held to an hour, the two of 100
    minutes breached; then a late earlier reply (q0 answered at minute 3, within the target) and a
    later resolution of q1 move them, across a compacted day; verify is clean throughout."""
    services.events_ingest(workspace=policy, events=validated(EVENTS[: len(EVENTS) // 2]))
    rollups.compact(before=BASE + timedelta(days=1))
    services.events_ingest(workspace=policy, events=validated(EVENTS[len(EVENTS) // 2 :]))
    assert grain_sums("support_total_hourly", "''")[""] == (4, 4, 4, 2)
    late = [
        support_event("agent_replied", event_id="late-1", conversation="q0", minutes=3, channel="email", agent="a1"),
        support_event("resolved", event_id="late-2", conversation="q1", minutes=30 + 200, channel="chat", agent="a1"),
    ]
    services.events_ingest(workspace=policy, events=validated(late))
    assert grain_sums("support_total_hourly", "''")[""] == (4, 3, 4, 2)
    assert_grains_agree()
    assert list(rollups.differences()) == []


@pytest.mark.django_db
def test_the_backfill_migration_fills_the_grains_from_the_stored_sla_rows(policy):
    """Verifies the SQL of migration 0046 (for databases upgraded with SLA outcomes already stored):
    with the new columns zeroed in every per-grain table, verify finds the difference, and the
    backfill gives back what the triggers kept (compacted days included)."""
    backfill = importlib.import_module("analytics.migrations.0046_backfill_sla_per_grain")
    services.events_ingest(workspace=policy, events=validated(EVENTS))
    rollups.compact(before=BASE + timedelta(days=2))
    with connection.cursor() as cursor:
        for table in (*GRAINS, "support_agent_daily"):
            cursor.execute(f"UPDATE {table} SET {', '.join(f'{name} = 0' for name in SLA)}")
    assert {d.table for d in rollups.differences()} == set(GRAINS)
    with connection.cursor() as cursor:
        cursor.execute(backfill.BACKFILL)
    assert_grains_agree()
    assert grain_sums("support_total_hourly", "''")[""] == (4, 4, 4, 2)
    assert list(rollups.differences()) == []

"""A ranged verify reads the stored side of its range through the tables' keys (rollups.prefixes)
and recomputes the days and unique periods from the rows of their sources that the range needs
(rollups.shadowed_source): it must still find every damaged row inside its range, and only those."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from analytics import rollups, services
from tests.factories import support_event, validated

DAY = datetime(2026, 3, 2, tzinfo=UTC)
NEXT = DAY + timedelta(days=1)


def ingest(workspace) -> None:
    """A conversation and a page view of session s1 on each of DAY and NEXT."""
    events = []
    for index, day in enumerate((DAY, NEXT)):
        minutes = int((day - datetime(2026, 3, 2, 8, tzinfo=UTC)).total_seconds() // 60) + 600
        for kind, offset, agent in (("created", 0, None), ("agent_replied", 10, "a1"), ("resolved", 70, "a1")):
            events.append(
                support_event(
                    kind,
                    event_id=f"c{index}-{kind}",
                    conversation=f"c{index}",
                    minutes=minutes + offset,
                    channel="email",
                    agent=agent,
                )
            )
        events.append(
            {
                "id": f"v{index}",
                "name": "page.view",
                "occurred_at": (day + timedelta(hours=11)).isoformat(),
                "session_id": "s1",
            }
        )
    services.events_ingest(workspace=workspace, events=validated(events))


@pytest.mark.django_db
@pytest.mark.parametrize("walk", ["one walk", "a walk per workspace"])
def test_a_ranged_verify_finds_stored_rows_of_keys_the_range_has_no_events_of(
    workspace, other_workspace, walk, monkeypatch
):
    """Verifies stored hourly rows inside the range whose leading key columns (a workspace without
    events, an event name no event has) the recomputation does not have are reported, and the
    same rows outside the range are not; also with the key walked one workspace at a time, as on
    a Citus cluster (a recursive CTE there needs a filter on the distribution column)."""
    if walk == "a walk per workspace":
        monkeypatch.setattr(rollups.citus, "on_cluster", lambda: True)
    ingest(workspace)
    with connection.cursor() as cursor:
        for bucket in (DAY + timedelta(hours=5), NEXT + timedelta(hours=5)):
            cursor.execute(
                "INSERT INTO event_unique_hourly (workspace_id, kind, name, bucket, member) "
                "VALUES (%s, 'session', 'ghost', %s, 'nobody')",
                [workspace.pk, bucket],
            )
            cursor.execute(
                "INSERT INTO customer_interaction_hourly (workspace_id, bucket, customer_id, channel_id, slot, "
                "interactions) VALUES (%s, %s, 'cust', 'email', 0, 1)",
                [other_workspace.pk, bucket],
            )
    found = {(d.table, d.key["workspace_id"], d.key["bucket"]) for d in rollups.differences(since=DAY, until=NEXT)}
    assert found == {
        ("event_unique_hourly", workspace.pk, DAY + timedelta(hours=5)),
        ("customer_interaction_hourly", other_workspace.pk, DAY + timedelta(hours=5)),
    }


@pytest.mark.django_db
def test_a_ranged_verify_compares_the_days_that_overlap_the_range(workspace):
    """Verifies a damaged support_agent_daily row of DAY is found by a verify of DAY alone, the
    damaged row of NEXT only by a verify of NEXT, and a rebuild of DAY repairs DAY's row only."""
    ingest(workspace)
    rollups.rebuild()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE support_agent_daily SET resolutions = resolutions + 1 WHERE workspace_id = %s", [workspace.pk]
        )
        assert cursor.rowcount == 4  # agents a1 and '' (the conversation's creation), on DAY and NEXT

    def days(since, until):
        return {
            d.key["bucket"] for d in rollups.differences(since=since, until=until) if d.table == "support_agent_daily"
        }

    assert days(DAY, NEXT) == {DAY}
    assert days(NEXT, NEXT + timedelta(days=1)) == {NEXT}
    assert days(DAY + timedelta(hours=12), NEXT + timedelta(hours=1)) == {DAY, NEXT}
    rollups.rebuild(since=DAY, until=NEXT)
    assert days(None, None) == {NEXT}
    rollups.rebuild(since=NEXT, until=NEXT + timedelta(days=1))
    assert rollups.differences() == []
    # From midday on: DAY's row holds its morning hours too, which the recomputation must read.
    assert rollups.differences(since=DAY + timedelta(hours=12), until=NEXT + timedelta(hours=1)) == []

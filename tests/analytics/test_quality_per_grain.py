"""Reply times and CSAT kept per grain: support_total_hourly, support_channel_hourly,
support_agent_hourly and support_agent_daily carry the figures of support_reply_hourly and
support_csat_hourly summed to their keys, so the overview and the lists read one row per hour and
key for them. Exactness against the raw events is the invariant's and verify's job (the
recompute views of those tables sum recompute_support_reply_hourly and
recompute_support_csat_hourly); here: the grains agree with the channel x agent tables through
compaction and late events, and migration 0039 fills the columns of a database upgraded with
replies and ratings already stored."""

import importlib
from datetime import timedelta

import pytest
from django.db import connection

from analytics import rollups, services
from tests.factories import BASE, support_event, validated

QUALITY = ("reply_count", "reply_seconds", "reply_bins", "score_1", "score_2", "score_3", "score_4", "score_5")
GRAINS = {
    "support_total_hourly": "''",
    "support_channel_hourly": "channel_id",
    "support_agent_hourly": "agent_id",
}


def conversation_events(number: int, channel: str, agent: str, *, start: int, score: int) -> list[dict]:
    """A conversation of two customer messages, two replies and a rating, from minute `start`."""
    key = f"q{number}"

    def event(kind: str, position: int, minutes: int, **extra) -> dict:
        return support_event(
            kind, event_id=f"{key}-{position}", conversation=key, minutes=start + minutes, channel=channel, **extra
        )

    return [
        event("created", 0, 0),
        event("customer_replied", 1, 1),
        event("agent_replied", 2, 9, agent=agent),
        event("customer_replied", 3, 70),
        event("agent_replied", 4, 200, agent=agent),
        event("assigned", 5, 2, agent=agent),
        event("rated", 6, 300, value=score),
    ]


EVENTS = [
    event
    for number, (channel, agent, start, score) in enumerate(
        [("email", "a1", 0, 5), ("chat", "a2", 30, 2), ("email", "a2", 24 * 60 + 50, 4), ("chat", "a1", 2 * 24 * 60, 1)]
    )
    for event in conversation_events(number, channel, agent, start=start, score=score)
]


def nonzero(rows: list[tuple]) -> dict:
    """{key: figures} of the keys with any figure (other support figures keep rows of zeros here)."""
    return {row[0]: tuple(row[1:]) for row in rows if row[1] or row[2] or any(row[3]) or any(row[4])}


# The rows of support_reply_hourly and support_csat_hourly (every channel x agent) in one relation.
CHANNEL_AGENT_ROWS = """(
    SELECT channel_id, agent_id, reply_count, reply_seconds, reply_bins,
           0 AS score_1, 0 AS score_2, 0 AS score_3, 0 AS score_4, 0 AS score_5
    FROM support_reply_hourly
    UNION ALL
    SELECT channel_id, agent_id, 0, 0, array_fill(0::bigint, ARRAY[11]), score_1, score_2, score_3, score_4, score_5
    FROM support_csat_hourly
) AS q"""


def grain_sums(rows: str, key: str) -> dict:
    """{key: (reply count, reply seconds, bins, scores)} of the rows (a table or CHANNEL_AGENT_ROWS),
    every row of a key summed."""
    bins = ", ".join(f"sum(reply_bins[{i}])" for i in range(1, 12))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {key}, sum(reply_count), sum(reply_seconds), ARRAY[{bins}],"
            f" ARRAY[sum(score_1), sum(score_2), sum(score_3), sum(score_4), sum(score_5)]"
            f" FROM {rows} GROUP BY 1 ORDER BY 1"
        )
        return nonzero(cursor.fetchall())


def assert_grains_agree() -> None:
    for table, key in GRAINS.items():
        assert grain_sums(table, key) == grain_sums(CHANNEL_AGENT_ROWS, key), table
    assert grain_sums("support_agent_daily", "agent_id") == grain_sums(
        "(SELECT * FROM support_agent_hourly WHERE slot = 0) AS h", "agent_id"
    )


@pytest.mark.django_db
def test_every_grain_holds_the_reply_times_and_ratings_of_the_channel_agent_tables(workspace):
    """Verifies the per-total, channel and agent rows sum to the figures of support_reply_hourly and
    support_csat_hourly (two waits and one rating per conversation), before and after a
    compaction and late events (a re-pairing of a folded hour and a later rating), and that
    support_agent_daily stays the sum of the folded hours; verify is clean throughout."""
    services.events_ingest(workspace=workspace, events=validated(EVENTS[: len(EVENTS) // 2]))
    rollups.compact(before=BASE + timedelta(days=1))
    services.events_ingest(workspace=workspace, events=validated(EVENTS[len(EVENTS) // 2 :]))
    late = [
        # A customer message before q0's first reply: the first wait is re-paired (9 -> 4 minutes).
        support_event("customer_replied", event_id="late-1", conversation="q0", minutes=5, channel="email"),
        support_event("rated", event_id="late-2", conversation="q1", minutes=400, channel="chat", value=3),
    ]
    services.events_ingest(workspace=workspace, events=validated(late))
    total = grain_sums("support_total_hourly", "''")[""]
    assert total[0] == 9 and total[3] == [1, 0, 1, 1, 1]
    assert_grains_agree()
    assert list(rollups.differences()) == []


@pytest.mark.django_db
def test_the_backfill_migration_fills_the_grains_from_the_stored_reply_and_rating_rows(workspace):
    """Verifies the SQL of migration 0039 (for databases upgraded with replies and ratings already
    stored): with the new columns zeroed in every per-grain table, verify finds the difference,
    and the backfill gives back what the triggers kept (compacted days included)."""
    backfill = importlib.import_module("analytics.migrations.0039_backfill_reply_csat_per_grain")
    services.events_ingest(workspace=workspace, events=validated(EVENTS))
    rollups.compact(before=BASE + timedelta(days=2))
    zero = ", ".join(
        f"{column} = {'array_fill(0::bigint, ARRAY[11])' if column == 'reply_bins' else '0'}" for column in QUALITY
    )
    with connection.cursor() as cursor:
        for table in (*GRAINS, "support_agent_daily"):
            cursor.execute(f"UPDATE {table} SET {zero}")
    # support_agent_daily is the sum of support_agent_hourly's slot 0, zeroed alike.
    assert {d.table for d in rollups.differences()} == set(GRAINS)
    with connection.cursor() as cursor:
        cursor.execute(backfill.BACKFILL)
    assert_grains_agree()
    assert list(rollups.differences()) == []


@pytest.mark.django_db
def test_the_last_bin_adds_up_across_statements(workspace):
    """Verifies two statements that each add a wait and a resolution of over 3 days (the open last
    bin) to the same hour's rows leave 2 in that bin of every grain, as the recomputation does:
    each upsert adds its bins to the stored ones element by element (tally_add_bins), the last
    one included."""
    four_days = 4 * 24 * 60
    for number in (1, 2):
        key = f"slow{number}"
        services.events_ingest(
            workspace=workspace,
            events=validated(
                [
                    support_event("created", event_id=f"{key}-0", conversation=key, minutes=number, channel="email"),
                    support_event(
                        "customer_replied", event_id=f"{key}-1", conversation=key, minutes=number, channel="email"
                    ),
                    support_event(
                        "agent_replied",
                        event_id=f"{key}-2",
                        conversation=key,
                        minutes=four_days + number,
                        channel="email",
                        agent="a1",
                    ),
                    support_event(
                        "resolved",
                        event_id=f"{key}-3",
                        conversation=key,
                        minutes=four_days + 10 + number,
                        channel="email",
                        agent="a1",
                    ),
                ]
            ),
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sum(reply_bins[11]), sum(resolution_bins[11]), sum(first_response_bins[11])"
            " FROM support_total_hourly"
        )
        assert cursor.fetchone() == (2, 2, 2)
    assert_grains_agree()
    assert list(rollups.differences()) == []

"""CSAT and reply times on small examples posted over HTTP in three arrival orders, against numbers
computed by hand; then the same figures after an erasure and across the retention horizon. Each
test ends with `rollups verify`, which compares every summary with its recomputation."""

from collections import defaultdict
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings

from analytics import erasure, retention, rollups, services
from analytics.models import Conversation, SupportCsatHourly, SupportReplyHourly
from tests.analytics.test_metric_definitions import POSTING, conv, hour, post_as, verify
from tests.analytics.test_retention import DAY, shifted
from tests.factories import BASE, support_event, validated

SCORES = ("score_1", "score_2", "score_3", "score_4", "score_5")


def csat_table(workspace) -> dict:
    """{(bucket, channel, agent, team): {score column: conversations}}, slots summed, zeros left out."""
    table: dict = defaultdict(lambda: defaultdict(int))
    for row in SupportCsatHourly.objects.filter(workspace=workspace).values():
        for column in SCORES:
            table[row["bucket"], row["channel_id"], row["agent_id"], row["team_id"]][column] += row[column]
    return {key: {c: n for c, n in values.items() if n} for key, values in table.items() if any(values.values())}


def reply_table(workspace) -> dict:
    """{(bucket, channel, agent): (count, seconds, {bin index: count})}, slots summed, zeros left out."""
    table: dict = {}
    for row in SupportReplyHourly.objects.filter(workspace=workspace):
        count, seconds, bins = table.get((row.bucket, row.channel_id, row.agent_id), (0, 0, [0] * 11))
        bins = [a + b for a, b in zip(bins, row.reply_bins, strict=True)]
        table[row.bucket, row.channel_id, row.agent_id] = (count + row.reply_count, seconds + row.reply_seconds, bins)
    return {
        key: (count, seconds, {i: n for i, n in enumerate(bins) if n})
        for key, (count, seconds, bins) in table.items()
        if count or seconds or any(bins)
    }


# --- CSAT -----------------------------------------------------------------------------------

CSAT_EVENTS = [
    # c1: rated 2, then 4 later: 4 counts, for a1 of team t1, in hour 10.
    conv("s1", "assigned", "10:00", agent="a1", properties={"team": "t1"}),
    conv("s2", "rated", "10:20", value=2, properties={"comment": "slow"}),
    conv("s3", "rated", "10:40", value=4),
    # c2: two ratings at 11:05, the greater id (s5) wins; the latest assignment (11:30, after the
    # rating) names the agent and team the rating counts for.
    conv("s4", "rated", "11:05", conversation="c2", channel="email", value=1),
    conv("s5", "rated", "11:05", conversation="c2", channel="email", value=5),
    conv("s6", "assigned", "10:30", conversation="c2", channel="email", agent="a2"),
    conv("s7", "assigned", "11:30", conversation="c2", channel="email", agent="a1", properties={"team": "t2"}),
    # c3: never assigned: no agent, no team.
    conv("s8", "rated", "12:00", conversation="c3", value=3),
    # c4: assigned to a2 with a team, then again without one: no team.
    conv("s9", "assigned", "09:00", conversation="c4", agent="a2", properties={"team": "t1"}),
    conv("s10", "assigned", "09:10", conversation="c4", agent="a2"),
    conv("s11", "rated", "09:30", conversation="c4", value=5),
]

CSAT = {
    (hour(9), "chat", "a2", ""): {"score_5": 1},
    (hour(10), "chat", "a1", "t1"): {"score_4": 1},
    (hour(11), "email", "a1", "t2"): {"score_5": 1},
    (hour(12), "chat", "", ""): {"score_3": 1},
}


@pytest.mark.django_db
@pytest.mark.parametrize("mode", POSTING)
def test_csat_counts_each_conversation_once_for_its_latest_rating_assignee_and_team(client_for, workspace, mode):
    """Verifies CSAT counts each rated conversation once, with the score of its latest rating (by
    occurred_at, then id), in that rating's hour, for the conversation's channel and the agent and
    team of its latest assignment, whatever the arrival order."""
    post_as(client_for, CSAT_EVENTS, mode)
    assert csat_table(workspace) == CSAT
    rows = {
        row.conversation_id: (row.rating, row.assignee_id, row.team_id)
        for row in Conversation.objects.filter(workspace=workspace)
    }
    assert rows == {"c1": (4, "a1", "t1"), "c2": (5, "a1", "t2"), "c3": (3, None, None), "c4": (5, "a2", None)}
    verify()


@pytest.mark.django_db
def test_erasing_the_latest_rating_brings_back_the_one_before(client_for, workspace):
    """Verifies erasing a conversation's latest rating makes its previous one count again."""
    post_as(client_for, CSAT_EVENTS, "batch")
    erasure.erase_events(workspace=workspace, event_ids=["s3", "s5"])
    assert csat_table(workspace) == {
        (hour(9), "chat", "a2", ""): {"score_5": 1},
        (hour(10), "chat", "a1", "t1"): {"score_2": 1},
        (hour(11), "email", "a1", "t2"): {"score_1": 1},
        (hour(12), "chat", "", ""): {"score_3": 1},
    }
    assert rollups.differences() == []


# --- reply time -----------------------------------------------------------------------------

REPLY_EVENTS = [
    conv("r1", "created", "10:00"),
    # Two messages answered by one reply: 300 s and 120 s, for a1 in hour 10.
    conv("r2", "customer_replied", "10:02"),
    conv("r3", "customer_replied", "10:05"),
    conv("r4", "agent_replied", "10:07", agent="a1"),
    # A second reply right after answers nothing: no message waits for it.
    conv("r5", "agent_replied", "10:08", agent="a1"),
    # 1200 s, counted for the reply's channel (email) and agent, in the hour of the reply.
    conv("r6", "customer_replied", "10:50"),
    conv("r7", "agent_replied", "11:10", channel="email", agent="a2"),
    # A reply at the same moment as a message answers it (0 s), and the one before (600 s).
    conv("r8", "customer_replied", "11:30"),
    conv("r9", "customer_replied", "11:40"),
    conv("r10", "agent_replied", "11:40", agent="a1"),
    # A message nobody answered yet counts nothing.
    conv("r11", "customer_replied", "12:00"),
]

# (count, seconds, {bin index: count}); bins start at 0, 60, 300, 900, ... seconds.
REPLIES = {
    (hour(10), "chat", "a1"): (2, 420, {1: 1, 2: 1}),
    (hour(11), "email", "a2"): (1, 1200, {3: 1}),
    (hour(11), "chat", "a1"): (2, 600, {0: 1, 2: 1}),
}


@pytest.mark.django_db
@pytest.mark.parametrize("mode", POSTING)
def test_reply_time_is_the_wait_of_every_customer_message_until_the_next_agent_reply(client_for, workspace, mode):
    """Verifies reply time pairs each customer message with the next agent reply of its
    conversation (at or after it), counts the wait in the reply's hour for its channel and agent
    (count, sum of seconds, histogram), and leaves unanswered messages out, whatever the order."""
    post_as(client_for, REPLY_EVENTS, mode)
    assert reply_table(workspace) == REPLIES
    verify()


@pytest.mark.django_db
def test_a_late_reply_re_pairs_the_messages_before_it(client_for, workspace):
    """Verifies a reply arriving after a later one takes over the messages before it: 10:02 moves
    from the 10:07 reply to the late 10:03 one; 10:05 stays with 10:07."""
    post_as(client_for, REPLY_EVENTS, "batch")
    post_as(client_for, [conv("r12", "agent_replied", "10:03", agent="a3")], "batch")
    assert reply_table(workspace) == {
        (hour(10), "chat", "a3"): (1, 60, {1: 1}),
        (hour(10), "chat", "a1"): (1, 120, {1: 1}),
        (hour(11), "email", "a2"): (1, 1200, {3: 1}),
        (hour(11), "chat", "a1"): (2, 600, {0: 1, 2: 1}),
    }
    verify()


@pytest.mark.django_db
def test_erasing_a_reply_hands_its_messages_to_the_next_one(client_for, workspace):
    """Verifies erasing an agent reply pairs its messages with the next reply, and erasing a
    message removes its wait."""
    post_as(client_for, REPLY_EVENTS, "batch")
    erasure.erase_events(workspace=workspace, event_ids=["r4", "r9"])
    # 10:02 and 10:05 now wait for r5 at 10:08: 360 + 180 s.
    assert reply_table(workspace) == {
        (hour(10), "chat", "a1"): (2, 540, {1: 1, 2: 1}),
        (hour(11), "email", "a2"): (1, 1200, {3: 1}),
        (hour(11), "chat", "a1"): (1, 600, {2: 1}),
    }
    assert rollups.differences() == []


@pytest.mark.django_db
@override_settings(TALLY_PARTITION_INTERVAL="day")
def test_a_message_waiting_at_the_horizon_is_paired_with_the_reply_after_it(workspace):
    """Verifies customer messages of a retired day still unanswered at the end of it are kept
    with the sealed conversation and paired with the first reply of the next day."""
    day_one = [
        support_event("created", event_id="w1", conversation="c", minutes=0, channel="chat"),
        support_event("customer_replied", event_id="w2", conversation="c", minutes=10, channel="chat"),
        support_event("agent_replied", event_id="w3", conversation="c", minutes=20, channel="chat", agent="a1"),
        support_event("customer_replied", event_id="w4", conversation="c", minutes=30, channel="chat"),
        support_event("customer_replied", event_id="w5", conversation="c", minutes=40, channel="chat"),
    ]
    services.events_ingest(workspace=workspace, events=validated(day_one))
    retention.retain(before=DAY + timedelta(days=1))
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_agent_reply_at, waiting_customer_at FROM conversation_sealed")
        assert cursor.fetchall() == [
            (BASE + timedelta(minutes=20), [BASE + timedelta(minutes=30), BASE + timedelta(minutes=40)])
        ]
    reply = shifted(
        support_event("agent_replied", event_id="w6", conversation="c", minutes=0, channel="chat", agent="a2"), 1
    )
    services.events_ingest(workspace=workspace, events=validated([reply]))
    next_day = BASE + timedelta(days=1)
    assert reply_table(workspace) == {
        (BASE, "chat", "a1"): (1, 600, {2: 1}),
        (next_day, "chat", "a2"): (2, 2 * 86400 - 70 * 60, {8: 2}),
    }
    assert rollups.differences() == []

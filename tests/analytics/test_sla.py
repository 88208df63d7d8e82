"""SLA targets: breach counts (support_sla_hourly), the pending targets and their due times
(conversation_due) and the live "breaching within the next hour" and "overdue" figures, on the desk
of test_business_hours.py (hours Monday to Friday 09:00-19:00 Berlin, Tuesday 2026-03-10 a
holiday; times UTC = local - 1 h) posted in three arrival orders, against numbers computed by hand;
erasure; GET/POST /api/v1/settings/sla. Each test ends with `rollups verify`.

Targets: first response 900 s in business time, resolution 4 h (14,400 s) in calendar time.

    c1 chat   first reply after 600 business s: met (08:00 on 03-09, a1); resolved after 227,100
              calendar s: breach (09:00 on 03-09, a1)
    c2 email  first reply after 1,800 business s: breach (08:00 on 03-09, a2); open: its resolution
              is pending, due 03-07 10:00 + 4 h = 14:00
    c3 chat   first reply after 22,200 business s: breach (08:00 on 03-11, a1); resolved after
              162,000 calendar s: breach (09:00 on 03-11, a2)
    c4 chat   created Fri 03-06 18:00 (19:00 local, closing time), never answered: first response
              due when 900 business s have passed, Monday 09:15 local = 03-09 08:15; resolution due
              03-06 22:00
    c5 chat   created Mon 03-09 10:00, first reply 10:15 by a1: exactly 900 business s, the target:
              met; open: its resolution is pending, due 14:00
"""

import importlib
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from analytics import erasure, rollups
from analytics.models import ConversationDue, SupportSlaHourly
from tests.analytics.test_business_hours import EVENTS as DESK
from tests.analytics.test_business_hours import RANGE, SCHEDULE, event, hour
from tests.analytics.test_metric_definitions import POSTING, post_as, verify
from tests.factories import add_business_schedules, add_sla_policies

POLICY = [("2000-01-01T00:00:00Z", (900, True), (14400, False))]
EVENTS = [
    *DESK,
    event("sla-c4-created", "created", "06T18:00", conversation="c4"),
    event("sla-c5-created", "created", "09T10:00", conversation="c5"),
    event("sla-c5-reply", "agent_replied", "09T10:15", conversation="c5", agent="a1"),
]

OUTCOMES = {
    (hour(9, 8), "chat", "a1"): (1, 0, 0, 0),
    (hour(9, 9), "chat", "a1"): (0, 0, 1, 1),
    (hour(9, 10), "chat", "a1"): (1, 0, 0, 0),
    (hour(9, 8), "email", "a2"): (1, 1, 0, 0),
    (hour(11, 8), "chat", "a1"): (1, 1, 0, 0),
    (hour(11, 9), "chat", "a2"): (0, 0, 1, 1),
}
DUE = {
    ("c2", "resolution"): ("email", datetime(2026, 3, 7, 14, tzinfo=UTC)),
    ("c4", "first_response"): ("chat", datetime(2026, 3, 9, 8, 15, tzinfo=UTC)),
    ("c4", "resolution"): ("chat", datetime(2026, 3, 6, 22, tzinfo=UTC)),
    ("c5", "resolution"): ("chat", datetime(2026, 3, 9, 14, tzinfo=UTC)),
}


def outcomes(workspace) -> dict:
    """{(bucket, channel, agent): (first response targeted, breaches, resolution targeted, breaches)},
    write slots summed, zero rows left out."""
    sums: dict = {}
    for row in SupportSlaHourly.objects.filter(workspace=workspace):
        key = (row.bucket, row.channel_id, row.agent_id)
        total = sums.get(key, (0, 0, 0, 0))
        sums[key] = tuple(
            a + b
            for a, b in zip(
                total,
                (
                    row.first_response_targeted,
                    row.first_response_breaches,
                    row.resolution_targeted,
                    row.resolution_breaches,
                ),
                strict=True,
            )
        )
    return {key: value for key, value in sums.items() if any(value)}


def pending(workspace) -> dict:
    return {
        (row.conversation_id, row.kind): (row.channel_id, row.due_at)
        for row in ConversationDue.objects.filter(workspace=workspace)
    }


@pytest.fixture
def held(workspace):
    add_business_schedules(workspace, SCHEDULE)
    add_sla_policies(workspace, POLICY)
    return workspace


@pytest.mark.django_db
@pytest.mark.parametrize("mode", POSTING)
def test_breaches_and_due_times_whatever_the_arrival_order(client_for, held, mode):
    """Verifies support_sla_hourly (each first response and resolution held to a target, in its hour,
    channel and agent, a breach when its time exceeds the target: business time for the first
    response, calendar time for the resolution) and conversation_due (the pending targets with the
    instant they fall due, across a weekend and at closing time), whatever the arrival order."""
    post_as(client_for, EVENTS, mode)
    assert outcomes(held) == OUTCOMES
    assert pending(held) == DUE
    verify()


@pytest.mark.django_db
def test_reads_carry_the_sla_outcomes(client_for, held):
    """Verifies `sla` on the overview (4 first responses held to the target, 2 breaches, c5's exactly
    on the target being met; 2 resolutions, 2 breaches; nothing the period before), per agent and
    channel, the breach series, and the live counters: c2, c4 and c5 are overdue, none due within
    the hour."""
    post_as(client_for, EVENTS, "batch")
    overview = client_for.get("/api/v1/summaries/overview", RANGE).json()
    assert overview["sla"] == {
        "first_response_targeted": 4,
        "first_response_breaches": 2,
        "resolution_targeted": 2,
        "resolution_breaches": 2,
    }
    assert overview["previous"]["sla"]["first_response_targeted"] == 0
    assert (overview["breaching_within_hour_now"], overview["overdue_now"]) == (0, 3)
    agents = client_for.get("/api/v1/summaries/agents", {**RANGE, "ordering": "-sla_first_response_breaches"})
    assert [(row["id"], row["sla"]["first_response_breaches"]) for row in agents.json()["results"]] == [
        ("a1", 1),
        ("a2", 1),
    ]
    channels = client_for.get("/api/v1/summaries/channels", RANGE).json()["results"]
    assert [(row["id"], row["sla"]["resolution_breaches"], row["overdue_now"]) for row in channels] == [
        ("chat", 2, 2),
        ("email", 0, 1),
    ]
    series = client_for.get(
        "/api/v1/summaries/timeseries", {**RANGE, "metric": "sla_first_response_breaches", "granularity": "day"}
    ).json()
    assert [point["value"] for point in series] == [0, 0, 0, 1, 0, 1]
    csv_header = client_for.get("/api/v1/summaries/channels", {**RANGE, "format": "csv"}).content.decode()
    assert "sla_first_response_breaches" in csv_header.splitlines()[0]
    verify()


@pytest.mark.django_db
def test_erasing_a_reply_makes_the_first_response_pending_again(make_client, held):
    """Verifies that erasing c2's only reply takes back its breach and makes its first response
    pending again, due after 900 business seconds from Saturday: Monday 09:15 local."""
    client = make_client(held, scopes=("ingest", "read", "erase"))
    post_as(client, EVENTS, "batch")
    assert client.delete("/api/v1/events/bh-c2-reply").status_code == 204
    expected = dict(OUTCOMES)
    del expected[hour(9, 8), "email", "a2"]
    assert outcomes(held) == expected
    assert pending(held) == {**DUE, ("c2", "first_response"): ("email", datetime(2026, 3, 9, 8, 15, tzinfo=UTC))}
    verify()


@pytest.mark.django_db
def test_live_counters_count_pending_targets_due_within_the_hour_and_overdue(client_for, workspace):
    """Verifies, with a first-response target of 1 h in calendar time and conversations of the last
    hours: l1 (created 30 min ago, unanswered) falls due within the hour, l2 (90 min ago) is
    overdue (by 30 min: not "within the next hour"),
    l3 (answered) and l4 (resolved) count nothing; per channel and with the channel filter."""
    add_sla_policies(workspace, [("2000-01-01T00:00:00Z", (3600, False), None)])
    now = timezone.now().replace(microsecond=0)

    def at(minutes_ago: int) -> str:
        return (now - timedelta(minutes=minutes_ago)).isoformat().replace("+00:00", "Z")

    def live(name: str, kind: str, minutes_ago: int, conversation: str, channel: str = "chat", **extra) -> dict:
        return {
            "id": name,
            "name": f"conversation.{kind}",
            "occurred_at": at(minutes_ago),
            "conversation_id": conversation,
            "channel": channel,
            **extra,
        }

    post_as(
        client_for,
        [
            live("l1-created", "created", 30, "l1"),
            live("l2-created", "created", 90, "l2", channel="email"),
            live("l3-created", "created", 30, "l3"),
            live("l3-reply", "agent_replied", 20, "l3", agent="a1"),
            live("l4-created", "created", 150, "l4"),
            live("l4-resolved", "resolved", 10, "l4"),
        ],
        "one_by_one",
    )
    overview = client_for.get("/api/v1/summaries/overview").json()
    assert (overview["breaching_within_hour_now"], overview["overdue_now"]) == (1, 1)
    chat = client_for.get("/api/v1/summaries/overview", {"channel": "chat"}).json()
    assert (chat["breaching_within_hour_now"], chat["overdue_now"]) == (1, 0)
    channels = client_for.get("/api/v1/summaries/channels", {"ordering": "-overdue_now"}).json()["results"]
    assert [(row["id"], row["breaching_within_hour_now"], row["overdue_now"]) for row in channels] == [
        ("email", 0, 1),
        ("chat", 1, 0),
    ]
    assert overview["sla"]["first_response_targeted"] == 1 and overview["sla"]["first_response_breaches"] == 0
    verify()


URL = "/api/v1/settings/sla"


@pytest.mark.django_db
def test_sla_versions_are_added_with_the_settings_scope_and_refused_when_back_dated(make_client, workspace):
    """Verifies GET (read) and POST (settings) of the SLA targets: a version from now + 300 s by
    default, null for no target, 400s naming effective_from (back-dated, repeated) and the target's
    fields, 403 without the settings scope."""
    reader = make_client(workspace, scopes=("read",))
    writer = make_client(workspace, scopes=("read", "settings"))
    assert reader.get(URL).json() == {"current": None, "versions": []}
    assert reader.post(URL, {"first_response": {"seconds": 3600}}, format="json").status_code == 403
    added = writer.post(
        URL, {"first_response": {"seconds": 3600, "business_hours": True}, "resolution": None}, format="json"
    )
    assert added.status_code == 201, added.content
    body = added.json()
    assert body["first_response"] == {"seconds": 3600, "business_hours": True} and body["resolution"] is None
    assert datetime.fromisoformat(body["effective_from"]) >= timezone.now() + timedelta(seconds=299)
    assert reader.get(URL).json()["versions"] == [body]

    def field_of(payload) -> str:
        response = writer.post(URL, payload, format="json")
        assert response.status_code == 400, response.content
        return response.json()["errors"][0]["field"]

    assert field_of({"resolution": {"seconds": 60}, "effective_from": "2026-01-01T00:00:00Z"}) == "effective_from"
    assert field_of({"resolution": {"seconds": 60}, "effective_from": body["effective_from"]}) == "effective_from"
    assert field_of({"first_response": {"seconds": 0}}) == "first_response.seconds"
    assert field_of({"first_response": {"minutes": 5}}).startswith("first_response")
    assert field_of({"target": 5}) == "target"


@pytest.mark.django_db
def test_the_admin_adds_sla_versions_by_the_same_rules(admin_client, workspace):
    """Verifies the workspace's admin page lists its SLA versions, and the admin form refuses a
    back-dated version and a target of 0 s but stores a valid one."""
    from analytics.business.admin import SlaPolicyForm
    from analytics.models import SlaPolicy

    add_sla_policies(workspace, POLICY)
    page = admin_client.get(f"/admin/core/workspace/{workspace.pk}/change/")
    assert page.status_code == 200 and "14400" in page.content.decode()

    def form(**data):
        values = {"effective_from": timezone.now() + timedelta(days=1), "first_response_seconds": 600}
        values.update(data)
        return SlaPolicyForm(data=values, instance=SlaPolicy(workspace=workspace))

    assert "effective_from" in form(effective_from="2026-01-01 00:00").errors
    assert "first_response_seconds" in form(first_response_seconds=0).errors
    valid = form(resolution_seconds=3600, resolution_business="on")
    assert valid.is_valid(), valid.errors
    stored = valid.save()
    assert (stored.first_response_seconds, stored.resolution_seconds, stored.resolution_business) == (600, 3600, True)


def live_formula(workspace, channel: str | None = None) -> tuple[int, int]:
    """(breaching within the hour, overdue) as the read computed them before support_live kept
    sla_pending: distinct conversations of conversation_due with a target due in [now, now + 1 h),
    and with one due before now."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(DISTINCT conversation_id)
                       FILTER (WHERE due_at >= now() AND due_at < now() + interval '1 hour'),
                   count(DISTINCT conversation_id) FILTER (WHERE due_at < now())
            FROM conversation_due
            WHERE workspace_id = %s AND (%s::text IS NULL OR channel_id = %s)
            """,
            [workspace.id, channel, channel],
        )
        return cursor.fetchone()


@pytest.mark.django_db
def test_live_counters_stay_exact_through_replies_resolutions_reopens_channel_moves_and_erasure(client_for, workspace):
    """Verifies breaching_within_hour_now and overdue_now (overview, per channel filter, channel
    list) against the read-time formula over conversation_due and against numbers by hand, and
    `rollups` differences empty, after each step: targets created (first response 1 h, resolution
    3 h, calendar time), m1 answered, m3 resolved, m3 reopened, m2 moved from chat to email by an
    earlier created event, then erasure of m1's reply, of that created event and of all of m4."""
    add_sla_policies(workspace, [("2000-01-01T00:00:00Z", (3600, False), (10800, False))])
    now = timezone.now().replace(microsecond=0)

    def live(name: str, kind: str, minutes_ago: int, conversation: str, channel: str, **extra) -> dict:
        occurred = (now - timedelta(minutes=minutes_ago)).isoformat().replace("+00:00", "Z")
        return {
            "id": name,
            "name": f"conversation.{kind}",
            "occurred_at": occurred,
            "conversation_id": conversation,
            "channel": channel,
            **extra,
        }

    def check(expected: dict) -> None:
        """expected: {None (all) or channel: (breaching within the hour, overdue)}."""
        channels = {
            row["id"]: (row["breaching_within_hour_now"], row["overdue_now"])
            for row in client_for.get("/api/v1/summaries/channels").json()["results"]
        }
        for channel, figures in expected.items():
            params = {} if channel is None else {"channel": channel}
            overview = client_for.get("/api/v1/summaries/overview", params).json()
            assert (overview["breaching_within_hour_now"], overview["overdue_now"]) == figures, channel
            assert live_formula(workspace, channel) == figures, channel
            if channel is not None:
                assert channels[channel] == figures, channel
        assert rollups.differences() == []

    post_as(
        client_for,
        [
            live("m1-created", "created", 90, "m1", "chat"),
            live("m2-created", "created", 30, "m2", "chat"),
            live("m3-created", "created", 200, "m3", "email"),
            live("m4-created", "created", 10, "m4", "email"),
            live("m4-customer", "customer_replied", 8, "m4", "email", customer="cu4"),
        ],
        "batch",
    )
    check({None: (2, 2), "chat": (1, 1), "email": (1, 1)})
    post_as(client_for, [live("m1-reply", "agent_replied", 5, "m1", "chat", agent="a1")], "one_by_one")
    check({None: (2, 1), "chat": (1, 0), "email": (1, 1)})
    post_as(client_for, [live("m3-resolved", "resolved", 4, "m3", "email", agent="a1")], "one_by_one")
    check({None: (2, 0), "chat": (1, 0), "email": (1, 0)})
    post_as(client_for, [live("m3-reopened", "reopened", 3, "m3", "email")], "one_by_one")
    check({None: (2, 1), "chat": (1, 0), "email": (1, 1)})
    post_as(client_for, [live("m2-created-earlier", "created", 40, "m2", "email")], "one_by_one")
    check({None: (2, 1), "chat": (0, 0), "email": (2, 1)})
    assert erasure.erase_events(workspace=workspace, event_ids=["m1-reply"]) == ["m1-reply"]
    check({None: (2, 2), "chat": (0, 1), "email": (2, 1)})
    erased = erasure.erase_events(workspace=workspace, event_ids=["m2-created-earlier", "m4-created", "m4-customer"])
    assert sorted(erased) == ["m2-created-earlier", "m4-created", "m4-customer"]
    check({None: (1, 2), "chat": (1, 1), "email": (0, 1)})


@pytest.mark.django_db
def test_the_backfill_migration_counts_the_conversations_of_the_stored_pending_targets(client_for, workspace):
    """Verifies the SQL of migration 0048 (databases upgraded with pending targets already stored):
    with support_live.sla_pending zeroed, verify finds the difference and the overdue figure is
    wrong; the backfill gives back what the trigger kept (2 conversations in chat: l1 with two
    targets, l2 with one; 1 in email, whose slot 0 row exists) and verify is clean."""
    backfill = importlib.import_module("analytics.migrations.0048_backfill_live_sla_pending")
    add_sla_policies(workspace, [("2000-01-01T00:00:00Z", (3600, False), (10800, False))])
    now = timezone.now().replace(microsecond=0)

    def created(conversation: str, minutes_ago: int, channel: str) -> dict:
        occurred = (now - timedelta(minutes=minutes_ago)).isoformat().replace("+00:00", "Z")
        return {
            "id": f"{conversation}-created",
            "name": "conversation.created",
            "occurred_at": occurred,
            "conversation_id": conversation,
            "channel": channel,
        }

    post_as(client_for, [created("l1", 90, "chat"), created("l2", 20, "chat"), created("l3", 200, "email")], "batch")
    post_as(
        client_for,
        [{**created("l2", 10, "chat"), "id": "l2-reply", "name": "conversation.agent_replied", "agent": "a1"}],
        "batch",
    )

    def sla_pending() -> dict:
        with connection.cursor() as cursor:
            cursor.execute("SELECT channel_id, sum(sla_pending) FROM support_live GROUP BY 1 ORDER BY 1")
            return dict(cursor.fetchall())

    kept = sla_pending()
    assert kept == {"chat": 2, "email": 1}
    # email's row moved to slot 0 (readers sum the slots: the same figures), where the backfill then
    # meets an existing row; chat's stays in this connection's slot (1-16), so the backfill creates
    # chat's slot 0 row.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE support_live SET sla_pending = 0, slot = CASE WHEN channel_id = 'email' THEN 0 ELSE slot END"
        )
    assert {d.table for d in rollups.differences()} == {"support_live"}
    assert client_for.get("/api/v1/summaries/overview").json()["overdue_now"] == -1
    with connection.cursor() as cursor:
        cursor.execute(backfill.BACKFILL)
    assert sla_pending() == kept
    assert client_for.get("/api/v1/summaries/overview").json()["overdue_now"] == 2
    assert rollups.differences() == []

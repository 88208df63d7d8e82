"""Per-label figures (conversation_label, conversation.labels, support_label_hourly and GET
/api/v1/summaries/labels) on a small desk posted over HTTP in three arrival orders, against
numbers computed by hand; then after the erasure of the events that took labels off. Each test ends
with `rollups verify`.

    c1 chat   created 09:00, labeled billing 09:02 and bug 09:03, first reply 09:15 (900 s),
              resolved 10:30 (5400 s), bug taken off 10:50, rated 2 at 11:00     -> {billing}
    c2 email  created 09:30, labeled billing 09:31, first reply 09:50 (1200 s), at 09:40 both
              unlabeled billing (id l-c2-unlabel) and labeled billing again (id l-c2-relabel):
              the greater event id decides, the unlabel; labeled vip 10:00, resolved 11:45
              (8100 s), rated 5 at 12:00                                        -> {vip}
    c3 chat   created 10:00, labeled bug 10:01, resolved 10:20, reopened 10:40
              (open: no resolution figure)                                      -> {bug}
    c4 chat   created 11:00, never labeled                                      -> counted under no label
    c5 chat   labeled billing 11:10, never created                              -> {billing}, no figure

A conversation's figures all count under every label it has now: c1's first reply, made while it
also had bug, counts only for billing.
"""

import importlib
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings

from analytics import erasure, retention, rollups, services
from analytics.models import Conversation, ConversationLabel, SupportLabelHourly
from tests.analytics.test_metric_definitions import DAY, POSTING, conv, hour, post_as, verify
from tests.analytics.test_retention import DAY as RETENTION_DAY
from tests.analytics.test_retention import drop_every_partition, reset, shifted
from tests.analytics.test_team_figures import bins
from tests.api.test_csat_and_reply_time_reads import csat, duration
from tests.factories import BASE, support_event, validated

# No SLA policy on this desk: nothing is held to a target.
NO_SLA = dict.fromkeys(
    ("first_response_targeted", "first_response_breaches", "resolution_targeted", "resolution_breaches"), 0
)


def label(event_id: str, kind: str, clock: str, name: str, **extra) -> dict:
    return conv(event_id, kind, clock, properties={"label": name}, **extra)


EVENTS = [
    conv("l-c1-created", "created", "09:00"),
    label("l-c1-billing", "labeled", "09:02", "billing"),
    label("l-c1-bug", "labeled", "09:03", "bug"),
    conv("l-c1-reply", "agent_replied", "09:15", agent="a1"),
    conv("l-c1-resolved", "resolved", "10:30", agent="a1"),
    label("l-c1-unbug", "unlabeled", "10:50", "bug"),
    conv("l-c1-rated", "rated", "11:00", value=2),
    conv("l-c2-created", "created", "09:30", conversation="c2", channel="email"),
    label("l-c2-billing", "labeled", "09:31", "billing", conversation="c2", channel="email"),
    label("l-c2-unlabel", "unlabeled", "09:40", "billing", conversation="c2", channel="email"),
    label("l-c2-relabel", "labeled", "09:40", "billing", conversation="c2", channel="email"),
    conv("l-c2-reply", "agent_replied", "09:50", conversation="c2", channel="email", agent="a2"),
    label("l-c2-vip", "labeled", "10:00", "vip", conversation="c2", channel="email"),
    conv("l-c2-resolved", "resolved", "11:45", conversation="c2", channel="email", agent="a1"),
    conv("l-c2-rated", "rated", "12:00", conversation="c2", channel="email", value=5),
    conv("l-c3-created", "created", "10:00", conversation="c3"),
    label("l-c3-bug", "labeled", "10:01", "bug", conversation="c3"),
    conv("l-c3-resolved", "resolved", "10:20", conversation="c3", agent="a2"),
    conv("l-c3-reopened", "reopened", "10:40", conversation="c3"),
    conv("l-c4-created", "created", "11:00", conversation="c4"),
    label("l-c5-billing", "labeled", "11:10", "billing", conversation="c5"),
]

LABELS = {"c1": ["billing"], "c2": ["vip"], "c3": ["bug"], "c4": [], "c5": ["billing"]}

FIGURES = {
    (hour(9), "billing"): {"created": 1, "first_response": (1, 900, bins(b3=1))},
    (hour(10), "billing"): {"resolution": (1, 5400, bins(b5=1))},
    (hour(11), "billing"): {"scores": {2: 1}},
    (hour(9), "vip"): {"created": 1, "first_response": (1, 1200, bins(b3=1))},
    (hour(11), "vip"): {"resolution": (1, 8100, bins(b6=1))},
    (hour(12), "vip"): {"scores": {5: 1}},
    (hour(10), "bug"): {"created": 1},
}


def label_table(workspace) -> dict:
    """{(bucket, label): figures} with the write slots summed and zero figures left out."""
    sums: dict = {}
    for row in SupportLabelHourly.objects.filter(workspace=workspace):
        total = sums.setdefault((row.bucket, row.label), [0, 0, 0, [0] * 11, 0, 0, [0] * 11, [0] * 5])
        total[0] += row.conversations_created
        total[1] += row.first_response_count
        total[2] += row.first_response_seconds
        total[3] = [a + b for a, b in zip(total[3], row.first_response_bins, strict=True)]
        total[4] += row.resolution_count
        total[5] += row.resolution_seconds
        total[6] = [a + b for a, b in zip(total[6], row.resolution_bins, strict=True)]
        scores = [row.score_1, row.score_2, row.score_3, row.score_4, row.score_5]
        total[7] = [a + b for a, b in zip(total[7], scores, strict=True)]
    table = {}
    for key, (created, fr_count, fr_seconds, fr_bins, res_count, res_seconds, res_bins, scores) in sums.items():
        figures = {}
        if created:
            figures["created"] = created
        for name, count, seconds, histogram in (
            ("first_response", fr_count, fr_seconds, fr_bins),
            ("resolution", res_count, res_seconds, res_bins),
        ):
            if count or seconds or any(histogram):
                figures[name] = (count, seconds, {i: n for i, n in enumerate(histogram) if n})
        if any(scores):
            figures["scores"] = {score: n for score, n in enumerate(scores, start=1) if n}
        if figures:
            table[key] = figures
    return table


def conversation_labels(workspace) -> dict:
    return dict(Conversation.objects.filter(workspace=workspace).values_list("conversation_id", "labels"))


DAY_RANGE = {"from": DAY, "to": "2026-03-11"}


@pytest.mark.django_db
@pytest.mark.parametrize("mode", POSTING)
def test_label_figures_follow_each_conversations_current_labels(client_for, workspace, mode):
    """Verifies conversation_label (the latest labeled/unlabeled event per label decides, a tie on
    occurred_at by the greater event id), conversation.labels, and support_label_hourly: each
    conversation created, first answered, resolved (while resolved) and rated in its hours, under
    every label it has now, whatever the arrival order."""
    post_as(client_for, EVENTS, mode)
    assert conversation_labels(workspace) == LABELS
    decided = {
        (row.conversation_id, row.label): (row.labeled, row.decided_event_id)
        for row in ConversationLabel.objects.filter(workspace=workspace)
    }
    assert decided == {
        ("c1", "billing"): (True, "l-c1-billing"),
        ("c1", "bug"): (False, "l-c1-unbug"),
        ("c2", "billing"): (False, "l-c2-unlabel"),
        ("c2", "vip"): (True, "l-c2-vip"),
        ("c3", "bug"): (True, "l-c3-bug"),
        ("c5", "billing"): (True, "l-c5-billing"),
    }
    assert label_table(workspace) == FIGURES
    verify()


@pytest.mark.django_db
def test_labels_endpoint_answers_every_labels_figures_and_refuses_channel_and_agent(
    client_for, make_client, workspace, other_workspace
):
    """Verifies GET /api/v1/summaries/labels: billing (c1: one value per histogram, p50 = 900 +
    900 x 0.5, p90 = 900 + 900 x 0.9; resolution 3600 + 3600 x 0.5 and x 0.9; rated 2), bug (c3,
    open, unanswered), vip (c2: resolution in the bin from 7200 s, rated 5); no row for c4 (no
    label) and none for c1's bug (taken off); the ordering, paging, the CSV, a 400 naming channel
    or agent, and another workspace's token seeing none."""
    post_as(client_for, EVENTS, "batch")
    response = client_for.get("/api/v1/summaries/labels", DAY_RANGE)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 3
    assert body["results"] == [
        {
            "id": "billing",
            "conversations_created": 1,
            "first_response": duration(1, 900.0, 1350.0, 1710.0),
            "resolution": duration(1, 5400.0, 5400.0, 6840.0),
            "csat": csat({2: 1}, 0.0, 1.0),
            "sla": NO_SLA,
        },
        {
            "id": "bug",
            "conversations_created": 1,
            "first_response": duration(0, None, None, None),
            "resolution": duration(0, None, None, None),
            "csat": csat({}, None, None),
            "sla": NO_SLA,
        },
        {
            "id": "vip",
            "conversations_created": 1,
            "first_response": duration(1, 1200.0, 1350.0, 1710.0),
            "resolution": duration(1, 8100.0, 10800.0, 13680.0),
            "csat": csat({5: 1}, 1.0, 1.0),
            "sla": NO_SLA,
        },
    ]
    ordered = client_for.get("/api/v1/summaries/labels", {**DAY_RANGE, "ordering": "-resolution_avg_seconds"})
    assert [row["id"] for row in ordered.json()["results"]] == ["vip", "billing", "bug"]
    by_share = client_for.get("/api/v1/summaries/labels", {**DAY_RANGE, "ordering": "-csat_satisfied_share"})
    assert [row["id"] for row in by_share.json()["results"]] == ["vip", "billing", "bug"]
    paged = client_for.get("/api/v1/summaries/labels", {**DAY_RANGE, "page_size": 2, "page": 2}).json()
    assert paged["count"] == 3 and [row["id"] for row in paged["results"]] == ["vip"]
    csv_lines = client_for.get("/api/v1/summaries/labels", {**DAY_RANGE, "format": "csv"}).content.decode().splitlines()
    assert csv_lines[0].startswith("id,conversations_created,first_response_count,first_response_avg_seconds,")
    assert [line.split(",")[0] for line in csv_lines[1:]] == ["billing", "bug", "vip"]
    for name in ("channel", "agent"):
        refused = client_for.get("/api/v1/summaries/labels", {**DAY_RANGE, name: "chat"})
        assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == name
    other = make_client(other_workspace, scopes=("read",)).get("/api/v1/summaries/labels", DAY_RANGE)
    assert other.status_code == 200 and other.json()["results"] == []
    assert client_for.get("/api/v1/summaries/labels", {"from": "2026-03-11", "to": "2026-03-12"}).json()["count"] == 0


@pytest.mark.django_db
def test_erasing_the_latest_unlabels_puts_the_conversations_back_under_their_labels(make_client, workspace):
    """Verifies that erasing c1's unlabel of bug and c2's tie-winning unlabel of billing (DELETE
    /api/v1/events/{id}) gives c1 back to bug and c2 back to billing (decided by the relabel now),
    all of their figures with them, as if those events had never been sent; verify stays clean."""
    client = make_client(workspace, scopes=("ingest", "read", "erase"))
    post_as(client, EVENTS, "batch")
    assert client.delete("/api/v1/events/l-c1-unbug").status_code == 204
    assert client.delete("/api/v1/events/l-c2-unlabel").status_code == 204
    assert conversation_labels(workspace) == {**LABELS, "c1": ["billing", "bug"], "c2": ["billing", "vip"]}
    assert ConversationLabel.objects.get(workspace=workspace, conversation_id="c2", label="billing").labeled
    expected = {
        **FIGURES,
        (hour(9), "billing"): {"created": 2, "first_response": (2, 2100, bins(b3=2))},
        (hour(11), "billing"): {"resolution": (1, 8100, bins(b6=1)), "scores": {2: 1}},
        (hour(12), "billing"): {"scores": {5: 1}},
        (hour(9), "bug"): {"created": 1, "first_response": (1, 900, bins(b3=1))},
        (hour(10), "bug"): {"created": 1, "resolution": (1, 5400, bins(b5=1))},
        (hour(11), "bug"): {"scores": {2: 1}},
    }
    assert label_table(workspace) == expected
    verify()


@pytest.mark.django_db
def test_erasing_every_label_event_of_a_label_removes_its_row(make_client, workspace):
    """Verifies that erasing c3's only labeled event deletes its conversation_label row, empties its
    labels and takes its figures from bug; and that erasing c1's billing leaves c1 with no label
    (its bug row stays, off) and takes all of c1 from billing; verify stays clean."""
    client = make_client(workspace, scopes=("ingest", "read", "erase"))
    post_as(client, EVENTS, "batch")
    assert client.delete("/api/v1/events/l-c3-bug").status_code == 204
    assert client.delete("/api/v1/events/l-c1-billing").status_code == 204
    assert conversation_labels(workspace) == {**LABELS, "c1": [], "c3": []}
    assert not ConversationLabel.objects.filter(workspace=workspace, conversation_id="c3").exists()
    remaining = ConversationLabel.objects.filter(workspace=workspace, conversation_id="c1")
    assert [(row.label, row.labeled) for row in remaining] == [("bug", False)]
    assert label_table(workspace) == {key: figures for key, figures in FIGURES.items() if key[1] == "vip"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM conversation_label WHERE workspace_id = %s", [workspace.pk])
        assert cursor.fetchone()[0] == 4
    verify()


@pytest.mark.django_db
@override_settings(TALLY_PARTITION_INTERVAL="day")
def test_labels_decided_before_the_horizon_survive_retention_and_the_erasure_of_a_later_unlabel(workspace):
    """Verifies a conversation created and labeled bug and vip on day 1 (retired: the decisions
    are sealed in conversation_label_sealed), bug taken off on day 2: its labels are vip only;
    erasing the day-2 unlabel puts bug back from the sealed state, with the conversation's
    created figure; verify is clean throughout."""
    drop_every_partition()
    reset()

    def event(kind, event_id, minutes, name=None, days=0):
        properties = {"label": name} if name else None
        made = support_event(
            kind, event_id=event_id, conversation="c", minutes=minutes, channel="chat", properties=properties
        )
        return shifted(made, days) if days else made

    day_one = [event("created", "x1", 0), event("labeled", "x2", 5, "bug"), event("labeled", "x3", 6, "vip")]
    services.events_ingest(workspace=workspace, events=validated(day_one))
    retention.retain(before=RETENTION_DAY + timedelta(days=1))
    services.events_ingest(workspace=workspace, events=validated([event("unlabeled", "x4", 0, "bug", days=1)]))
    assert conversation_labels(workspace) == {"c": ["vip"]}
    with connection.cursor() as cursor:
        cursor.execute("SELECT label, labeled, decided_event_id FROM conversation_label_sealed ORDER BY 1")
        assert cursor.fetchall() == [("bug", True, "x2"), ("vip", True, "x3")]
    assert rollups.differences() == []

    assert erasure.erase_events(workspace=workspace, event_ids=["x4"]) == ["x4"]
    assert conversation_labels(workspace) == {"c": ["bug", "vip"]}
    created_hour = BASE.replace(minute=0)
    assert label_table(workspace) == {(created_hour, "bug"): {"created": 1}, (created_hour, "vip"): {"created": 1}}
    assert rollups.differences() == []
    reset()
    drop_every_partition()


@pytest.mark.django_db
def test_the_backfill_migration_rebuilds_the_label_state_and_figures_from_the_events(client_for, workspace):
    """Verifies the SQL of migration 0031 (for databases upgraded with label events already
    stored): with the label state, the conversations' labels and support_label_hourly emptied, it
    gives back the state and figures the triggers kept, and verify is clean."""
    backfill = importlib.import_module("analytics.migrations.0032_backfill_labels")
    # The business-time and SLA columns came later, with their own backfill (0050), which an
    # upgrade runs after this one.
    later = importlib.import_module("analytics.migrations.0050_team_label_business_sla")
    post_as(client_for, EVENTS, "batch")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM conversation_label")
        cursor.execute("DELETE FROM support_label_hourly")
        cursor.execute("UPDATE conversation SET labels = '{}'")
        for sql in (backfill.LABEL_STATE, backfill.CONVERSATION_LABELS, backfill.LABEL_FIGURES, later.LABEL_BACKFILL):
            cursor.execute(sql)
    assert conversation_labels(workspace) == LABELS
    assert label_table(workspace) == FIGURES
    verify()


@pytest.mark.django_db
def test_a_ranged_verify_and_rebuild_cover_the_label_state_of_the_conversations_in_range(client_for, workspace):
    """Verifies that `rollups verify` over a range compares conversation_label for the conversations
    with an event in it (and not for the others), and that a rebuild over that range puts a
    corrupted label row and support_label_hourly back."""
    post_as(client_for, EVENTS, "batch")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE conversation_label SET labeled = NOT labeled WHERE conversation_id IN ('c1', 'c5')")
        cursor.execute("DELETE FROM support_label_hourly WHERE label = 'billing'")
    # 09:00-10:00 holds events of c1 and c2, not of c5.
    since, until = hour(9), hour(10)
    found = {
        (d.table, d.key.get("conversation_id"), d.key.get("label"))
        for d in rollups.differences(since=since, until=until)
    }
    assert ("conversation_label", "c1", "billing") in found and ("conversation_label", "c1", "bug") in found
    assert not [key for key in found if key[1] == "c5"]
    assert ("support_label_hourly", None, "billing") in found
    rollups.rebuild(since=since, until=until)
    assert [d for d in rollups.differences(since=since, until=until) if d.table == "conversation_label"] == []
    assert ConversationLabel.objects.get(workspace=workspace, conversation_id="c1", label="billing").labeled
    assert not ConversationLabel.objects.get(workspace=workspace, conversation_id="c5", label="billing").labeled

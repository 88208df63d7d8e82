import io
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from analytics import rollups, simulation
from analytics.models import Conversation, Event, SupportHourly
from analytics.serializers import EventSerializer

END = datetime(2026, 3, 9, tzinfo=UTC)  # a Monday


def test_history_is_valid_time_ordered_and_busiest_in_business_hours():
    """Verifies generated events pass the API's validation, come in time order and peak in local working hours."""
    events = list(simulation.history(end=END, days=7, conversations=400, seed=3, tz="Europe/Berlin"))
    assert EventSerializer(data=events[:1000], many=True).is_valid()
    times = [event["occurred_at"] for event in events]
    assert times == sorted(times) and times[-1] < END.isoformat().replace("+00:00", "Z")
    created = [e for e in events if e["name"] == "conversation.created"]
    local_hours = Counter(
        datetime.fromisoformat(e["occurred_at"]).astimezone(simulation.ZoneInfo("Europe/Berlin")).hour for e in created
    )
    assert sum(local_hours[h] for h in range(9, 17)) > 4 * sum(local_hours[h] for h in range(0, 6))
    names = Counter(event["name"] for event in events)
    assert names["conversation.created"] >= 300 and names["conversation.reopened"] > 0 and names["checkout.paid"] > 0


def test_same_seed_gives_the_same_history():
    """Verifies the generator is deterministic for a seed (benchmarks rely on it)."""
    first = list(simulation.history(end=END, days=1, conversations=50, seed=9))
    assert first == list(simulation.history(end=END, days=1, conversations=50, seed=9))


@pytest.mark.django_db
def test_simulate_fills_a_workspace_through_the_ingest_path_and_keeps_summaries_exact():
    """Verifies `simulate` creates the workspace, ingests every event and leaves 0 rollup differences."""
    out = io.StringIO()
    call_command("simulate", "--workspace", "sim", "--days", "2", "--conversations", "150", stdout=out)
    assert "accepted, 0 duplicates" in out.getvalue()
    assert Conversation.objects.filter(workspace__slug="sim").count() >= 100
    assert SupportHourly.objects.filter(workspace__slug="sim", first_response_count__gt=0).exists()
    assert list(rollups.differences()) == []
    again = io.StringIO()
    call_command("simulate", "--workspace", "sim", "--days", "2", "--conversations", "150", stdout=again)
    assert " 0 events accepted" in again.getvalue()


@pytest.mark.django_db
def test_live_mode_sends_events_in_real_time_some_late():
    """Verifies --live sends due events, none in the future, and the summaries stay exact."""
    before = datetime.now(UTC)
    out = io.StringIO()
    call_command("simulate", "--workspace", "live", "--live", "--rate", "200", "--duration", "1.5", stdout=out)
    events = Event.objects.filter(workspace__slug="live")
    assert events.count() > 50
    assert not events.filter(occurred_at__gt=datetime.now(UTC) + timedelta(seconds=1)).exists()
    assert events.filter(occurred_at__gte=before).exists()
    assert list(rollups.differences()) == []

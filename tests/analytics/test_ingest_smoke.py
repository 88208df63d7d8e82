import pytest

from analytics.models import Event, SupportHourly


@pytest.mark.django_db
def test_post_batch_then_retry_counts_duplicates(client_for):
    """Verifies a batch is accepted once and its retry is reported as duplicates."""
    batch = [
        {
            "id": "e1",
            "name": "conversation.created",
            "occurred_at": "2026-01-01T10:00:00Z",
            "conversation_id": "c1",
            "channel": {"id": "email", "name": "Email"},
            "customer": "cu1",
        },
        {
            "id": "e2",
            "name": "conversation.agent_replied",
            "occurred_at": "2026-01-01T10:10:00Z",
            "conversation_id": "c1",
            "channel": "email",
            "agent": {"id": "a1", "name": "Ann"},
        },
    ]
    first = client_for.post("/api/v1/events/", batch, format="json")
    assert first.status_code == 201, first.json()
    assert first.json() == {"accepted": 2, "duplicates": 0}
    again = client_for.post("/api/v1/events/", batch, format="json")
    assert again.json() == {"accepted": 0, "duplicates": 2}
    assert Event.objects.count() == 2
    row = SupportHourly.objects.get(agent_id="a1")
    assert (row.first_response_count, row.first_response_seconds, row.agent_replies) == (1, 600, 1)

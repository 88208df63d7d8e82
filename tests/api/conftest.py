"""A small support week ingested through POST /api/v1/events/, with figures computed by hand.

Workspace `acme` (UTC). The range under test is the week [2026-03-02, 2026-03-09); the week
before holds one conversation (c0) for the previous-period figures.

    c1 email  created 03-02 08:00 (customer u1), assigned a1 08:05, a1 replies 08:10 (first
              response 600 s), customer replies 08:20, a1 resolves 09:00 (resolution 3600 s)
    c2 chat   created 03-02 10:00 (u1), a2 replies 10:01 (60 s), a2 resolves 12:00 (7200 s)
    c3 email  created 03-03 09:00 (u2): open, unassigned, unanswered
    c4 chat   created 03-03 11:00, assigned a2 11:30, a2 resolves 12:00, reopened 13:00:
              open, assigned, unanswered; its resolution no longer counts as a resolution time
    c0 email  created 02-25 10:00 (u2), a1 replies 10:02 (120 s), a1 resolves 11:00 (3600 s)

    p0 signup   02-26 12:00 value 1
    p1 signup   03-02 09:30 value 10, email, customer u1, user user-1
    p2 signup   03-02 23:30 value 20 (00:30 on 03-03 in Europe/Berlin)
    p3 purchase 03-03 14:00 value 5.5, chat, customer u1
    p4 purchase 03-04 14:00 value 4.5, chat
    p5 page.view 03-02 09:45, session s1, user user-1

Workspace `globex` gets the same ids plus its own conversation on an `sms` channel and more
events of customer u1, none of which may appear in acme's figures.
"""

import pytest

EVENTS_URL = "/api/v1/events/"


def conversation(kind: str, event_id: str, conversation_id: str, at: str, channel: str, **extra) -> dict:
    event = {
        "id": event_id,
        "name": f"conversation.{kind}",
        "occurred_at": at,
        "conversation_id": conversation_id,
        "channel": {"id": channel, "name": channel.title()},
    }
    if "agent" in extra:
        agent = extra.pop("agent")
        event["agent"] = {"id": agent, "name": {"a1": "Ann", "a2": "Bob"}.get(agent, agent)}
    return {**event, **extra}


def product(name: str, event_id: str, at: str, **extra) -> dict:
    return {"id": event_id, "name": name, "occurred_at": at, **extra}


SUPPORT_WEEK = [
    conversation("created", "c1-created", "c1", "2026-03-02T08:00:00Z", "email", customer="u1"),
    conversation("assigned", "c1-assigned", "c1", "2026-03-02T08:05:00Z", "email", agent="a1"),
    conversation("agent_replied", "c1-reply", "c1", "2026-03-02T08:10:00Z", "email", agent="a1"),
    conversation("customer_replied", "c1-customer", "c1", "2026-03-02T08:20:00Z", "email", customer="u1"),
    conversation("resolved", "c1-resolved", "c1", "2026-03-02T09:00:00Z", "email", agent="a1"),
    conversation("created", "c2-created", "c2", "2026-03-02T10:00:00Z", "chat", customer="u1"),
    conversation("agent_replied", "c2-reply", "c2", "2026-03-02T10:01:00Z", "chat", agent="a2"),
    conversation("resolved", "c2-resolved", "c2", "2026-03-02T12:00:00Z", "chat", agent="a2"),
    conversation("created", "c3-created", "c3", "2026-03-03T09:00:00Z", "email", customer="u2"),
    conversation("created", "c4-created", "c4", "2026-03-03T11:00:00Z", "chat"),
    conversation("assigned", "c4-assigned", "c4", "2026-03-03T11:30:00Z", "chat", agent="a2"),
    conversation("resolved", "c4-resolved", "c4", "2026-03-03T12:00:00Z", "chat", agent="a2"),
    conversation("reopened", "c4-reopened", "c4", "2026-03-03T13:00:00Z", "chat"),
    conversation("created", "c0-created", "c0", "2026-02-25T10:00:00Z", "email", customer="u2"),
    conversation("agent_replied", "c0-reply", "c0", "2026-02-25T10:02:00Z", "email", agent="a1"),
    conversation("resolved", "c0-resolved", "c0", "2026-02-25T11:00:00Z", "email", agent="a1"),
    product("signup", "p0", "2026-02-26T12:00:00Z", value=1),
    product("signup", "p1", "2026-03-02T09:30:00Z", value=10, channel="email", customer="u1", user_id="user-1"),
    product("signup", "p2", "2026-03-02T23:30:00Z", value=20),
    product("purchase", "p3", "2026-03-03T14:00:00Z", value=5.5, channel="chat", customer="u1"),
    product("purchase", "p4", "2026-03-04T14:00:00Z", value=4.5, channel="chat"),
    product("page.view", "p5", "2026-03-02T09:45:00Z", session_id="s1", user_id="user-1"),
]

OTHER_WORKSPACE_ONLY = [
    conversation("created", "g1-created", "g1", "2026-03-02T08:30:00Z", "sms", customer="u1"),
    conversation("agent_replied", "g1-reply", "g1", "2026-03-02T08:31:00Z", "sms", agent="a1"),
    conversation("resolved", "g1-resolved", "g1", "2026-03-04T08:31:00Z", "email", agent="a1"),
    product("signup", "g-p1", "2026-03-02T09:30:00Z", value=1000, channel="email", customer="u1"),
    product("globex.only", "g-p2", "2026-03-03T09:30:00Z", value=7, channel="sms", customer="g-customer"),
]


def ingest(client, events: list[dict]) -> None:
    response = client.post(EVENTS_URL, events, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["duplicates"] == 0


@pytest.fixture
def support_week(make_client, workspace, other_workspace):
    """The week above in acme (reversed, to show order does not matter) and a noisy globex."""
    ingest(make_client(workspace, scopes=("ingest",)), list(reversed(SUPPORT_WEEK)))
    ingest(make_client(other_workspace, scopes=("ingest",)), SUPPORT_WEEK + OTHER_WORKSPACE_ONLY)
    return workspace


@pytest.fixture
def reader(make_client, workspace):
    """A read-only client of acme."""
    return make_client(workspace, scopes=("read",))

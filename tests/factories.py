"""Event builders in the API's JSON shape, and Hypothesis strategies for random event streams."""

import os
from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from analytics.models import Event
from analytics.serializers import EventSerializer
from analytics.services import event_row

HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
BASE = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def examples(count: int) -> int:
    """A property test's number of examples under the active Hypothesis profile (tests/conftest.py).
    make citus-test runs the "citus" profile: the ci examples, a quarter of them (every statement
    goes through a coordinator to workers, all on this machine's cores)."""
    return {"thorough": count * 10, "citus": max(1, count // 4)}.get(HYPOTHESIS_PROFILE, count)


SUPPORT = ("created", "assigned", "agent_replied", "customer_replied", "resolved", "reopened")
# The kinds that need more than a conversation, a channel and an agent: a score, a label.
SUPPORT_WITH_DETAILS = ("rated", "labeled", "unlabeled")
# Messages twice as likely as the rest: reply times pair them, and interleavings are what matter.
CONVERSATION_KINDS = (*SUPPORT, *SUPPORT_WITH_DETAILS, "agent_replied", "customer_replied")


def at(minutes: int) -> str:
    return (BASE + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def support_event(
    kind: str,
    *,
    event_id: str,
    conversation: str,
    minutes: int,
    channel: str,
    agent: str | None = None,
    customer: str | None = None,
    named: bool = True,
    agent_attributes: tuple[str, ...] = ("name", "email"),
    customer_attributes: tuple[str, ...] = ("name", "type", "occupation"),
    variant: str = "",
    value: int | None = None,
    properties: dict | None = None,
) -> dict:
    """A conversation.<kind> event. With `named`, the channel, agent and customer come as objects
    carrying the given attributes (values suffixed with `variant`), else as bare ids."""
    event = {
        "id": event_id,
        "name": f"conversation.{kind}",
        "occurred_at": at(minutes),
        "conversation_id": conversation,
        "channel": {"id": channel, "name": channel.title()} if named else channel,
    }
    if agent is not None:
        values = {"name": f"Agent {agent}{variant}", "email": f"{agent}{variant}@example.com"}
        event["agent"] = {"id": agent, **{key: values[key] for key in agent_attributes}} if named else agent
    if customer is not None:
        values = {"name": f"Customer {customer}{variant}", "type": f"person{variant}", "occupation": f"pilot{variant}"}
        event["customer"] = {"id": customer, **{key: values[key] for key in customer_attributes}} if named else customer
    if value is not None:
        event["value"] = value
    if properties is not None:
        event["properties"] = properties
    return event


def validated(events: list[dict]) -> list[dict]:
    serializer = EventSerializer(data=events, many=True)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def orm_events(workspace, events: list[dict]) -> list[Event]:
    """Unsaved Event objects for bulk_create, from API-shaped events."""
    objects = []
    for row in (event_row(event) for event in validated(events)):
        row["properties"] = row["properties"].adapted
        objects.append(Event(workspace=workspace, **row))
    return objects


# Few channels, agents, customers and minutes, so that hours, conversations and timestamps
# collide often: ties on occurred_at are where an order-dependent merge would show.
channels = st.sampled_from(["email", "chat", "phone"])
agents = st.sampled_from(["a1", "a2", "a3"])
customers = st.sampled_from(["u1", "u2", "u3"])
sessions = st.sampled_from(["s1", "s2", "s3"])
users = st.sampled_from(["user-1", "user-2"])
# PostgreSQL text holds neither NUL nor lone surrogates; the API refuses both (tested elsewhere).
property_text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=5)
minutes = st.one_of(st.sampled_from([0, 5, 59, 60, 61, 120]), st.integers(min_value=0, max_value=300))


@st.composite
def conversation_events(draw, conversation: str) -> list[dict]:
    channel = draw(channels)
    kinds = draw(st.lists(st.sampled_from(CONVERSATION_KINDS), min_size=1, max_size=10))
    events = []
    for position, kind in enumerate(kinds):
        needs_agent = kind in ("assigned", "agent_replied")
        value = draw(st.integers(1, 5)) if kind == "rated" else None
        properties = None
        if kind in ("labeled", "unlabeled"):
            properties = {"label": draw(st.sampled_from(["billing", "bug"]))}
        elif kind == "assigned":
            properties = draw(st.one_of(st.none(), st.sampled_from([{"team": "tier-1"}, {"team": "tier-2"}])))
        events.append(
            support_event(
                kind,
                event_id=f"{conversation}-{position}",
                conversation=conversation,
                minutes=draw(minutes),
                # Mostly the conversation's channel, sometimes another: the merge must not care.
                channel=draw(st.one_of(st.just(channel), channels)) if position else channel,
                agent=draw(agents) if needs_agent or (kind == "resolved" and draw(st.booleans())) else None,
                customer=draw(st.one_of(st.none(), customers)),
                named=draw(st.booleans()),
                # Any subset of the attributes, with values that differ between events, so an
                # attribute taken from the wrong event, or cleared by one without it, shows.
                agent_attributes=tuple(draw(st.sets(st.sampled_from(["name", "email"])))),
                customer_attributes=tuple(draw(st.sets(st.sampled_from(["name", "type", "occupation"])))),
                variant=draw(st.sampled_from(["", " v2", " v3"])),
                value=value,
                properties=properties,
            )
        )
    return events


@st.composite
def product_event(draw, event_id: str) -> dict:
    event = {
        "id": event_id,
        "name": draw(st.sampled_from(["signup", "page.view", "checkout:paid"])),
        "occurred_at": at(draw(minutes)),
        "properties": draw(st.dictionaries(st.sampled_from(["plan", "path"]), property_text, max_size=2)),
    }
    if draw(st.booleans()):
        event["value"] = draw(st.one_of(st.integers(-1000, 1000), st.decimals(-1000, 1000, places=2).map(float)))
    if draw(st.booleans()):
        event["channel"] = draw(channels)
    if draw(st.booleans()):
        event["customer"] = draw(customers)
    if draw(st.booleans()):
        event["agent"] = draw(agents)
    # Few sessions and users, shared by both workspaces and across hours: sessions merge, and a
    # user or session counts once per hour and name however often it comes back.
    event["session_id"] = draw(st.one_of(st.none(), sessions))
    event["user_id"] = draw(st.one_of(st.none(), users))
    return event


@st.composite
def event_streams(draw, max_conversations: int = 5, max_products: int = 6) -> list[dict]:
    """A shuffled list of events of one workspace, with some events repeated (same id)."""
    events = []
    for number in range(draw(st.integers(0, max_conversations))):
        events.extend(draw(conversation_events(f"c{number}")))
    for number in range(draw(st.integers(0, max_products))):
        events.append(draw(product_event(f"p{number}")))
    if events:
        repeats = draw(st.lists(st.sampled_from(events), max_size=4))
        events.extend(repeats)
    return draw(st.permutations(events))


# Business schedules for the streams above (08:00-13:00 UTC on Monday 2026-03-02), whose open
# intervals cut through that range, so business time differs from calendar time: w1 one version
# in UTC; w2 three versions in Berlin time (UTC+1 then), the second in effect from 09:30 UTC and
# the third, with the day a holiday, from 11:20 UTC, so which version a conversation is measured
# with depends on its created_at. Created before any event (a version is never dated before an
# event that exists: analytics/business/services.py).
BUSINESS_SCHEDULES = {
    "w1": [("2000-01-01T00:00:00Z", "UTC", [(1, "08:30", "09:10"), (1, "09:40", "10:00"), (1, "11:00", "12:00")], [])],
    "w2": [
        ("2000-01-01T00:00:00Z", "Europe/Berlin", [(1, "09:30", "11:00"), (2, "09:00", "17:00")], []),
        ("2026-03-02T09:30:00Z", "Europe/Berlin", [(1, "12:00", "13:30"), (1, "13:45", "24:00")], []),
        ("2026-03-02T11:20:00Z", "Europe/Berlin", [(1, "09:00", "17:00")], ["2026-03-02"]),
    ],
}


def add_business_schedules(workspace, versions) -> None:
    """Stores `versions` [(effective_from, zone, [(weekday, "HH:MM", "HH:MM")], [holiday])] as they are."""
    from analytics.models import BusinessSchedule

    def minute(text: str) -> int:
        hours, minutes = text.split(":")
        return int(hours) * 60 + int(minutes)

    for effective_from, zone, intervals, holidays in versions:
        BusinessSchedule.objects.create(
            workspace=workspace,
            effective_from=datetime.fromisoformat(effective_from),
            time_zone=zone,
            weekdays=[weekday for weekday, _, _ in intervals],
            start_minutes=[minute(start) for _, start, _ in intervals],
            end_minutes=[minute(end) for _, _, end in intervals],
            holidays=[datetime.fromisoformat(day).date() for day in holidays],
        )


# SLA policies for the streams: targets short enough that some responses and resolutions breach
# and some do not, in calendar and business time; w2 has a second version from 10:00 UTC, so the
# targets a conversation is held to depend on its created_at. Tuples: effective_from, first
# response (seconds, business), resolution (seconds, business); None: no target.
SLA_POLICIES = {
    "w1": [("2000-01-01T00:00:00Z", (600, False), (3600, True))],
    "w2": [
        ("2000-01-01T00:00:00Z", (1200, True), None),
        ("2026-03-02T10:00:00Z", (300, False), (7200, False)),
    ],
}


def add_sla_policies(workspace, versions) -> None:
    """Stores `versions` [(effective_from, (seconds, business) or None, (seconds, business) or None)]."""
    from analytics.models import SlaPolicy

    for effective_from, first_response, resolution in versions:
        SlaPolicy.objects.create(
            workspace=workspace,
            effective_from=datetime.fromisoformat(effective_from),
            first_response_seconds=first_response and first_response[0],
            first_response_business=bool(first_response and first_response[1]),
            resolution_seconds=resolution and resolution[0],
            resolution_business=bool(resolution and resolution[1]),
        )

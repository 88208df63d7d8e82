"""A plausible support desk: conversations over channels and agents with business-hour peaks,
assignment, replies with realistic delays, resolutions and reopens, repeat customers, and
product events with values. Events are dicts in the API's JSON shape, so they go through the
same validation and insert as POST /api/v1/events/.
"""

import heapq
import math
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

CHANNELS = (
    ("email", "Email", 0.40),
    ("chat", "Live chat", 0.35),
    ("whatsapp", "WhatsApp", 0.15),
    ("phone", "Phone", 0.10),
)
# Mean minutes to first assignment and to the first agent reply, per channel.
FIRST_TOUCH_MINUTES = {"email": (25, 90), "chat": (1, 4), "whatsapp": (5, 20), "phone": (0.5, 2)}
FIRST_NAMES = ("Ann", "Ben", "Chloe", "Dev", "Elif", "Femi", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lena")
PRODUCT_EVENTS = (
    ("page.view", 0.55, None),
    ("feature.used", 0.25, None),
    ("checkout.paid", 0.1, (9, 400)),
    ("signup", 0.1, None),
)
# Scores of the conversations that get rated (about a third of those resolved), in turn.
RATINGS = (5, 4, 5, 3, 5, 4, 1, 5, 2, 4)
TEAMS = ("tier-1", "tier-2")
# Relative load per local hour of day: quiet nights, a morning and an afternoon peak.
HOURLY_LOAD = (1, 1, 1, 1, 1, 2, 3, 6, 10, 14, 15, 14, 11, 12, 14, 14, 12, 9, 6, 4, 3, 2, 2, 1)


WARM_UP_SECONDS = 3600
WARM_UP_CONVERSATIONS = 5000


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@dataclass
class Desk:
    rng: random.Random
    tz: ZoneInfo
    agents: int = 20
    customers: int = 3000
    # Ids are "sim<tag>-evt-<n>": deterministic for a seed (a rerun is all duplicates), and apart
    # from ids a real client sends.
    tag: str = ""
    serial: int = 0
    agent_pool: list[dict] = field(default_factory=list)

    def __post_init__(self):
        self.agent_pool = [
            {"id": f"agent-{n}", "name": f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {n}", "email": f"agent{n}@example.com"}
            for n in range(self.agents)
        ]

    def next_id(self, prefix: str) -> str:
        self.serial += 1
        return f"sim{self.tag}-{prefix}-{self.serial}"

    def customer(self) -> dict:
        # Pareto-ish: a few customers write often, most once or twice.
        number = min(int(self.rng.paretovariate(1.2)) - 1, self.customers - 1)
        number = (number * 7919 + self.rng.randrange(3)) % self.customers
        return {
            "id": f"cust-{number}",
            "name": f"Customer {number}",
            "type": "company" if number % 5 == 0 else "person",
        }

    def channel(self) -> dict:
        channel_id, name, _ = self.rng.choices(CHANNELS, weights=[weight for *_, weight in CHANNELS])[0]
        return {"id": channel_id, "name": name}

    def delay(self, mean_minutes: float) -> timedelta:
        return timedelta(minutes=self.rng.expovariate(1 / mean_minutes))

    def conversation(self, start: datetime) -> list[dict]:
        """All events of one conversation, in time order."""
        conversation_id = self.next_id("conv")
        channel, customer = self.channel(), self.customer()
        agent = self.rng.choice(self.agent_pool)
        assign_mean, reply_mean = FIRST_TOUCH_MINUTES[channel["id"]]

        def event(kind: str, moment: datetime, **details) -> dict:
            return {
                "id": self.next_id("evt"),
                "name": f"conversation.{kind}",
                "occurred_at": moment,
                "conversation_id": conversation_id,
                "channel": channel,
                **details,
            }

        moment = start
        events = [event("created", moment, customer=customer)]
        moment += self.delay(assign_mean)
        events.append(event("assigned", moment, agent=agent, properties={"team": self.team(agent)}))
        if self.rng.random() < 0.08:
            agent = self.rng.choice(self.agent_pool)
            moment += self.delay(assign_mean)
            events.append(event("assigned", moment, agent=agent, properties={"team": self.team(agent)}))
        moment += self.delay(reply_mean)
        events.append(event("agent_replied", moment, agent={"id": agent["id"]}))
        for _ in range(self.rng.choice((0, 1, 1, 2, 3))):
            moment += self.delay(reply_mean * 3)
            events.append(event("customer_replied", moment, customer={"id": customer["id"]}))
            moment += self.delay(reply_mean * 2)
            events.append(event("agent_replied", moment, agent={"id": agent["id"]}))
        if self.rng.random() < 0.85:
            moment += self.delay(reply_mean * 4)
            events.append(event("resolved", moment, agent={"id": agent["id"]}))
            if self.rng.random() < 0.1:
                moment += self.delay(600)
                events.append(event("reopened", moment, customer={"id": customer["id"]}))
                moment += self.delay(reply_mean * 6)
                events.append(event("agent_replied", moment, agent={"id": agent["id"]}))
                if self.rng.random() < 0.8:
                    moment += self.delay(reply_mean * 4)
                    events.append(event("resolved", moment, agent={"id": agent["id"]}))
        # Ratings without drawing from rng, so every other draw (and figure) stays as it was.
        number = int(conversation_id.rsplit("-", 1)[1])
        if events[-1]["name"] == "conversation.resolved" and number % 3 == 0:
            rated_at = moment + timedelta(minutes=5 + number % 55)
            events.append(event("rated", rated_at, value=RATINGS[number // 3 % len(RATINGS)]))
        return events

    def team(self, agent: dict) -> str:
        return TEAMS[int(agent["id"].rsplit("-", 1)[1]) % len(TEAMS)]

    def product_events(self, start: datetime) -> list[dict]:
        """A short session of product events by one customer."""
        customer, session = self.customer(), self.next_id("sess")
        moment, events = start, []
        for _ in range(self.rng.randint(1, 6)):
            name, _, value_range = self.rng.choices(PRODUCT_EVENTS, weights=[w for _, w, _ in PRODUCT_EVENTS])[0]
            event = {
                "id": self.next_id("evt"),
                "name": name,
                "occurred_at": moment,
                "customer": {"id": customer["id"]},
                "channel": {"id": "web", "name": "Web app"},
                "session_id": session,
                "user_id": f"user-{customer['id']}",
                "properties": {"path": self.rng.choice(("/", "/pricing", "/inbox", "/reports", "/settings"))},
            }
            if value_range:
                event["value"] = round(self.rng.uniform(*value_range), 2)
            events.append(event)
            moment += timedelta(seconds=self.rng.expovariate(1 / 40))
        return events

    def starts(self, begin: datetime, end: datetime, count: int) -> list[datetime]:
        """`count` instants in [begin, end), denser in local business hours and on weekdays."""
        hours = max(1, math.ceil((end - begin).total_seconds() / 3600))
        weights = []
        for number in range(hours):
            local = (begin + timedelta(hours=number)).astimezone(self.tz)
            weights.append(HOURLY_LOAD[local.hour] * (0.35 if local.weekday() >= 5 else 1.0))
        chosen = self.rng.choices(range(hours), weights=weights, k=count)
        moments = [begin + timedelta(hours=hour, seconds=self.rng.uniform(0, 3600)) for hour in chosen]
        return sorted(moment for moment in moments if moment < end)


def history(*, end: datetime, days: int, conversations: int, seed: int = 1, tz: str = "UTC") -> Iterator[dict]:
    """Every event of `days` up to `end`, in time order; events that would lie after `end` are left out."""
    desk = Desk(rng=random.Random(seed), tz=ZoneInfo(tz), tag=str(seed))
    begin = end - timedelta(days=days)
    queue: list[tuple[datetime, str, dict]] = []
    for start in desk.starts(begin, end, conversations):
        for event in desk.conversation(start):
            heapq.heappush(queue, (event["occurred_at"], event["id"], event))
    for start in desk.starts(begin, end, conversations):
        for event in desk.product_events(start):
            heapq.heappush(queue, (event["occurred_at"], event["id"], event))
    while queue:
        moment, _, event = heapq.heappop(queue)
        if moment >= end:
            break
        yield {**event, "occurred_at": iso(moment)}


def live(*, rate: float, seed: int = 1, tz: str = "UTC", late_share: float = 0.05) -> Iterator[tuple[float, dict]]:
    """An endless stream of (seconds from now, event): new conversations arrive at a rate that gives
    about `rate` events/s; each event is due at its occurred_at, a share of them late by up to
    two minutes (so they arrive out of order)."""
    desk = Desk(rng=random.Random(seed), tz=ZoneInfo(tz), tag=f"{seed}live{int(time.time())}")
    origin = datetime.now(ZoneInfo("UTC"))
    queue: list[tuple[float, str, dict]] = []
    # Conversations that began before now are already under way, so the stream starts at its
    # steady rate; their events from before now are not sent.
    next_arrival = -min(WARM_UP_SECONDS, WARM_UP_CONVERSATIONS / (rate / 11))
    while True:
        due_first = queue[0][0] if queue else math.inf
        if next_arrival <= due_first:
            moment = origin + timedelta(seconds=next_arrival)
            # ~11 events per conversation+session pair on average.
            for event in desk.conversation(moment) + desk.product_events(moment):
                offset = (event["occurred_at"] - origin).total_seconds()
                if desk.rng.random() < late_share:
                    offset += desk.rng.uniform(1, 120)
                heapq.heappush(queue, (offset, event["id"], {**event, "occurred_at": iso(event["occurred_at"])}))
            next_arrival += desk.rng.expovariate(rate / 11)
            continue
        offset, _, event = heapq.heappop(queue)
        if offset >= 0:
            yield offset, event

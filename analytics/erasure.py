"""Erasure: deleting raw events so that every summary stays equal to its recomputation.

The summaries follow a DELETE of raw events by themselves: the statement trigger
sql/triggers/event__erase.sql recomputes or subtracts what the deleted events touched. This module
holds what a DELETE alone does not do:

- `erase_events` deletes events by id (DELETE /api/v1/events/{id}), taking the lock the trigger
  needs before the DELETE, so that two erasures queue instead of deadlocking.
- `erase_customer` (manage.py erase_customer, the right to erasure) also removes what retention
  sealed about the customer: the sealed customer, its sealed per-customer interaction hours, and
  the customer on sealed conversations. The anonymous totals (conversations, replies, response
  times, event counts) stay.
- `erase_user` (manage.py erase_user) does the same for a product user (`user_id`): their raw
  events go, the user is removed from sealed sessions, and in the sealed hours of
  event_unique_hourly (before the horizon, where no event is left to recompute from) their id is
  replaced by one random pseudonym, so that the unique counts of retired history stay what they
  were while nothing names the user any more.
- Deleting a workspace deletes its summaries with it (`workspace_summaries_delete`, connected to
  pre_delete of core.Workspace).

Idempotency keys (event_key) are kept: a retry of an erased event is a duplicate, so an erased
event cannot come back through a client's retry. They hold the event id only.
"""

import uuid
from dataclasses import dataclass

from django.apps import apps
from django.db import connection, models, transaction

from analytics import citus, retention
from core.models import Workspace

LOCK = "LOCK TABLE event IN SHARE ROW EXCLUSIVE MODE"
"""What the erase trigger takes first: waits for in-flight ingestion and holds new ingestion until
commit. Taken before the DELETE, so two erasures wait for each other instead of deadlocking in the
trigger's lock upgrade."""


@dataclass(frozen=True)
class Erased:
    events: int
    sealed_conversations: int = 0
    sealed_interaction_hours: int = 0
    sealed_customer: bool = False
    conversations: int = 0

    def __str__(self) -> str:
        parts = [f"{self.events} events deleted"]
        if self.conversations:
            parts.append(f"{self.conversations} conversations without the customer")
        if self.sealed_conversations or self.sealed_interaction_hours or self.sealed_customer:
            parts.append(
                f"sealed history: {self.sealed_conversations} conversations anonymized, "
                f"{self.sealed_interaction_hours} interaction hours and "
                f"{'the' if self.sealed_customer else 'no'} sealed customer deleted"
            )
        return "; ".join(parts)


def pending_delete(cursor, condition: str, params: list) -> list[str]:
    """Deletes the workspace's pending events (deferred summaries, analytics/settling.py) that meet
    `condition`; their event ids. They were never counted, so no summary changes. Exact under
    LOCK: it waits for every settle in flight (a settle inserts into event) and holds new ones off,
    so no pending row is being counted meanwhile."""
    cursor.execute(f"DELETE FROM event_pending WHERE workspace_id = %s AND {condition} RETURNING event_id", params)
    return [event_id for (event_id,) in cursor.fetchall()]


def erase_events(*, workspace: Workspace, event_ids: list[str]) -> list[str]:
    """Deletes the workspace's events with these ids; returns the ids that existed."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(LOCK)
        cursor.execute(
            "DELETE FROM event WHERE workspace_id = %s AND event_id = ANY(%s) RETURNING event_id",
            [workspace.pk, list(event_ids)],
        )
        erased = [event_id for (event_id,) in cursor.fetchall()]
        return erased + pending_delete(cursor, "event_id = ANY(%s)", [workspace.pk, list(event_ids)])


def erase_customer(*, workspace: Workspace, customer_id: str) -> Erased:
    """Deletes every raw event naming the customer and what retention sealed about them, in one
    transaction; every summary stays equal to its recomputation from what is left."""
    key = [workspace.pk, customer_id]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(LOCK)
        # Sealed state first, so that the trigger's recomputations no longer find the customer.
        cursor.execute(
            """UPDATE conversation_sealed
               SET customer_id = NULL, customer_rank = NULL, customer_at = NULL, customer_event_id = NULL
               WHERE workspace_id = %s AND customer_id = %s""",
            key,
        )
        sealed_conversations = cursor.rowcount
        cursor.execute("DELETE FROM customer_sealed WHERE workspace_id = %s AND customer_id = %s", key)
        sealed_customer = cursor.rowcount > 0
        # Hours before the retention horizon: the trigger never touches them (their events are gone).
        sealed_interaction_hours = 0
        horizon = retention.horizon()
        if horizon is not None:
            cursor.execute(
                "DELETE FROM customer_interaction_hourly WHERE workspace_id = %s AND customer_id = %s AND bucket < %s",
                [*key, horizon],
            )
            sealed_interaction_hours = cursor.rowcount
        cursor.execute("DELETE FROM event WHERE workspace_id = %s AND customer_id = %s", key)
        events = cursor.rowcount + len(pending_delete(cursor, "customer_id = %s", key))
        # Conversations that still name the customer (from sealed state, or with no event of theirs
        # deleted): their customer becomes what the remaining events and sealed state give.
        cursor.execute(
            """UPDATE conversation AS c
               SET customer_id = r.customer_id, customer_rank = r.customer_rank,
                   customer_at = r.customer_at, customer_event_id = r.customer_event_id
               FROM conversation AS named
               CROSS JOIN LATERAL (
                   SELECT * FROM recompute_conversation AS r
                   WHERE r.workspace_id = named.workspace_id AND r.conversation_id = named.conversation_id
               ) AS r
               WHERE named.workspace_id = %s AND named.customer_id = %s
                 AND (c.workspace_id, c.conversation_id) = (named.workspace_id, named.conversation_id)""",
            key,
        )
        conversations = cursor.rowcount
    return Erased(
        events=events,
        sealed_conversations=sealed_conversations,
        sealed_interaction_hours=sealed_interaction_hours,
        sealed_customer=sealed_customer,
        conversations=conversations,
    )


@dataclass(frozen=True)
class ErasedUser:
    events: int
    sealed_unique_rows: int = 0
    sealed_sessions: int = 0

    def __str__(self) -> str:
        text = f"{self.events} events deleted"
        if self.sealed_unique_rows or self.sealed_sessions:
            text += (
                f"; sealed history: {self.sealed_unique_rows} unique-count rows pseudonymized, "
                f"the user removed from {self.sealed_sessions} sessions"
            )
        return text


PERIODS_RENAMED = """
WITH gone AS (
    DELETE FROM event_unique_period
    WHERE workspace_id = %(workspace)s AND kind = 'user' AND member = %(user)s
    RETURNING workspace_id, kind, name, granularity, period, first_bucket, last_bucket, -1 AS sign
),
came AS (
    INSERT INTO event_unique_period (workspace_id, kind, name, granularity, period, member, first_bucket, last_bucket)
    SELECT workspace_id, kind, name, granularity, period, member, first_bucket, last_bucket
    FROM recompute_event_unique_period
    WHERE workspace_id = %(workspace)s AND kind = 'user' AND member = %(pseudonym)s
    ORDER BY 1, 2, 3, 4, 5, 6
    RETURNING workspace_id, kind, name, granularity, period, first_bucket, last_bucket, 1 AS sign
)
INSERT INTO event_unique_period_count AS u (workspace_id, kind, name, granularity, period, bucket, slot, firsts, lasts)
SELECT p.workspace_id, p.kind, p.name, p.granularity, p.period, m.bucket, tally_write_slot(),
       sum(m.firsts), sum(m.lasts)
FROM (SELECT * FROM gone UNION ALL SELECT * FROM came) AS p
CROSS JOIN LATERAL (VALUES (p.first_bucket, p.sign, 0), (p.last_bucket, 0, p.sign)) AS m (bucket, firsts, lasts)
GROUP BY 1, 2, 3, 4, 5, 6
HAVING sum(m.firsts) <> 0 OR sum(m.lasts) <> 0
ORDER BY 1, 2, 3, 4, 5, 6
ON CONFLICT (workspace_id, kind, name, granularity, period, bucket, slot) DO UPDATE SET
    firsts = u.firsts + EXCLUDED.firsts,
    lasts = u.lasts + EXCLUDED.lasts
"""
"""What erase_user does to the periods of the unique counts (event_unique_period) once the user's
sealed hourly rows carry the pseudonym and its events are deleted: the user's rows left (periods
of sealed hours only) go, the pseudonym's come from its hourly rows, the counts move by the
difference."""


def erase_user(*, workspace: Workspace, user_id: str) -> ErasedUser:
    """Deletes every raw event of the workspace that carries the user_id, and replaces the user in
    the sealed hours of event_unique_hourly by one pseudonym (the same in every such row, so a
    week's unique count still counts them once), in one transaction; every summary stays equal to
    its recomputation from what is left."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(LOCK)
        # Rewrites the workspace's periods: a change of its zone must not overlap (as ingestion;
        # on Citus the zone change takes a table lock that LOCK above already conflicts with).
        if not citus.is_citus():
            cursor.execute("SELECT 1 FROM workspace WHERE id = %s FOR SHARE", [workspace.pk])
        sealed_unique_rows = 0
        horizon = retention.horizon()
        pseudonym = f"erased:{uuid.uuid4()}"
        if horizon is not None:
            cursor.execute(
                """UPDATE event_unique_hourly SET member = %s
                   WHERE workspace_id = %s AND kind = 'user' AND member = %s AND bucket < %s""",
                [pseudonym, workspace.pk, user_id, horizon],
            )
            sealed_unique_rows = cursor.rowcount
        # Sealed sessions first, so that the trigger's recomputations no longer find the user.
        cursor.execute(
            """UPDATE session_sealed SET user_id = NULL, user_at = NULL, user_event_id = NULL
               WHERE workspace_id = %s AND user_id = %s""",
            [workspace.pk, user_id],
        )
        sealed_sessions = cursor.rowcount
        # The erase trigger recomputes the hours at or after the horizon and the touched sessions.
        cursor.execute("DELETE FROM event WHERE workspace_id = %s AND user_id = %s", [workspace.pk, user_id])
        events = cursor.rowcount + len(pending_delete(cursor, "user_id = %s", [workspace.pk, user_id]))
        if sealed_unique_rows:
            # The trigger took the user out of the periods of its deleted events; the periods of
            # its sealed hours, now the pseudonym's, move to the pseudonym with the hours it has.
            cursor.execute(PERIODS_RENAMED, {"workspace": workspace.pk, "user": user_id, "pseudonym": pseudonym})
        # Sessions that still name the user (their user came from sealed state, and none of their
        # events was deleted): their user becomes what the remaining events and sealed state give.
        cursor.execute(
            """UPDATE session AS s
               SET user_id = r.user_id, user_at = r.user_at, user_event_id = r.user_event_id
               FROM session AS named
               CROSS JOIN LATERAL (
                   SELECT * FROM recompute_session AS r
                   WHERE r.workspace_id = named.workspace_id AND r.session_id = named.session_id
               ) AS r
               WHERE named.workspace_id = %s AND named.user_id = %s
                 AND (s.workspace_id, s.session_id) = (named.workspace_id, named.session_id)""",
            [workspace.pk, user_id],
        )
        return ErasedUser(events=events, sealed_unique_rows=sealed_unique_rows, sealed_sessions=sealed_sessions)


def summary_models() -> list[type[models.Model]]:
    """Every table of the analytics app keyed by workspace without a database foreign key (the
    summaries, their sealed state): what deleting a workspace must delete itself."""
    found = []
    for model in apps.get_app_config("analytics").get_models():
        if not model._meta.managed:
            continue
        field = next((f for f in model._meta.concrete_fields if f.name == "workspace"), None)
        if field is not None and field.remote_field.on_delete is models.DO_NOTHING:
            found.append(model)
    return sorted(found, key=lambda model: model._meta.db_table)


def workspace_summaries_delete(sender, instance: Workspace, using: str, **kwargs) -> None:
    """pre_delete of a Workspace: its summaries go with it, and the erase trigger skips its events
    (recomputing summaries that are about to be deleted would be wasted work)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT (tally_deleted_workspaces() || %s::bigint)::text", [instance.pk])
        (deleted,) = cursor.fetchone()
        # SET LOCAL, not set_config(): on Citus the erase trigger runs on the workers, which a SET
        # LOCAL reaches (citus.propagate_set_commands = 'local', set by citus_distribute).
        cursor.execute("SET LOCAL tally.deleted_workspaces = %s", [deleted])
        for model in summary_models():
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE workspace_id = %s", [instance.pk])

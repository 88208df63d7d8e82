"""Mutation testing of the summaries: plant one plausible bug at a time in the trigger bodies, the
recompute views, the dimension views, the read selectors and compaction, run the tests that guard
them, and report which bugs the suite kills.

    .venv/bin/python scripts/mutate.py            # every mutant; writes bench/results/mutation.json
    .venv/bin/python scripts/mutate.py --only T2  # one mutant, by id
    make mutate

A trigger body reaches the test database only through a migration (pgtrigger installs what the
migration holds), so for a mutant in sql/triggers/ the script writes a throwaway migration with
`makemigrations`, and removes it afterwards; views and Python are read fresh by each test run.
Every file is restored whatever happens. The suite runs first without any mutant: if it fails,
nothing is reported. A mutant is killed when the tests fail; "survived" means a bug the tests
cannot see, to be fixed with a test (or argued equivalent in the list below).

Equivalent mutants are left out, with the reason: shifting only the `periods` start of the
overview SQL by an hour changes nothing, because the join also bounds the buckets by the same
constants (analytics/summaries.py).

Run it before resolving an issue that adds a trigger or a metric, with the tests of that change
added to TESTS, and keep the list growing with each new merge rule.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MIGRATIONS = ROOT / "analytics" / "migrations"
TESTS = [
    "tests/analytics/test_lock_order.py",
    "tests/analytics/test_edges.py",
    "tests/analytics/test_metric_definitions.py",
    "tests/analytics/test_write_slots.py",
    "tests/api",
    "tests/analytics/test_invariant.py",
    "tests/analytics/test_erasure.py",
    "tests/analytics/test_properties.py",
    "tests/analytics/test_csat_and_reply_times.py",
    "tests/analytics/test_team_figures.py",
    "tests/analytics/test_label_figures.py",
    "tests/analytics/test_quality_per_grain.py",
    "tests/analytics/test_business_hours.py",
    "tests/analytics/test_sla.py",
    "tests/analytics/test_group_business_sla.py",
    "tests/analytics/test_lean_statements.py",
    "tests/analytics/test_retention.py::test_a_session_across_the_horizon_keeps_its_first_event_and_count",
]


@dataclass(frozen=True)
class Mutant:
    id: str
    path: str
    old: str
    new: str
    what: str


MUTANTS = [
    Mutant(
        "T1",
        "sql/triggers/event__count_hourly.sql",
        "ORDER BY 1, 2, 3, 4, 5\n",
        "",
        "event_hourly upsert without its ORDER BY (rows locked in hash order)",
    ),
    Mutant(
        "T2",
        "sql/triggers/event__count_hourly.sql",
        "value_min = LEAST(h.value_min, EXCLUDED.value_min)",
        "value_min = EXCLUDED.value_min",
        "value_min overwritten instead of kept as the minimum",
    ),
    Mutant(
        "T3",
        "sql/triggers/event__count_hourly.sql",
        "value_max = GREATEST(h.value_max, EXCLUDED.value_max)",
        "value_max = LEAST(h.value_max, EXCLUDED.value_max)",
        "value_max kept as a minimum",
    ),
    Mutant(
        "T4",
        "sql/triggers/event__merge_customers.sql",
        "type = CASE WHEN (EXCLUDED.type_at, EXCLUDED.type_event_id)\n"
        "                  > (COALESCE(d.type_at, '-infinity'), COALESCE(d.type_event_id, ''))",
        "type = CASE WHEN EXCLUDED.type_at > COALESCE(d.type_at, '-infinity')",
        "customer type tie on occurred_at not broken by event id",
    ),
    Mutant(
        "T5",
        "sql/triggers/event__merge_agents.sql",
        "last_seen_at = GREATEST(d.last_seen_at",
        "last_seen_at = LEAST(d.last_seen_at",
        "agent last_seen_at kept as a minimum",
    ),
    Mutant(
        "T6",
        "sql/triggers/event__merge_conversations.sql",
        "CROSS JOIN (SELECT '{0,60,300,900,1800,3600,7200,14400,28800,86400,259200}'::int[] AS starts)",
        "CROSS JOIN (SELECT '{0,60,301,900,1800,3600,7200,14400,28800,86400,259200}'::int[] AS starts)",
        "trigger histogram bin edge moved by one second",
    ),
    Mutant(
        "T7",
        "sql/triggers/event__merge_conversations.sql",
        "CASE WHEN first_response_at IS NULL THEN sign ELSE 0 END AS unanswered",
        "CASE WHEN first_assigned_at IS NULL THEN sign ELSE 0 END AS unanswered",
        "live unanswered counts the unassigned instead",
    ),
    Mutant(
        "T8",
        "sql/triggers/event__merge_conversations.sql",
        "first_response_event_id)\n                       < (c.first_response_at",
        "first_response_event_id)\n                       > (c.first_response_at",
        "first response taken from the latest reply",
    ),
    Mutant(
        "G1",
        "sql/triggers/event__merge_agents.sql",
        "-- @when EXISTS (SELECT 1 FROM new_events WHERE agent_id IS NOT NULL)",
        "-- @when EXISTS (SELECT 1 FROM new_events WHERE agent_name IS NOT NULL)",
        "agent merge skipped for a statement whose agents carry no name",
    ),
    Mutant(
        "G2",
        "sql/triggers/event__merge_conversations.sql",
        "-- @when EXISTS (SELECT 1 FROM new_events WHERE name LIKE 'conversation.%')",
        "-- @when EXISTS (SELECT 1 FROM new_events WHERE name = 'conversation.created')",
        "conversation merge skipped for a statement without a conversation.created",
    ),
    Mutant(
        "G3",
        "sql/triggers/event__count_customer_interactions.sql",
        "-- @when EXISTS (SELECT 1 FROM new_events WHERE customer_id IS NOT NULL AND channel_id IS NOT NULL)",
        "-- @when EXISTS (SELECT 1 FROM new_events WHERE customer_id IS NOT NULL AND customer_name IS NOT NULL)",
        "interactions skipped for a statement whose customers carry no name",
    ),
    Mutant(
        "R1",
        "sql/recompute/support_duration_hourly.sql",
        "WHEN seconds < 300 THEN 60",
        "WHEN seconds <= 300 THEN 60",
        "recompute histogram bin edge inclusive",
    ),
    Mutant(
        "R2",
        "sql/recompute/event_hourly.sql",
        "min(value) AS value_min",
        "max(value) AS value_min",
        "recompute value_min as a maximum",
    ),
    Mutant(
        "V1",
        "sql/views/agent.sql",
        "(array_agg(name ORDER BY name_at DESC NULLS LAST",
        "(array_agg(name ORDER BY name_at ASC NULLS LAST",
        "agent view takes the name of the earliest slot",
    ),
    Mutant(
        "V2",
        "sql/views/channel.sql",
        "min(first_seen_at) AS first_seen_at",
        "max(first_seen_at) AS first_seen_at",
        "channel view first_seen_at over slots as a maximum",
    ),
    Mutant(
        "S1",
        "analytics/params.py",
        "return self.start - (self.end - self.start), self.start",
        "return self.start - (self.end - self.start) - timedelta(hours=1), self.start",
        "previous period starts an hour early",
    ),
    Mutant(
        "S2",
        "analytics/summaries.py",
        "        GROUP BY channel_id\n    ) AS l ON l.channel_id = dim.channel_id",
        "        GROUP BY channel_id, slot\n    ) AS l ON l.channel_id = dim.channel_id",
        "channel list joins live counters per slot (rows multiplied)",
    ),
    Mutant(
        "S3",
        "analytics/summaries.py",
        "AND c.upto >= {p} * c.total AND",
        "AND c.upto > {p} * c.total AND",
        "percentile crossing missed on an exact boundary (no bin holds it: NULL)",
    ),
    Mutant(
        "T9",
        "sql/triggers/event__merge_conversations.sql",
        "resolutions = ag.resolutions + EXCLUDED.resolutions",
        "resolutions = EXCLUDED.resolutions",
        "support_agent_hourly resolutions overwritten instead of added",
    ),
    Mutant(
        "T10",
        "sql/triggers/event__merge_conversations.sql",
        "THEN 'channel' WHEN GROUPING(agent_id) = 0 THEN 'agent' ELSE 'total' END\n"
        "               AS dimension,\n           COALESCE(channel_id, agent_id, '') AS dimension_id,\n"
        "           sum(conversations_created)",
        "THEN 'agent' WHEN GROUPING(agent_id) = 0 THEN 'channel' ELSE 'total' END\n"
        "               AS dimension,\n           COALESCE(channel_id, agent_id, '') AS dimension_id,\n"
        "           sum(conversations_created)",
        "per-channel counts written to support_agent_hourly and per-agent ones to support_channel_hourly",
    ),
    Mutant(
        "T11",
        "sql/triggers/event__count_hourly.sql",
        "value_max = GREATEST(n.value_max, EXCLUDED.value_max)",
        "value_max = EXCLUDED.value_max",
        "event_name_hourly value_max overwritten instead of kept as the maximum",
    ),
    Mutant(
        "E1",
        "sql/triggers/event__erase.sql",
        "    FROM touched AS t\n    JOIN conversation_sealed AS s USING (workspace_id, conversation_id)\n",
        "    FROM touched AS t\n    JOIN conversation_sealed AS s USING (workspace_id, conversation_id)\n"
        "    WHERE false\n",
        "erasure recomputes a conversation without its sealed state",
    ),
    Mutant(
        "E2",
        "sql/triggers/event__erase.sql",
        "SELECT *, -1 AS weight",
        "SELECT *, 0 AS weight",
        "erasure does not subtract the deleted events' counts from the support summaries",
    ),
    Mutant(
        "E3",
        "sql/triggers/event__erase.sql",
        "  AND c.last_event_at IS NULL;",
        "  AND false;",
        "erasure leaves an empty row for a conversation without events",
    ),
    Mutant(
        "E4",
        "sql/triggers/event__erase.sql",
        " AND COALESCE(e.channel_id, '') = t.channel_id AND COALESCE(e.agent_id, '') = t.agent_id\n",
        " AND COALESCE(e.channel_id, '') = t.channel_id\n",
        "erasure recomputes an event_hourly key from the events of every agent",
    ),
    Mutant(
        "E5",
        "sql/triggers/event__erase.sql",
        "    JOIN agent_sealed AS s USING (workspace_id, agent_id)\n",
        "    JOIN agent_sealed AS s USING (workspace_id, agent_id)\n    WHERE false\n",
        "erasure recomputes an agent without its sealed state",
    ),
    Mutant(
        "E7",
        "sql/triggers/event__erase.sql",
        "o.occurred_at IN (d.first_seen_at, d.last_seen_at) OR o.event_id IN (d.name_event_id, d.email_event_id)",
        "o.occurred_at = d.first_seen_at OR o.event_id IN (d.name_event_id, d.email_event_id)",
        "erasure misses an agent whose latest event was erased",
    ),
    Mutant(
        "E6",
        "analytics/erasure.py",
        'cursor.execute("DELETE FROM customer_sealed WHERE workspace_id = %s AND customer_id = %s", key)',
        'cursor.execute("SELECT 1 WHERE %s::bigint IS NULL AND %s IS NULL", key)',
        "erase_customer keeps the customer's sealed state",
    ),
    Mutant(
        "K1",
        "sql/triggers/event__count_hourly.sql",
        "first_seen_at = LEAST(n.first_seen_at, EXCLUDED.first_seen_at)",
        "first_seen_at = EXCLUDED.first_seen_at",
        "event_name_hourly first_seen_at overwritten instead of kept as the minimum",
    ),
    Mutant(
        "K2",
        "sql/triggers/event__count_hourly.sql",
        "events = l.events + EXCLUDED.events",
        "events = EXCLUDED.events",
        "event_name_lifetime events overwritten instead of added",
    ),
    Mutant(
        "K3",
        "sql/triggers/event__count_hourly.sql",
        "last_seen_at = GREATEST(l.last_seen_at, EXCLUDED.last_seen_at)",
        "last_seen_at = LEAST(l.last_seen_at, EXCLUDED.last_seen_at)",
        "event_name_lifetime last_seen_at kept as a minimum",
    ),
    Mutant(
        "K4",
        "sql/triggers/event__erase.sql",
        "           min(e.occurred_at) AS first_seen_at, max(e.occurred_at) AS last_seen_at\n",
        "           min(e.occurred_at) AS first_seen_at, min(e.occurred_at) AS last_seen_at\n",
        "erasure recomputes an hour's last_seen_at as its first",
    ),
    Mutant(
        "K5",
        "sql/triggers/event__erase.sql",
        "  AND (l.workspace_id, l.name) = (o.workspace_id, o.name);",
        "  AND (l.workspace_id, l.name) = (o.workspace_id, o.name) AND l.slot = 0;",
        "erasure leaves a name's lifetime figures in the write slots beside their recomputation",
    ),
    Mutant(
        "K6",
        "sql/recompute/event_name_lifetime.sql",
        "min(first_seen_at) AS first_seen_at",
        "max(first_seen_at) AS first_seen_at",
        "recompute first_seen_at of a name as the latest hour's",
    ),
    Mutant(
        "K7",
        "analytics/catalogue/selectors.py",
        "AND bucket >= date_trunc('hour', now() - interval '7 days', 'UTC')",
        "AND bucket >= date_trunc('hour', now() - interval '8 days', 'UTC')",
        "catalogue events_7d counts 8 days",
    ),
    Mutant(
        "K8",
        "analytics/catalogue/services.py",
        "    wanted = names - SUPPORT_EVENTS\n",
        "    wanted = set(names)\n",
        "strict mode refuses the built-in conversation.* events",
    ),
    Mutant(
        "P1",
        "sql/triggers/event__count_properties.sql",
        "events = h.events + EXCLUDED.events",
        "events = EXCLUDED.events",
        "event_property_hourly_slot events overwritten instead of added",
    ),
    Mutant(
        "P2",
        "sql/triggers/event__count_properties.sql",
        "ORDER BY value) > cap AS over",
        "ORDER BY value DESC) > cap AS over",
        "a slot admits the values that sort last",
    ),
    Mutant(
        "P3",
        "sql/triggers/event__count_properties.sql",
        "        WHERE r.over\n    ))",
        "        WHERE false\n    ))",
        "a slot never evicts a value pushed past the cap (what it stores is not bounded)",
    ),
    Mutant(
        "P4",
        "sql/triggers/event__count_properties.sql",
        "amount_min = LEAST(h.amount_min, EXCLUDED.amount_min)",
        "amount_min = EXCLUDED.amount_min",
        "a measure's min overwritten instead of kept as the minimum",
    ),
    Mutant(
        "P5",
        "sql/triggers/event__erase.sql",
        "  AND (h.workspace_id, h.name, h.bucket) = (o.workspace_id, o.name, date_trunc('hour', o.occurred_at, 'UTC'))"
        ";",
        "  AND (h.workspace_id, h.name, h.bucket) = (o.workspace_id, o.name, date_trunc('hour', o.occurred_at, 'UTC'))"
        " AND h.slot = 0;",
        "erasure leaves a name-hour's property rows in the write slots beside their recomputation",
    ),
    Mutant(
        "P6",
        "sql/triggers/event__erase.sql",
        'ORDER BY value COLLATE "C") > cap',
        'ORDER BY value COLLATE "C") >= cap',
        "erasure recomputes an hour with one value fewer than the cap",
    ),
    Mutant(
        "P7",
        "sql/views/event_property_hourly.sql",
        ") > p.cap AS over",
        ") > p.cap + 1 AS over",
        "the merged view admits one value more than the cap across slots",
    ),
    Mutant(
        "P8",
        "sql/recompute/event_property_hourly.sql",
        "dense_rank()",
        "row_number()",
        "the recomputation ranks rows (one per measure) instead of values",
    ),
    Mutant(
        "P9",
        "analytics/catalogue/services.py",
        "0 FROM recompute_event_property_hourly\n                WHERE workspace_id",
        "0 FROM recompute_event_property_hourly\n                WHERE false AND workspace_id",
        "declaring a property does not backfill it",
    ),
    Mutant(
        "P10",
        "analytics/catalogue/stats.py",
        '"avg": "sum(h.amount_sum) / NULLIF(sum(h.amount_count), 0)",',
        '"avg": "avg(h.amount_sum)",',
        "property stats average the hourly sums instead of the events",
    ),
    Mutant(
        "C1",
        "analytics/rollups.py",
        'return f"LEAST(s.{column}, EXCLUDED.{column})"',
        'return f"GREATEST(s.{column}, EXCLUDED.{column})"',
        "compaction folds value_min as a maximum",
    ),
    Mutant(
        "D1",
        "analytics/rollups.py",
        "                WHERE t.slot <> 0\n",
        "                WHERE t.slot = 0\n",
        "compaction folds slots into slot 0 without adding them to support_agent_daily",
    ),
    Mutant(
        "D2",
        "analytics/summaries.py",
        "THEN 1 ELSE -1 END, {columns}",
        "THEN 1 ELSE 0 END, {columns}",
        "the agent list keeps the hours of its days outside the window instead of taking them back",
    ),
    Mutant(
        "D3",
        "analytics/summaries.py",
        "      AND (d.slot > 0 OR d.slot < 0)\n",
        "      AND d.slot >= 0\n",
        "the agent list reads slot 0 of its days twice (from the days and by hour)",
    ),
    Mutant(
        "D4",
        "analytics/rollups.py",
        """conditions.append("bucket >= date_trunc('day', %(since)s::timestamptz, 'UTC')")""",
        """conditions.append("bucket >= date_trunc('hour', %(since)s::timestamptz, 'UTC')")""",
        "a rebuild from inside a day leaves that day's support_agent_daily row as it was",
    ),
    Mutant(
        "PI1",
        "sql/triggers/event__count_properties.sql",
        "    FROM measured\n    WHERE measured\n",
        "    FROM measured\n    WHERE measure = ''\n",
        "a declared measure's rows with no breakdown are written for the names that declare none instead",
    ),
    Mutant(
        "PI2",
        "sql/triggers/event__count_properties.sql",
        "AND h.kind = 0 AND h.value = r.value AND h.slot = tally_write_slot()",
        "AND h.kind = 0 AND h.slot = tally_write_slot()",
        "a slot evicting one value deletes the rows of every value of its hour and dimension",
    ),
    Mutant(
        "PD1",
        "analytics/catalogue/days.py",
        "AND dense_rank() OVER (PARTITION BY s.dimension, s.bucket, s.kind ORDER BY s.value) > p.cap AS over",
        "AND dense_rank() OVER (PARTITION BY s.dimension, s.bucket, s.kind ORDER BY s.value) > p.cap + 1 AS over",
        "compaction folds a day of property rows with one value past each hour's cap of its own",
    ),
    Mutant(
        "PD2",
        "sql/triggers/event__erase.sql",
        "     AND s.bucket >= t.bucket AND s.bucket < t.bucket + interval '24 hours' AND s.slot = 0\n",
        "     AND s.bucket >= t.bucket AND s.bucket < t.bucket + interval '1 hour' AND s.slot = 0\n",
        "erasure recomputes a folded day of property rows from its first hour only",
    ),
    Mutant(
        "PD3",
        "analytics/catalogue/stats.py",
        "AND u.bucket >= d.day AND u.bucket < d.day + interval '24 hours' AND u.slot <> 0",
        "AND u.bucket >= d.day AND u.bucket < d.day + interval '24 hours' AND u.slot < 0",
        "a property breakdown reads a folded day with unfolded rows from event_property_daily",
    ),
    Mutant(
        "PD4",
        "analytics/catalogue/stats.py",
        "        days_start += timedelta(days=1)\n",
        "        days_start += timedelta(days=0)\n",
        "a property breakdown reads the UTC day its window starts inside as a whole day",
    ),
    Mutant(
        "PD5",
        "analytics/rollups.py",
        "summary.capped_days(cursor, days)",
        "summary.capped_days(cursor, [])",
        "compaction folds property hours without recomputing their days",
    ),
    Mutant(
        "PD6",
        "analytics/catalogue/services.py",
        "days.days_rewrite(cursor, cursor.fetchall())",
        "days.days_rewrite(cursor, [])",
        "a change of the declarations leaves event_property_daily without the recomputed days",
    ),
    Mutant(
        "PD7",
        "sql/recompute/event_property_daily.sql",
        "    WHERE s.slot = 0\n",
        "    WHERE s.slot >= 0\n",
        "recompute_event_property_daily counts the unfolded slots too",
    ),
    Mutant(
        "PD8",
        "analytics/catalogue/stats.py",
        "    SELECT %(days_end)s, %(end)s\n",
        "    SELECT %(days_end)s, %(days_end)s\n",
        "a property breakdown leaves out the hours after its last whole UTC day",
    ),
    Mutant(
        "RT1",
        "sql/triggers/event__merge_conversations.sql",
        "AND a.from_agent AND a.replies_up_to = m.replies_up_to + 1",
        "AND a.from_agent AND a.replies_up_to = m.replies_up_to",
        "reply time pairs a customer message with the agent reply before it",
    ),
    Mutant(
        "RT2",
        "sql/triggers/event__merge_conversations.sql",
        "          AND e.occurred_at >= COALESCE(t.since, '-infinity')\n"
        "          AND e.id NOT IN (SELECT id FROM new_events)\n",
        "          AND e.occurred_at >= COALESCE(t.since, '-infinity')\n",
        "reply time's 'before' pairing includes the statement's own messages",
    ),
    Mutant(
        "RT6",
        "sql/triggers/event__merge_conversations.sql",
        "          AND e.occurred_at >= COALESCE(t.since, '-infinity')\n",
        "          AND e.occurred_at >= COALESCE(t.since, 'infinity')\n",
        "a conversation without an earlier reply is paired without its earlier messages",
    ),
    Mutant(
        "RT7",
        "sql/triggers/event__merge_conversations.sql",
        "          AND e.occurred_at < t.first_at\n",
        "          AND e.occurred_at < t.first_at + interval '1 day'\n",
        "pairing starts after a reply later than the statement's first message",
    ),
    Mutant(
        "RT3",
        "sql/triggers/event__merge_conversations.sql",
        "ORDER BY occurred_at, from_agent, event_id",
        "ORDER BY occurred_at, from_agent DESC, event_id",
        "a reply at the same moment as a customer message does not answer it",
    ),
    Mutant(
        "RT4",
        "sql/triggers/event__merge_conversations.sql",
        "    WHERE t.since IS NULL\n",
        "    WHERE t.since IS NULL AND false\n",
        "reply time ignores the customer messages waiting in sealed history",
    ),
    Mutant(
        "RT5",
        "sql/triggers/event__erase.sql",
        "    SELECT -1, workspace_id, conversation_id, name = 'conversation.agent_replied'",
        "    SELECT 1, workspace_id, conversation_id, name = 'conversation.agent_replied'",
        "erasure pairs the deleted messages into the new state instead of the old one",
    ),
    Mutant(
        "CS1",
        "sql/triggers/event__merge_conversations.sql",
        "OR (b.rated_at, b.rated_event_id) > (c.rated_at, c.rated_event_id)) AS takes_rating",
        "OR (b.rated_at, b.rated_event_id) < (c.rated_at, c.rated_event_id)) AS takes_rating",
        "a conversation keeps its earliest rating instead of its latest",
    ),
    Mutant(
        "CS2",
        "sql/triggers/event__merge_conversations.sql",
        "COALESCE(assignee_id, '')",
        "COALESCE(first_responder_id, '')",
        "CSAT counted for the first responder instead of the assignee",
    ),
    Mutant(
        "CS3",
        "sql/triggers/event__merge_conversations.sql",
        "team_id = CASE WHEN m.takes_assignee THEN m.team_id ELSE c.team_id END",
        "team_id = COALESCE(m.team_id, c.team_id)",
        "the team of any assignment in the batch instead of the latest one's",
    ),
    Mutant(
        "CS4",
        "sql/triggers/event__merge_conversations.sql",
        "score_4 = r.score_4 + EXCLUDED.score_4",
        "score_4 = EXCLUDED.score_4",
        "support_csat_hourly score_4 overwritten instead of added",
    ),
    Mutant(
        "CS5",
        "sql/triggers/event__erase.sql",
        "        rated_event_id = r.rated_event_id,\n",
        "",
        "erasure recomputes the rating but keeps the erased rating's event id",
    ),
    Mutant(
        "TM1",
        "sql/triggers/event__merge_conversations.sql",
        "team_id, sign, 'created', NULL::numeric",
        "team_id, 1, 'created', NULL::numeric",
        "a team's created conversations count the row as it was too, instead of taking it back",
    ),
    Mutant(
        "TM2",
        "sql/triggers/event__merge_conversations.sql",
        "first_response_count = tm.first_response_count + EXCLUDED.first_response_count",
        "first_response_count = EXCLUDED.first_response_count",
        "support_team_hourly first_response_count overwritten instead of added",
    ),
    Mutant(
        "TM3",
        "sql/triggers/event__merge_conversations.sql",
        "team_id, sign, 'resolution', resolution_seconds,\n           NULL\n    FROM timed\n"
        "    WHERE status = 'resolved'",
        "team_id, sign, 'resolution', resolution_seconds,\n           NULL\n    FROM timed\n"
        "    WHERE last_resolved_at IS NOT NULL",
        "a reopened conversation keeps its resolution in its team's figures",
    ),
    Mutant(
        "LB1",
        "sql/triggers/event__merge_conversations.sql",
        "    decided_event_id = EXCLUDED.decided_event_id\n"
        "WHERE (EXCLUDED.decided_at, EXCLUDED.decided_event_id) > (l.decided_at, l.decided_event_id);",
        "    decided_event_id = EXCLUDED.decided_event_id;",
        "a label's state taken from the statement that arrives last instead of its latest event",
    ),
    Mutant(
        "LB2",
        "sql/triggers/event__merge_conversations.sql",
        "ORDER BY workspace_id, conversation_id, properties ->> 'label', occurred_at DESC, event_id DESC",
        "ORDER BY workspace_id, conversation_id, properties ->> 'label', occurred_at DESC, event_id",
        "two labeled/unlabeled events of one statement at the same moment: the smaller event id decides",
    ),
    Mutant(
        "LB3",
        "sql/triggers/event__merge_conversations.sql",
        "WHERE cl.workspace_id = c.workspace_id AND cl.conversation_id = c.conversation_id AND cl.labeled",
        "WHERE cl.workspace_id = c.workspace_id AND cl.conversation_id = c.conversation_id",
        "conversation.labels lists the labels taken off too",
    ),
    Mutant(
        "LB4",
        "sql/triggers/event__merge_conversations.sql",
        "l.label, v.sign, 'created'",
        "l.label, 1, 'created'",
        "a label's created conversations count the row as it was too, instead of taking it back",
    ),
    Mutant(
        "LB5",
        "sql/triggers/event__merge_conversations.sql",
        "score_5 = lb.score_5 + EXCLUDED.score_5",
        "score_5 = EXCLUDED.score_5",
        "support_label_hourly score_5 overwritten instead of added",
    ),
    Mutant(
        "LB6",
        "sql/triggers/event__merge_conversations.sql",
        "    WHERE v.created_at IS NOT NULL AND v.status = 'resolved'",
        "    WHERE v.created_at IS NOT NULL AND v.last_resolved_at IS NOT NULL",
        "a reopened conversation keeps its resolution in its labels' figures",
    ),
    Mutant(
        "LB7",
        "sql/triggers/event__erase.sql",
        "      ON s.workspace_id = t.workspace_id AND s.conversation_id = t.conversation_id AND s.label = t.label\n",
        "      ON s.workspace_id = t.workspace_id AND s.conversation_id = t.conversation_id AND s.label = t.label\n"
        "    WHERE false\n",
        "erasure recomputes a label from the remaining events without its sealed state",
    ),
    Mutant(
        "LB8",
        "sql/triggers/event__erase.sql",
        "      AND NOT EXISTS (\n          SELECT 1 FROM label_latest AS k",
        "      AND false AND NOT EXISTS (\n          SELECT 1 FROM label_latest AS k",
        "erasing every labeled/unlabeled event of a label leaves its row (and the label) behind",
    ),
    Mutant(
        "LB9",
        "sql/triggers/event__erase.sql",
        "AND cl.labeled\n        ), '{}')\n    FROM before AS b",
        "\n        ), '{}')\n    FROM before AS b",
        "after an erasure conversation.labels lists the labels taken off too",
    ),
    Mutant(
        "LB10",
        "sql/recompute/conversation_label.sql",
        "    FROM conversation_label_sealed\n)",
        "    FROM conversation_label_sealed\n    WHERE false\n)",
        "recompute_conversation_label without the sealed state: labels decided before the horizon are lost",
    ),
    Mutant(
        "LB11",
        "analytics/retention.py",
        "\"name IN ('conversation.labeled', 'conversation.unlabeled')\",",
        '"false",',
        "retention drops labeled/unlabeled events without sealing the label state they decide",
    ),
    Mutant(
        "LB12",
        "analytics/rollups.py",
        'summary.table in ("conversation", "conversation_label", "conversation_due")',
        'summary.table in ("conversation", "conversation_due")',
        "a ranged verify or rebuild leaves the label state of the conversations in range out",
    ),
    Mutant(
        "SE1",
        "sql/triggers/event__merge_sessions.sql",
        "first_event_at = LEAST(s.first_event_at, EXCLUDED.first_event_at)",
        "first_event_at = EXCLUDED.first_event_at",
        "a session's start overwritten by a later statement instead of kept as the minimum",
    ),
    Mutant(
        "SE2",
        "sql/triggers/event__merge_sessions.sql",
        "events = s.events + EXCLUDED.events",
        "events = GREATEST(s.events, EXCLUDED.events)",
        "a session's events kept as the largest statement's count instead of added",
    ),
    Mutant(
        "SE3",
        "sql/recompute/session.sql",
        "    FROM session_sealed\n",
        "    FROM session_sealed\n    WHERE false\n",
        "recompute_session without the sealed state: a session across the horizon loses its start",
    ),
    Mutant(
        "SE4",
        "sql/triggers/event__erase.sql",
        "      AND (t.workspace_id, t.session_id) NOT IN (SELECT workspace_id, session_id FROM session_recomputed)",
        "      AND false",
        "erasing every event of a session leaves the session behind",
    ),
    Mutant(
        "SE5",
        "sql/triggers/event__erase.sql",
        "    JOIN session_sealed AS s ON s.workspace_id = t.workspace_id AND s.session_id = t.session_id\n",
        "    JOIN session_sealed AS s ON false\n",
        "erasure recomputes a session without its sealed part",
    ),
    Mutant(
        "SE6",
        "sql/triggers/event__merge_sessions.sql",
        "    user_id = CASE WHEN s.user_at IS NULL OR (EXCLUDED.user_at, EXCLUDED.user_event_id) <",
        "    user_id = CASE WHEN s.user_at IS NULL OR (EXCLUDED.user_at, EXCLUDED.user_event_id) >",
        "a session's user taken from the latest statement's user instead of its first event's",
    ),
    Mutant(
        "SE7",
        "sql/triggers/event__merge_sessions.sql",
        "       (array_agg(user_id ORDER BY occurred_at, event_id) FILTER (WHERE user_id IS NOT NULL))[1],",
        "       (array_agg(user_id ORDER BY occurred_at, event_id DESC) FILTER (WHERE user_id IS NOT NULL))[1],",
        "a tie on occurred_at inside one statement broken by the greatest event id",
    ),
    Mutant(
        "SE8",
        "sql/recompute/session.sql",
        "(array_agg(user_id ORDER BY user_at, user_event_id) FILTER (WHERE user_at IS NOT NULL))[1] AS user_id,",
        "(array_agg(user_id ORDER BY user_at DESC, user_event_id) FILTER (WHERE user_at IS NOT NULL))[1] AS user_id,",
        "recompute_session takes the sealed or retained part's user by the latest start",
    ),
    Mutant(
        "SE9",
        "sql/triggers/event__erase.sql",
        "    user_id = r.user_id, user_at = r.user_at, user_event_id = r.user_event_id\nFROM session_recomputed AS r",
        "    user_at = r.user_at, user_event_id = r.user_event_id\nFROM session_recomputed AS r",
        "erasing a session's first user-carrying event leaves its user",
    ),
    Mutant(
        "U1",
        "sql/triggers/event__count_uniques.sql",
        "CROSS JOIN LATERAL (VALUES (e.name), ('')) AS n (name)",
        "CROSS JOIN LATERAL (VALUES (e.name)) AS n (name)",
        "unique members kept per name only, not over every name",
    ),
    Mutant(
        "U2",
        "sql/triggers/event__count_uniques.sql",
        "WHERE user_id IS NOT NULL OR session_id IS NOT NULL",
        "WHERE user_id IS NOT NULL",
        "unique sessions skipped for a statement whose events carry no user",
    ),
    Mutant(
        "U3",
        "sql/triggers/event__count_uniques.sql",
        "date_trunc('hour', e.occurred_at, 'UTC')",
        "date_trunc('day', e.occurred_at, 'UTC')",
        "members kept per UTC day: days, weeks and months of another zone miscount",
    ),
    Mutant(
        "U4",
        "sql/triggers/event__erase.sql",
        "        AND (t.name = '' OR e.name = t.name)\n",
        "        AND e.name = t.name\n",
        "erasure drops a member from the every-name set while another name's event keeps it",
    ),
    Mutant(
        "U5",
        "sql/triggers/event__erase.sql",
        "interval '1 hour'\n        AND (t.name = '' OR e.name = t.name)",
        "interval '1 day'\n        AND (t.name = '' OR e.name = t.name)",
        "erasure keeps a member whose remaining event is in a later hour",
    ),
    Mutant(
        "U6",
        "analytics/summaries.py",
        'value="count(DISTINCT h.member)"',
        'value="count(h.member)"',
        "unique counts add the hours a member was seen instead of counting it once",
    ),
    Mutant(
        "U7",
        "sql/recompute/event_unique_hourly.sql",
        "CROSS JOIN LATERAL (VALUES (e.name), ('')) AS n (name)",
        "CROSS JOIN LATERAL (VALUES (e.name)) AS n (name)",
        "recompute_event_unique_hourly without the every-name rows",
    ),
    Mutant(
        "U8",
        "sql/triggers/event__count_uniques.sql",
        "first_bucket = LEAST(p.first_bucket, EXCLUDED.first_bucket)",
        "first_bucket = EXCLUDED.first_bucket",
        "a member's first hour of a period overwritten by a later arrival",
    ),
    Mutant(
        "U9",
        "sql/triggers/event__count_uniques.sql",
        "(p.previous_last_bucket, 0, -1)",
        "(p.previous_last_bucket, 0, 0)",
        "a member's last hour moves without leaving the old hour's count",
    ),
    Mutant(
        "U10",
        "sql/triggers/event__count_uniques.sql",
        "date_trunc(g.granularity, h.bucket AT TIME ZONE w.timezone)::date",
        "date_trunc(g.granularity, h.bucket AT TIME ZONE 'UTC')::date",
        "periods kept in UTC days whatever the workspace's zone",
    ),
    Mutant(
        "U11",
        "sql/triggers/event__count_uniques.sql",
        "WHERE m.bucket IS NOT NULL",
        "WHERE m.bucket IS NOT NULL AND p.previous_first_bucket IS NULL AND p.previous_last_bucket IS NULL",
        "period counts written for new members only, not when a member's hours move",
    ),
    Mutant(
        "U12",
        "sql/triggers/event__count_uniques.sql",
        "m.bucket, tally_write_slot(),",
        "m.bucket, 0::smallint,",
        "period counts of every writer in one row (slot 0): a hot row",
    ),
    Mutant(
        "U13",
        "sql/triggers/event__erase.sql",
        "      AND c.first_bucket IS NULL\n",
        "      AND false\n",
        "erasure leaves a member in a period where none of its hours remains",
    ),
    Mutant(
        "U14",
        "sql/triggers/event__erase.sql",
        "h.bucket < LEAST(b.period_end, b.retained_from)",
        "h.bucket < LEAST(b.period_end, b.retained_from) AND false",
        "erasure forgets a member's sealed hours of the period",
    ),
    Mutant(
        "U15",
        "sql/triggers/event__erase.sql",
        "(c.was_first, -1, 0)",
        "(c.was_first, 0, 0)",
        "erasure moves a member's first hour without leaving the old hour's count",
    ),
    Mutant(
        "U16",
        "sql/functions/tally_unique_periods_rebuild.sql",
        "    DELETE FROM event_unique_period_count WHERE workspace_id = target;\n",
        "",
        "a zone change rebuilds the periods on top of the old counts",
    ),
    Mutant(
        "U17",
        "sql/recompute/event_unique_period.sql",
        "h.bucket AT TIME ZONE w.timezone",
        "h.bucket AT TIME ZONE 'UTC'",
        "recompute_event_unique_period in UTC whatever the workspace's zone",
    ),
    Mutant(
        "U18",
        "analytics/summaries.py",
        "ELSE sum(c.lasts) FILTER (WHERE c.bucket >= %(start)s)",
        "ELSE sum(c.firsts) FILTER (WHERE c.bucket >= %(start)s)",
        "a bucket cut by the window's start counts members by their first hour",
    ),
    Mutant(
        "U19",
        "analytics/summaries.py",
        "if window.tz.key == workspace.timezone:",
        "if True:",
        "the period counts read for a zone other than the workspace's",
    ),
    Mutant(
        "U20",
        "analytics/erasure.py",
        "        if sealed_unique_rows:\n",
        "        if False:\n",
        "erase_user leaves the user in the periods of its sealed hours",
    ),
    Mutant(
        "U21",
        "analytics/rollups.py",
        '::date - 32")',
        '::date")',
        "a ranged verify covers only the periods that start inside its range",
    ),
    Mutant(
        "O1",
        "sql/triggers/event__merge_customers.sql",
        "occupation = CASE WHEN (EXCLUDED.occupation_at, EXCLUDED.occupation_event_id)\n"
        "                  > (COALESCE(d.occupation_at, '-infinity'), COALESCE(d.occupation_event_id, ''))",
        "occupation = CASE WHEN EXCLUDED.occupation_at > COALESCE(d.occupation_at, '-infinity')",
        "customer occupation tie on occurred_at not broken by event id",
    ),
    Mutant(
        "O2",
        "sql/triggers/event__merge_customers.sql",
        "(array_agg(customer_occupation ORDER BY occurred_at DESC, event_id DESC)",
        "(array_agg(customer_occupation ORDER BY occurred_at, event_id)",
        "customer occupation taken from the statement's earliest event",
    ),
    Mutant(
        "O3",
        "sql/triggers/event__erase.sql",
        "o.event_id IN (d.name_event_id, d.type_event_id, d.occupation_event_id)",
        "o.event_id IN (d.name_event_id, d.type_event_id)",
        "erasing the event a customer's occupation came from leaves the occupation",
    ),
    Mutant(
        "O4",
        "sql/views/customer.sql",
        "(array_agg(occupation ORDER BY occupation_at DESC NULLS LAST",
        "(array_agg(occupation ORDER BY occupation_at ASC NULLS LAST",
        "customer view takes the occupation of the slot with the earliest event",
    ),
    Mutant(
        "BH1",
        "sql/triggers/event__merge_conversations.sql",
        "(after_row).status, "
        "(after_row).last_resolved_at, (after_row).resolver_id)\n               AS resolution_moved",
        "(before_row).status, "
        "(after_row).last_resolved_at, (after_row).resolver_id)\n               AS resolution_moved",
        "a row whose only change is its status (a reopen) is not measured again by the business-hours and SLA part",
    ),
    Mutant(
        "BH2",
        "sql/triggers/event__merge_conversations.sql",
        "        WHERE s.workspace_id = v.workspace_id AND s.effective_from <= v.created_at\n",
        "        WHERE s.workspace_id = v.workspace_id AND s.effective_from <= now()\n",
        "business time measured with the schedule version in effect now, not at created_at",
    ),
    Mutant(
        "BH3",
        "sql/triggers/event__merge_conversations.sql",
        "first_response_seconds = bh.first_response_seconds + EXCLUDED.first_response_seconds",
        "first_response_seconds = EXCLUDED.first_response_seconds",
        "support_business_hourly first_response_seconds overwritten instead of added",
    ),
    Mutant(
        "BH4",
        "sql/triggers/event__merge_conversations.sql",
        "           CASE WHEN v.status = 'resolved' THEN v.last_resolved_at END AS resolved_at,\n",
        "           v.last_resolved_at AS resolved_at,\n",
        "a reopened conversation keeps its business-time resolution",
    ),
    Mutant(
        "BH6",
        "sql/triggers/event__merge_conversations.sql",
        "ROW((after_row).created_at, (after_row).channel_id, "
        "(after_row).first_response_at, (after_row).first_responder_id)",
        "ROW((before_row).created_at, (after_row).channel_id, "
        "(after_row).first_response_at, (after_row).first_responder_id)",
        "the first response is not measured again when created_at moves (business time and SLA)",
    ),
    Mutant(
        "BH5",
        "analytics/summaries.py",
        'table = "support_business_hourly"',
        'table = table if metric else "support_business_hourly"',
        "business_hours=true ignored by the time series",
    ),
    Mutant(
        "U22",
        "analytics/rollups.py",
        '                conditions.append("(workspace_id, kind, member) IN (SELECT * FROM pg_temp.scope_member)")',
        "                pass",
        "a ranged verify and rebuild of unique periods cover every member of the periods, not the range's",
    ),
    Mutant(
        "GB1",
        "sql/triggers/event__merge_conversations.sql",
        "    WHERE first_response_at IS NOT NULL AND (first_response_moved OR team_moved)\n",
        "    WHERE first_response_at IS NOT NULL AND first_response_moved\n",
        "a reassignment to another team does not move the business first response and its SLA outcome",
    ),
    Mutant(
        "GB2",
        "sql/triggers/event__merge_conversations.sql",
        "    WHERE o.resolved_at IS NOT NULL AND (o.resolution_moved OR o.labels_moved)\n",
        "    WHERE o.resolved_at IS NOT NULL AND o.resolution_moved\n",
        "a label added after the resolution does not get its business resolution and SLA outcome",
    ),
    Mutant(
        "GB3",
        "sql/triggers/event__merge_conversations.sql",
        "(after_row).resolver_id, (after_row).team_id, (after_row).labels)\n),",
        "(after_row).resolver_id, (before_row).team_id, (before_row).labels)\n),",
        "a row whose only change is its team or labels is skipped before the business and SLA measuring",
    ),
    Mutant(
        "GB4",
        "sql/triggers/event__merge_conversations.sql",
        "           CASE WHEN v.first_response_moved OR v.team_moved OR v.labels_moved\n",
        "           CASE WHEN v.first_response_moved\n",
        "a first response moved between teams or labels only is not measured (counted with no seconds)",
    ),
    Mutant(
        "GB5",
        "sql/triggers/event__merge_conversations.sql",
        "COALESCE(sum(sign * breach) FILTER (WHERE metric = 'business_resolution'), 0) AS resolution_breaches\n"
        "    FROM (\n        SELECT d.*, width_bucket(d.seconds, "
        "'{0,60,300,900,1800,3600,7200,14400,28800,86400,259200}'::int[]) AS position\n        FROM team_deltas",
        "COALESCE(sum(breach) FILTER (WHERE metric = 'business_resolution'), 0) AS resolution_breaches\n"
        "    FROM (\n        SELECT d.*, width_bucket(d.seconds, "
        "'{0,60,300,900,1800,3600,7200,14400,28800,86400,259200}'::int[]) AS position\n        FROM team_deltas",
        "a team's resolution breaches count the row as it was as a breach too (no sign)",
    ),
    Mutant(
        "GB6",
        "analytics/summaries.py",
        '    prefix = "business_" if window.business_hours else ""\n',
        '    prefix = ""\n',
        "business_hours=true ignored by the teams and labels lists",
    ),
    Mutant(
        "GB7",
        "analytics/migrations/0050_team_label_business_sla.py",
        "    WHERE c.created_at IS NOT NULL\n),\nfigures AS (",
        "    WHERE c.created_at IS NOT NULL AND c.status = 'resolved'\n),\nfigures AS (",
        "the upgrade's backfill leaves out the conversations still open",
    ),
    Mutant(
        "SL1",
        "sql/triggers/event__merge_conversations.sql",
        "ELSE t.first_response_calendar_seconds END) > t.first_response_target)::int",
        "ELSE t.first_response_calendar_seconds END) >= t.first_response_target)::int",
        "a first response exactly on its target counted as a breach",
    ),
    Mutant(
        "SL2",
        "sql/triggers/event__merge_conversations.sql",
        "        WHERE sign = -1 AND first_response_pending\n",
        "        WHERE sign = -1 AND first_response_pending AND false\n",
        "a first-response target stays pending after the reply",
    ),
    Mutant(
        "SL3",
        "sql/triggers/event__merge_conversations.sql",
        "        due_at = EXCLUDED.due_at\n",
        "        due_at = cd.due_at\n",
        "a pending target keeps its first due time when created_at moves earlier",
    ),
    Mutant(
        "SL4",
        "sql/triggers/event__merge_conversations.sql",
        "        WHERE p.workspace_id = v.workspace_id AND p.effective_from <= v.created_at\n"
        "        ORDER BY p.effective_from DESC\n",
        "        WHERE p.workspace_id = v.workspace_id AND p.effective_from <= v.created_at\n"
        "        ORDER BY p.effective_from ASC\n",
        "a conversation held to the oldest SLA version instead of the one in effect at created_at",
    ),
    Mutant(
        "SL5",
        "sql/triggers/event__merge_conversations.sql",
        "first_response_breaches = sl.first_response_breaches + EXCLUDED.first_response_breaches",
        "first_response_breaches = EXCLUDED.first_response_breaches",
        "support_sla_hourly first_response_breaches overwritten instead of added",
    ),
    Mutant(
        "SL6",
        "analytics/summaries.py",
        "FILTER (WHERE d.due_at < now() + interval '1 hour')\n               AS breaching_within_hour_now",
        "FILTER (WHERE d.due_at < now() + interval '2 hours')\n               AS breaching_within_hour_now",
        "targets due in the second hour from now counted as breaching within the next hour",
    ),
    Mutant(
        "QG1",
        "sql/triggers/event__merge_conversations.sql",
        "CASE WHEN GROUPING(channel_id) = 0 THEN 'channel' WHEN GROUPING(agent_id) = 0 THEN 'agent' ELSE 'total' END\n"
        "               AS dimension,\n           COALESCE(channel_id, agent_id, '') AS dimension_id,\n"
        "           sum(reply_count)",
        "CASE WHEN GROUPING(channel_id) = 0 THEN 'agent' WHEN GROUPING(agent_id) = 0 THEN 'channel' ELSE 'total' END\n"
        "               AS dimension,\n           COALESCE(channel_id, agent_id, '') AS dimension_id,\n"
        "           sum(reply_count)",
        "reply times and CSAT of a channel land on the agent of the same id and the other way round",
    ),
    Mutant(
        "QG9",
        "sql/triggers/event__merge_conversations.sql",
        "    FROM duration_sums\n"
        "    GROUP BY GROUPING SETS ((workspace_id, bucket), (workspace_id, bucket, channel_id), "
        "(workspace_id, bucket, agent_id))\n",
        "    FROM duration_sums\n"
        "    GROUP BY GROUPING SETS ((workspace_id, bucket, channel_id), (workspace_id, bucket, agent_id))\n",
        "support_total_hourly never gets the duration histograms",
    ),
    Mutant(
        "QG2",
        "sql/triggers/event__merge_conversations.sql",
        "    FROM csat_deltas\n    UNION ALL\n",
        "    FROM csat_deltas\n    WHERE false\n    UNION ALL\n",
        "the per-grain rows never get the ratings",
    ),
    Mutant(
        "QG3",
        "sql/triggers/event__merge_conversations.sql",
        "reply_seconds = t.reply_seconds + EXCLUDED.reply_seconds",
        "reply_seconds = EXCLUDED.reply_seconds",
        "a second statement in the same hour and slot overwrites the total's reply seconds",
    ),
    Mutant(
        "QG4",
        "sql/triggers/event__merge_conversations.sql",
        "reply_bins = tally_add_bins(ag.reply_bins, EXCLUDED.reply_bins)",
        "reply_bins = tally_add_bins(ag.reply_bins, ag.reply_bins)",
        "an agent's hour doubles its stored reply-time bins instead of adding the statement's",
    ),
    Mutant(
        "QG7",
        "sql/functions/tally_add_bins.sql",
        "a[10] + b[10], a[11] + b[11]]",
        "a[10] + b[10], a[11]]",
        "every upsert of a histogram keeps the stored count of its last bin (waits over 3 days)",
    ),
    Mutant(
        "QG8",
        "analytics/summaries.py",
        "WHERE key IN (SELECT id FROM listed))",
        "WHERE key NOT IN (SELECT id FROM listed))",
        "a page of a list computes the percentiles of the rows it does not show instead of its own",
    ),
    Mutant(
        "QG5",
        "analytics/summaries.py",
        'return "," + reply_sums("h", weight) + csat_sums("h", weight) + sla_sums("h", weight)',
        'return "," + reply_sums("h") + csat_sums("h") + sla_sums("h", weight)',
        "the agent list adds the reply times of the days' hours outside the window instead of taking them back",
    ),
    Mutant(
        "SG1",
        "sql/triggers/event__merge_conversations.sql",
        "           resolution_breaches\n    FROM sla_deltas\n),",
        "           resolution_breaches\n    FROM sla_deltas\n    WHERE sign > 0\n),",
        "the per-grain rows add SLA outcomes but never take back those of a conversation's earlier version",
    ),
    Mutant(
        "SG2",
        "sql/triggers/event__merge_conversations.sql",
        "           0, 0, 0, 0, 0, first_response_targeted, first_response_breaches, resolution_targeted,\n"
        "           resolution_breaches\n    FROM sla_deltas",
        "           0, 0, 0, 0, 0, first_response_targeted, first_response_targeted, resolution_targeted,\n"
        "           resolution_breaches\n    FROM sla_deltas",
        "the per-grain rows count every targeted first response as a breach",
    ),
    Mutant(
        "SG3",
        "analytics/summaries.py",
        'return "," + reply_sums("h", weight) + csat_sums("h", weight) + sla_sums("h", weight)',
        'return "," + reply_sums("h", weight) + csat_sums("h", weight) + sla_sums("h")',
        "the agent list adds the SLA outcomes of the days' hours outside the window instead of taking them back",
    ),
    Mutant(
        "SG4",
        "analytics/migrations/0046_backfill_sla_per_grain.py",
        'ON CONFLICT ({key_list}{", slot" if slot else ""}) DO UPDATE SET {added};',
        'ON CONFLICT ({key_list}{", slot" if slot else ""}) DO NOTHING;',
        "the backfill leaves an hour's existing slot 0 row without its SLA outcomes",
    ),
    Mutant(
        "QG6",
        "sql/recompute/support_channel_hourly.sql",
        "        FROM recompute_support_csat_hourly\n",
        "        FROM recompute_support_csat_hourly\n        WHERE false\n",
        "the channel recomputation leaves out the ratings, so verify cannot see a lost one",
    ),
    Mutant(
        "LV1",
        "sql/triggers/event__merge_conversations.sql",
        "WHERE sign = -1 AND (first_response_pending OR resolution_pending)\n    )\n    UNION ALL",
        "WHERE sign = -1 AND first_response_pending\n    )\n    UNION ALL",
        "sla_pending never takes back a conversation whose only pending target was the resolution",
    ),
    Mutant(
        "LV2",
        "sql/triggers/event__merge_conversations.sql",
        "    SELECT DISTINCT workspace_id, channel_id, conversation_id, 1\n    FROM sla_pending",
        "    SELECT workspace_id, channel_id, conversation_id, 1\n    FROM sla_pending",
        "sla_pending counts a conversation once per pending target instead of once",
    ),
    Mutant(
        "LV3",
        "analytics/summaries.py",
        "AND o.conversation_id = d.conversation_id AND o.due_at < now()",
        "AND o.conversation_id = d.conversation_id AND o.due_at < now() AND o.kind = d.kind",
        "the overdue read takes a conversation with a target due later as not overdue, whatever its other target",
    ),
    Mutant(
        "LV4",
        "sql/recompute/support_live.sql",
        "COALESCE(p.sla_pending, 0) AS sla_pending",
        "0::bigint AS sla_pending",
        "recompute_support_live without the pending conversations, so verify cannot see a wrong counter",
    ),
    Mutant(
        "LV5",
        "analytics/migrations/0048_backfill_live_sla_pending.py",
        "ON CONFLICT (workspace_id, channel_id, slot) DO UPDATE SET\n"
        "    sla_pending = l.sla_pending + EXCLUDED.sla_pending;",
        "ON CONFLICT (workspace_id, channel_id, slot) DO NOTHING;",
        "the backfill leaves a channel whose slot 0 row already exists without its pending conversations",
    ),
    Mutant(
        "DS1",
        "sql/functions/tally_settle.sql",
        "    IF NOT FOUND THEN\n        RETURN 0;",
        "    IF FOUND THEN\n        RETURN 0;",
        "tally_settle() returns at once whenever the workspace has pending events: nothing is ever settled",
    ),
    Mutant(
        "DS2",
        "core/auth.py",
        "        if required == Scope.READ:\n",
        "        if required == Scope.INGEST:\n",
        "an API read no longer settles its workspace: it misses the events acknowledged but still pending",
    ),
    Mutant(
        "DS3",
        "analytics/erasure.py",
        "        return erased + pending_delete(",
        "        return erased or pending_delete(",
        "erasing events by id skips their pending copies whenever a stored one was erased too",
    ),
    Mutant(
        "DS4",
        "analytics/services.py",
        "    return INSERT_PENDING_EVENTS if deferred else INSERT_EVENTS, insert_params(rows)",
        "    return INSERT_EVENTS, insert_params(rows)",
        "TALLY_SUMMARIES=deferred is ignored: ingest writes and summarizes immediately",
    ),
    Mutant(
        "DS5",
        "analytics/settling.py",
        "        if moved < SETTLE_MOST:",
        "        if moved <= SETTLE_MOST:",
        "settle() stops after one bounded transaction: a backlog stays pending",
    ),
    Mutant(
        "DS6",
        "dashboard/views.py",
        "        if settling.settle_for_read(self.workspace.pk) and self.needs_has_events",
        "        if False and self.needs_has_events",
        "a dashboard page no longer settles its workspace before it reads",
    ),
    Mutant(
        "DS7",
        "analytics/settling.py",
        "    drop_before_horizon(workspace_id)\n    return _settle_once(workspace_id)",
        "    return _settle_once(workspace_id)",
        "a pending event that retention's horizon overtook is never dropped: every settle, and every read of its "
        "workspace, fails",
    ),
    Mutant(
        "DS8",
        "analytics/importing.py",
        "services.events_ingest(workspace=workspace, events=events, deferred=False)",
        "services.events_ingest(workspace=workspace, events=events)",
        "an import follows TALLY_SUMMARIES=deferred: its batches wait as pending and are written twice",
    ),
    Mutant(
        "VR1",
        "analytics/rollups.py",
        "                  AND e.conversation_id IS NOT NULL AND NOT ({inside_e})",
        "                  AND e.conversation_id IS NOT NULL",
        "a bounded verify or rebuild reads the range's conversation events twice (once inside the range, once as "
        "their conversation's)",
    ),
    Mutant(
        "CP1",
        "analytics/rollups.py",
        "                    SELECT {key}, slot FROM {summary.table} WHERE {rows} FOR UPDATE SKIP LOCKED",
        "                    SELECT {key}, slot FROM {summary.table} WHERE {rows}",
        "compaction's fold waits for a slot row committed after its lock: it deadlocks with that row's writer",
    ),
    Mutant(
        "ZL1",
        "sql/triggers/event__count_uniques.sql",
        "ORDER BY w.id\nFOR SHARE;\n\nWITH hourly AS (",
        "ORDER BY w.id;\n\nWITH hourly AS (",
        "ingestion does not wait for a zone change of its workspace: it writes periods of the old zone",
    ),
    Mutant(
        "ZL2",
        "sql/triggers/event__erase.sql",
        "WHERE w.id IN (SELECT workspace_id FROM old_events WHERE user_id IS NOT NULL OR session_id IS NOT NULL)\n"
        "ORDER BY w.id\nFOR SHARE;",
        "WHERE w.id IN (SELECT workspace_id FROM old_events WHERE user_id IS NOT NULL OR session_id IS NOT NULL)\n"
        "ORDER BY w.id;",
        "an erasure does not wait for a zone change of its workspace",
    ),
    Mutant(
        "ZL3",
        "analytics/rollups.py",
        '                cursor.execute(f"SELECT 1 FROM workspace {one} ORDER BY id FOR SHARE", params)',
        "                pass",
        "a workspace's rebuild does not wait for a zone change of that workspace",
    ),
    Mutant(
        "LN1",
        "sql/triggers/event__merge_conversations.sql",
        "-- @lean-when            OR (e.name = 'conversation.agent_replied'\n"
        "-- @lean-when                AND (c.first_response_at IS NULL\n"
        "-- @lean-when                     OR (e.occurred_at, e.event_id)"
        " < (c.first_response_at, c.first_response_event_id))))",
        "-- @lean-when            )",
        "a reply that becomes the first response runs the lean form: business time, SLAs, teams and labels miss it",
    ),
    Mutant(
        "LN2",
        "sql/triggers/event__merge_conversations.sql",
        "-- @lean-when            OR (1, e.occurred_at, e.event_id)"
        " < (c.channel_rank, c.channel_at, c.channel_event_id)\n",
        "",
        "a message that takes the conversation's channel runs the lean form: CSAT and SLA rows stay in the old channel",
    ),
    Mutant(
        "LN3",
        "sql/triggers/event__merge_conversations.sql",
        "-- @lean-when       AND (e.name NOT IN ('conversation.customer_replied', 'conversation.agent_replied')\n"
        "-- @lean-when            OR c.channel_at IS NULL",
        "-- @lean-when       AND (c.channel_at IS NULL",
        "a statement of any events runs the lean form when it moves no channel or first response",
    ),
]


def run_tests(env: dict) -> tuple[bool, float, str]:
    started = time.monotonic()
    result = subprocess.run(
        [PYTHON, "-m", "pytest", "-x", "-q", "-p", "no:randomly", *TESTS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    tail = (result.stdout.strip().splitlines() or [""])[-1]
    return result.returncode == 0, time.monotonic() - started, tail


def with_mutant(mutant: Mutant, env: dict) -> tuple[bool, float, str]:
    """Runs the tests with `mutant` planted; always restores the file and removes the migration."""
    path = ROOT / mutant.path
    original = path.read_text()
    if original.count(mutant.old) != 1:
        raise SystemExit(f"{mutant.id}: the text to mutate is not found exactly once in {mutant.path}")
    before = set(MIGRATIONS.glob("*.py"))
    try:
        path.write_text(original.replace(mutant.old, mutant.new))
        if mutant.path.startswith("sql/triggers/"):
            subprocess.run(
                [PYTHON, "manage.py", "makemigrations", "analytics", "--name", "mutant", "-v0"],
                cwd=ROOT,
                env=env,
                check=True,
            )
        return run_tests(env)
    finally:
        path.write_text(original)
        for created in set(MIGRATIONS.glob("*.py")) - before:
            created.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", metavar="ID", help="run these mutants only")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "mutation.json"))
    parser.add_argument("--tests", nargs="*", metavar="PATH", help="run these tests instead of the usual list")
    args = parser.parse_args()
    env = {**os.environ, "TALLY_TEST_DATABASE": os.environ.get("TALLY_TEST_DATABASE", "test_tally_mutants")}
    chosen = [mutant for mutant in MUTANTS if not args.only or mutant.id in args.only]
    if args.tests:
        TESTS[:] = args.tests
    passed, seconds, tail = run_tests(env)
    print(f"without mutants: {'passed' if passed else 'FAILED'} in {seconds:.0f}s ({tail})", flush=True)
    if not passed:
        raise SystemExit("the tests fail without any mutant; fix that first")
    results = []
    for mutant in chosen:
        survived, seconds, tail = with_mutant(mutant, env)
        results.append({"id": mutant.id, "file": mutant.path, "what": mutant.what, "killed": not survived})
        print(
            f"{mutant.id:3} {'SURVIVED' if survived else 'killed  '} {seconds:5.0f}s  {mutant.what}  ({tail})",
            flush=True,
        )
    killed = sum(result["killed"] for result in results)
    report = {
        "timestamp": datetime.now(UTC).isoformat(),
        "tests": TESTS,
        "hypothesis_profile": os.environ.get("HYPOTHESIS_PROFILE", "ci"),
        "killed": killed,
        "mutants": len(results),
        "results": results,
    }
    if not args.only:
        Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    print(f"\n{killed} of {len(results)} mutants killed" + ("" if args.only else f"; written to {args.output}"))


if __name__ == "__main__":
    main()

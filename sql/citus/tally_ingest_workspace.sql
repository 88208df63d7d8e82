-- Function:  tally_ingest_workspace(workspace_id, event_ids, names, ... one array per column)
-- Installed: on a Citus coordinator only, by `manage.py citus_distribute` (analytics/citus.py),
--            distributed by its argument workspace_id, co-located with event and delegated
--            even inside a transaction block (create_distributed_function(...,
--            force_delegation := true)). Plain PostgreSQL never has it.
-- Called by: analytics/services.py for a statement whose events all belong to one workspace,
--            on a database where this function is distributed: `SELECT tally_ingest_workspace(..)`.
-- Reads:     the arrays, as INSERT_EVENTS reads them (the first copy of an id is the candidate).
-- Keeps:     what INSERT_EVENTS keeps: each id is claimed in event_key (ON CONFLICT DO NOTHING,
--            sorted by id), only the claimed events are stored in event, whose statement
--            triggers then update the summaries; returns the ids stored (a retry, or the same
--            id with another body or occurred_at, is not stored again: the first copy stays).
--
-- Why: Citus plans INSERT_EVENTS (an INSERT .. SELECT over unnest() with a modifying CTE) as
-- "pull to coordinator" with two distributed subplans, so a single event went coordinator ->
-- worker (claim) -> coordinator -> worker (store). The coordinator instead sends this call whole
-- to the worker holding the workspace's shard group, and there the statements below run as
-- local, single-shard statements: one round trip. With force_delegation Citus pins the
-- transaction to that workspace's shards (any statement here touching another would fail).
-- A single event takes the two single-row statements (Citus's fast-path router, planned
-- without a subplan); a batch takes the INSERT_EVENTS form, planned on the worker with local
-- intermediate results.
CREATE OR REPLACE FUNCTION tally_ingest_workspace(
    workspace_id bigint, event_ids varchar[], names varchar[], occurred_ats timestamptz[],
    conversation_ids varchar[], channel_ids varchar[], channel_names varchar[], agent_ids varchar[],
    agent_names varchar[], agent_emails varchar[], customer_ids varchar[], customer_names varchar[],
    customer_types varchar[], customer_occupations varchar[], session_ids varchar[], user_ids varchar[],
    event_values numeric[], properties jsonb[], categories varchar[]
) RETURNS varchar[]
LANGUAGE plpgsql
AS $function$
#variable_conflict use_column
DECLARE
    stored varchar[];
BEGIN
    IF cardinality(event_ids) = 1 THEN
        INSERT INTO event_key AS k (workspace_id, event_id, occurred_at)
        VALUES (tally_ingest_workspace.workspace_id, event_ids[1], occurred_ats[1])
        ON CONFLICT (workspace_id, event_id) DO NOTHING
        RETURNING ARRAY[k.event_id] INTO stored;
        IF stored IS NULL THEN
            RETURN '{}';
        END IF;
        INSERT INTO event (
            workspace_id, event_id, name, occurred_at, conversation_id, channel_id, channel_name, agent_id,
            agent_name, agent_email, customer_id, customer_name, customer_type, customer_occupation, session_id,
            user_id, value, properties, category
        )
        VALUES (
            tally_ingest_workspace.workspace_id, event_ids[1], names[1], occurred_ats[1], conversation_ids[1],
            channel_ids[1], channel_names[1], agent_ids[1], agent_names[1], agent_emails[1], customer_ids[1],
            customer_names[1], customer_types[1], customer_occupations[1], session_ids[1], user_ids[1],
            event_values[1], properties[1], categories[1]
        );
        RETURN stored;
    END IF;
    WITH batch AS (
        SELECT DISTINCT ON (b.event_id) *
        FROM unnest(
            event_ids, names, occurred_ats, conversation_ids, channel_ids, channel_names, agent_ids, agent_names,
            agent_emails, customer_ids, customer_names, customer_types, customer_occupations, session_ids, user_ids,
            event_values, properties, categories
        ) WITH ORDINALITY AS b (
            event_id, name, occurred_at, conversation_id, channel_id, channel_name, agent_id, agent_name,
            agent_email, customer_id, customer_name, customer_type, customer_occupation, session_id, user_id, value,
            properties, category, position
        )
        ORDER BY b.event_id, b.position
    ),
    claimed AS (
        INSERT INTO event_key AS k (workspace_id, event_id, occurred_at)
        SELECT tally_ingest_workspace.workspace_id, b.event_id, b.occurred_at FROM batch AS b ORDER BY b.event_id
        ON CONFLICT (workspace_id, event_id) DO NOTHING
        RETURNING k.event_id
    ),
    inserted AS (
        INSERT INTO event AS e (
            workspace_id, event_id, name, occurred_at, conversation_id, channel_id, channel_name, agent_id,
            agent_name, agent_email, customer_id, customer_name, customer_type, customer_occupation, session_id,
            user_id, value, properties, category
        )
        SELECT tally_ingest_workspace.workspace_id, b.event_id, b.name, b.occurred_at, b.conversation_id,
               b.channel_id, b.channel_name, b.agent_id, b.agent_name, b.agent_email, b.customer_id,
               b.customer_name, b.customer_type, b.customer_occupation, b.session_id, b.user_id, b.value,
               b.properties, b.category
        FROM batch AS b
        JOIN claimed AS c USING (event_id)
        ORDER BY b.event_id
        RETURNING e.event_id
    )
    SELECT coalesce(array_agg(i.event_id), '{}') INTO stored FROM inserted AS i;
    RETURN stored;
END
$function$;

-- Function:  tally_settle(workspace_id bigint, most bigint DEFAULT 1000) -> bigint
-- Called by: analytics/settling.py: every read through Tally of a workspace whose summaries are
--            deferred, and the settling loop (`manage.py rollups settle --every SECONDS`).
-- Returns:   how many pending events it moved into event (0 when the workspace had none), at
--            most `most`: a backlog (an import, a stopped settling loop) is settled in transactions
--            of bounded size by calling again while the result equals `most`.
--
-- Why: with TALLY_SUMMARIES=deferred an ingest statement claims each event's key in event_key as
-- always but stores the event in event_pending, an append-only table with one index and no
-- trigger, so a single-event transaction pays neither the summary trigger nor the raw table's
-- eight indexes. This moves a workspace's pending events into event in one INSERT: the summary
-- trigger counts them there as it counts any batch, in the same transaction, so event holds
-- exactly the events the summaries count (rollups verify compares like with like) and the
-- summaries are exact for whatever order, duplication and batching the events arrived in.
--
-- Two settles of one workspace queue on an advisory lock instead of competing for the same
-- pending rows. Each statement of this function takes its own snapshot, so the DELETE, taken
-- after the lock, sees every pending row an earlier settle left and every one committed since;
-- a reader that settles before it reads therefore counts every event acknowledged before it.
CREATE OR REPLACE FUNCTION tally_settle(p_workspace_id bigint, p_most bigint DEFAULT 1000) RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    moved bigint;
BEGIN
    -- The common case for a read: nothing pending, one index probe and no lock.
    PERFORM 1 FROM event_pending WHERE workspace_id = p_workspace_id LIMIT 1;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('tally_settle'), hashint8(p_workspace_id));
    WITH taken AS (
        DELETE FROM event_pending
        WHERE workspace_id = p_workspace_id
          AND event_id IN (
              -- The earliest first: a batch of neighbouring events touches few conversations and
              -- hours (a sample of a backlog would touch nearly one conversation per event).
              SELECT event_id FROM event_pending WHERE workspace_id = p_workspace_id
              ORDER BY occurred_at, event_id LIMIT p_most
          )
        RETURNING *
    )
    INSERT INTO event (
        workspace_id, event_id, name, occurred_at, received_at, conversation_id,
        channel_id, channel_name, agent_id, agent_name, agent_email,
        customer_id, customer_name, customer_type, customer_occupation, session_id, user_id, value,
        properties, category
    )
    SELECT workspace_id, event_id, name, occurred_at, received_at, conversation_id,
           channel_id, channel_name, agent_id, agent_name, agent_email,
           customer_id, customer_name, customer_type, customer_occupation, session_id, user_id, value,
           properties, category
    FROM taken
    ORDER BY event_id;
    GET DIAGNOSTICS moved = ROW_COUNT;
    RETURN moved;
END;
$$;

-- Function:  tally_unique_periods_rebuild(workspace bigint)
-- Called by: the trigger rebuild_unique_periods on workspace, AFTER UPDATE OF timezone when the
--            zone changes (core/models.py), in the transaction of the change; a DBA may call it.
-- Keeps:     event_unique_period and event_unique_period_count of the workspace equal to their
--            recomputation from event_unique_hourly in the workspace's (new) zone: both are
--            replaced, the counts in slot 0. The hourly sets do not depend on the zone and stay.
-- Locking:   the workspace's row (FOR NO KEY UPDATE, which the UPDATE of the zone already
--            holds): the triggers that write unique counts lock the rows of their workspaces FOR
--            SHARE first (sql/triggers/event__count_uniques.sql, event__erase.sql), so this waits
--            for the transactions writing this workspace's members, and those that come later
--            wait for this one to commit and then read the new zone. No period of the old zone
--            is written after the rebuild read the hourly rows. The ingestion of other workspaces
--            does not wait; this workspace's waits for the rebuild (seconds at millions of hourly
--            rows). On Citus, where those row locks would be taken on the workers behind the
--            coordinator's back (triggers/shards.py, NOT_ON_CITUS), SHARE mode on event as
--            before: the ingestion of every workspace waits for the rebuild.
CREATE OR REPLACE FUNCTION tally_unique_periods_rebuild(target bigint) RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    members bigint;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        LOCK TABLE event IN SHARE MODE;
    ELSE
        PERFORM 1 FROM workspace WHERE id = target FOR NO KEY UPDATE;
    END IF;
    DELETE FROM event_unique_period_count WHERE workspace_id = target;
    DELETE FROM event_unique_period WHERE workspace_id = target;
    INSERT INTO event_unique_period (workspace_id, kind, name, granularity, period, member, first_bucket, last_bucket)
    SELECT workspace_id, kind, name, granularity, period, member, first_bucket, last_bucket
    FROM recompute_event_unique_period
    WHERE workspace_id = target;
    GET DIAGNOSTICS members = ROW_COUNT;
    INSERT INTO event_unique_period_count (workspace_id, kind, name, granularity, period, bucket, slot, firsts, lasts)
    SELECT workspace_id, kind, name, granularity, period, bucket, 0, firsts, lasts
    FROM recompute_event_unique_period_count
    WHERE workspace_id = target;
    RETURN members;
END
$$;

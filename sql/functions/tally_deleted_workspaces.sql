-- Function:  tally_deleted_workspaces()
-- Called by: sql/triggers/event__erase.sql, once per statement.
-- Returns:   the workspaces whose deletion this transaction is carrying out: the setting
--            tally.deleted_workspaces (a bigint[] literal), which deleting a workspace sets for
--            its transaction only (analytics/erasure.py), else an empty array.
--
-- Why: deleting a workspace deletes its raw events and then every summary row of the workspace;
-- recomputing those summaries from the remaining events first would be wasted work, so the
-- erase trigger leaves the events of these workspaces alone.
CREATE OR REPLACE FUNCTION tally_deleted_workspaces() RETURNS bigint[]
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT COALESCE(NULLIF(current_setting('tally.deleted_workspaces', true), ''), '{}')::bigint[]
$$;

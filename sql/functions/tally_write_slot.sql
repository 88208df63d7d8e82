-- Function:  tally_write_slot()
-- Called by: every summary trigger in sql/triggers/, once per upserted row.
-- Returns:   the write slot of this connection, 1 to 16: the setting tally.write_slot when a
--            session sets it (SET tally.write_slot = 7: tests, or an operator who wants a bulk
--            loader to stay out of the live writers' slots), else 1 + backend pid mod 16.
--
-- Why: a summary row that every transaction of a workspace-hour updates is a queue (its row
-- lock is held until commit), so concurrent single-event writers would run one at a time.
-- Each summary key therefore has up to 16 rows besides slot 0, one per write slot, and a
-- connection always writes the same slot: concurrent connections upsert different rows and
-- proceed in parallel, and one connection never contends with itself. Readers sum (or merge)
-- over the slots of a key; `manage.py rollups compact` folds the slots of closed hours into
-- slot 0, which only compaction and rebuild write.
CREATE OR REPLACE FUNCTION tally_write_slot() RETURNS smallint
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT COALESCE(NULLIF(current_setting('tally.write_slot', true), '')::smallint,
                    (1 + pg_backend_pid() % 16)::smallint)
$$;

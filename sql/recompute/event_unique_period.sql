-- View:      recompute_event_unique_period
-- Recomputes event_unique_period from the hourly sets (the table event_unique_hourly, which is
-- kept past the retention horizon, so the sets of retired history are in it): each member per
-- day, week and month of the workspace's zone in which an hour of it starts, with its first and
-- last hour there. verify compares it with event_unique_period after event_unique_hourly has
-- been compared with the raw events (rebuild writes them in that order).
SELECT h.workspace_id,
       h.kind,
       h.name,
       g.granularity::varchar(5) AS granularity,
       date_trunc(g.granularity, h.bucket AT TIME ZONE w.timezone)::date AS period,
       h.member,
       min(h.bucket) AS first_bucket,
       max(h.bucket) AS last_bucket
FROM event_unique_hourly AS h
JOIN workspace AS w ON w.id = h.workspace_id
CROSS JOIN (VALUES ('day'), ('week'), ('month')) AS g (granularity)
GROUP BY 1, 2, 3, 4, 5, 6;

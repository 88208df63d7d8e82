-- View:      recompute_event_unique_period_count
-- Recomputes event_unique_period_count from the table event_unique_period (as event_name_lifetime
-- from event_name_hourly): per period and UTC hour, the members whose first hour of the period
-- it is (firsts) and whose last (lasts). verify compares event_unique_period with its own
-- recomputation first, and rebuild writes it first.
SELECT p.workspace_id,
       p.kind,
       p.name,
       p.granularity,
       p.period,
       m.bucket,
       sum(m.firsts)::bigint AS firsts,
       sum(m.lasts)::bigint AS lasts
FROM event_unique_period AS p
CROSS JOIN LATERAL (VALUES (p.first_bucket, 1, 0), (p.last_bucket, 0, 1)) AS m (bucket, firsts, lasts)
GROUP BY 1, 2, 3, 4, 5, 6;

-- View:      recompute_conversation_label
-- Recomputes conversation_label from the raw event table and conversation_label_sealed: per
-- conversation and label, the latest of its conversation.labeled / conversation.unlabeled events
-- by (occurred_at, event_id) decides whether the label is on (labeled) or off. The sealed state
-- is that same row over the retired events, so merging it with the retained events as one more
-- candidate gives the row of all events (analytics/retention.py).
WITH candidates AS (
    SELECT workspace_id, conversation_id, properties ->> 'label' AS label,
           name = 'conversation.labeled' AS labeled, occurred_at AS decided_at, event_id AS decided_event_id
    FROM event
    WHERE name IN ('conversation.labeled', 'conversation.unlabeled') AND properties ->> 'label' IS NOT NULL
    UNION ALL
    SELECT workspace_id, conversation_id, label, labeled, decided_at, decided_event_id
    FROM conversation_label_sealed
)
SELECT DISTINCT ON (workspace_id, conversation_id, label)
       workspace_id, conversation_id, label, labeled, decided_at, decided_event_id
FROM candidates
ORDER BY workspace_id, conversation_id, label, decided_at DESC, decided_event_id DESC;

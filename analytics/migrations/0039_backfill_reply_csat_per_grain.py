"""The reply-time and CSAT columns that 0038 adds to support_total_hourly, support_channel_hourly,
support_agent_hourly and support_agent_daily, for what a database already holds: the rows of
support_reply_hourly and support_csat_hourly (every slot, sealed history included) summed to each
grain and added into slot 0, so `rollups verify` is clean right after the upgrade. The trigger of
0038, installed by the same `migrate`, adds what is ingested afterwards.

support_agent_daily stays the sum of each UTC day's slot 0 rows of support_agent_hourly: what is
added to an hour's slot 0 is added to its day too.

The SQL is written out here, not read from sql/recompute/: a migration must do the same thing
whatever those files become later."""

from django.db import migrations

BINS = ", ".join(f"sum(reply_bins[{i}])" for i in range(1, 12))
ZERO_BINS = "array_fill(0::bigint, ARRAY[11])"
QUALITY = "reply_count, reply_seconds, reply_bins, score_1, score_2, score_3, score_4, score_5"
ADDED = ", ".join(
    [
        "reply_count = s.reply_count + EXCLUDED.reply_count",
        "reply_seconds = s.reply_seconds + EXCLUDED.reply_seconds",
        "reply_bins = ARRAY[" + ", ".join(f"s.reply_bins[{i}] + EXCLUDED.reply_bins[{i}]" for i in range(1, 12)) + "]",
        *(f"score_{n} = s.score_{n} + EXCLUDED.score_{n}" for n in range(1, 6)),
    ]
)


def quality(keys: str, bucket: str = "bucket") -> str:
    """The reply and CSAT rows summed per `keys` (bucket as `bucket`), as a subquery."""
    return f"""(
    SELECT {keys.replace("bucket", f"{bucket} AS bucket")},
           sum(reply_count)::bigint AS reply_count, sum(reply_seconds) AS reply_seconds,
           ARRAY[{BINS}]::bigint[] AS reply_bins,
           sum(score_1)::bigint AS score_1, sum(score_2)::bigint AS score_2, sum(score_3)::bigint AS score_3,
           sum(score_4)::bigint AS score_4, sum(score_5)::bigint AS score_5
    FROM (
        SELECT workspace_id, bucket, channel_id, agent_id, reply_count, reply_seconds, reply_bins,
               0 AS score_1, 0 AS score_2, 0 AS score_3, 0 AS score_4, 0 AS score_5
        FROM support_reply_hourly
        UNION ALL
        SELECT workspace_id, bucket, channel_id, agent_id, 0, 0, {ZERO_BINS},
               score_1, score_2, score_3, score_4, score_5
        FROM support_csat_hourly
    ) AS q
    GROUP BY {", ".join(str(i) for i in range(1, keys.count(",") + 2))}
) AS q"""


# The other columns of a row the backfill creates (an hour with replies or ratings only): zeros, as
# the trigger writes them (the columns have no database default).
OTHERS = (
    "conversations_created, conversations_assigned, agent_replies, customer_replies, resolutions, reopens,"
    " first_response_count, first_response_seconds, resolution_count, resolution_seconds,"
    " first_response_bins, resolution_bins"
)
ZEROS = f"0, 0, 0, 0, 0, 0, 0, 0, 0, 0, {ZERO_BINS}, {ZERO_BINS}"


def backfill(table: str, keys: str, *, bucket: str = "bucket", slot: bool = True) -> str:
    columns = f"{keys}, slot, {OTHERS}, {QUALITY}" if slot else f"{keys}, {OTHERS}, {QUALITY}"
    values = f"{keys}, 0, {ZEROS}, {QUALITY}" if slot else f"{keys}, {ZEROS}, {QUALITY}"
    conflict = f"{keys}, slot" if slot else keys
    return f"""
INSERT INTO {table} AS s ({columns})
SELECT {values}
FROM {quality(keys, bucket)}
ORDER BY {keys}
ON CONFLICT ({conflict}) DO UPDATE SET {ADDED};
"""


BACKFILL = "".join(
    [
        backfill("support_total_hourly", "workspace_id, bucket"),
        backfill("support_channel_hourly", "workspace_id, bucket, channel_id"),
        backfill("support_agent_hourly", "workspace_id, bucket, agent_id"),
        backfill(
            "support_agent_daily", "workspace_id, bucket, agent_id", bucket="date_trunc('day', bucket, 'UTC')", slot=False
        ),
    ]
)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0038_reply_csat_per_grain")]

    operations = [migrations.RunSQL(BACKFILL, migrations.RunSQL.noop)]

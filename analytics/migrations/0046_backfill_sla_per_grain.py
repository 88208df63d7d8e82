"""The SLA columns that 0045 adds to support_total_hourly, support_channel_hourly,
support_agent_hourly and support_agent_daily, for what a database already holds: the rows of
support_sla_hourly (every slot, sealed history included) summed to each grain and added into
slot 0, so `rollups verify` is clean right after the upgrade. The trigger of 0045, installed by
the same `migrate`, adds what is ingested afterwards.

support_agent_daily stays the sum of each UTC day's slot 0 rows of support_agent_hourly: what is
added to an hour's slot 0 is added to its day too.

The SQL is written out here, not read from sql/recompute/: a migration must do the same thing
whatever those files become later."""

from django.db import migrations

SLA = ("first_response_targeted", "first_response_breaches", "resolution_targeted", "resolution_breaches")
ZERO_BINS = "array_fill(0::bigint, ARRAY[11])"
# The other columns of a row the backfill creates (an hour with SLA outcomes only): zeros, as the
# trigger writes them (the columns have no database default).
OTHERS = (
    "conversations_created, conversations_assigned, agent_replies, customer_replies, resolutions, reopens,"
    " first_response_count, first_response_seconds, resolution_count, resolution_seconds,"
    " first_response_bins, resolution_bins, reply_count, reply_seconds, reply_bins,"
    " score_1, score_2, score_3, score_4, score_5"
)
ZEROS = f"0, 0, 0, 0, 0, 0, 0, 0, 0, 0, {ZERO_BINS}, {ZERO_BINS}, 0, 0, {ZERO_BINS}, 0, 0, 0, 0, 0"


def backfill(table: str, keys: list[str], *, bucket: str = "bucket", slot: bool = True) -> str:
    """Adds support_sla_hourly summed per `keys` (the bucket as `bucket`) into `table`'s slot 0 rows."""
    selected = ", ".join(f"{bucket} AS bucket" if key == "bucket" else key for key in keys)
    groups = ", ".join(str(position) for position in range(1, len(keys) + 1))
    sums = ", ".join(f"sum({name})::bigint AS {name}" for name in SLA)
    names, key_list = ", ".join(SLA), ", ".join(keys)
    columns = f"{key_list}{', slot' if slot else ''}, {OTHERS}, {names}"
    values = f"{key_list}{', 0' if slot else ''}, {ZEROS}, {names}"
    added = ", ".join(f"{name} = s.{name} + EXCLUDED.{name}" for name in SLA)
    nonzero = " OR ".join(f"sum({name}) <> 0" for name in SLA)
    return f"""
INSERT INTO {table} AS s ({columns})
SELECT {values}
FROM (SELECT {selected}, {sums} FROM support_sla_hourly GROUP BY {groups} HAVING {nonzero}) AS sla
ORDER BY {key_list}
ON CONFLICT ({key_list}{", slot" if slot else ""}) DO UPDATE SET {added};
"""


BACKFILL = "".join(
    [
        backfill("support_total_hourly", ["workspace_id", "bucket"]),
        backfill("support_channel_hourly", ["workspace_id", "bucket", "channel_id"]),
        backfill("support_agent_hourly", ["workspace_id", "bucket", "agent_id"]),
        backfill(
            "support_agent_daily",
            ["workspace_id", "bucket", "agent_id"],
            bucket="date_trunc('day', bucket, 'UTC')",
            slot=False,
        ),
    ]
)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0045_sla_per_grain")]

    operations = [migrations.RunSQL(BACKFILL, migrations.RunSQL.noop)]

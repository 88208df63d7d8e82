# Indexes for the filters of GET /api/v1/events/: workspace first, then the filtered column, then
# the listing's order (occurred_at DESC, id DESC), so a filtered page is one index range scan and
# the cursor's next page starts where the last one ended. Optional columns get partial indexes.
# conversation_id already has event_ws_conversation_idx (0001).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0005_rollup_views"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="event",
            index=models.Index(fields=["workspace", "name", "-occurred_at", "-id"], name="event_ws_name_idx"),
        ),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(
                condition=models.Q(("session_id__isnull", False)),
                fields=["workspace", "session_id", "-occurred_at", "-id"],
                name="event_ws_session_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(
                condition=models.Q(("user_id__isnull", False)),
                fields=["workspace", "user_id", "-occurred_at", "-id"],
                name="event_ws_user_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(
                condition=models.Q(("customer_id__isnull", False)),
                fields=["workspace", "customer_id", "-occurred_at", "-id"],
                name="event_ws_customer_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(
                condition=models.Q(("channel_id__isnull", False)),
                fields=["workspace", "channel_id", "-occurred_at", "-id"],
                name="event_ws_channel_idx",
            ),
        ),
    ]

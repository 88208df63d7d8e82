"""support_agent_daily: the folded part (slot 0) of support_agent_hourly summed by UTC day, which
`rollups compact` keeps from now on in the statement that folds the slots, so the agent list
reads whole days instead of one row per agent and hour. And an index of support_channel_hourly
by channel, for one channel's time series.

The table is filled from the slot 0 rows already there, inside the migration's transaction,
with support_agent_hourly locked against writes (SHARE: the triggers and a concurrent compaction
wait for the commit), so no fold can happen between the fill and the commit.
"""

import analytics.models
import django.contrib.postgres.fields
import django.db.models.deletion
import django_pgviews.db.migrations.operations
from django.db import migrations, models


DAYS_FILL = """
INSERT INTO support_agent_daily
    (workspace_id, bucket, agent_id, conversations_created, conversations_assigned, agent_replies,
     customer_replies, resolutions, reopens, first_response_count, first_response_seconds,
     resolution_count, resolution_seconds, first_response_bins, resolution_bins)
SELECT workspace_id, date_trunc('day', bucket, 'UTC'), agent_id,
       sum(conversations_created), sum(conversations_assigned), sum(agent_replies),
       sum(customer_replies), sum(resolutions), sum(reopens), sum(first_response_count),
       sum(first_response_seconds), sum(resolution_count), sum(resolution_seconds),
       ARRAY[""" + ", ".join(f"sum(first_response_bins[{i}])" for i in range(1, 12)) + """]::bigint[],
       ARRAY[""" + ", ".join(f"sum(resolution_bins[{i}])" for i in range(1, 12)) + """]::bigint[]
FROM support_agent_hourly
WHERE slot = 0
GROUP BY 1, 2, 3
"""


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0017_dimension_merges_in_one_upsert'),
        ('core', '0002_erase_scope'),
    ]

    operations = [
        migrations.RunSQL("LOCK TABLE support_agent_hourly IN SHARE MODE", migrations.RunSQL.noop),
        migrations.CreateModel(
            name='RecomputeSupportAgentDaily',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
            ],
            options={
                'db_table': 'recompute_support_agent_daily',
                'managed': False,
            },
        ),
        migrations.CreateModel(
            name='SupportAgentDaily',
            fields=[
                ('conversations_created', models.BigIntegerField(default=0)),
                ('conversations_assigned', models.BigIntegerField(default=0)),
                ('agent_replies', models.BigIntegerField(default=0)),
                ('customer_replies', models.BigIntegerField(default=0)),
                ('resolutions', models.BigIntegerField(default=0)),
                ('reopens', models.BigIntegerField(default=0)),
                ('first_response_count', models.BigIntegerField(default=0)),
                ('first_response_seconds', models.DecimalField(decimal_places=6, default=0, max_digits=30)),
                ('resolution_count', models.BigIntegerField(default=0)),
                ('resolution_seconds', models.DecimalField(decimal_places=6, default=0, max_digits=30)),
                ('pk', models.CompositePrimaryKey('workspace', 'bucket', 'agent_id', blank=True, editable=False, primary_key=True, serialize=False)),
                ('workspace', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='core.workspace')),
                ('bucket', models.DateTimeField()),
                ('agent_id', models.CharField(blank=True, default='', max_length=64)),
                ('first_response_bins', django.contrib.postgres.fields.ArrayField(base_field=models.BigIntegerField(), default=analytics.models.empty_histogram, help_text='Conversations per duration bin; element i counts the bin starting at DURATION_BINS[i].', size=11)),
                ('resolution_bins', django.contrib.postgres.fields.ArrayField(base_field=models.BigIntegerField(), default=analytics.models.empty_histogram, help_text='Conversations per duration bin; element i counts the bin starting at DURATION_BINS[i].', size=11)),
            ],
            options={
                'db_table': 'support_agent_daily',
            },
        ),
        migrations.AddIndex(
            model_name='supportchannelhourly',
            index=models.Index(fields=['workspace', 'channel_id', 'bucket'], name='support_channel_hourly_chn_idx'),
        ),
        django_pgviews.db.migrations.operations.RegisterViewOperation(
            name='RecomputeSupportAgentDaily',
            materialized=False,
            db_name='recompute_support_agent_daily',
        ),
        migrations.RunSQL(DAYS_FILL, migrations.RunSQL.noop),
    ]

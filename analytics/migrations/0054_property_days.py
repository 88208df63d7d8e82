"""event_property_daily: the folded part (slot 0) of event_property_hourly_slot by UTC day with
each hour's cap applied, which `rollups compact` keeps from now on for the days it folds (and
rebuild, erasure and a change of the declarations for theirs), so a breakdown by a property
reads whole days instead of one row per value and hour; the partial index of the unfolded rows
that tells a reader which days it cannot read there; the erase trigger recomputing the days of
the erased events; and the property statements of the summary trigger reading each amount from
the JSON once per event instead of once per dimension, and the slot's rows through the primary
key whatever the estimates (sql/triggers/event__count_properties.sql).

The table is filled from the slot 0 rows already there (DAYS_FILL) by 0055, in the transaction
that installs the triggers, with event_property_hourly_slot locked against writes (SHARE: the
triggers and a concurrent compaction wait for the commit), so no fold can happen between the fill
and the commit.
"""

import django.db.models.deletion
import django_pgviews.db.migrations.operations
from django.db import migrations, models

import analytics.catalogue.models

COLUMNS = (
    "workspace_id, name, dimension, bucket, measure, kind, value, "
    "events, amount_count, amount_sum, amount_min, amount_max"
)
# The recomputation of sql/recompute/event_property_daily.sql as it was when this migration was
# written: a migration does the same thing whatever that file becomes later.
DAYS = """
WITH ranked AS (
    SELECT s.*,
           s.kind = 0 AND s.dimension <> ''
           AND dense_rank() OVER (
               PARTITION BY s.workspace_id, s.name, s.dimension, s.bucket, s.kind ORDER BY s.value COLLATE "C"
           ) > p.cap AS over
    FROM event_property_hourly_slot AS s
    LEFT JOIN event_property AS p ON (p.workspace_id, p.name, p.key) = (s.workspace_id, s.name, s.dimension)
    WHERE s.slot = 0
)
SELECT workspace_id, name, dimension, date_trunc('day', bucket, 'UTC') AS bucket, measure,
       CASE WHEN over THEN 2 ELSE kind END::smallint AS kind,
       CASE WHEN over THEN '' ELSE value END AS value,
       sum(events)::bigint AS events,
       sum(amount_count)::bigint AS amount_count,
       sum(amount_sum) AS amount_sum,
       min(amount_min) AS amount_min,
       max(amount_max) AS amount_max
FROM ranked
GROUP BY 1, 2, 3, 4, 5, 6, 7
"""
DAYS_FILL = (
    f"INSERT INTO event_property_daily ({COLUMNS}) "
    f"SELECT {COLUMNS} FROM ({DAYS}) AS r"
)


class Migration(migrations.Migration):

    dependencies = [
        ('analytics', '0053_unique_periods_triggers'),
        ('core', '0006_timezone_help'),
    ]

    operations = [
        migrations.CreateModel(
            name='RecomputeEventPropertyDaily',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
            ],
            options={
                'db_table': 'recompute_event_property_daily',
                'managed': False,
            },
        ),
        migrations.CreateModel(
            name='EventPropertyDaily',
            fields=[
                ('pk', models.CompositePrimaryKey('workspace', 'name', 'dimension', 'bucket', 'measure', 'kind', 'value', blank=True, editable=False, primary_key=True, serialize=False)),
                ('workspace', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='core.workspace')),
                ('name', models.CharField(db_collation='C', max_length=100)),
                ('dimension', models.CharField(blank=True, db_collation='C', max_length=100)),
                ('bucket', models.DateTimeField(help_text="The day's start, midnight UTC.")),
                ('measure', models.CharField(blank=True, db_collation='C', max_length=100)),
                ('kind', models.SmallIntegerField(choices=[(0, 'a value of its own'), (1, 'events without the property'), (2, "the overflow bucket: values past the hour's cap")])),
                ('value', models.CharField(blank=True, db_collation='C', max_length=200)),
                ('events', models.BigIntegerField(default=0)),
                ('amount_count', models.BigIntegerField(default=0, help_text='Events whose measure is a number.')),
                ('amount_sum', analytics.catalogue.models.ExactNumberField(decimal_places=500, default=0, max_digits=1000)),
                ('amount_min', analytics.catalogue.models.ExactNumberField(decimal_places=500, max_digits=1000, null=True)),
                ('amount_max', analytics.catalogue.models.ExactNumberField(decimal_places=500, max_digits=1000, null=True)),
            ],
            options={
                'db_table': 'event_property_daily',
            },
        ),
        migrations.AddIndex(
            model_name='eventpropertyhourlyslot',
            index=models.Index(condition=models.Q(('slot', 0), _negated=True), fields=['workspace', 'name', 'dimension', 'bucket'], name='event_property_hourly_unfolded'),
        ),
        django_pgviews.db.migrations.operations.RegisterViewOperation(
            name='RecomputeEventPropertyDaily',
            materialized=False,
            db_name='recompute_event_property_daily',
        ),
    ]

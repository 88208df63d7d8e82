from django.db import migrations

from core.sql import read_sql


class Migration(migrations.Migration):
    """tally_business_due() as PL/pgSQL arithmetic instead of one query per call, as 0042 did for
    tally_business_seconds(): the same results (the oracle test, and 19,965 random cases against
    the query form: zones with DST changes and a half-hour shift, no zone, up to eight intervals,
    holidays, targets of 0 s to 6 days), a fourth to an eighth of the time a call
    (sql/functions/tally_business_due.sql)."""

    dependencies = [
        ("analytics", "0050_team_label_business_sla"),
    ]

    operations = [
        migrations.RunSQL(read_sql("functions/tally_business_due.sql"), reverse_sql=migrations.RunSQL.noop),
    ]

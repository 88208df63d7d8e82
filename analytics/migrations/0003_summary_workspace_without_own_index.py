from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):
    """Summary tables lose the separate workspace_id index: their primary keys start with it."""

    dependencies = [
        ("analytics", "0002_recompute_views"),
    ]

    operations = [
        migrations.AlterField(
            model_name='agent',
            name='workspace',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='core.workspace'),
        ),
        migrations.AlterField(
            model_name='channel',
            name='workspace',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='core.workspace'),
        ),
        migrations.AlterField(
            model_name='conversation',
            name='workspace',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='core.workspace'),
        ),
        migrations.AlterField(
            model_name='customer',
            name='workspace',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='core.workspace'),
        ),
        migrations.AlterField(
            model_name='customerinteractionhourly',
            name='workspace',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='core.workspace'),
        ),
        migrations.AlterField(
            model_name='eventhourly',
            name='workspace',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='core.workspace'),
        ),
        migrations.AlterField(
            model_name='supportdurationhourly',
            name='workspace',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='core.workspace'),
        ),
        migrations.AlterField(
            model_name='supporthourly',
            name='workspace',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='core.workspace'),
        ),
        migrations.AlterField(
            model_name='supportlive',
            name='workspace',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='core.workspace'),
        ),
    ]

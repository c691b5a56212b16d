import django.db.models.deletion
from django.db import migrations, models

KINDS = [
    ("start", "Start"),
    ("end", "End"),
    ("human", "Human task"),
    ("automatic", "Automatic task"),
    ("exclusive", "Exclusive gateway"),
    ("parallel", "Parallel gateway"),
    ("timer", "Timer"),
    ("signal", "Wait for signal"),
    ("subprocess", "Subprocess"),
    ("first_of", "Wait for the first"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("engine", "0010_date_events"),
    ]

    operations = [
        # A wait armed by a "wait for the first" gateway points at the gateway's workitem.
        migrations.AddField(
            model_name="workitem",
            name="gateway",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="armed_waits",
                to="engine.workitem",
            ),
        ),
        migrations.AlterField(
            model_name="activity",
            name="kind",
            field=models.CharField(choices=KINDS, max_length=16),
        ),
        migrations.AlterField(
            model_name="workitem",
            name="activity_kind",
            field=models.CharField(choices=KINDS, max_length=16),
        ),
    ]

import django.db.models.deletion
from django.db import migrations, models

import engine.models.definitions


class Migration(migrations.Migration):
    dependencies = [
        ("engine", "0009_model_events"),
    ]

    operations = [
        migrations.AddField(
            model_name="activity",
            name="timer_offset",
            field=models.CharField(
                blank=True,
                help_text="added to the date field's date, e.g. -1h",
                max_length=32,
                validators=[engine.models.definitions.offset_validator],
            ),
        ),
        migrations.CreateModel(
            name="DateEventFire",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("record_pk", models.CharField(max_length=255)),
                (
                    "due_at",
                    models.DateTimeField(help_text="UTC: the record's date plus the offset"),
                ),
                (
                    "process",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="engine.process",
                    ),
                ),
                (
                    "trigger",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="date_fires",
                        to="engine.trigger",
                    ),
                ),
            ],
            options={
                "ordering": ["due_at", "pk"],
                "indexes": [models.Index(fields=["due_at"], name="date_event_fire_due")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("trigger", "record_pk"), name="date_event_fire_one_per_record"
                    )
                ],
            },
        ),
    ]

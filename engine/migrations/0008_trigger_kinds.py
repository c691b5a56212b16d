from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("engine", "0007_singleton"),
    ]

    operations = [
        migrations.AddField(
            model_name="trigger",
            name="condition",
            field=models.TextField(blank=True, help_text="the condition language, over record"),
        ),
        migrations.AddField(
            model_name="trigger",
            name="date_field",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="trigger",
            name="model",
            field=models.CharField(blank=True, help_text="app_label.ModelName", max_length=200),
        ),
        migrations.AddField(
            model_name="trigger",
            name="offset",
            field=models.CharField(blank=True, help_text="e.g. -1h: an hour before", max_length=32),
        ),
        migrations.AddField(
            model_name="trigger",
            name="on",
            field=models.JSONField(blank=True, default=list, help_text="create, update, delete"),
        ),
        migrations.AddField(
            model_name="trigger",
            name="signal",
            field=models.CharField(
                blank=True, help_text="the signal that starts a run", max_length=200
            ),
        ),
        migrations.AddField(
            model_name="trigger",
            name="watch",
            field=models.JSONField(blank=True, default=list, help_text="fields whose change counts"),
        ),
        migrations.AlterField(
            model_name="trigger",
            name="kind",
            field=models.CharField(
                choices=[
                    ("schedule", "Schedule"),
                    ("model_event", "Model event"),
                    ("date_event", "Date on a record"),
                    ("signal", "Signal"),
                ],
                max_length=16,
            ),
        ),
    ]

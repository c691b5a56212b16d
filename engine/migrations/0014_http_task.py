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
    ("http", "HTTP request"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("engine", "0012_run_idempotency"),
    ]

    operations = [
        # The HTTP task (engine.runtime.http_task): templates over run data, secret names.
        migrations.AddField(
            model_name="activity",
            name="http_method",
            field=models.CharField(default="GET", max_length=8),
        ),
        migrations.AddField(
            model_name="activity",
            name="http_url",
            field=models.CharField(blank=True, max_length=2000),
        ),
        migrations.AddField(
            model_name="activity",
            name="http_body",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="activity",
            name="http_headers",
            field=models.JSONField(
                blank=True, default=dict, help_text="header name -> secret name (never a value)"
            ),
        ),
        migrations.AddField(
            model_name="activity",
            name="http_result_path",
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name="activity",
            name="http_result_key",
            field=models.CharField(blank=True, max_length=64),
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

from django.db import migrations, models
from django.db.models import Q

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

RUN_STATES = [
    ("running", "Running"),
    ("waiting", "Waiting"),
    ("suspended", "Suspended"),
    ("failed", "Failed"),
    ("completed", "Completed"),
    ("cancelled", "Cancelled"),
    ("failed_at_end", "Failed (at an end)"),
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
        # An end that fails the run with a reason; the run's new terminal state.
        migrations.AddField(
            model_name="activity",
            name="fail_reason",
            field=models.CharField(blank=True, max_length=1000),
        ),
        migrations.AddField(
            model_name="processinstance",
            name="failure_reason",
            field=models.CharField(blank=True, max_length=2000),
        ),
        migrations.AlterField(
            model_name="processinstance",
            name="state",
            field=models.CharField(choices=RUN_STATES, default="running", max_length=16),
        ),
        # A run failed at an end no longer holds its singleton value.
        migrations.RemoveConstraint(
            model_name="processinstance",
            name="one_active_run_per_singleton_value",
        ),
        migrations.AddConstraint(
            model_name="processinstance",
            constraint=models.UniqueConstraint(
                condition=~Q(singleton_value="")
                & ~Q(state__in=["cancelled", "completed", "failed_at_end"]),
                fields=("process", "singleton_value"),
                name="one_active_run_per_singleton_value",
            ),
        ),
        # The default retry policy of a version's automatic and HTTP tasks.
        migrations.AddField(
            model_name="version",
            name="default_retry",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]

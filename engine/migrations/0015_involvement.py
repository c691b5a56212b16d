# Issue 16: a person's runs list walks (person, run start) indexes and stops after a
# page (engine.models.involvement). Workitems and offers carry their run's started_at.
from django.conf import settings
from django.db import migrations, models

HELP = "the run's started_at, copied: a person's runs list walks it in order"

# Rows written before this migration get their run's start; a run's start never changes.
BACKFILL = [
    f"UPDATE {table} SET run_started_at = (SELECT r.started_at FROM engine_processinstance r "
    f"WHERE r.id = {table}.instance_id) WHERE run_started_at IS NULL"
    for table in ("engine_workitem", "engine_workitemcandidate")
]


def _field() -> models.DateTimeField:
    return models.DateTimeField(blank=True, editable=False, help_text=HELP, null=True)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("engine", "0014_inbox_candidates"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(model_name="workitem", name="run_started_at", field=_field()),
        migrations.AddField(model_name="workitemcandidate", name="run_started_at", field=_field()),
        *[migrations.RunSQL(sql, migrations.RunSQL.noop) for sql in BACKFILL],
        migrations.AddIndex(
            model_name="workitem",
            index=models.Index(
                condition=models.Q(("assignee__isnull", False)),
                fields=["assignee", "-run_started_at", "-instance"],
                name="wi_assignee_run_time",
            ),
        ),
        migrations.AddIndex(
            model_name="workitem",
            index=models.Index(
                condition=models.Q(("completed_by__isnull", False)),
                fields=["completed_by", "-run_started_at", "-instance"],
                name="wi_completer_run_time",
            ),
        ),
        migrations.AddIndex(
            model_name="workitemcandidate",
            index=models.Index(
                condition=models.Q(("user__isnull", False)),
                fields=["user", "-run_started_at", "-instance"],
                name="candidate_user_run_time",
            ),
        ),
        migrations.AddIndex(
            model_name="workitemcandidate",
            index=models.Index(
                condition=models.Q(("group__isnull", False)),
                fields=["group", "-run_started_at", "-instance"],
                name="candidate_group_run_time",
            ),
        ),
    ]

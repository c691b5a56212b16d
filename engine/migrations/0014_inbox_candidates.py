"""The inbox's candidate index (issue 16): each candidate carries its workitem's created_at.

"Available", newest first, then walks ``(user or group, -created_at)`` and
stops after a page instead of reading and sorting every open offer. The
existing rows get their workitem's created_at before the indexes are built.
"""

import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_created_at(apps, schema_editor):
    WorkItem = apps.get_model("engine", "WorkItem")
    WorkItemCandidate = apps.get_model("engine", "WorkItemCandidate")
    # One UPDATE: the table holds only open offers, so it stays small.
    WorkItemCandidate.objects.update(
        created_at=Subquery(
            WorkItem.objects.filter(pk=OuterRef("workitem_id")).values("created_at")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("engine", "0013_http_task"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(model_name="workitemcandidate", name="candidate_user"),
        migrations.RemoveIndex(model_name="workitemcandidate", name="candidate_group"),
        migrations.AddField(
            model_name="workitemcandidate",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.RunPython(copy_created_at, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="workitemcandidate",
            index=models.Index(
                fields=["user", "-created_at", "-workitem"], name="candidate_user_time"
            ),
        ),
        migrations.AddIndex(
            model_name="workitemcandidate",
            index=models.Index(
                fields=["group", "-created_at", "-workitem"], name="candidate_group_time"
            ),
        ),
    ]

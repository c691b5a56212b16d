# Issue 16: fewer index pages written per automatic step (engine/models/indexes.py says which and why).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("engine", "0015_involvement"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="auditevent",
            name="audit_process_time",
        ),
        migrations.RemoveIndex(
            model_name="workitem",
            name="wi_inbox",
        ),
        migrations.RemoveIndex(
            model_name="workitem",
            name="wi_state_time",
        ),
        migrations.RemoveIndex(
            model_name="workitem",
            name="wi_done",
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="instance",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="audit_events",
                to="engine.processinstance",
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="process",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="engine.process",
            ),
        ),
        migrations.AlterField(
            model_name="workitem",
            name="assignee",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="assigned_workitems",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="workitem",
            name="completed_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="completed_workitems",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="workitem",
            name="delegated_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="workitem",
            name="gateway",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="armed_waits",
                to="engine.workitem",
            ),
        ),
        migrations.AlterField(
            model_name="workitem",
            name="instance",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="workitems",
                to="engine.processinstance",
            ),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["process", "created_at"], name="audit_process_time"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                condition=models.Q(("actor__isnull", False)), fields=["actor"], name="audit_actor"
            ),
        ),
        migrations.AddIndex(
            model_name="workitem",
            index=models.Index(
                condition=models.Q(("assignee__isnull", False)),
                fields=["assignee", "state", "-created_at"],
                name="wi_inbox",
            ),
        ),
        migrations.AddIndex(
            model_name="workitem",
            index=models.Index(fields=["state", "created_at"], name="wi_state_time"),
        ),
        migrations.AddIndex(
            model_name="workitem",
            index=models.Index(
                condition=models.Q(("completed_by__isnull", False)),
                fields=["completed_by", "-completed_at"],
                name="wi_done",
            ),
        ),
        migrations.AddIndex(
            model_name="workitem",
            index=models.Index(
                condition=models.Q(("delegated_by__isnull", False)),
                fields=["delegated_by"],
                name="wi_delegated_by",
            ),
        ),
        migrations.AddIndex(
            model_name="workitem",
            index=models.Index(
                condition=models.Q(("gateway__isnull", False)),
                fields=["gateway"],
                name="wi_gateway",
            ),
        ),
    ]

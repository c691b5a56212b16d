"""Build two GoFlow2 processes in a real django-goflow2 1.2 and dump them.

Runs in the peers' own virtualenv (bench/peers/requirements.txt), never in
Waymark's: ``python goflow_peer_build.py DB_PATH OUT_DIR``. Writes the SQLite
database at DB_PATH and, in OUT_DIR, ``workflow.json`` (dumpdata of the
workflow app with natural keys for groups and users) and ``graphs.json`` (what
was built, read back through GoFlow2's own models, for the test to compare).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import django
from django.conf import settings


def configure(db_path: str) -> None:
    settings.configure(
        SECRET_KEY="goflow-peer-only",
        USE_TZ=True,
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "goflow.workflow",
            "goflow.runtime",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": db_path}},
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        WF_USER_AUTO="workflow",
        GOFLOW_AUDIT_ENABLED=False,
        GOFLOW_WEBHOOK_ENABLED=False,
    )
    django.setup()


def link(**fields) -> None:
    """A GoFlow2 transition, saved as its admin saves it (save() normalizes the condition)."""
    from goflow.workflow.models import Transition

    Transition(**fields).save()


def build() -> None:
    from django.contrib.auth.models import Group, User
    from goflow.workflow.models import Activity, Process, WorkflowLayout

    staff, managers, auditors, finance = (
        Group.objects.create(name=name) for name in ("staff", "managers", "auditors", "finance")
    )
    alice = User.objects.create_user("alice")

    expense = Process.objects.create(title="Expense Claim", description="Claims up to 5k")
    submit = Activity.objects.create(title="Submit", process=expense, description="")
    approve = Activity.objects.create(
        title="Approve",
        process=expense,
        node_type="approval",
        sla_duration="3d",
        sla_warn="2d",
        compensation_handler="goflow.runtime.compensation.compensate_refund",
        form_class="claims.forms.ApprovalForm",
        split_mode="xor",
    )
    pay = Activity.objects.create(
        title="Pay", process=expense, node_type="service", autostart=True, split_mode="xor"
    )
    rejected = Activity.objects.create(title="Tell the claimant", process=expense)
    submit.roles.add(staff)
    approve.roles.add(managers)
    approve.allowed_users.add(alice)
    approve.allowed_groups.add(auditors)
    approve.sla_roles.add(finance)
    expense.begin = submit
    expense.save()
    end = expense.end
    link(process=expense, input=submit, output=approve, name="submitted")
    link(process=expense, input=approve, output=pay, condition="APPROVED")
    link(process=expense, input=approve, output=rejected, condition="in:REJECTED,DENIED")
    link(
        process=expense,
        input=approve,
        output=end,
        condition="workitem.time_out(3, unit='days')",
        pre_hook="claims.hooks.before_timeout",
    )
    link(process=expense, input=pay, output=end)
    link(process=expense, input=rejected, output=end)
    WorkflowLayout.objects.create(
        process=expense,
        layout={
            str(submit.pk): {"x": 100, "y": 80},
            str(approve.pk): {"x": 260, "y": 80},
            str(pay.pk): {"x": 420, "y": 40},
        },
    )

    review = Process.objects.create(title="Contract Review", code="contracts", description="")
    prepare = Activity.objects.create(title="Prepare", process=review)  # split_mode 'and'
    legal = Activity.objects.create(title="Legal", process=review)
    money = Activity.objects.create(title="Finance", process=review)
    merge = Activity.objects.create(title="Merge", process=review, kind="dummy", join_mode="and")
    claim = Activity.objects.create(title="Claim", process=review, kind="subflow", subflow=expense)
    legal.roles.add(auditors)
    review.begin = prepare
    review.save()
    link(process=review, input=prepare, output=legal)
    link(process=review, input=prepare, output=money)
    link(process=review, input=legal, output=merge)
    link(process=review, input=money, output=merge)
    link(process=review, input=merge, output=claim, condition="true")
    link(process=review, input=claim, output=review.end)


def graphs() -> dict:
    """Each process as GoFlow2 sees it: activities by title, transitions by titles."""
    from goflow.workflow.models import Process

    out = {}
    for process in Process.objects.order_by("pk"):
        out[process.code] = {
            "title": process.title,
            "begin": process.begin.title,
            "end": process.end.title,
            "activities": {
                a.title: {
                    "kind": a.kind,
                    "node_type": a.node_type,
                    "roles": sorted(g.name for g in a.roles.all()),
                    "allowed_users": sorted(u.username for u in a.allowed_users.all()),
                    "allowed_groups": sorted(g.name for g in a.allowed_groups.all()),
                    "sla_duration": a.sla_duration or "",
                    "sla_warn": a.sla_warn or "",
                    "compensation_handler": a.compensation_handler or "",
                }
                for a in process.activities.order_by("pk")
            },
            "transitions": sorted(
                [t.input.title, t.output.title, t.condition or ""]
                for t in process.transitions.all()
            ),
        }
    return out


def main(db_path: str, out_dir: str) -> None:
    configure(db_path)
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, verbosity=0)
    build()
    out = Path(out_dir)
    with open(out / "workflow.json", "w") as dump:
        call_command("dumpdata", "workflow", natural_foreign=True, indent=1, stdout=dump)
    (out / "graphs.json").write_text(json.dumps(graphs(), indent=1))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

"""Create the demo user and load the demo process. Safe to run again."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from engine.models import Process
from engine.services import definitions

DEMO_GROUPS = ("requesters", "approvers", "finance")
DEMO_PROCESS = Path(__file__).resolve().parents[2] / "fixtures" / "demo_expense.yaml"


class Command(BaseCommand):
    help = "Create the demo user (demo / demo) and load the demo process."

    def handle(self, *args, **options):
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username="demo", defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            user.set_password("demo")
            user.save()
        for name in DEMO_GROUPS:
            group, _ = Group.objects.get_or_create(name=name)
            user.groups.add(group)
        text = DEMO_PROCESS.read_text()
        if not Process.objects.filter(code="expense-approval").exists():
            definitions.import_text(text, filename=DEMO_PROCESS.name, user=user, publish_it=True)
        self.stdout.write(
            f"demo user {'created' if created else 'ready'}; demo process 'expense-approval' ready"
        )

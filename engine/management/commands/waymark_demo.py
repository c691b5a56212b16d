"""Create the demo user and load the demo process. Safe to run again."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

DEMO_GROUPS = ("requesters", "approvers", "finance")


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
        self.stdout.write(f"demo user {'created' if created else 'ready'}")

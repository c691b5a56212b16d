"""Reserved for the inbox's candidate index (issue 16); filled in by its change."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("engine", "0013_http_task")]

    operations: list = []

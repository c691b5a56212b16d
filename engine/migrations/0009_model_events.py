from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("engine", "0008_trigger_kinds"),
    ]

    operations = []

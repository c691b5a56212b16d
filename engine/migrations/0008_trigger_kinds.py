from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("engine", "0007_singleton"),
    ]

    operations = []

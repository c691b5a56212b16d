from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("engine", "0010_date_events"),
    ]

    operations = []

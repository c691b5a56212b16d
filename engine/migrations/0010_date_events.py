from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("engine", "0009_model_events"),
    ]

    operations = []

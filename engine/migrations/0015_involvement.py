# Slot reserved for issue 16's work (filled by the part that needs it).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("engine", "0014_inbox_candidates")]

    operations = []

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("engine", "0011_first_of"),
    ]

    operations = [
        migrations.AddField(
            model_name="processinstance",
            name="idempotency_key",
            field=models.CharField(blank=True, max_length=200, null=True),
        ),
        migrations.AddField(
            model_name="processinstance",
            name="idempotency_fingerprint",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddConstraint(
            model_name="processinstance",
            constraint=models.UniqueConstraint(
                condition=models.Q(("idempotency_key__isnull", False)),
                fields=("process", "tenant_id", "idempotency_key"),
                name="one_run_per_idempotency_key",
            ),
        ),
    ]

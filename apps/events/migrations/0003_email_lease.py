from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0002_event_types_recorded_host_states"),
    ]

    operations = [
        migrations.AddField(
            model_name="emailnotification",
            name="lease_until",
            field=models.DateTimeField(blank=True, help_text="A claimed attempt holds the email until.", null=True),
        ),
    ]

"""Change.services gets an explicit link model on the same table, carrying the change's window.

The table of the auto-created many-to-many (changes_change_services: id, change_id, service_id, unique pair)
becomes ChangeService as it is (state only); then the window columns are added, filled from the changes, and
indexed by (service, eff_start) like the host links.
"""

import django.db.models.deletion
from django.db import migrations, models

FILL_WINDOWS = """
UPDATE changes_change_services SET
    eff_start = (SELECT c.eff_start FROM changes_change c WHERE c.id = changes_change_services.change_id),
    eff_end = (SELECT c.eff_end FROM changes_change c WHERE c.id = changes_change_services.change_id)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("changes", "0003_change_approval_due_at_change_approved_at_and_more"),
        ("inventory", "0002_default_environments"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ChangeService",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "change",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="service_links",
                                to="changes.change",
                            ),
                        ),
                        (
                            "service",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="change_links",
                                to="inventory.service",
                            ),
                        ),
                    ],
                    options={"db_table": "changes_change_services", "unique_together": {("change", "service")}},
                ),
                migrations.AlterField(
                    model_name="change",
                    name="services",
                    field=models.ManyToManyField(
                        blank=True, related_name="changes", through="changes.ChangeService", to="inventory.service"
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="changeservice",
            name="eff_start",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="changeservice",
            name="eff_end",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.RunSQL(FILL_WINDOWS, reverse_sql=migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="changeservice",
            index=models.Index(
                fields=["service", "eff_start"], include=("eff_end", "change"), name="changeservice_service_time"
            ),
        ),
    ]

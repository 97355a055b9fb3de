from django.db import migrations

DEFAULT_ENVIRONMENTS = [
    ("Development", "dev", 10, False),
    ("QA", "qa", 20, False),
    ("Production", "prod", 30, True),
]


def create_default_environments(apps, schema_editor):
    Environment = apps.get_model("inventory", "Environment")
    for name, slug, order, is_production in DEFAULT_ENVIRONMENTS:
        Environment.objects.get_or_create(
            slug=slug, defaults={"name": name, "order": order, "is_production": is_production}
        )


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]

    operations = [migrations.RunPython(create_default_environments, migrations.RunPython.noop)]

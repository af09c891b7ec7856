"""The moderation lane's order as a partial index (most suspicious first, then id): its first page is a top-N walk of
the index instead of a sort of every held output of the project.

SQLite cannot write NULLS LAST in an index, but it already sorts NULL below every number, so DESC puts them last:
the same order, written per database. The model's Meta declares the PostgreSQL form (the migration state)."""
from django.db import migrations, models

POSTGRESQL = ('CREATE INDEX IF NOT EXISTS "output_held_order" ON "generations_taskoutput" '
              '("nsfw_probability" DESC NULLS LAST, "id" ASC) WHERE "flagged"')
OTHER = ('CREATE INDEX IF NOT EXISTS "output_held_order" ON "generations_taskoutput" '
         '("nsfw_probability" DESC, "id" ASC) WHERE "flagged"')


def create(apps, schema_editor):
    schema_editor.execute(POSTGRESQL if schema_editor.connection.vendor == "postgresql" else OTHER)


def drop(apps, schema_editor):
    schema_editor.execute('DROP INDEX IF EXISTS "output_held_order"')


class Migration(migrations.Migration):

    dependencies = [
        ("generations", "0011_one_export_job"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="taskoutput",
                    index=models.Index(models.OrderBy(models.F("nsfw_probability"), descending=True, nulls_last=True),
                                       models.OrderBy(models.F("id")), condition=models.Q(("flagged", True)),
                                       name="output_held_order"),
                ),
            ],
            database_operations=[migrations.RunPython(create, drop)],
        ),
    ]

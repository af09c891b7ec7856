from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_zip_import_direct_upload")]

    operations = [
        migrations.AddField(
            model_name="sku",
            name="archived_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]

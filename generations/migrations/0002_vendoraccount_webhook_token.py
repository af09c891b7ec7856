"""VendorAccount.webhook_token: the account's public id in its webhook URL.

Three steps so existing rows each get their own token (a callable default is evaluated once for AddField)."""
from django.db import migrations, models

import generations.models


def fill_tokens(apps, schema_editor):
    VendorAccount = apps.get_model("generations", "VendorAccount")
    for account in VendorAccount.objects.filter(webhook_token__isnull=True).only("pk"):
        VendorAccount.objects.filter(pk=account.pk).update(webhook_token=generations.models.new_webhook_token())


class Migration(migrations.Migration):
    dependencies = [("generations", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="vendoraccount", name="webhook_token",
            field=models.CharField(max_length=40, null=True, editable=False),
        ),
        migrations.RunPython(fill_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="vendoraccount", name="webhook_token",
            field=models.CharField(default=generations.models.new_webhook_token, editable=False, max_length=40,
                                   unique=True),
        ),
    ]

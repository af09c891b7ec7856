"""Re-encrypt every vendor account's secrets under the newest STUDIO_ENCRYPTION_KEYS key.

Key rotation: put the new key first in STUDIO_ENCRYPTION_KEYS (keep the old one after it), deploy, run this
command, and only then drop the old key. Rows no configured key can decrypt are named by id and make the command
exit non-zero, so an old key is never dropped while something still depends on it. Secrets are never printed.
"""
from cryptography.fernet import InvalidToken
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from generations import secrets
from generations.models import VendorAccount

SECRET_FIELDS = ("api_key_encrypted", "webhook_secret_encrypted")


def rotate_account(account: VendorAccount) -> list[str]:
    """Rotate both secrets in memory; returns the fields that changed. Raises InvalidToken if one is unreadable."""
    changed = []
    for field in SECRET_FIELDS:
        old = getattr(account, field)
        if old:
            setattr(account, field, secrets.rotate(old))
            changed.append(field)
    return changed


class Command(BaseCommand):
    help = "Re-encrypt vendor API keys and webhook secrets with the newest key in STUDIO_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        rotated, empty, unreadable = 0, 0, []
        for pk in VendorAccount.objects.order_by("pk").values_list("pk", flat=True):
            # One short transaction per account with a row lock, so a key saved meanwhile is not overwritten.
            with transaction.atomic():
                account = VendorAccount.objects.select_for_update().get(pk=pk)
                try:
                    fields = rotate_account(account)
                except InvalidToken:
                    unreadable.append(pk)
                    continue
                if fields:
                    account.save(update_fields=fields)
                    rotated += 1
                else:
                    empty += 1
        self.stdout.write(f"Re-encrypted {rotated} account(s); {empty} had no secrets to rotate.")
        if unreadable:
            ids = ", ".join(str(pk) for pk in unreadable)
            raise CommandError(
                f"{len(unreadable)} account(s) hold secrets no configured key can decrypt (ids: {ids}). "
                "Add the key they were encrypted with to STUDIO_ENCRYPTION_KEYS, or enter their secrets again."
            )

"""Vendor secrets are encrypted at rest, survive key rotation, and never reach a log line."""
import io
import logging

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from generations import secrets
from studio.logging import RedactSecretsFilter, redact
from tests.factories import VendorAccountFactory

API_KEY = "sk-live-" + "a1b2c3d4e5f6a7b8"
WEBHOOK_SECRET = "whsec_" + "0f1e2d3c4b5a6978"


def stored_columns(account_id: int) -> tuple[str, str]:
    """What is really in the table, read past the ORM."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT api_key_encrypted, webhook_secret_encrypted FROM generations_vendoraccount WHERE id = %s",
            [account_id],
        )
        return cursor.fetchone()


def account_with_secrets():
    account = VendorAccountFactory()
    account.set_api_key(API_KEY)
    account.set_webhook_secret(WEBHOOK_SECRET)
    account.save()
    return account


@pytest.mark.django_db
def test_the_database_holds_ciphertext_not_the_plaintext_secrets():
    account = account_with_secrets()
    api_column, webhook_column = stored_columns(account.pk)
    assert API_KEY not in api_column and WEBHOOK_SECRET not in webhook_column
    assert api_column and webhook_column
    account.refresh_from_db()
    assert account.reveal_api_key() == API_KEY
    assert account.reveal_webhook_secret() == WEBHOOK_SECRET


@pytest.mark.django_db
def test_rotation_moves_secrets_to_the_new_key_so_the_old_key_can_be_dropped(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.STUDIO_ENCRYPTION_KEYS = [old]
    account = account_with_secrets()
    keyless = VendorAccountFactory()
    before = stored_columns(account.pk)

    settings.STUDIO_ENCRYPTION_KEYS = [new, old]
    account.refresh_from_db()
    assert account.reveal_api_key() == API_KEY  # the old key still decrypts while it is listed

    out = io.StringIO()
    call_command("rotate_vendor_secrets", stdout=out)
    assert "Re-encrypted 1 account(s); 1 had no secrets" in out.getvalue()
    assert API_KEY not in out.getvalue() and WEBHOOK_SECRET not in out.getvalue()
    assert stored_columns(account.pk) != before
    assert stored_columns(keyless.pk) == ("", "")

    settings.STUDIO_ENCRYPTION_KEYS = [new]
    account.refresh_from_db()
    assert account.reveal_api_key() == API_KEY
    assert account.reveal_webhook_secret() == WEBHOOK_SECRET


@pytest.mark.django_db
def test_rotation_names_the_accounts_no_configured_key_can_read_and_fails(settings):
    lost, current = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.STUDIO_ENCRYPTION_KEYS = [lost]
    orphan = account_with_secrets()
    settings.STUDIO_ENCRYPTION_KEYS = [current]
    healthy = account_with_secrets()

    out = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("rotate_vendor_secrets", stdout=out)

    message = str(failure.value)
    assert f"ids: {orphan.pk}" in message and str(healthy.pk) not in message.split("ids:")[1]
    assert API_KEY not in message + out.getvalue()
    assert "Re-encrypted 1 account(s)" in out.getvalue()  # the readable account was still rotated
    healthy.refresh_from_db()
    assert healthy.reveal_api_key() == API_KEY


def test_an_unreadable_secret_raises_a_named_error_instead_of_returning_garbage(settings):
    settings.STUDIO_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    token = secrets.encrypt(API_KEY)
    settings.STUDIO_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(secrets.SecretUnreadable):
        secrets.decrypt(token)


@pytest.mark.parametrize(
    "line",
    [
        f"GET /v1/task Authorization: Bearer {API_KEY}",
        f"Authorization: Bearer {API_KEY}",
        f"retrying with api_key={API_KEY}&program=7",
        f'payload {{"api_key": "{API_KEY}"}}',
        f"x-api-key: {API_KEY}",
        f"webhook_secret={WEBHOOK_SECRET}",
        f"vendor said no to {API_KEY}",
    ],
)
def test_redact_masks_credentials_in_text(line):
    cleaned = redact(line)
    assert API_KEY not in cleaned and WEBHOOK_SECRET not in cleaned
    assert "***" in cleaned


def test_a_logger_with_the_redact_filter_never_emits_a_key():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecretsFilter())
    logger = logging.getLogger("tests.secrets.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("vendor call failed: Authorization: Bearer %s", API_KEY)
        logger.error("POST /tryon api_key=%s status=%d", API_KEY, 401)
        logger.info("webhook secret=%s rejected", WEBHOOK_SECRET)
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert output.count("\n") == 3  # every record was still logged, only masked
    assert API_KEY not in output and WEBHOOK_SECRET not in output
    assert "401" in output


def test_the_masked_form_of_a_secret_reveals_at_most_two_characters():
    assert secrets.mask(API_KEY) == "•" * 8 + API_KEY[-2:]
    assert secrets.mask("short") == "•" * 8
    assert secrets.mask("") == "— not set —"

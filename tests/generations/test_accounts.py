"""Vendor account pages: a write-only key that never comes back, connection tests, admin-only."""
import logging

import pytest
from django.db import connection
from django.urls import reverse

from generations.models import AccountState, VendorAccount
from generations.vendors import registry
from generations.vendors.base import AuthError, Balance
from generations.vendors.sandbox.adapter import SandboxAdapter
from studio.models import Role
from tests.factories import MembershipFactory, VendorAccountFactory

pytestmark = pytest.mark.django_db
KEY = "sk-live-7f3a9c1e5b2d4f60"


@pytest.fixture
def admin(client):
    membership = MembershipFactory(role=Role.ADMIN)
    client.force_login(membership.user)
    client.team = membership.team
    return client


def test_an_admin_adds_an_account_and_the_key_is_stored_encrypted_and_never_shown(admin, caplog):
    caplog.set_level(logging.DEBUG)
    response = admin.post(reverse("account_create"), {
        "vendor": "sandbox", "name": "Studio sandbox", "base_url": "", "concurrency_limit": 4,
        "submissions_per_minute": "", "settings": "{}", "api_key": KEY, "webhook_secret": "whsec-abcdef123456"},
        follow=True)
    account = VendorAccount.objects.get(team=admin.team)
    assert account.reveal_api_key() == KEY and account.reveal_webhook_secret() == "whsec-abcdef123456"
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key_encrypted, webhook_secret_encrypted FROM generations_vendoraccount")
        stored = " ".join(cursor.fetchone())
    assert KEY not in stored and "whsec" not in stored
    for page in (response, admin.get(reverse("account_edit", args=[account.pk])), admin.get(reverse("account_list"))):
        assert KEY.encode() not in page.content and b"whsec-abcdef" not in page.content
    assert KEY not in caplog.text


def test_a_form_error_does_not_echo_the_typed_key(admin):
    response = admin.post(reverse("account_create"), {
        "vendor": "sandbox", "name": "", "base_url": "not a url", "concurrency_limit": 4, "settings": "{}",
        "api_key": KEY})
    assert response.status_code == 200 and b"This field is required" in response.content
    assert KEY.encode() not in response.content


def test_an_empty_key_field_keeps_the_stored_key(admin):
    account = VendorAccountFactory(team=admin.team)
    account.set_api_key(KEY)
    account.save()
    admin.post(reverse("account_edit", args=[account.pk]), {
        "name": "Renamed", "base_url": "", "concurrency_limit": 10, "settings": "{}", "api_key": ""})
    account.refresh_from_db()
    assert account.name == "Renamed" and account.reveal_api_key() == KEY


def test_replacing_the_key_of_a_disabled_account_enables_it_again(admin):
    account = VendorAccountFactory(team=admin.team, state=AccountState.DISABLED, state_message="401 from vendor")
    admin.post(reverse("account_edit", args=[account.pk]), {
        "name": account.name, "base_url": "", "concurrency_limit": 10, "settings": "{}", "api_key": "sk-new-key-1"})
    account.refresh_from_db()
    assert account.state == AccountState.ACTIVE and account.reveal_api_key() == "sk-new-key-1"


def test_testing_the_connection_records_the_balance(admin):
    account = VendorAccountFactory(team=admin.team, settings={"credits": 420})
    response = admin.post(reverse("account_test", args=[account.pk]), follow=True)
    account.refresh_from_db()
    assert account.credit_balance == 420 and account.balance_checked_at is not None
    assert b"Balance: 420 credits" in response.content


class RejectingAdapter(SandboxAdapter):
    def check_balance(self) -> Balance:
        raise AuthError("Invalid, missing, or revoked API key", status_code=401)


def test_a_rejected_key_disables_the_account_and_says_why(admin):
    account = VendorAccountFactory(team=admin.team)
    with registry.registered("sandbox", RejectingAdapter):
        response = admin.post(reverse("account_test", args=[account.pk]), follow=True)
    account.refresh_from_db()
    assert account.state == AccountState.DISABLED
    assert b"rejected the key" in response.content


@pytest.mark.parametrize("role", [Role.MANAGER, Role.CREATIVE, Role.CLIENT])
def test_only_admins_manage_vendor_accounts(client, role):
    membership = MembershipFactory(role=role)
    account = VendorAccountFactory(team=membership.team)
    client.force_login(membership.user)
    assert client.get(reverse("account_list")).status_code == 403
    assert client.get(reverse("account_edit", args=[account.pk])).status_code == 403
    assert client.post(reverse("account_test", args=[account.pk])).status_code == 403


def test_the_base_url_offers_huhus_production_and_gamma_urls_and_takes_any_url(admin):
    page = admin.get(reverse("account_create")).content.decode()
    assert 'list="base-url-presets"' in page
    assert '<option value="https://api.huhu.ai/public/v1">huhu · Production</option>' in page
    assert '<option value="https://api-gamma.huhu.ai/public/v1">huhu · Gamma / Dev</option>' in page
    account = VendorAccountFactory(team=admin.team, vendor="huhu")
    account.set_api_key(KEY)
    account.save()
    admin.post(reverse("account_edit", args=[account.pk]), {
        "name": account.name, "base_url": "http://127.0.0.1:9999/public/v1", "concurrency_limit": 10,
        "settings": "{}"})
    account.refresh_from_db()
    assert account.base_url == "http://127.0.0.1:9999/public/v1"

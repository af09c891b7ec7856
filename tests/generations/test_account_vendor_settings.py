"""Vendor-specific settings are real fields on the account page, defaults shown: Hautech's upload reading (its
document only refers to the three-step upload) and Uwear's webhook signing scheme (its document does not say)."""
import pytest

from generations.models import Vendor, VendorAccount
from generations.vendors.hautech.adapter import UPLOAD_DEFAULTS
from studio.models import Role
from tests import factories as f

pytestmark = pytest.mark.django_db


def admin_client(client, team):
    client.force_login(f.MembershipFactory(team=team, role=Role.ADMIN).user)
    return client


def test_hautechs_upload_settings_are_editable_with_their_defaults_shown(client):
    account = f.VendorAccountFactory(vendor=Vendor.HAUTECH)
    account.set_api_key("hk-1")
    account.save()
    page = admin_client(client, account.team).get(f"/accounts/{account.pk}/").content.decode()
    assert "Upload step 1: initialize path" in page and UPLOAD_DEFAULTS["initialize_path"] in page
    assert f"Default: {UPLOAD_DEFAULTS['send_method']}" in page

    response = client.post(f"/accounts/{account.pk}/", {
        "name": account.name, "base_url": "", "concurrency_limit": 3, "settings": "{}",
        "vs__upload__initialize_path": "/v2/uploads/start", "vs__upload__send_method": "POST",
        "vs__upload__send_as": "raw", "vs__upload__file_field": "file", "vs__upload__url_field": "uploadUrl",
        "vs__upload__token_field": "fileToken", "vs__upload__finalize_path": UPLOAD_DEFAULTS["finalize_path"],
        "vs__upload__image_path": UPLOAD_DEFAULTS["image_path"]})
    assert response.status_code in (200, 302)
    account.refresh_from_db()
    # Only what differs from the default is stored: the defaults keep following the code.
    assert account.settings["upload"] == {"initialize_path": "/v2/uploads/start", "send_method": "POST",
                                          "send_as": "raw"}


def test_uwears_webhook_signing_scheme_is_a_choice_on_the_account_page(client):
    account = f.VendorAccountFactory(vendor=Vendor.UWEAR)
    account.set_api_key("uw-1")
    account.save()
    page = admin_client(client, account.team).get(f"/accounts/{account.pk}/").content.decode()
    assert "Webhook signature scheme" in page and "GitHub style" in page
    client.post(f"/accounts/{account.pk}/", {"name": account.name, "base_url": "", "concurrency_limit": 3,
                                             "settings": "{}", "vs__webhook_signing": "body"})
    assert VendorAccount.objects.get(pk=account.pk).settings == {"webhook_signing": "body"}

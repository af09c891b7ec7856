"""Issue 14.1: a vendor account's base URL cannot point vendor calls (and the account key) at our own network.

Vendor API calls go over https to public addresses only, resolved and pinned; STUDIO_VENDOR_ALLOW_HOSTS lists
the exceptions (empty by default; tests/conftest.py lists 127.0.0.1 for the fakes, emptied here).
"""
import pytest
from django.urls import reverse

from generations.models import Vendor, VendorAccount
from generations.vendors import http
from generations.vendors.base import FetchRefused
from studio.models import Role
from tests.factories import MembershipFactory, VendorAccountFactory
from tests.security.listener import CountingListener

pytestmark = pytest.mark.django_db
KEY = "sk-live-ssrf-4b1d9e77c0"


@pytest.fixture
def listener():
    server = CountingListener()
    yield server
    server.close()


@pytest.fixture
def no_exceptions(settings):
    settings.STUDIO_VENDOR_ALLOW_HOSTS = []


@pytest.fixture
def admin(client):
    membership = MembershipFactory(role=Role.ADMIN)
    client.force_login(membership.user)
    client.team = membership.team
    return client


def _account(team, base_url):
    account = VendorAccountFactory(team=team, vendor=Vendor.HUHU)
    account.set_api_key(KEY)
    account.base_url = base_url
    account.save()
    return account


@pytest.mark.parametrize("template", [
    "http://127.0.0.1:{port}/admin/",
    "https://127.0.0.1:{port}/",
    "http://localhost:{port}/",
    "https://localhost:{port}/",
    "https://2130706433:{port}/",  # 127.0.0.1 spelt as one decimal number
    "https://0x7f000001:{port}/",
    "https://[::ffff:127.0.0.1]:{port}/",
])
def test_testing_the_connection_to_a_loopback_base_url_never_connects(template, admin, listener, no_exceptions):
    account = _account(admin.team, template.format(port=listener.port))
    response = admin.post(reverse("account_test", args=[account.pk]), follow=True)
    assert listener.hits == 0 and KEY.encode() not in listener.received
    page = response.content.decode()
    assert "internal admin page" not in page
    assert "non-public address" in page or "https only" in page


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "https://169.254.169.254/",
                                 "https://10.0.0.7/", "https://100.64.0.1/", "https://[fd00::1]/",
                                 "https://[64:ff9b::a9fe:a9fe]/"])
def test_metadata_and_private_addresses_are_refused_before_any_connection(url, no_exceptions, monkeypatch):
    def no_connect(*args, **kwargs):
        raise AssertionError(f"connected to {args}")

    monkeypatch.setattr("socket.socket.connect", no_connect)
    client = http.VendorClient(url, headers={"Authorization": f"Bearer {KEY}"})
    with pytest.raises(FetchRefused):
        client.request("GET", "/v1/me")


def test_plain_http_to_a_public_host_is_refused(no_exceptions):
    with pytest.raises(FetchRefused, match="https only"):
        http.check_vendor_url("http://api.huhu.ai/public/v1")


def test_a_host_in_studio_vendor_allow_hosts_is_reached(settings, listener):
    settings.STUDIO_VENDOR_ALLOW_HOSTS = [f"127.0.0.1:{listener.port}"]
    client = http.VendorClient(f"http://127.0.0.1:{listener.port}")
    assert client.get("/")["detail"].startswith("internal")
    assert listener.hits == 1
    settings.STUDIO_VENDOR_ALLOW_HOSTS = [f"127.0.0.1:{listener.port + 1}"]  # another port is not an exception
    with pytest.raises(FetchRefused):
        client.get("/")
    assert listener.hits == 1


def test_the_connection_goes_to_the_checked_address_even_if_dns_changes_after(settings, listener, monkeypatch):
    """Pinned: the name is resolved once, checked, and that IP is connected to (no DNS rebinding)."""
    settings.STUDIO_VENDOR_ALLOW_HOSTS = ["vendor.internal"]
    import socket as socket_module

    real = socket_module.getaddrinfo
    answers = iter(["127.0.0.1", "10.9.9.9", "10.9.9.9"])

    def rebinding(host, port, *args, **kwargs):
        if host == "vendor.internal":
            return real(next(answers), port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket_module, "getaddrinfo", rebinding)
    client = http.VendorClient(f"http://vendor.internal:{listener.port}")
    client.get("/")
    assert listener.hits == 1
    assert b"Host: vendor.internal:" in listener.received


def test_the_account_form_refuses_a_private_base_url_and_says_why(admin, no_exceptions, listener):
    response = admin.post(reverse("account_create"), {
        "vendor": "sandbox", "name": "Sneaky", "base_url": f"http://127.0.0.1:{listener.port}/admin/",
        "concurrency_limit": 4, "submissions_per_minute": "", "settings": "{}", "api_key": KEY})
    assert response.status_code == 200
    assert not VendorAccount.objects.filter(name="Sneaky").exists()
    assert "https" in response.content.decode()
    assert listener.hits == 0


def test_the_account_form_still_offers_the_documented_presets_first(admin):
    response = admin.get(reverse("account_create") + "?vendor=huhu")
    assert b"base-url-presets" in response.content

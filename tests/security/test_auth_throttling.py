"""Issue 14.3: password guessing on /accounts/login/ and /admin/login/ locks out, per username and per address,
with a cool-off and a command to unlock, and the answers never tell whether a username exists."""
import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "pass-for-tests-123"
LOGIN_PAGES = ["/accounts/login/", "/admin/login/"]


def _try(client, url, username, password, ip="203.0.113.7"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _page(response) -> bytes:
    """The page without its per-request CSRF tokens and CSP nonce."""
    page = re.sub(rb'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', rb"\1", response.content)
    nonce = re.search(r"'nonce-([^']+)'", response.get("Content-Security-Policy", ""))
    return page.replace(nonce.group(1).encode(), b"NONCE") if nonce else page


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("url", LOGIN_PAGES)
def test_twenty_wrong_passwords_then_the_right_one_is_refused(url):
    user = UserFactory(is_staff=True)
    client = Client()
    for _ in range(20):
        _try(client, url, user.username, "wrong-password")
    response = _try(client, url, user.username, PASSWORD)
    assert not _signed_in(client)
    assert response.status_code == 429
    assert b"Too many failed sign-ins" in response.content


def test_the_username_is_locked_from_any_address():
    user = UserFactory()
    for i in range(5):
        _try(Client(), "/accounts/login/", user.username, "wrong", ip=f"198.51.100.{i}")
    client = Client()
    _try(client, "/accounts/login/", user.username, PASSWORD, ip="198.51.100.200")
    assert not _signed_in(client)


def test_one_address_guessing_many_usernames_is_locked_and_others_are_not():
    victim = UserFactory()
    for i in range(5):
        _try(Client(), "/accounts/login/", f"guess{i}", "wrong", ip="192.0.2.50")
    blocked = Client()
    _try(blocked, "/accounts/login/", victim.username, PASSWORD, ip="192.0.2.50")
    assert not _signed_in(blocked)
    elsewhere = Client()
    _try(elsewhere, "/accounts/login/", victim.username, PASSWORD, ip="192.0.2.51")
    assert _signed_in(elsewhere)


def test_the_answers_are_the_same_for_a_username_that_does_not_exist():
    user = UserFactory()
    known, unknown = Client(), Client()
    first_known = _try(known, "/accounts/login/", user.username, "wrong", ip="192.0.2.1")
    first_unknown = _try(unknown, "/accounts/login/", "nobody-here", "wrong", ip="192.0.2.2")
    assert first_known.status_code == first_unknown.status_code == 200
    assert _page(first_known).replace(user.username.encode(), b"") == \
        _page(first_unknown).replace(b"nobody-here", b"")
    for _ in range(6):
        locked_known = _try(known, "/accounts/login/", user.username, "wrong", ip="192.0.2.1")
        locked_unknown = _try(unknown, "/accounts/login/", "nobody-here", "wrong", ip="192.0.2.2")
    assert locked_known.status_code == locked_unknown.status_code == 429
    assert _page(locked_known) == _page(locked_unknown)


def test_after_the_cool_off_the_right_password_works_again():
    user = UserFactory()
    for _ in range(6):
        _try(Client(), "/accounts/login/", user.username, "wrong")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(hours=1))
    client = Client()
    _try(client, "/accounts/login/", user.username, PASSWORD)
    assert _signed_in(client)


def test_an_admin_unlocks_a_user_with_a_management_command():
    user = UserFactory()
    for i in range(6):
        _try(Client(), "/accounts/login/", user.username, "wrong", ip=f"198.51.100.{i}")
    call_command("axes_reset_username", user.username)
    client = Client()
    _try(client, "/accounts/login/", user.username, PASSWORD, ip="198.51.100.99")
    assert _signed_in(client)

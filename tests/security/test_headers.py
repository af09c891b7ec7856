"""Issue 14.11 and 14.12: no caching of signed-in pages, an idle timeout, sign-out that ends the session on the
server, and a 403 that is a page with navigation and an INFO line without a traceback."""
import logging
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from studio.models import Role
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db
PASSWORD = "pass-for-tests-123"


@pytest.fixture
def signed_in():
    membership = MembershipFactory(role=Role.CREATIVE)
    client = Client()
    client.post("/accounts/login/", {"username": membership.user.username, "password": PASSWORD})
    assert "_auth_user_id" in client.session
    return client


def test_signed_in_pages_are_never_stored_by_a_cache(signed_in):
    response = signed_in.get(reverse("dashboard"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_a_session_expires_after_eight_idle_hours_by_default(signed_in):
    signed_in.get(reverse("dashboard"))
    session = Session.objects.get(session_key=signed_in.session.session_key)
    remaining = session.expire_date - timezone.now()
    assert timedelta(hours=7, minutes=58) < remaining <= timedelta(hours=8)


def test_activity_moves_the_idle_deadline_on(signed_in):
    key = signed_in.session.session_key
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + timedelta(minutes=5))
    signed_in.get(reverse("dashboard"))
    assert Session.objects.get(session_key=key).expire_date > timezone.now() + timedelta(hours=7)


def test_an_idle_session_no_longer_signs_in(signed_in):
    key = signed_in.session.session_key
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = signed_in.get(reverse("dashboard"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_sign_out_ends_the_session_on_the_server(signed_in):
    cookie = signed_in.cookies["sessionid"].value
    signed_in.post(reverse("logout"))
    assert not Session.objects.filter(session_key=cookie).exists()
    replay = Client()
    replay.cookies["sessionid"] = cookie
    response = replay.get(reverse("dashboard"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_403_is_a_page_with_navigation_and_no_traceback_in_the_log(signed_in, caplog):
    caplog.set_level(logging.DEBUG)
    response = signed_in.get(reverse("team_settings"))  # a creative may not manage members
    assert response.status_code == 403
    page = response.content.decode()
    assert "You may not do this" in page and 'href="/dashboard/"' in page and "Sign out" in page
    forbidden = [r for r in caplog.records if r.name == "django.request" and "Forbidden" in r.getMessage()]
    assert forbidden, "the 403 is still logged"
    assert all(r.exc_info is None and r.levelno <= logging.INFO for r in forbidden)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]

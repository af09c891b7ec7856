"""API keys: made by a team admin, shown once, stored hashed with a visible prefix, revocable, expiring, with
their last use (time and IP) shown and an audit event for their use."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiKey, hash_key
from studio.models import AuditEvent, Role
from tests import factories as f


def bearer(plaintext):
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return c


def test_a_key_is_shown_once_on_the_page_and_stored_only_hashed(client, team_admin):
    client.force_login(team_admin.user)
    response = client.post(reverse("api_keys"), {"name": "PIM sync", "role": "creative", "scope": "full"})
    html = response.content.decode()
    key = ApiKey.objects.get(name="PIM sync")
    start = html.index("fs_live_", html.index("data-plaintext"))
    plaintext = html[start:html.index("<", start)]
    assert plaintext.startswith(key.prefix + "_") and len(plaintext) > 40
    assert key.key_hash == hash_key(plaintext) and plaintext not in key.key_hash
    again = client.get(reverse("api_keys")).content.decode()
    assert plaintext not in again and key.prefix in again  # the prefix tells keys apart; the key is never shown again
    assert bearer(plaintext).get("/api/v1/programs/").status_code == 200


def test_only_team_admins_reach_the_key_page(client, team):
    manager = f.MembershipFactory(team=team, role=Role.MANAGER)
    client.force_login(manager.user)
    assert client.get(reverse("api_keys")).status_code == 403
    assert client.post(reverse("api_keys"), {"name": "x", "role": "admin", "scope": "full"}).status_code == 403
    assert not ApiKey.objects.exists()


def test_a_revoked_key_stops_working_at_once(client, team_admin, make_key):
    key, plaintext = make_key()
    assert bearer(plaintext).get("/api/v1/skus/").status_code == 200
    client.force_login(team_admin.user)
    client.post(reverse("api_key_revoke", args=[key.pk]))
    response = bearer(plaintext).get("/api/v1/skus/")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "This API key is unknown, revoked or expired."
    assert AuditEvent.objects.filter(action="api_key_revoked", target__contains=key.prefix).exists()


def test_an_expired_key_is_refused(make_key):
    key, plaintext = make_key(expires_at=timezone.now() + timedelta(minutes=5))
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert bearer(plaintext).get("/api/v1/skus/").status_code == 401


def test_a_request_without_a_key_or_with_a_wrong_one_is_401_in_the_one_error_shape(db):
    anonymous = APIClient().get("/api/v1/skus/")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"
    wrong = bearer("fs_live_deadbeef_" + "x" * 43).get("/api/v1/skus/")
    assert wrong.status_code == 401 and set(wrong.json()["error"]) >= {"status", "code", "message"}


def test_last_use_time_and_ip_are_recorded_and_shown_and_audited(client, team_admin, make_key):
    key, plaintext = make_key()
    bearer(plaintext).get("/api/v1/skus/", REMOTE_ADDR="203.0.113.9")
    key.refresh_from_db()
    assert key.last_used_ip == "203.0.113.9" and key.last_used_at is not None
    event = AuditEvent.objects.get(action="api_key_used")
    assert event.ip == "203.0.113.9" and key.prefix in event.target and event.team == team_admin.team
    client.force_login(team_admin.user)
    assert "203.0.113.9" in client.get(reverse("api_keys")).content.decode()


def test_every_write_is_audited_but_reads_only_once_in_a_while(make_key, project):
    _, plaintext = make_key()
    c = bearer(plaintext)
    for _ in range(3):
        c.get("/api/v1/skus/")
    c.post("/api/v1/skus/", {"project": project.pk, "code": "A-1", "garment_type": "Top"}, format="json")
    c.post("/api/v1/skus/", {"project": project.pk, "code": "A-2", "garment_type": "Top"}, format="json")
    actions = list(AuditEvent.objects.filter(action="api_key_used").values_list("details__method", flat=True))
    assert sorted(actions) == ["GET", "POST", "POST"]


@pytest.mark.parametrize("method, path", [("post", "/api/v1/programs/"), ("post", "/api/v1/generations/")])
def test_a_read_only_key_cannot_change_anything_whatever_its_role(api_for, method, path):
    response = getattr(api_for(Role.ADMIN, "read"), method)(path, {"name": "x"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "This API key is read-only."

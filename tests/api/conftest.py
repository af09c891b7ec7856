"""Fixtures for the API's tests: a team with members, keys of every role and scope, and a client sending a key."""
import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from api import keys
from studio.models import Role
from tests import factories as f


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """Jobs are run by the tests themselves: queued webhook deliveries and exports are recorded, not sent."""
    queued = []
    from api import webhooks
    from generations import export_jobs

    monkeypatch.setattr(webhooks, "queue", lambda pk, countdown=None: queued.append((pk, countdown)))
    monkeypatch.setattr(export_jobs, "queue", lambda pk: queued.append(("export", pk)))
    from catalog import jobs as catalog_jobs, uploads
    from generations.engine import queue as engine_queue

    monkeypatch.setattr(engine_queue, "queue_advance", lambda task_id, countdown=0: queued.append(("task", task_id)))
    monkeypatch.setattr(catalog_jobs, "queue_import", lambda pk: queued.append(("import", pk)))
    monkeypatch.setattr(uploads, "queue_thumbnail", lambda kind, pk: None)
    return queued


@pytest.fixture
def team_admin(db):
    return f.MembershipFactory(role=Role.ADMIN, user__email="admin@example.com")


@pytest.fixture
def team(team_admin):
    return team_admin.team


@pytest.fixture
def make_key(team_admin):
    def make(role=Role.ADMIN, scope="full", team=None, **kwargs):
        return keys.create_key(team or team_admin.team, team_admin.user, name=f"{role} {scope}", role=role,
                               scope=scope, **kwargs)
    return make


@pytest.fixture
def api_for(make_key):
    """api_for(role, scope) -> an APIClient that sends a fresh key of that role and scope."""
    def client(role=Role.ADMIN, scope="full", team=None):
        _, plaintext = make_key(role, scope, team=team)
        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        return c
    return client


@pytest.fixture
def api(api_for):
    return api_for()


@pytest.fixture
def project(team):
    return f.ProjectFactory(program__team=team)


@pytest.fixture
def account(team):
    return f.VendorAccountFactory(team=team)

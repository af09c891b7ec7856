"""Every API route, requested with team B's API key (an admin key with full scope) naming team A's objects: 404,
never team A's data; lists never show team A's rows. The session-based sweep (tests/tenancy/test_sweep.py) covers
the same routes for a signed-in member of team B."""
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from api import keys
from studio.models import Role
from tests.tenancy import routes_api
from tests.tenancy.world import MARKER, build_world

API_OBJECT_ROUTES = sorted(name for name in routes_api.OBJECT_ROUTES if name.startswith("api:"))
API_LIST_ROUTES = sorted(name for name in routes_api.TEAM_ROUTES if name.startswith("api:"))


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def team_b_key(world):
    _, plaintext = keys.create_key(world.team_b, world.user_b, name="B", role=Role.ADMIN, scope="full")
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return c


@pytest.mark.parametrize("name", API_OBJECT_ROUTES)
def test_another_teams_object_is_a_404_for_an_api_key(name, world, team_b_key):
    url = reverse(name, kwargs=routes_api.OBJECT_ROUTES[name](world))
    statuses = {}
    for method in ("get", "post", "patch"):
        response = getattr(team_b_key, method)(url, {"decision": "approved", "name": "x"}, format="json")
        statuses[method] = response.status_code
        assert response.status_code in (404, 405), f"{method.upper()} {url} answered {response.status_code}"
        assert MARKER.encode() not in response.content
    assert 404 in statuses.values(), statuses


@pytest.mark.parametrize("name", API_LIST_ROUTES)
def test_lists_never_show_another_teams_rows_to_an_api_key(name, world, team_b_key):
    response = team_b_key.get(reverse(name))
    assert response.status_code in (200, 405)
    assert MARKER.encode() not in response.content


def test_another_teams_ids_in_a_launch_are_refused(world, team_b_key):
    response = team_b_key.post(reverse("api:generation-launch"), {
        "project": world.project.pk, "skus": [world.sku.pk], "account": world.account.pk, "operation": "try_on"},
        format="json")
    assert response.status_code == 400 and MARKER.encode() not in response.content
    assert response.json()["error"]["fields"] == {"project": ["Choose one of your team's projects."]}

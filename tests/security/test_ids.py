"""Issue 14.9: every id from a form, a query string or a URL is validated: a bad one is a 400 or a 404, never a
500 (an id of 20 digits raised OverflowError in bulk approve)."""
import pytest
from django.test import Client
from django.urls import reverse

from tests.tenancy import routes
from tests.tenancy.world import build_world

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"
FIELDS = ["account", "chosen", "fashion_model", "full", "id", "model", "model_image", "next", "outputs", "page",
          "mpage", "ppage", "parent", "pose", "selected", "sku", "skus", "style", "task", "team", "output",
          "num_images", "pilot_size", "index", "winner", "vendor"]
BAD_VALUES = [HUGE, "-" + HUGE, "1e400", "١٢"]


@pytest.fixture
def owner(monkeypatch):
    from tests.tenancy import routes_generations

    made = {}
    for helper in ("_huhu_request", "_comparison"):  # each makes a row with a unique token: once per world
        original = getattr(routes_generations, helper)
        monkeypatch.setattr(routes_generations, helper,
                            lambda w, original=original, helper=helper: made.get(helper) or made.setdefault(
                                helper, original(w)))
    world = build_world()
    client = Client(raise_request_exception=False)
    client.force_login(world.user_a)
    return client, world


def _urls(world):
    for name, kwargs in routes.OBJECT_ROUTES.items():
        yield reverse(name, kwargs=kwargs(world))
    for name in routes.TEAM_ROUTES:
        yield reverse(name)


def test_bulk_approve_with_a_twenty_digit_id_is_not_a_server_error(owner):
    client, world = owner
    response = client.post(reverse("review_bulk_approve", args=[world.project.pk]), {"outputs": [HUGE]})
    assert response.status_code in (302, 400, 404)


@pytest.mark.parametrize("value", BAD_VALUES)
def test_no_route_answers_a_bad_id_with_a_server_error(owner, value):
    client, world = owner
    failures = []
    data = {field: value for field in FIELDS}
    for url in _urls(world):
        for method, headers in (("get", {}), ("post", {}), ("post", {"HX-Request": "true"})):
            response = getattr(client, method)(url, data, headers=headers)
            if response.status_code >= 500:
                failures.append(f"{method.upper()} {url} -> {response.status_code}")
    assert not failures, failures


@pytest.mark.parametrize("name", sorted(n for n in routes.OBJECT_ROUTES if n != "media_file"))
def test_a_twenty_digit_id_in_the_path_is_a_404(owner, name):
    client, world = owner
    kwargs = {key: (HUGE if key == "pk" else value) for key, value in routes.OBJECT_ROUTES[name](world).items()}
    for method in ("get", "post"):
        assert getattr(client, method)(reverse(name, kwargs=kwargs)).status_code in (404, 405)

"""A user of team B requests every route with team A's objects: 404 everywhere, and never team A's data."""
import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.tenancy import routes
from tests.tenancy.world import MARKER, build_world

EXCLUDED_NAMESPACES = {"admin"}  # Django admin: staff only, covered by tests/studio/test_admin.py


def _named_patterns(resolver=None, namespace=None):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or namespace
            if ns in EXCLUDED_NAMESPACES:
                continue
            yield from _named_patterns(pattern, ns)
        elif isinstance(pattern, URLPattern):
            if pattern.name is None:
                # media/static serving in DEBUG only; everything of ours is named.
                assert "media" in str(pattern.pattern) or "static" in str(pattern.pattern), pattern
                continue
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_url_pattern_is_covered_by_the_sweep():
    declared = set(routes.OBJECT_ROUTES) | routes.TEAM_ROUTES | routes.PUBLIC_ROUTES
    missing = sorted(set(_named_patterns()) - declared)
    assert not missing, f"add these URL names to tests/tenancy/routes.py: {missing}"


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def as_team_b(client, world):
    client.force_login(world.user_b)
    return client


@pytest.mark.parametrize("name", sorted(routes.OBJECT_ROUTES))
def test_another_teams_object_is_a_404_on_every_route(name, world, as_team_b):
    url = reverse(name, kwargs=routes.OBJECT_ROUTES[name](world))
    statuses = {}
    for method, headers in (("get", {}), ("get", {"HX-Request": "true"}), ("post", {})):
        response = getattr(as_team_b, method)(url, headers=headers)
        statuses[method] = response.status_code
        assert response.status_code in (404, 405), f"{method.upper()} {url} answered {response.status_code}"
        assert MARKER.encode() not in response.content
    assert 404 in statuses.values(), f"{url} never answered 404: {statuses}"


@pytest.mark.parametrize("name", sorted(routes.TEAM_ROUTES))
def test_team_pages_never_show_another_teams_data(name, world, as_team_b):
    response = as_team_b.get(reverse(name), follow=True)
    assert response.status_code in (200, 405)
    assert MARKER.encode() not in response.content

"""Every URL pattern of the project, declared once, so the tenancy sweep can prove each one.

When you add a URL pattern, add its name to the module of its app (routes_studio, routes_catalog,
routes_generations, routes_api for the API of issue 18):
- OBJECT_ROUTES: name -> function(world) -> URL kwargs naming one of team A's objects. The sweep requests it
  (GET, GET as htmx, and POST) as team B's admin and expects 404, never team A's data.
- TEAM_ROUTES: names with no object in the URL (lists, forms, the dashboard); the sweep checks that team B's
  response never contains team A's data.
- PUBLIC_ROUTES: names reachable without a team (login, vendor webhooks authenticated by signature — those have
  their own security tests per vendor).
"""
from . import routes_api, routes_catalog, routes_generations, routes_studio

_MODULES = (routes_studio, routes_catalog, routes_generations, routes_api)

OBJECT_ROUTES = {name: fn for m in _MODULES for name, fn in m.OBJECT_ROUTES.items()}
TEAM_ROUTES = set().union(*(m.TEAM_ROUTES for m in _MODULES))
PUBLIC_ROUTES = set().union(*(m.PUBLIC_ROUTES for m in _MODULES))

"""Every URL pattern of the project, declared once, so the tenancy sweep can prove each one.

When you add a URL pattern, add its name here:
- OBJECT_ROUTES: name -> function(world) -> URL kwargs naming one of team A's objects. The sweep requests it
  (GET and POST) as team B's admin and expects 404, never team A's data.
- TEAM_ROUTES: names with no object in the URL (lists, forms, the dashboard); the sweep checks that team B's
  response never contains team A's data.
- PUBLIC_ROUTES: names reachable without a team (login, vendor webhooks authenticated by signature — those have
  their own security tests per vendor).
"""
OBJECT_ROUTES = {
    "program_detail": lambda w: {"pk": w.program.pk},
}

TEAM_ROUTES = {
    "home",
    "dashboard",
    "switch_team",
}

PUBLIC_ROUTES = {
    "login",
    "logout",
}

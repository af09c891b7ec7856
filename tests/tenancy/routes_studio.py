"""studio/urls.py routes (see tests/tenancy/routes.py)."""
OBJECT_ROUTES = {}
TEAM_ROUTES = {"home", "dashboard", "switch_team"}
PUBLIC_ROUTES = {"login", "logout"}

"""generations/urls.py and webhook routes (see tests/tenancy/routes.py)."""
OBJECT_ROUTES: dict = {}
TEAM_ROUTES: set[str] = set()
PUBLIC_ROUTES: set[str] = set()

"""catalog/urls.py routes (see tests/tenancy/routes.py)."""
OBJECT_ROUTES = {
    "program_detail": lambda w: {"pk": w.program.pk},
}
TEAM_ROUTES: set[str] = set()
PUBLIC_ROUTES: set[str] = set()

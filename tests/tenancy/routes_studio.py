"""studio/urls.py routes (see tests/tenancy/routes.py)."""
OBJECT_ROUTES = {
    "team_member_role": lambda w: {"pk": w.team_a.memberships.get().pk},
    "team_member_remove": lambda w: {"pk": w.team_a.memberships.get().pk},
}
TEAM_ROUTES = {"home", "dashboard", "switch_team", "team_settings", "team_settings_save", "team_member_add"}
PUBLIC_ROUTES = {"login", "logout"}

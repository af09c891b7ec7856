"""studio/urls.py routes (see tests/tenancy/routes.py)."""
OBJECT_ROUTES = {
    "team_member_role": lambda w: {"pk": w.team_a.memberships.get().pk},
    "team_member_remove": lambda w: {"pk": w.team_a.memberships.get().pk},
    "media_file": lambda w: {"name": w.garment.image.name},  # tests/security/test_media.py covers each kind
}
TEAM_ROUTES = {"home", "dashboard", "switch_team", "team_settings", "team_settings_save", "team_invite",
               "team_audit", "inbox"}
PUBLIC_ROUTES = {"login", "logout", "invitation_accept", "favicon"}  # signed token: tests/security/test_invitations.py

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from generations.views import media as media_views

from . import views, views_audit, views_favicon, views_inbox, views_invitations, views_team

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("favicon.ico", views_favicon.favicon, name="favicon"),
    path("team/switch/", views.switch_team, name="switch_team"),
    # Team settings (roles.MANAGE_MEMBERS)
    path("team/settings/", views_team.team_settings, name="team_settings"),
    path("team/settings/save/", views_team.team_settings_save, name="team_settings_save"),
    path("team/members/invite/", views_team.team_invite, name="team_invite"),
    path("invitations/<str:token>/", views_invitations.invitation_accept, name="invitation_accept"),
    path("team/members/<int:pk>/role/", views_team.team_member_role, name="team_member_role"),
    path("team/members/<int:pk>/remove/", views_team.team_member_remove, name="team_member_remove"),
    path("team/audit/", views_audit.team_audit, name="team_audit"),
    path("inbox/", views_inbox.inbox, name="inbox"),  # every member: their own messages in this team
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    # Every stored file, team-checked (never served unchecked, in any mode; studio/media.py).
    path("media/<path:name>", media_views.media_file, name="media_file"),
    path("", include("catalog.urls")),
    path("", include("generations.urls")),
    path("webhooks/", include("generations.engine.webhook_urls")),
    path("api/v1/", include("api.urls")),  # the studio's own REST API (issue 18)
    path("", include("api.page_urls")),  # its keys and webhook endpoints, for team admins
]

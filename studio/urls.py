from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views, views_team

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("team/switch/", views.switch_team, name="switch_team"),
    # Team settings (roles.MANAGE_MEMBERS)
    path("team/settings/", views_team.team_settings, name="team_settings"),
    path("team/settings/save/", views_team.team_settings_save, name="team_settings_save"),
    path("team/members/add/", views_team.team_member_add, name="team_member_add"),
    path("team/members/<int:pk>/role/", views_team.team_member_role, name="team_member_role"),
    path("team/members/<int:pk>/remove/", views_team.team_member_remove, name="team_member_remove"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("catalog.urls")),
    path("", include("generations.urls")),
    path("webhooks/", include("generations.webhook_urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

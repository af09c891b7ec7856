"""How the API knows who is asking: `Authorization: Bearer fs_live_…` (an API key), or the browser session of a
signed-in member (so the browsable API and the reference page work for people too).

Either way the request ends up with `request.team` and `request.membership` (an object with `team` and `role`,
as studio.roles.can expects), and the product code checks roles exactly as for the pages.
"""
from dataclasses import dataclass

from rest_framework import authentication, exceptions

from studio.security import client_ip

from . import keys


@dataclass
class KeyMembership:
    """What a key may do, shaped like studio.models.Membership for studio.roles.can and the product code."""

    team: object
    role: str

    @property
    def team_id(self):
        return self.team.pk


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if len(parts) != 2 or parts[0] not in (self.keyword, "Token"):
            raise exceptions.AuthenticationFailed("Send the key as `Authorization: Bearer fs_live_…`.")
        key = keys.authenticate(parts[1])
        if key is None:
            raise exceptions.AuthenticationFailed("This API key is unknown, revoked or expired.")
        django_request = request._request
        django_request.api_key = key
        django_request.membership = KeyMembership(key.team, key.role)
        django_request.team = key.team
        keys.record_use(key, client_ip(django_request), request.method, django_request.path)
        user = key.created_by
        if user is None:
            from django.contrib.auth.models import AnonymousUser

            user = AnonymousUser()
        return user, key

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class TeamSessionAuthentication(authentication.SessionAuthentication):
    """A signed-in member through the browser: the current team and role from the session (CSRF enforced)."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        request._request.api_key = None  # request.team and request.membership come from CurrentTeamMiddleware
        return result

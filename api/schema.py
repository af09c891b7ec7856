"""How the OpenAPI schema describes our authentication (drf-spectacular extensions)."""
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "fs_live_…",
                "description": "A team API key, made by a team admin on Team settings → API keys."}


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.TeamSessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}

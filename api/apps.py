from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API and outgoing webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import schema, webhooks  # noqa: F401 (schema extensions; the team-event listener)

"""Team admin pages for the API: keys and webhook endpoints (roles.MANAGE_MEMBERS)."""
from django.urls import path

from . import views_pages

urlpatterns = [
    path("team/api-keys/", views_pages.api_keys, name="api_keys"),
    path("team/api-keys/<int:pk>/revoke/", views_pages.api_key_revoke, name="api_key_revoke"),
    path("team/webhooks/", views_pages.webhook_endpoints, name="webhook_endpoints"),
    path("team/webhooks/<int:pk>/", views_pages.webhook_endpoint_detail, name="webhook_endpoint_detail"),
    path("team/webhooks/deliveries/<int:pk>/resend/", views_pages.webhook_delivery_resend,
         name="webhook_delivery_resend"),
]

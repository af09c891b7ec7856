"""Vendor webhooks, mounted under /webhooks/: one URL per vendor account, authenticated by signature, not login.

webhooks/<vendor>/<account webhook_token>/ → the WebhookView subclass registered for that vendor (webhooks.py).
"""
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from generations.engine import webhooks

urlpatterns = [
    path("<slug:vendor>/<str:account_token>/", csrf_exempt(webhooks.dispatch), name="vendor_webhook"),
]

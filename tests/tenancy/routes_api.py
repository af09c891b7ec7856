"""api/urls.py and api/page_urls.py routes (see tests/tenancy/routes.py). The same routes are requested again with
team B's API key (not only its session) in tests/api/test_tenancy.py."""
from tests.tenancy.world import MARKER


def _key(w):
    from api.models import ApiKey

    key, _ = ApiKey.generate()
    return ApiKey.objects.create(team=w.team_a, name=f"{MARKER} key", role="admin", scope="full",
                                 prefix=key[:16], key_hash=key)


def _endpoint(w):
    from api.models import WebhookEndpoint

    endpoint = WebhookEndpoint(team=w.team_a, url="https://hooks.example.com/a", description=MARKER,
                               events=["task.completed"])
    endpoint.set_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    endpoint.save()
    return endpoint


def _delivery(w):
    from api.models import OutgoingEvent, WebhookDelivery

    event = OutgoingEvent.objects.create(team=w.team_a, public_id=f"msg_{MARKER}", event_type="task.completed",
                                         data={"m": MARKER})
    return WebhookDelivery.objects.create(endpoint=_endpoint(w), event=event, error=MARKER)


def _export(w):
    from generations.models import ExportJob

    return ExportJob.objects.create(team=w.team_a, project=w.project, error_message=MARKER)


OBJECT_ROUTES = {
    "api:program-detail": lambda w: {"pk": w.program.pk},
    "api:project-detail": lambda w: {"pk": w.project.pk},
    "api:project-budget": lambda w: {"pk": w.project.pk},
    "api:sku-detail": lambda w: {"pk": w.sku.pk},
    "api:sku-garment-images": lambda w: {"pk": w.sku.pk},
    "api:sku-archive": lambda w: {"pk": w.sku.pk},
    "api:sku-unarchive": lambda w: {"pk": w.sku.pk},
    "api:garment-image-detail": lambda w: {"pk": w.garment.pk},
    "api:import-detail": lambda w: {"pk": w.zip_import.pk},
    "api:fashion-model-detail": lambda w: {"pk": w.fashion_model.pk},
    "api:model-image-detail": lambda w: {"pk": w.model_image.pk},
    "api:pose-detail": lambda w: {"pk": w.pose.pk},
    "api:vendor-account-detail": lambda w: {"pk": w.account.pk},
    "api:batch-detail": lambda w: {"pk": w.batch.pk},
    "api:batch-pause": lambda w: {"pk": w.batch.pk},
    "api:batch-resume": lambda w: {"pk": w.batch.pk},
    "api:batch-cancel": lambda w: {"pk": w.batch.pk},
    "api:batch-retry-failed": lambda w: {"pk": w.batch.pk},
    "api:task-detail": lambda w: {"pk": w.task.pk},
    "api:output-detail": lambda w: {"pk": w.output.pk},
    "api:output-review": lambda w: {"pk": w.output.pk},
    "api:output-client-review": lambda w: {"pk": w.output.pk},
    "api:export-detail": lambda w: {"pk": _export(w).pk},
    "api_key_revoke": lambda w: {"pk": _key(w).pk},
    "webhook_endpoint_detail": lambda w: {"pk": _endpoint(w).pk},
    "webhook_delivery_resend": lambda w: {"pk": _delivery(w).pk},
}
# Lists and forms without an object in the URL: team B's answer never holds team A's data.
TEAM_ROUTES = {
    "api:program-list", "api:project-list", "api:sku-list", "api:garment-image-list", "api:import-list",
    "api:fashion-model-list", "api:model-image-list", "api:pose-list", "api:vendor-account-list", "api:batch-list",
    "api:task-list", "api:output-list", "api:credit-list", "api:export-list", "api:generation-estimate",
    "api:generation-launch", "api:schema", "api:docs", "api_keys", "webhook_endpoints",
}
# Signed, expiring links: the signature is the permission (tests/api/test_outputs.py).
PUBLIC_ROUTES = {"api:download"}

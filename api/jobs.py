"""Celery jobs of the API: thin, they take a primary key and call a service. They run on the media queue (slow,
outbound I/O that must not hold up vendor calls)."""
from celery import shared_task


@shared_task(name="media.api_deliver_webhook", acks_late=True, ignore_result=True)
def deliver_webhook(delivery_id: int) -> None:
    from . import webhooks

    webhooks.deliver(delivery_id)


@shared_task(name="media.api_webhook_sweep", ignore_result=True)
def sweep_webhooks() -> int:
    """Deliveries whose retry time has passed but whose job was lost (a broker restart): queue them again."""
    from . import webhooks

    return webhooks.requeue_due()

"""A broker that is down when work is queued: the request still succeeds, the row keeps the truth, the sweeper
queues it once the broker is back (RELIABILITY.md "Workers and broker")."""
import pytest

from generations.engine import runs
from generations.launch import launch_generation, new_form_token
from generations.models import Task
from tests.conftest import _reset_connections
from tests.factories import GarmentImageFactory, SKUFactory, VendorAccountFactory


@pytest.fixture
def dead_broker(settings, monkeypatch):
    from studio.celery import app

    old = {key: app.conf.get(key) for key in ("broker_url", "broker_transport_options", "task_always_eager")}
    # Celery prefers the CELERY_BROKER_URL environment variable over its configuration: point both at a closed port.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:9/0")
    _reset_connections(app)
    app.conf.update(broker_url="redis://127.0.0.1:9/0", broker_transport_options={}, task_always_eager=False)
    yield app
    _reset_connections(app)
    app.conf.update(old)


@pytest.mark.django_db(transaction=True)
def test_a_launch_with_the_broker_down_succeeds_and_the_sweeper_queues_it_later(dead_broker, caplog, monkeypatch):
    account = VendorAccountFactory(vendor="sandbox")
    sku = SKUFactory(project__program__team=account.team)
    GarmentImageFactory(sku=sku)

    batch = launch_generation(user=None, team=account.team, skus=[sku], account=account, operation="try_on",
                              form_token=new_form_token())

    task = batch.tasks.get()
    assert task.step == "submit" and task.next_run_at is not None
    assert "the sweeper will re-queue it" in caplog.text

    # The broker is back: the sweeper finds the row by its next_run_at.
    from generations.engine import jobs

    published = []
    monkeypatch.setattr(jobs.advance, "apply_async", lambda args, countdown=None: published.append(args))
    Task.objects.filter(pk=task.pk).update(next_run_at=task.next_run_at - runs.SWEEP_GRACE * 2)
    runs.sweep()
    assert published == [(task.pk,)]

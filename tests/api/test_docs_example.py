"""The Python example in docs/api.md, run as written against a live test server: create a SKU, upload two garment
photos, launch a try-on with an idempotency key, wait for the webhook, approve, download the approved image.

A thread stands in for the Celery worker: it advances the engine's tasks (the sandbox vendor) and sends the queued
webhook deliveries, as the worker's jobs would."""
import re
import socket
import threading
from pathlib import Path

import pytest
from django.db import connection

from api import keys, webhooks
from api.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, new_webhook_secret
from generations.engine import runs
from generations.engine.housekeeping import ACTIVE_STEPS
from generations.models import Batch, Task, TaskOutput
from studio.models import Role
from tests import factories as f

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def example_code() -> str:
    return re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Worker(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.errors = []

    def run(self):
        try:
            while not self.stop.wait(0.05):
                for pk in Task.objects.filter(step__in=ACTIVE_STEPS).values_list("pk", flat=True):
                    Task.objects.filter(pk=pk).update(next_run_at=None)
                    runs.advance(pk)
                for pk in WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).values_list("pk", flat=True):
                    webhooks.deliver(pk)
        except Exception as exc:  # surfaced by the test
            self.errors.append(exc)
        finally:
            connection.close()


@pytest.fixture
def worker():
    w = Worker()
    w.start()
    yield w
    w.stop.set()
    w.join(10)


@pytest.mark.django_db(transaction=True)
def test_the_documented_example_runs_against_a_live_server(live_server, worker, tmp_path, monkeypatch, settings):
    settings.STUDIO_SANDBOX_DIR = str(tmp_path / "sandbox")
    monkeypatch.chdir(tmp_path)
    admin = f.MembershipFactory(role=Role.ADMIN)
    team = admin.team
    project = f.ProjectFactory(program__team=team)
    account = f.VendorAccountFactory(team=team, vendor="sandbox", settings={"latency_seconds": 0})
    _, key = keys.create_key(team, admin.user, name="PIM", role=Role.MANAGER, scope="full")
    port = free_port()
    secret = new_webhook_secret()
    endpoint = WebhookEndpoint(team=team, url=f"http://127.0.0.1:{port}/", events=["output.ready_for_review"])
    endpoint.set_secret(secret)
    endpoint.save()
    photos = []
    for name, color in (("coat_front.png", (30, 60, 200)), ("coat_back.png", (30, 200, 60))):
        (tmp_path / name).write_bytes(f.image_bytes(width=200, height=300, color=color))
        photos.append((name, str(tmp_path / name)))

    namespace = {"__name__": "docs_example"}
    exec(compile(example_code(), str(DOC), "exec"), namespace)
    sku, batch, image = namespace["main"](live_server.url, key, secret, project.pk, account.pk, photos,
                                          listen_on=("127.0.0.1", port), timeout=60)

    assert not worker.errors, worker.errors
    assert Batch.objects.count() == 1 and Task.objects.count() == 1  # the retried launch did not launch again
    output = TaskOutput.objects.get(task__batch_id=batch["id"])
    assert output.review_status == "Review approved"
    assert image == output.file.open("rb").read()
    assert (tmp_path / f"{sku['code']}.png").read_bytes() == image

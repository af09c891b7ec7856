"""Shared fixtures for the ArtEmotion tests: the fake on 127.0.0.1, an account pointing at it, try-on tasks."""
from urllib.parse import urlsplit

import pytest

from generations.engine import queue
from generations.engine import runs
from generations.models import Task, Vendor
from tests.factories import GarmentImageFactory, ModelImageFactory, SKUFactory, TaskFactory, VendorAccountFactory
from tests.vendors.artemotion.fake import FakeArtEmotion

KEY = "ae_live_test_key_0001"
PUBLIC_URL = "https://studio.example.com"


@pytest.fixture
def fake(settings):
    server = FakeArtEmotion({KEY: 1000}, run_seconds=10.0).start()
    host, port = server._server.server_address[:2]
    settings.STUDIO_FETCH_ALLOW_HOSTS = [f"{host}:{port}"]
    settings.STUDIO_PUBLIC_URL = PUBLIC_URL
    yield server
    server.stop()


def artemotion_account(fake, key: str = KEY, team=None, **kwargs):
    account = VendorAccountFactory(vendor=Vendor.ARTEMOTION, base_url=fake.url,
                                   **({"team": team} if team else {}), **kwargs)
    account.set_api_key(key)
    account.save()
    return account


@pytest.fixture
def account(fake):
    return artemotion_account(fake)


def tryon_task(account, *, garment_type="Top", accessory_sub_type="", category="t-shirt", options=None,
               garment=None, person=None) -> Task:
    sku = SKUFactory(project__program__team=account.team, garment_type=garment_type,
                     accessory_sub_type=accessory_sub_type, category=category)
    model_image = ModelImageFactory(fashion_model__program=sku.project.program,
                                    **({"image": person} if person else {}))
    task = TaskFactory(sku=sku, account=account, team=account.team, model_image=model_image, prompt="",
                       options=options or {})
    task.garment_images.add(GarmentImageFactory(sku=sku, garment_type=garment_type,
                                                **({"image": garment} if garment else {})))
    return task


def step(task: Task) -> str | None:
    """Run the task's next step now (as if its countdown had passed) and reload it."""
    Task.objects.filter(pk=task.pk).update(next_run_at=None)
    ran = runs.advance(task.pk)
    task.refresh_from_db()
    return ran


def submitted_body(fake) -> dict:
    posts = [r for r in fake.requests if r.method == "POST" and r.path.endswith("/tryon")]
    return posts[-1].json()


def deliver(client, delivery, **header_overrides):
    """POST a webhook the fake signed, to the path of the URL it was registered with, like ArtEmotion would."""
    headers = {**delivery.headers, **header_overrides}
    headers = {name: value for name, value in headers.items() if value is not None}
    parts = urlsplit(delivery.url)  # the whole URL we registered, query included (our attempt key rides there)
    target = f"{parts.path}?{parts.query}" if parts.query else parts.path
    return client.post(target, data=delivery.body, content_type="application/json",
                       headers={k: v for k, v in headers.items() if k.lower() != "content-type"})


@pytest.fixture
def queued(monkeypatch):
    """Record what would be published instead of reaching a broker: engine advances and vision jobs."""
    from generations.vendors.artemotion import vision

    calls: list[tuple] = []
    monkeypatch.setattr(queue, "queue_advance", lambda task_id, countdown=0: calls.append(("advance", task_id)) or True)
    monkeypatch.setattr(vision, "_queue", lambda name, pk: calls.append((name, pk)))
    return calls


def override_route(fake, name: str, handler) -> None:
    """Answer one of the fake's routes with `handler(req, original_response)` (shapes the document leaves open)."""
    routes = []
    for method, pattern, fn in fake._routes:
        if fn.__name__ == name:
            fn = (lambda original: lambda req, **kw: handler(req, original(req, **kw)))(fn)
        routes.append((method, pattern, fn))
    fake._routes = routes

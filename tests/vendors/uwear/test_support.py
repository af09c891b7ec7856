"""Shared fixtures for the Uwear tests (no tests here): the fake on 127.0.0.1, an account pointing at it, tasks for
each use case, and helpers that run one engine step as a worker would."""
import json
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from generations.engine import runs
from generations.models import Task, Vendor
from generations.vendors.uwear.adapter import UwearAdapter
from tests.factories import (FashionModelFactory, GarmentImageFactory, ModelImageFactory, SKUFactory, TaskFactory,
                             TaskOutputFactory, VendorAccountFactory)
from tests.vendors.uwear.fake import FakeUwear

KEY = "uw_test_key_0001"
OTHER_KEY = "uw_test_key_0002"
SECRET = "whsec_uwear_team_a"
PUBLIC_URL = "https://studio.example.com"
FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def fake(settings):
    server = FakeUwear({KEY: 1000, OTHER_KEY: 1000}).start()
    host, port = server._server.server_address[:2]
    settings.STUDIO_FETCH_ALLOW_HOSTS = [f"{host}:{port}"]
    settings.STUDIO_PUBLIC_URL = PUBLIC_URL
    yield server
    server.stop()


def uwear_account(fake, key: str = KEY, secret: str | None = SECRET, team=None, **kwargs):
    account = VendorAccountFactory(vendor=Vendor.UWEAR, base_url=fake.url, **({"team": team} if team else {}),
                                   **kwargs)
    account.set_api_key(key)
    if secret:
        account.set_webhook_secret(secret)
    account.save()
    return account


@pytest.fixture
def account(fake):
    return uwear_account(fake)


@pytest.fixture
def adapter(account):
    adapter = UwearAdapter(account)
    yield adapter
    adapter.close()


def try_on_task(account, *, options=None, prompt="young woman in a sunny garden", num_outputs=1, back=False,
                model_image=False, **kwargs) -> Task:
    sku = SKUFactory(project__program__team=account.team)
    extra = {}
    if model_image:
        extra["model_image"] = ModelImageFactory(fashion_model__program=sku.project.program)
    task = TaskFactory(sku=sku, account=account, team=account.team, prompt=prompt, num_outputs=num_outputs,
                       options=options or {}, attempt_key=uuid.uuid4().hex, **extra, **kwargs)
    task.garment_images.add(GarmentImageFactory(sku=sku, view="front"))
    if back:
        task.garment_images.add(GarmentImageFactory(sku=sku, view="back"))
    return task


def chain_task(account, operation: str, *, parent=None, options=None, prompt="", num_outputs=1) -> Task:
    """An edit/upscale/video task whose source is an approved output (by default one from another vendor)."""
    if parent is None:
        parent = TaskOutputFactory(task__sku__project__program__team=account.team, vendor_result_id="hx-77")
    return TaskFactory(sku=parent.task.sku, account=account, team=account.team, operation=operation,
                       parent_output=parent, prompt=prompt, options=options or {}, num_outputs=num_outputs,
                       attempt_key=uuid.uuid4().hex)


def fashion_model_for(sku):
    fashion_model = FashionModelFactory(program=sku.project.program, age_range="Young Adult")
    ModelImageFactory(fashion_model=fashion_model)
    return fashion_model


def step(task: Task) -> str | None:
    """Run the task's next step now (as if its countdown had passed) and reload it."""
    Task.objects.filter(pk=task.pk).update(next_run_at=None)
    ran = runs.advance(task.pk)
    task.refresh_from_db()
    return ran


def generation_posts(fake) -> list[dict]:
    return [r.json() for r in fake.requests if r.method == "POST" and r.path == fake.prefix + "/generation"]


def deliver(client, delivery, **header_overrides):
    """POST a webhook the fake signed to the path of the URL it was registered with, like Uwear would."""
    headers = {**delivery.headers, **header_overrides}
    headers = {k: v for k, v in headers.items() if v is not None and k.lower() != "content-type"}
    parts = urlsplit(delivery.url)
    return client.post(parts.path + (f"?{parts.query}" if parts.query else ""), data=delivery.body,
                       content_type="application/json", headers=headers)

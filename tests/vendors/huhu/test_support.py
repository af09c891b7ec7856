"""Shared fixtures for the Huhu tests (no tests here): the fake Huhu on 127.0.0.1, an account pointing at it, tasks
for each operation, and a helper that runs one engine step as a worker would."""
import json
from pathlib import Path

import pytest

from generations.models import Task, Vendor, VendorReference
from generations.vendors.huhu.adapter import HuhuAdapter
from tests.factories import (FashionModelFactory, GarmentImageFactory, ModelImageFactory, SKUFactory, TaskFactory,
                             TaskOutputFactory, VendorAccountFactory, image_file)
from tests.fakes.base import count
from tests.vendors.huhu.fake import FakeHuhu
from tests.generations.test_engine_support import queued, step  # noqa: F401  (fixtures and helpers re-exported)

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def start_fake(settings, **kwargs) -> FakeHuhu:
    server = FakeHuhu(**kwargs).start()
    host, port = server._server.server_address[:2]
    settings.STUDIO_FETCH_ALLOW_HOSTS = [f"{host}:{port}"]
    return server


@pytest.fixture
def fake(settings):
    server = start_fake(settings, latency=0)
    yield server
    server.stop()


def huhu_account(fake, key: str | None = None, team=None, **kwargs):
    account = VendorAccountFactory(vendor=Vendor.HUHU, base_url=fake.url, **({"team": team} if team else {}),
                                   **kwargs)
    account.set_api_key(key or fake.api_key)
    account.save()
    return account


@pytest.fixture
def account(fake):
    return huhu_account(fake)


def house_style(fake) -> str:
    """A style of the team's Huhu gallery, as a team names it on the account (settings["style_id"])."""
    model = fake.add_model("House style", images=1)
    return next(i["style_id"] for i in fake.model_images.values() if i["model_id"] == model["model_id"])


@pytest.fixture
def adapter(account):
    adapter = HuhuAdapter(account)
    yield adapter
    adapter.close()


def try_on_task(account, *, sku=None, back=False, num_outputs=1, prompt="slim fit, tucked in", **kwargs) -> Task:
    sku = sku or SKUFactory(project__program__team=account.team)
    fashion_model = FashionModelFactory(program=sku.project.program)
    model_image = ModelImageFactory(fashion_model=fashion_model)
    task = TaskFactory(sku=sku, account=account, team=account.team, prompt=prompt, num_outputs=num_outputs,
                       model_image=model_image, **kwargs)
    garments = list(sku.garment_images.all()) or [GarmentImageFactory(sku=sku, view="front")]
    if back:
        garments.append(GarmentImageFactory(sku=sku, view="back"))
        ModelImageFactory(fashion_model=fashion_model, view_type="back_facing")
    task.garment_images.add(*garments)
    return task


def other_task(account, operation: str, *, parent=None, options=None, prompt="", num_outputs=1, **kwargs) -> Task:
    """A video/upscale/face/model-image/pose task on a SKU of the account's team."""
    if parent is None and operation in ("video", "upscale"):
        parent = TaskOutputFactory(task__sku__project__program__team=account.team, task__account=account,
                                   vendor_result_id="assets/outputs/x.png")
        GarmentImageFactory(sku=parent.task.sku)
    sku = parent.task.sku if parent else SKUFactory(project__program__team=account.team)
    return TaskFactory(sku=sku, account=account, team=account.team, operation=operation, parent_output=parent,
                       prompt=prompt, options=options or {}, num_outputs=num_outputs, **kwargs)


def big_output(account, width: int, height: int):
    output = TaskOutputFactory(task__sku__project__program__team=account.team, task__account=account,
                               file=image_file("big.png", width=width, height=height))
    return output


def huhu_task_ids(task: Task) -> list[str]:
    return list(VendorReference.objects.filter(kind="huhu_task", object_id=task.pk).values_list("vendor_id",
                                                                                                flat=True))


def generate_calls(fake) -> int:
    return count(fake, "POST", r"/task/generate$")


def list_calls(fake) -> int:
    return sum(1 for r in fake.requests if r.method == "GET" and r.path.endswith("/task") and "task_id" not in r.query)


def run_until_settled(task: Task, fake=None, limit: int = 12) -> Task:
    """Advance the task step by step (the fake's latency is 0) until it is done or held."""
    for _ in range(limit):
        if task.step in ("done", "hold"):
            break
        step(task)
    return task

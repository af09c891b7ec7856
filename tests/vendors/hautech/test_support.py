"""Shared pieces for the Hautech tests (no tests here): the fake server, an account pointed at it, tasks with a
garment and a pose, and a driver that runs the real engine (generations/engine/runs.py) step by step."""
from __future__ import annotations

import pytest

from generations.models import Task, Vendor
from generations.vendors.hautech.adapter import HautechAdapter
from tests.factories import GarmentImageFactory, PoseFactory, TaskFactory, VendorAccountFactory, image_file
from tests.vendors.hautech.fake import HautechFake
from tests.generations.test_engine_support import step

API_KEY = "hk-test-key"


@pytest.fixture
def fake(settings):
    settings.STUDIO_FETCH_ALLOW_HOSTS = ["127.0.0.1"]  # output files are served by the fake on loopback
    with HautechFake(tokens=(API_KEY,)) as server:
        yield server


def hautech_account(fake: HautechFake, key: str = API_KEY, **settings):
    account = VendorAccountFactory(vendor=Vendor.HAUTECH, base_url=fake.url, settings=settings)
    account.set_api_key(key)
    account.save()
    return account


def hautech_pose(program=None, **kwargs):
    kwargs.setdefault("reference_image", image_file("pose.png", width=48, height=96, color=(10, 120, 60)))
    return PoseFactory(**({"program": program} if program else {}), **kwargs)


def hautech_task(account, *, garment=None, pose=None, options=None, prompt="", **kwargs) -> Task:
    """A try-on task as launch.py creates it: options cleaned by the capability table."""
    cleaned = HautechAdapter.capabilities.clean("try_on", options or {}, 1)
    if garment is None:
        task = TaskFactory(account=account, team=account.team, sku__project__program__team=account.team,
                           operation="try_on", options=cleaned, prompt=prompt, **kwargs)
        garment = GarmentImageFactory(sku=task.sku, caption="blue tiger t-shirt, regular fit")
    else:
        task = TaskFactory(account=account, team=account.team, sku=garment.sku, operation="try_on",
                           options=cleaned, prompt=prompt, **kwargs)
    task.garment_images.add(garment)
    task.pose = pose or hautech_pose(program=task.sku.project.program)
    task.save(update_fields=["pose"])
    return task


def drive(task: Task, fake: HautechFake, max_steps: int = 40) -> Task:
    """Advance the task with the real engine until it is done or held, letting the fake's clock run between steps
    (the engine's countdowns are skipped by `step`, the vendor's run time by `fake.advance`)."""
    for _ in range(max_steps):
        step(task)
        if task.step in ("done", "hold"):
            return task
        fake.advance(5)
    raise AssertionError(f"task {task.pk} still in step {task.step} after {max_steps} steps: {task.error_message}")

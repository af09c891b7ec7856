"""launch_generation: validated by the capability table, one task per SKU, idempotent on the form token."""
import threading
from decimal import Decimal

import pytest
from django.db import connection

from generations.engine import queue
from generations.launch import LaunchError, estimate_launch, launch_generation, new_form_token
from generations.models import AccountState, Batch, CreditEntry, Task, TaskStatus
from tests.factories import (GarmentImageFactory, ModelImageFactory, SKUFactory, TaskOutputFactory, UserFactory,
                             VendorAccountFactory)


@pytest.fixture
def world(db):
    account = VendorAccountFactory(vendor="sandbox")
    skus = [SKUFactory(project__program__team=account.team)]
    skus.append(SKUFactory(project=skus[0].project))
    for sku in skus:
        GarmentImageFactory(sku=sku)
    return {"team": account.team, "account": account, "skus": skus, "user": UserFactory()}


@pytest.fixture
def published(monkeypatch):
    calls = []
    monkeypatch.setattr(queue, "queue_advance", lambda task_id, countdown=0: calls.append(task_id) or True)
    return calls


def launch(world, **overrides):
    kwargs = dict(user=world["user"], team=world["team"], skus=world["skus"], account=world["account"],
                  operation="try_on", num_outputs=2, prompt="studio light", form_token=new_form_token())
    kwargs.update(overrides)
    return launch_generation(**kwargs)


def test_a_launch_creates_one_task_per_sku_with_its_estimate_and_queues_them_on_commit(
        world, published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        batch = launch(world)

    tasks = list(batch.tasks.order_by("pk"))
    assert [t.sku for t in tasks] == world["skus"]
    assert all(t.status == TaskStatus.TASK_CREATED and t.step == "submit" and t.num_outputs == 2 for t in tasks)
    assert all(t.garment_images.count() == 1 for t in tasks)
    estimates = CreditEntry.objects.filter(task__batch=batch, kind="estimate")
    assert sorted(e.credits for e in estimates) == [Decimal(2), Decimal(2)]
    assert sorted(published) == [t.pk for t in tasks]


def test_the_same_form_token_twice_returns_the_same_batch_and_creates_nothing(world, published):
    token = new_form_token()
    first = launch(world, form_token=token)
    second = launch(world, form_token=token)

    assert first.pk == second.pk
    assert Task.objects.count() == 2 and Batch.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submits_with_one_token_make_one_batch(published):
    account = VendorAccountFactory(vendor="sandbox")
    sku = SKUFactory(project__program__team=account.team)
    GarmentImageFactory(sku=sku)
    token, barrier, results, errors = new_form_token(), threading.Barrier(2), [], []
    world = {"team": account.team, "account": account, "skus": [sku], "user": None}

    def submit():
        try:
            barrier.wait(timeout=10)
            results.append(launch(world, form_token=token).pk)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == [] and len(results) == 2 and results[0] == results[1]
    assert Batch.objects.count() == 1 and Task.objects.count() == 1


def test_another_teams_account_is_refused(world):
    with pytest.raises(LaunchError, match="does not belong"):
        launch(world, account=VendorAccountFactory(vendor="sandbox"))


def test_a_disabled_account_is_refused_with_its_reason(world):
    account = world["account"]
    account.state, account.state_message = AccountState.DISABLED, "Huhu rejected the API key"
    account.save()
    with pytest.raises(LaunchError, match="rejected the API key"):
        launch(world)


@pytest.mark.parametrize("overrides, message", [
    ({"operation": "video"}, "does not offer video"),
    ({"num_outputs": 5}, "between 1 and 4"),
    ({"options": {"seed": 3}}, "unsupported option"),
    ({"operation": "upscale", "prompt": "", "num_outputs": 1}, "output to start from"),
    ({"operation": "upscale", "prompt": "", "num_outputs": 1, "options": {"factor": "4"}}, "must be one of"),
])
def test_what_the_vendor_cannot_do_is_refused_with_a_reason(world, overrides, message):
    with pytest.raises(LaunchError, match=message):
        launch(world, **overrides)
    assert not Task.objects.exists()


def test_a_sku_without_a_garment_image_is_refused(world):
    bare = SKUFactory(project=world["skus"][0].project)
    with pytest.raises(LaunchError, match="no garment image"):
        launch(world, skus=[bare])


def test_another_teams_sku_or_model_image_is_refused(world):
    with pytest.raises(LaunchError):
        launch(world, skus=[SKUFactory()])
    with pytest.raises(LaunchError, match="model image"):
        launch(world, model_image=ModelImageFactory())


def test_an_upscale_of_an_own_output_is_accepted(world, published):
    parent = TaskOutputFactory(task__sku=world["skus"][0], task__account=world["account"])
    batch = launch(world, operation="upscale", prompt="", num_outputs=1, parent_output=parent,
                   skus=[world["skus"][0]])
    assert batch.tasks.get().parent_output == parent


def test_the_estimate_is_per_output_per_sku(world):
    assert estimate_launch(world["account"], "try_on", {}, 3, 4) == Decimal(12)
    with pytest.raises(LaunchError):
        estimate_launch(world["account"], "video", {}, 1, 1)

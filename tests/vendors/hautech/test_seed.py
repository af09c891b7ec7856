"""Seeds: "seed: Optional integer for reproducible results" (seed 003). The seed a task used is kept, so generating
again with it gives the same image."""
import pytest

from generations.engine import runs
from generations.models import TaskStatus

from tests.vendors.hautech.test_support import drive, fake, hautech_account, hautech_task  # noqa: F401

pytestmark = pytest.mark.django_db


def output_bytes(task) -> bytes:
    with task.outputs.order_by("-pk").first().file.open("rb") as fh:
        return fh.read()


def test_a_task_without_a_seed_gets_one_drawn_kept_and_sent(fake):
    task = hautech_task(hautech_account(fake))

    drive(task, fake)

    seed = task.vendor_state["seed"]
    assert isinstance(seed, int) and 0 <= seed < 1_000_000  # the document draws Math.random() * 1e6
    assert fake.inputs("full_naomi")[0]["seed"] == seed
    assert task.vendor_state["submission"]["input"]["seed"] == seed


def test_a_new_task_with_the_kept_seed_reproduces_the_same_image(fake):
    account = hautech_account(fake)
    first = hautech_task(account, prompt="Minimalist, full-body shot")
    drive(first, fake)

    again = hautech_task(account, garment=first.garment_images.get(), pose=first.pose,
                         prompt="Minimalist, full-body shot", options={"seed": first.vendor_state["seed"]})
    drive(again, fake)

    assert output_bytes(again) == output_bytes(first)


def test_a_different_seed_gives_a_different_image(fake):
    account = hautech_account(fake)
    first = hautech_task(account, options={"seed": 11})
    drive(first, fake)

    other = hautech_task(account, garment=first.garment_images.get(), pose=first.pose, options={"seed": 12})
    drive(other, fake)

    assert output_bytes(other) != output_bytes(first)


def test_the_same_seed_reproduces_through_the_prepared_path_too(fake):
    account = hautech_account(fake)
    first = hautech_task(account, options={"seed": 2024})
    drive(first, fake)  # alone: Full Naomi
    shared = [hautech_task(account, garment=first.garment_images.get(), pose=first.pose, options={"seed": 2024})
              for _ in range(2)]

    for task in shared:
        drive(task, fake)

    assert fake.runs["full_naomi"] == 1 and fake.runs["naomi"] == 2
    assert output_bytes(shared[0]) == output_bytes(shared[1]) == output_bytes(first)


def test_regenerating_a_task_with_a_chosen_seed_reproduces_its_image(fake):
    from tests.factories import UserFactory

    task = hautech_task(hautech_account(fake), options={"seed": 99})
    drive(task, fake)
    first_image = output_bytes(task)
    task.status = TaskStatus.REVIEW_REJECTED
    task.save(update_fields=["status"])

    runs.regenerate(task, UserFactory())
    drive(task, fake)

    assert task.round == 2 and task.outputs.count() == 2
    assert output_bytes(task) == first_image
    assert fake.paid_runs == 2

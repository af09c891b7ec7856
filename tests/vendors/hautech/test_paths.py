"""The cheapest path. The document publishes no prices, so work is counted in runs, with Full Naomi counted as the
three runs it is described as doing ("Creates a pose from a pose image, prepares apparel, and runs the Naomi
pipeline"); preparation shared by several waiting tasks is split among them; a tie goes to Full Naomi (one run)."""
import pytest

from generations.vendors.hautech.adapter import RUN_COSTS, Plan, choose_path

from tests.vendors.hautech.test_support import drive, fake, hautech_account, hautech_task  # noqa: F401


@pytest.mark.parametrize("image, pose, image_users, pose_users, plan", [
    ("missing", "missing", 1, 1, Plan("full_naomi")),  # 3 runs of work either way: one run wins
    ("ready", "ready", 1, 1, Plan("naomi")),  # 1 < 3
    ("ready", "missing", 1, 1, Plan("naomi", prepare_pose=True)),  # 2 < 3
    ("missing", "ready", 1, 1, Plan("naomi", prepare_image=True)),  # 2 < 3
    ("pending", "pending", 1, 1, Plan("naomi")),  # someone is already preparing both: wait for them
    ("missing", "missing", 2, 2, Plan("naomi", prepare_image=True, prepare_pose=True)),  # 1 + ½ + ½ < 3
    ("missing", "missing", 2, 1, Plan("naomi", prepare_image=True, prepare_pose=True)),  # 1 + ½ + 1 < 3
])
def test_the_cheapest_path_for_what_is_already_prepared(image, pose, image_users, pose_users, plan):
    assert choose_path(image, pose, image_users, pose_users, RUN_COSTS) == plan


def test_an_account_where_preparation_is_free_always_prepares():
    costs = {**RUN_COSTS, "prepare_image": 0, "prepare_pose": 0}

    assert choose_path("missing", "missing", 1, 1, costs) == Plan("naomi", prepare_image=True, prepare_pose=True)


def test_an_account_where_full_naomi_costs_the_same_as_naomi_never_prepares_for_one_task():
    costs = {**RUN_COSTS, "full_naomi": 1}

    assert choose_path("missing", "ready", 1, 1, costs) == Plan("full_naomi")
    assert choose_path("ready", "ready", 1, 1, costs) == Plan("full_naomi")


@pytest.mark.django_db
def test_the_run_costs_are_read_from_the_account(fake):
    account = hautech_account(fake, run_costs={"prepare_image": 0, "prepare_pose": 0})
    task = hautech_task(account)

    drive(task, fake)

    assert dict(fake.runs) == {"prepare_image": 1, "prepare_pose": 1, "naomi": 1}


@pytest.mark.django_db
def test_a_task_whose_pose_is_prepared_prepares_only_its_new_garment(fake):
    account = hautech_account(fake)
    first = hautech_task(account)
    hautech_task(account, garment=first.garment_images.get(), pose=first.pose)
    drive(first, fake)

    new_garment = hautech_task(account, pose=first.pose)
    drive(new_garment, fake)

    assert fake.runs["prepare_image"] == 2 and fake.runs["prepare_pose"] == 1 and fake.runs["naomi"] == 2
    assert "full_naomi" not in fake.runs


@pytest.mark.django_db
def test_full_naomi_ids_are_kept_when_hautech_returns_them(fake, monkeypatch):
    """The document does not promise it; if Full Naomi's output names preparedImageId and poseId, they are reused."""
    original = fake._finish

    def finish_with_ids(pipeline):
        output = original(pipeline)
        if pipeline.workflow == "full_naomi":
            prepared, pose = "pim_from_full", "pose_from_full"
            fake.prepared_images[prepared] = pipeline.input["imageId"]
            fake.poses[pose] = (pipeline.input["poseImageId"], pipeline.input["aspectRatio"])
            fake.owners.update({prepared: pipeline.token, pose: pipeline.token})
            output.update(preparedImageId=prepared, poseId=pose)
        return output

    monkeypatch.setattr(fake, "_finish", finish_with_ids)
    account = hautech_account(fake)
    first = hautech_task(account)
    drive(first, fake)

    second = hautech_task(account, garment=first.garment_images.get(), pose=first.pose)
    drive(second, fake)

    assert dict(fake.runs) == {"full_naomi": 1, "naomi": 1}
    assert fake.inputs("naomi")[0]["imageId"] == "pim_from_full"


@pytest.mark.django_db
def test_a_preparation_run_whose_answer_was_lost_is_never_run_again_and_the_task_goes_full_naomi(fake, settings):
    settings.STUDIO_HTTP_READ_TIMEOUT = 0.3
    account = hautech_account(fake, run_costs={"prepare_image": 0, "prepare_pose": 0})
    task = hautech_task(account)
    fake.inject("lost", path=r"/v1/workflows/run/", seconds=0.6)  # the first preparation run: done, answer lost

    drive(task, fake)

    lost = next(name for name in ("prepare_image", "prepare_pose") if fake.runs[name])
    assert fake.runs[lost] == 1  # paid once, perhaps: never started again by itself
    assert fake.runs["full_naomi"] == 1 and task.status == "Review submitted"
    again = hautech_task(account, garment=task.garment_images.get(), pose=task.pose)
    drive(again, fake)
    assert fake.runs[lost] == 1 and fake.runs["full_naomi"] == 2

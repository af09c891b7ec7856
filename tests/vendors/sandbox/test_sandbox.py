"""The SANDBOX vendor: local, labelled, and shaped like a remote vendor (submit → runs for a while → completed)."""
import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from catalog.images import check_image
from generations.models import TaskStatus
from generations.vendors import registry
from generations.vendors.sandbox import adapter as sandbox
from generations.vendors.base import Unsupported, ValidationFailed
from tests.factories import GarmentImageFactory, ModelImageFactory, TaskFactory, TaskOutputFactory, \
    VendorAccountFactory

from tests.generations.test_engine_support import step

pytestmark = pytest.mark.django_db
SKIN = (230, 200, 180)
RED = (200, 30, 30)


@pytest.fixture(autouse=True)
def _sandbox_dir(settings, tmp_path):
    settings.STUDIO_SANDBOX_DIR = str(tmp_path / "sandbox")


def flatlay(color=RED) -> ContentFile:
    """A red garment on a light flat-lay background, as photographed for e-commerce."""
    image = Image.new("RGB", (200, 200), (246, 246, 244))
    ImageDraw.Draw(image).rectangle([50, 30, 150, 170], fill=color)
    out = io.BytesIO()
    image.save(out, "PNG")
    return ContentFile(out.getvalue(), name="flatlay.png")


def try_on_task(garment_type="Top", latency=0, **account_settings):
    account = VendorAccountFactory(vendor="sandbox", settings={"latency_seconds": latency, **account_settings})
    task = TaskFactory(account=account, team=account.team, sku__project__program__team=account.team,
                       model_image=ModelImageFactory(image=ContentFile(_model_png(), name="model.png")))
    task.garment_images.add(GarmentImageFactory(sku=task.sku, image=flatlay(), garment_type=garment_type))
    return task


def _model_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 400), SKIN).save(out, "PNG")
    return out.getvalue()


def output_image(task) -> Image.Image:
    output = task.outputs.get()
    with output.file.open("rb") as fh:
        return Image.open(io.BytesIO(fh.read())).convert("RGB")


def close(pixel, color, tolerance=40):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, color))


def test_a_try_on_composites_the_garment_on_the_torso_and_is_stamped_sandbox():
    task = try_on_task("Top")
    step(task)  # submit
    step(task)  # poll: completed (latency 0) → collect

    assert task.status == TaskStatus.REVIEW_SUBMITTED
    image = output_image(task)
    width, height = image.size
    assert close(image.getpixel((width // 2, int(height * 0.42))), RED)  # the torso wears the garment
    assert close(image.getpixel((width // 2, int(height * 0.75))), SKIN)  # the legs do not
    assert close(image.getpixel((8, int(height * 0.42))), SKIN)  # the flat-lay background was removed
    assert image.getpixel((2, 2)) == sandbox.STAMP_COLOR  # the visible SANDBOX band
    with task.outputs.get().file.open("rb") as fh:
        data = fh.read()
    assert b"SANDBOX" in data and check_image(data).format == "PNG"


@pytest.mark.parametrize("garment_type, inside, outside", [
    ("Bottom", 0.75, 0.35), ("Shoes", 0.95, 0.6), ("Accessory", 0.1, 0.5)])
def test_each_garment_type_goes_where_it_is_worn(garment_type, inside, outside):
    task = try_on_task(garment_type)
    step(task)
    step(task)

    image = output_image(task)
    width, height = image.size
    assert close(image.getpixel((width // 2, int(height * inside))), RED)
    assert close(image.getpixel((width // 2, int(height * outside))), SKIN)


def test_the_job_runs_for_the_configured_latency_before_completing():
    task = try_on_task(latency=600)
    step(task)
    step(task)

    assert task.step == "poll" and task.status == TaskStatus.GENERATION_IN_PROCESS
    assert not task.outputs.exists()


def test_the_failure_fraction_is_deterministic_per_task_and_round():
    task = try_on_task(fail_rate=1)
    step(task)
    step(task)

    assert task.status == TaskStatus.GENERATION_FAILED and "SANDBOX" in task.error_message
    healthy = try_on_task(fail_rate=0)
    assert not sandbox.SandboxAdapter(healthy.account)._fails(healthy)
    assert sandbox.SandboxAdapter(task.account)._fails(task)  # the same answer every time it is asked


def test_every_submit_call_is_in_the_ledger_and_can_be_found_by_attempt_key():
    task = try_on_task()
    step(task)

    records = sandbox.ledger(task.account)
    assert [r["attempt_key"] for r in records] == [task.attempt_key]
    found = sandbox.SandboxAdapter(task.account).find_submission(task)
    assert found.vendor_task_id == task.vendor_task_id


def test_upscale_doubles_the_parent_output():
    parent = TaskOutputFactory()
    account = VendorAccountFactory(vendor="sandbox", team=parent.task.team, settings={"latency_seconds": 0})
    task = TaskFactory(account=account, team=account.team, sku=parent.task.sku, operation="upscale",
                       parent_output=parent, prompt="")
    step(task)
    step(task)

    upscaled = output_image(task)
    assert upscaled.size == (parent.width * 2 or 160, parent.height * 2 or 240)
    assert task.outputs.get().parent_id == parent.pk


def test_the_capability_table_offers_try_on_edit_and_upscale_but_not_video():
    caps = registry.capabilities("sandbox")
    assert set(caps.operations) == {"try_on", "edit", "upscale"}
    with pytest.raises(Unsupported):
        caps.spec("video")
    with pytest.raises(ValidationFailed):
        caps.clean("try_on", {}, 5)
    assert caps.clean("upscale", {}, 1) == {"factor": "2"}
    adapter = sandbox.SandboxAdapter(VendorAccountFactory(vendor="sandbox"))
    assert adapter.estimate("try_on", {}, 3) == 3


def test_a_missing_adapter_module_is_a_clear_configuration_error(monkeypatch):
    from generations.vendors.base import ConfigurationError

    monkeypatch.setitem(registry.ADAPTERS, "nowhere", "generations.vendors.nowhere.NowhereAdapter")
    with pytest.raises(ConfigurationError, match="not installed"):
        registry.adapter_class("nowhere")

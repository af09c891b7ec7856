"""Catalog hygiene and the generate form in Chromium (issue 16.5, 16.6 and its layout bugs): archive and delete with
their confirmation steps, the pose picker that follows the operation, the prompt counter, the sticky estimate below
the top bar, and the project grid on a 390 px phone (screenshots in var/screenshots/)."""
import pytest
from playwright.sync_api import expect

from catalog.models import SKU, FashionModel, GarmentImage, Pose
from generations.models import TaskStatus
from studio.models import Role
from tests import factories as f
from tests.browser.conftest import RECORD_CSP_VIOLATIONS, _collect
from tests.browser.test_studio_path import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(chromium, live_server):
    """A 390 px wide phone viewport, with the same CSP checks as the `page` fixture."""
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844},
                                   device_scale_factor=2, is_mobile=True, has_touch=True)
    context.set_default_timeout(30_000)
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    page = context.new_page()
    page.console_errors, page.csp_violations = [], []
    page.on("console", lambda msg: page.console_errors.append(msg.text) if msg.type == "error" else None)
    yield page
    _collect(page)
    context.close()
    assert not [e for e in page.console_errors if "Content Security Policy" in e] + page.csp_violations


def studio_world(role=Role.CREATIVE):
    team = f.TeamFactory(name="Atelier")
    program = f.ProgramFactory(team=team, name="Spring brand")
    project = f.ProjectFactory(program=program, name="SS27")
    user = f.MembershipFactory(team=team, role=role, user__username=f"{role}-catalog").user
    return team, program, project, user


@pytest.mark.timeout(300)
def test_archive_and_delete_ask_first_and_say_what_blocks_them(page, screenshot):
    team, program, project, user = studio_world()
    keep = f.SKUFactory(project=project, code="TEE-KEEP")
    gone = f.SKUFactory(project=project, code="TEE-GONE")
    f.SKUFactory(project=project, code="DRESS-01", name="Linen dress", category="dress")
    image = f.GarmentImageFactory(sku=keep, original_name="tee_back.png")
    f.GarmentImageFactory(sku=keep, original_name="tee_front.png")
    busy_pose = f.PoseFactory(program=program, name="Runway walk")
    idle_model = f.FashionModelFactory(program=program, name="Aiko")
    task = f.TaskFactory(sku=keep, pose=busy_pose, status=TaskStatus.GENERATION_IN_PROCESS)
    sign_in(page, user.username)

    # Search and select-all on the grid.
    page.goto(f"/projects/{project.pk}/")
    page.fill("#sku-search", "TEE")
    grid = page.locator("#sku-grid")
    expect(grid.locator(".sku-card")).to_have_count(2)
    expect(grid).not_to_contain_text("DRESS-01")
    page.check("[data-select-all]")
    expect(grid.locator("input[name=sku]:checked")).to_have_count(2)
    expect(grid.locator("[data-generate-matching]")).to_contain_text("Generate for all 2 matching")

    # Archive: a confirmation step, then off the grid; unarchive brings it back.
    grid.locator(f"[data-archive='{gone.pk}']").click()
    expect(page.locator("h1")).to_have_text("Archive SKU TEE-GONE?")
    screenshot(page, "archive-confirm")
    page.click("[data-confirm-button]")
    expect(page.locator("#toasts")).to_contain_text("SKU TEE-GONE archived")
    expect(page.locator("#sku-grid")).not_to_contain_text("TEE-GONE")
    page.click("[data-archived-link]")
    expect(page.locator("#sku-grid")).to_contain_text("TEE-GONE")
    page.click(f"[data-unarchive='{gone.pk}']")
    expect(page.locator("#toasts")).to_contain_text("SKU TEE-GONE is back on the grid")
    expect(page.locator("#sku-grid")).to_contain_text("TEE-GONE")
    assert SKU.objects.get(pk=gone.pk).archived_at is None

    # Delete a garment image: "Keep it" changes nothing; confirming deletes it.
    page.goto(f"/skus/{keep.pk}/")
    page.click(f"[data-delete-garment='{image.pk}']")
    expect(page.locator("h1")).to_have_text("Delete tee_back.png?")
    page.click("text=Keep it")
    expect(page.locator(f"#garment-{image.pk}")).to_be_visible()
    page.click(f"[data-delete-garment='{image.pk}']")
    page.click("[data-confirm-button]")
    expect(page.locator("#toasts")).to_contain_text("tee_back.png deleted")
    expect(page.locator(f"#garment-{image.pk}")).to_have_count(0)
    assert not GarmentImage.objects.filter(pk=image.pk).exists()

    # A pose a running task uses: the confirmation names the task instead of offering the button.
    page.goto(f"/programs/{program.pk}/poses/")
    page.click(f"[data-delete-pose='{busy_pose.pk}']")
    blockers = page.locator("[data-blockers]")
    expect(blockers).to_contain_text(f"Task {task.pk} (SKU TEE-KEEP")
    expect(page.locator("[data-confirm-button]")).to_have_count(0)
    screenshot(page, "delete-pose-refused")
    assert Pose.objects.filter(pk=busy_pose.pk).exists()

    # A model no running task uses is deleted after confirming.
    page.goto(f"/models/{idle_model.pk}/")
    page.click("[data-delete-model]")
    page.click("[data-confirm-button]")
    expect(page.locator("#toasts")).to_contain_text("Aiko and their images deleted")
    assert not FashionModel.objects.filter(pk=idle_model.pk).exists()


@pytest.mark.timeout(300)
def test_the_pose_picker_follows_the_operation_and_the_prompt_counts(page, screenshot):
    team, program, project, user = studio_world()
    sku = f.SKUFactory(project=project, code="DRESS-7")
    f.GarmentImageFactory(sku=sku)
    f.VendorAccountFactory(team=team, name="Local sandbox")
    uwear = f.VendorAccountFactory(team=team, name="Uwear studio", vendor="uwear")
    f.PoseFactory(program=program, name="Runway walk")
    sign_in(page, user.username)

    page.goto(f"/projects/{project.pk}/generate/?sku={sku.pk}")
    section = page.locator("#pose-section")
    expect(section.locator("[data-no-pose]")).to_be_visible()  # the sandbox's try-on takes no pose
    expect(page.locator("input[name=pose]")).to_have_count(0)

    page.check(f"input[name=account][value='{uwear.pk}']")  # Uwear's try-on takes one
    expect(section.locator("[data-pose-section]")).to_be_visible()
    expect(section).to_contain_text("Runway walk")
    screenshot(page, "generate-pose-picker-shown")

    page.check("input[name=account]:not([value='{}'])".format(uwear.pk))
    expect(section.locator("[data-no-pose]")).to_be_visible()
    expect(page.locator("input[name=pose]")).to_have_count(0)

    prompt = page.locator("textarea[name=prompt]")
    prompt.fill("x" * 4005)
    counter = page.locator("#prompt-counter")
    expect(counter.locator("[data-count]")).to_have_text("4005")
    expect(counter).to_have_class("prompt-counter over")
    assert len(prompt.input_value()) == 4005  # the browser cut nothing
    prompt.fill("white background")
    expect(counter.locator("[data-count]")).to_have_text("16")
    screenshot(page, "generate-pose-picker-hidden")

    # The sticky estimate card stays below the sticky top bar when the page scrolls.
    page.mouse.wheel(0, 1500)
    page.wait_for_timeout(200)
    bar = page.locator(".topbar").bounding_box()
    card = page.locator(".generate-summary").bounding_box()
    assert card["y"] >= bar["y"] + bar["height"], (bar, card)


@pytest.mark.timeout(300)
def test_the_project_grid_on_a_390_px_phone(phone, screenshot):
    team, program, project, user = studio_world(Role.MANAGER)
    for code in ("TEE-01", "TEE-02", "DRESS-01", "JACKET-01"):
        f.GarmentImageFactory(sku=f.SKUFactory(project=project, code=code))
    sign_in(phone, user.username)

    phone.goto(f"/projects/{project.pk}/")
    expect(phone.locator(".sku-card")).to_have_count(4)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide on a 390 px screen"
    sign_out = phone.locator("button:has-text('Sign out')").bounding_box()
    assert sign_out and sign_out["x"] >= 0 and sign_out["x"] + sign_out["width"] <= 390, sign_out
    screenshot(phone, "project-grid-phone")

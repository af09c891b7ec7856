"""The studio path in a real browser, with a real worker process and the sandbox vendor:

a creative creates a SKU, uploads two garment photos and generates two outputs; a manager approves one with the
keyboard and rejects the other with a comment; the client approves what the studio approved. Every page on the
way is saved under var/screenshots/.
"""
import re

import pytest
from playwright.sync_api import expect

from catalog.models import SKU, ProjectStatus, SKUStatus
from generations.models import Task, TaskStatus
from studio.models import Role
from tests import factories as f
from tests.conftest import wait_for

S = TaskStatus
PASSWORD = "pass-for-tests-123"  # tests.factories.UserFactory


def sign_in(page, username):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    expect(page.locator(".who .user")).to_have_text(username)


def sign_out(page):
    page.click("button:has-text('Sign out')")
    expect(page.locator("input[name=username]")).to_be_visible()


def garment_png(color) -> dict:
    return {"name": "tee.png", "mimeType": "image/png",
            "buffer": f.image_bytes(width=600, height=800, color=color)}


@pytest.mark.browser
@pytest.mark.timeout(600)
def test_from_garment_photos_to_client_approval(page, worker, screenshot):
    team = f.TeamFactory(name="Atelier")
    project = f.ProjectFactory(program=f.ProgramFactory(team=team, name="Spring brand"), name="SS27 tees")
    users = {role: f.MembershipFactory(team=team, role=role, user__username=f"{role}-ann").user
             for role in (Role.CREATIVE, Role.MANAGER, Role.CLIENT)}
    f.VendorAccountFactory(team=team, name="Local sandbox", settings={"latency_seconds": 1})
    worker.start(queues="vendor,media")

    # --- The creative: a SKU, two garment photos, two outputs --------------------------------------------------------
    sign_in(page, users[Role.CREATIVE].username)
    page.goto(f"/projects/{project.pk}/")
    screenshot(page, "project-empty")
    page.fill("input[name=code]", "TEE-001")
    page.fill("input[name=name]", "Organic cotton tee")
    page.click("button:has-text('Create SKU')")
    expect(page.locator("h1")).to_have_text("TEE-001")
    sku = SKU.objects.get(project=project, code="TEE-001")

    front, back = garment_png((200, 40, 40)), garment_png((40, 120, 200))
    front["name"], back["name"] = "tee_front.png", "tee_back.png"
    page.set_input_files("#garment-files", files=[front, back])
    expect(page.locator("#garment-images article.garment")).to_have_count(2)
    screenshot(page, "sku-with-garments")
    assert sku.garment_images.count() == 2

    page.click("a:has-text('Generate with this SKU')")
    expect(page.locator("h1")).to_contain_text("Generate")
    expect(page.locator(f"input[name=skus][value='{sku.pk}']")).to_be_checked()
    page.fill("input[name=num_outputs]", "2")
    page.locator("input[name=num_outputs]").dispatch_event("change")
    expect(page.locator("#estimate")).to_contain_text("≈ 2 credits")
    screenshot(page, "generate-form")
    page.click("button[data-launch]")
    expect(page.locator("#toasts")).to_contain_text("Launched 1 generation")
    expect(page.locator("h1")).to_have_text("SS27 tees")
    screenshot(page, "project-launched")

    task = Task.objects.get(sku=sku)
    wait_for(lambda: Task.objects.get(pk=task.pk).status == S.REVIEW_SUBMITTED, timeout=180,
             message="the worker to generate both outputs")
    assert task.outputs.count() == 2
    expect(page.locator(f"#batches-{project.pk}")).to_contain_text("1 done · 0 failed · 1 total", timeout=15_000)
    screenshot(page, "project-progress-done")
    page.goto(f"/skus/{sku.pk}/")
    card = page.locator(f"#task-{task.pk}")
    expect(card.locator(".badge").first).to_have_text("Review submitted")
    expect(card.locator(".thumb img")).to_have_count(2)
    screenshot(page, "sku-generated")
    sign_out(page)

    # --- The manager: approve with "a", reject with "r", a comment and Enter ----------------------------------------
    sign_in(page, users[Role.MANAGER].username)
    page.goto(f"/projects/{project.pk}/review/")
    expect(page.locator(".review-tile")).to_have_count(2)
    first, second = task.outputs.order_by("pk")
    expect(page.locator("#review-preview")).to_have_attribute("data-selected", str(first.pk))
    screenshot(page, "review-board")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#review-preview")).to_have_attribute("data-selected", str(second.pk))
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#review-preview")).to_have_attribute("data-selected", str(first.pk))
    page.keyboard.press("a")
    expect(page.locator(".waiting-count")).to_have_text("1 waiting for review")
    expect(page.locator("#review-preview")).to_have_attribute("data-selected", str(second.pk))
    screenshot(page, "review-after-approve")
    page.keyboard.press("r")
    expect(page.locator("#review-comment")).to_be_focused()
    page.keyboard.type("The hem is crooked")
    page.keyboard.press("Enter")
    expect(page.locator(".review-empty")).to_contain_text("Nothing is waiting for review")
    screenshot(page, "review-done")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.review_status, second.review_status) == (S.REVIEW_APPROVED, S.REVIEW_REJECTED)
    assert second.review_events.get().comment == "The hem is crooked"
    task.refresh_from_db()
    assert task.status == S.REVIEW_APPROVED
    sign_out(page)

    # --- The client: sees only the approved output, and approves it -------------------------------------------------
    sign_in(page, users[Role.CLIENT].username)
    page.goto(f"/projects/{project.pk}/approve/")
    tiles = page.locator(".review-tile")
    expect(tiles).to_have_count(1)
    expect(tiles.first).to_have_attribute("data-output", str(first.pk))
    expect(page.locator("#review-preview")).to_have_attribute("data-selected", str(first.pk))
    screenshot(page, "client-board")
    page.fill("#review-comment", "Ready to publish")
    page.click("#decide-form [data-approve]")
    expect(page.locator(".review-empty")).to_contain_text("Nothing waits for you")
    screenshot(page, "client-approved")

    page.goto(f"/skus/{sku.pk}/")
    expect(page.locator(".client-card img")).to_have_count(1)  # the rejected output stays hidden
    expect(page.locator(".client-card")).to_contain_text("Approved")
    expect(page.locator(".page-head [data-client-status]")).to_have_text("Approved")
    screenshot(page, "client-sku")
    page.goto(f"/projects/{project.pk}/")
    expect(page.locator(".sku-card [data-client-status]")).to_have_text("Approved")
    screenshot(page, "client-project")

    task.refresh_from_db()
    sku.refresh_from_db()
    project.refresh_from_db()
    assert (task.status, sku.status, project.status) == (S.CLIENT_APPROVED, SKUStatus.COMPLETED,
                                                        ProjectStatus.COMPLETED)
    assert re.search(r"Ready to publish", " ".join(task.review_events.values_list("comment", flat=True)))


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_the_generate_form_follows_the_account_and_the_model_filters(page, screenshot):
    team = f.TeamFactory(name="Atelier")
    project = f.ProjectFactory(program=f.ProgramFactory(team=team))
    sku = f.SKUFactory(project=project, code="DRESS-7")
    f.GarmentImageFactory(sku=sku)
    creative = f.MembershipFactory(team=team, role=Role.CREATIVE).user
    f.VendorAccountFactory(team=team, name="Local sandbox")
    uwear = f.VendorAccountFactory(team=team, name="Uwear studio", vendor="uwear")
    for name, ethnicity in (("Aiko", "East Asian"), ("Bola", "Black")):
        f.ModelImageFactory(fashion_model=f.FashionModelFactory(program=project.program, name=name,
                                                                ethnicity=ethnicity))

    sign_in(page, creative.username)
    page.goto(f"/projects/{project.pk}/generate/?sku={sku.pk}")
    options = page.locator("#generate-options")
    expect(page.locator("#estimate")).to_contain_text("≈ 1 credit")
    expect(options.locator("[name^=opt_]")).to_have_count(0)  # the sandbox's try-on has no options
    expect(options.locator("input[name=num_outputs]")).to_have_attribute("max", "4")

    page.check(f"input[name=account][value='{uwear.pk}']")
    expect(options.locator("input[name=num_outputs]")).to_have_attribute("max", "5")
    expect(options.locator("[name=opt_aspect_ratio]")).to_be_visible()
    screenshot(page, "generate-uwear-options")

    page.select_option("select[name=mf_ethnicity]", "Black")
    picker = page.locator("#model-picker")
    expect(picker.locator(".gen-pick:has(img)")).to_have_count(1)
    expect(picker).to_contain_text("Bola")
    expect(picker).not_to_contain_text("Aiko")
    picker.locator(".gen-pick:has-text('Bola') input").check()
    page.select_option("select[name=mf_ethnicity]", "East Asian")
    expect(picker).to_contain_text("Aiko")
    expect(picker.locator(".gen-pick:has-text('Bola') input")).to_be_checked()  # a filter keeps the choice
    screenshot(page, "generate-model-filter")


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_a_manager_settles_paid_calls_whose_outcome_is_unknown(page, screenshot):
    from datetime import timedelta

    from django.utils import timezone

    from generations.engine import runs
    from generations.models import Decision, ReviewEvent

    team = f.TeamFactory(name="Atelier")
    project = f.ProjectFactory(program=f.ProgramFactory(team=team))
    account = f.VendorAccountFactory(team=team, name="No listing", settings={"reconcile": False})
    manager = f.MembershipFactory(team=team, role=Role.MANAGER).user
    held = []
    for code in ("TEE-1", "TEE-2"):
        task = f.TaskFactory(account=account, team=team, sku=f.SKUFactory(project=project, code=code))
        sent = (timezone.now() - timedelta(seconds=30)).isoformat()
        Task.objects.filter(pk=task.pk).update(attempt_key=f"key-{code}", attempt_started_at=timezone.now(),
                                               vendor_state={"sent": {"at": sent, "request": "POST ledger"}})
        runs.advance(task.pk)  # the paid call's answer was lost and this vendor cannot be asked: held
        held.append(task)

    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    sign_in(page, manager.username)
    page.goto(f"/projects/{project.pk}/review/")
    section = page.locator("#unknown-outcomes")
    expect(section).to_contain_text("outcome unknown (2)")
    first = section.locator(f"#task-{held[0].pk}")
    expect(first).to_contain_text("Outcome unknown")
    screenshot(page, "held-outcome-unknown")

    first.locator("button:has-text('submit again')").click()  # the confirmation is required first
    expect(first.locator("input[name=confirm]")).to_be_visible()
    assert Task.objects.get(pk=held[0].pk).step == "hold"
    first.locator("input[name=confirm]").check()
    first.locator("button:has-text('submit again')").click()
    expect(page.locator(f"#task-{held[0].pk}")).not_to_contain_text("Outcome unknown")
    expect(page.locator(f"#task-{held[0].pk} .settle-unknown")).to_have_count(0)

    second = page.locator(f"#task-{held[1].pk}")
    second.locator("button:has-text('Mark failed')").click()
    expect(page.locator(f"#task-{held[1].pk}")).to_contain_text(TaskStatus.GENERATION_FAILED)
    screenshot(page, "held-settled")

    resubmitted, failed = (Task.objects.get(pk=t.pk) for t in held)
    assert resubmitted.step == "submit" and resubmitted.attempt_key != "key-TEE-1"
    assert failed.status == TaskStatus.GENERATION_FAILED
    assert set(ReviewEvent.objects.filter(task__in=held).values_list("decision", flat=True)) == {
        Decision.RESUBMITTED, Decision.MARKED_FAILED}
    assert not [e for e in errors if "Content Security Policy" in e or "Uncaught" in e]

"""The review loop in Chromium (issue 16): the large view with the garment side by side, synced zoom and A/B;
the keyboard after a rejection; one output regenerated alone; the client's board and pages without internals,
on a phone. Screenshots go to var/screenshots/."""
import re

import pytest
from playwright.sync_api import expect

from generations.models import Task, TaskOutput, TaskStatus
from studio.models import Role
from tests import factories as f
from tests.browser.conftest import RECORD_CSP_VIOLATIONS
from tests.browser.test_studio_path import sign_in

S = TaskStatus
PHONE = {"width": 390, "height": 844}


def _output(task, color, status=S.REVIEW_SUBMITTED, round=1):
    return f.TaskOutputFactory(task=task, round=round, review_status=status, width=600, height=800,
                               file=f.image_file("out.png", width=600, height=800, color=color))


@pytest.fixture
def season(db):
    team = f.TeamFactory(name="Atelier")
    project = f.ProjectFactory(program=f.ProgramFactory(team=team, name="Brand"), name="SS27")
    sku = f.SKUFactory(project=project, code="TEE-001", name="Organic tee")
    for view, color in (("front", (200, 40, 40)), ("back", (40, 120, 200))):
        f.GarmentImageFactory(sku=sku, view=view, image=f.image_file(f"tee_{view}.png", width=600, height=800,
                                                                     color=color))
    users = {role: f.MembershipFactory(team=team, role=role, user__username=f"{role}-ann").user
             for role in (Role.CREATIVE, Role.MANAGER, Role.CLIENT)}
    account = f.VendorAccountFactory(team=team, name="INTERNAL-ACCOUNT")
    batch = f.BatchFactory(project=project, label="INTERNAL-BATCH")
    task = f.TaskFactory(sku=sku, team=team, account=account, batch=batch, status=S.REVIEW_SUBMITTED, round=2,
                         num_outputs=3, prompt="white studio background", created_by=users[Role.CREATIVE])
    earlier = _output(task, (90, 90, 90), status=S.REVIEW_REJECTED, round=1)
    current = [_output(task, c, round=2) for c in ((10, 160, 60), (160, 60, 10), (60, 10, 160))]
    return {"team": team, "project": project, "sku": sku, "users": users, "task": task, "earlier": earlier,
            "current": current, "account": account}


PINCH = """pane => {
  const r = pane.getBoundingClientRect(), cx = r.left + r.width / 2, cy = r.top + r.height / 2;
  const fire = (type, id, x) => pane.dispatchEvent(new PointerEvent(type, {pointerId: id, clientX: x, clientY: cy,
    bubbles: true, pointerType: "touch", isPrimary: id === 1}));
  fire("pointerdown", 1, cx - 10); fire("pointerdown", 2, cx + 10);
  for (let d = 12; d <= 40; d += 4) { fire("pointermove", 1, cx - d); fire("pointermove", 2, cx + d); }
  fire("pointerup", 1, cx - 40); fire("pointerup", 2, cx + 40);
}"""


def _scale(page):
    return float(page.locator("[data-compare]").get_attribute("data-scale") or 1)


def _transforms(page):
    return page.eval_on_selector_all(".zoom-stage", "els => els.map(e => e.style.transform)")


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_review_beside_the_garment_with_zoom_a_b_keyboard_and_one_output_remade(page, season, screenshot):
    first, second, third = season["current"]
    sign_in(page, season["users"][Role.MANAGER].username)
    page.goto(f"/projects/{season['project'].pk}/review/")
    preview = page.locator("#review-preview")
    expect(preview).to_have_attribute("data-selected", str(first.pk))
    expect(preview.locator(".zoom-pane")).to_have_count(3)  # the output, the garment's front and back
    expect(preview.locator('[data-pane="garment-front"] img')).to_be_visible()
    expect(preview.locator('[data-pane="garment-back"] img')).to_be_visible()
    expect(preview.locator(".preview-meta")).to_contain_text("white studio background")
    expect(preview.locator(".preview-meta")).to_contain_text("round 2")
    expect(page.locator(".crumbs a", has_text="SS27")).to_be_visible()  # the breadcrumb back to the project

    # Zoom with the wheel over the output: every pane follows.
    box = preview.locator('[data-pane="output"]').bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
    page.mouse.wheel(0, -300)
    expect(page.locator("[data-compare]")).not_to_have_attribute("data-scale", "1.000")
    transforms = _transforms(page)
    assert len(set(t.split("scale")[1] for t in transforms)) == 1, transforms  # one scale for all panes
    # Pan by dragging the garment: the output moves too.
    before = _transforms(page)
    garment = preview.locator('[data-pane="garment-front"]').bounding_box()
    page.mouse.move(garment["x"] + 60, garment["y"] + 60)
    page.mouse.down()
    page.mouse.move(garment["x"] + 90, garment["y"] + 100, steps=4)
    page.mouse.up()
    after = _transforms(page)
    assert after[0] != before[0] and after[1] != before[1]
    # 1:1 shows the output's own pixels.
    page.click("[data-zoom='1:1']")
    natural = page.eval_on_selector('[data-pane="output"] img[data-zoom-img]', "i => i.naturalWidth / i.clientWidth")
    assert abs(_scale(page) - natural) < 0.01
    # c: A/B against the previous round (a slider over the output).
    page.keyboard.press("c")
    expect(page.locator("[data-ab-previous]")).to_be_visible()
    expect(page.locator("[data-ab-slider]")).to_be_visible()
    expect(page.locator("[data-ab-toggle]")).to_have_attribute("aria-pressed", "true")
    assert season["earlier"].pk == int(re.search(r"/outputs/(\d+)/file/",
                                                 page.get_attribute("[data-ab-previous]", "src")).group(1))
    page.fill("[data-ab-slider]", "30")
    assert "70%" in page.eval_on_selector("[data-ab-previous]", "e => e.style.clipPath")
    page.keyboard.press("0")  # fit again, so the screenshot shows the whole garment beside the A/B output
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    page.mouse.wheel(0, -100)
    screenshot(page, "review-large-view-a-b")
    page.keyboard.press("c")
    expect(page.locator("[data-ab-previous]")).to_be_hidden()
    page.keyboard.press("0")
    expect(page.locator("[data-zoom-level]")).to_have_text("Fit")
    # Pinch on the garment (two touch pointers moving apart) zooms every pane.
    page.eval_on_selector('[data-pane="garment-back"]', PINCH)
    assert _scale(page) > 1.5
    assert len(set(t.split("scale")[1] for t in _transforms(page))) == 1
    page.keyboard.press("0")

    # Reject with r + comment + Enter, then "a" approves the next output instead of typing into the box.
    page.keyboard.press("r")
    expect(page.locator("#review-comment")).to_be_focused()
    page.keyboard.type("The print is too small")
    page.keyboard.press("Enter")
    expect(preview).to_have_attribute("data-selected", str(second.pk))
    expect(page.locator("#review-comment")).not_to_be_focused()
    page.keyboard.press("a")
    expect(page.locator(".waiting-count")).to_have_text("1 waiting for review")
    expect(page.locator("#review-comment")).to_have_value("")
    page.keyboard.press("r")
    page.keyboard.type("Sleeve length")
    page.keyboard.press("Enter")
    expect(page.locator(".review-empty")).to_be_visible()
    statuses = dict(TaskOutput.objects.filter(pk__in=[first.pk, second.pk, third.pk])
                    .values_list("pk", "review_status"))
    assert statuses == {first.pk: S.REVIEW_REJECTED, second.pk: S.REVIEW_APPROVED, third.pk: S.REVIEW_REJECTED}

    # Fix one image: the rejected filter, the first rejected output, an edited prompt, regenerate just that one.
    page.select_option("select[name=status]", "rejected")
    page.click(".board-filters button[type=submit]")
    expect(page.locator(".review-tile")).to_have_count(3)  # round 1's and the two just rejected
    page.click(f".review-tile[data-output='{first.pk}'] .tile-link")
    expect(preview).to_have_attribute("data-selected", str(first.pk))
    preview.locator("[data-history] summary").click()
    expect(preview.locator("[data-history]")).to_contain_text("The print is too small")
    page.fill("#remake-prompt", "white studio background, larger chest print")
    page.click("[data-regenerate-output] button[type=submit]")
    expect(page.locator("#toasts")).to_contain_text(f"Remaking output {first.pk}")
    remake = Task.objects.get(replaces=first)
    assert (remake.num_outputs, remake.prompt) == (1, "white studio background, larger chest print")
    assert Task.objects.get(pk=season["task"].pk).outputs.count() == 4  # the other outputs stay as they are

    # The phone-sized large view.
    page.set_viewport_size(PHONE)
    page.goto(f"/projects/{season['project'].pk}/review/?status=rejected")
    expect(page.locator("[data-compare]")).to_be_visible()
    screenshot(page, "review-large-view-phone")


@pytest.fixture
def phone(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(30_000)
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    violations = page.evaluate("window.__cspViolations || []")
    context.close()
    assert not [e for e in errors if "Content Security Policy" in e] + violations


INTERNALS = ("INTERNAL-ACCOUNT", "INTERNAL-BATCH", "Review submitted", "Review approved", "Vendor accounts",
             "Recent activity", "Tasks", "Outputs", "Review board", "Sandbox")


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_the_client_works_through_approved_images_on_a_phone_without_seeing_the_machinery(phone, season,
                                                                                         screenshot):
    from generations import review

    manager = season["users"][Role.MANAGER]
    first, second, third = season["current"]
    review.approve(first, manager)
    review.approve(second, manager)
    review.approve(third, manager)  # the task is now review-approved: the client stage opens
    page = phone
    sign_in(page, season["users"][Role.CLIENT].username)
    for url in ("/dashboard/", f"/projects/{season['project'].pk}/", f"/skus/{season['sku'].pk}/"):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        html = page.content()
        leaked = [word for word in INTERNALS if word in html]
        assert not leaked, f"{url} shows the client {leaked}"
    expect(page.locator(".page-head [data-client-status]")).to_have_text("Awaiting you")

    page.goto(f"/projects/{season['project'].pk}/approve/")
    expect(page.locator(".review-tile")).to_have_count(3)
    expect(page.locator('[data-pane="garment-front"] img')).to_be_visible()
    assert not [word for word in INTERNALS if word in page.content()]
    screenshot(page, "client-board-phone")
    # The keyboard: a approves the selected image, and the next one is selected.
    page.evaluate("htmx.config.defaultSettleDelay = 300")  # a slow settle, so a person types before it ends
    page.keyboard.press("a")
    expect(page.locator(".review-tile")).to_have_count(2)
    expect(page.locator("#review-preview")).to_have_attribute("data-selected", str(second.pk))
    # r + comment + Enter asks for changes; then bulk approve what is left. The settle of the swap after "a" ends
    # while the comment is being typed: no key may be lost (a blur at settle once dropped " br": "Pleaighten").
    page.keyboard.press("r")
    page.keyboard.type("Please")
    page.wait_for_timeout(400)
    page.keyboard.type(" brighten")
    page.keyboard.press("Enter")
    expect(page.locator(".review-tile")).to_have_count(1)
    page.check("[data-select-all]")
    page.click("[data-bulk-approve]")
    expect(page.locator(".review-empty")).to_contain_text("Nothing waits for you")
    statuses = dict(TaskOutput.objects.filter(pk__in=[first.pk, second.pk, third.pk])
                    .values_list("pk", "review_status"))
    assert statuses == {first.pk: S.CLIENT_APPROVED, second.pk: S.CLIENT_REJECTED, third.pk: S.CLIENT_APPROVED}
    page.select_option("select[name=status]", "changes")
    page.click(".board-filters button[type=submit]")
    expect(page.locator(".review-tile")).to_have_count(1)
    expect(page.locator("#review-preview [data-history]")).to_contain_text("Please brighten")
    screenshot(page, "client-board-phone-changes")

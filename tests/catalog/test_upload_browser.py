"""The upload zone in a real browser (Debian's Chromium through Playwright): files dropped on the zone and files
chosen in the picker go up through htmx with the CSRF header, and the per-file report and the images appear
without a page load."""
import base64

import pytest

from catalog.models import GarmentImage
from studio.models import Role
from tests import factories as f

pytestmark = pytest.mark.browser

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'


@pytest.fixture
def page(chromium, live_server, client, transactional_db):
    member = f.MembershipFactory(role=Role.CREATIVE)
    client.force_login(member.user)
    sku = f.SKUFactory(project__program__team=member.team, code="DROP-1")
    context = chromium.new_context()
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    tab = context.new_page()
    tab.goto(f"{live_server.url}/skus/{sku.pk}/")
    tab.sku = sku
    yield tab
    context.close()


DROP = """([files]) => {
  const dt = new DataTransfer();
  for (const [name, type, b64] of files) {
    const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
    dt.items.add(new File([bytes], name, {type}));
  }
  const zone = document.querySelector('[data-dropzone]');
  zone.dispatchEvent(new DragEvent('dragover', {dataTransfer: dt, bubbles: true, cancelable: true}));
  zone.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
}"""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_files_dropped_on_the_zone_are_uploaded_and_reported(page):
    page.evaluate(DROP, [[["skirt_back.png", "image/png", b64(f.image_bytes())],
                          ["vector.jpg", "image/jpeg", b64(SVG)]]])

    page.wait_for_selector("#upload-result .alert")
    report = page.inner_text("#upload-result")
    assert "1 image added, 1 not added." in report
    assert "skirt_back.png added as Bottom, back" in report
    assert "vector.jpg is not an image we can read" in report
    assert page.locator("#garment-images article").count() == 1
    assert list(GarmentImage.objects.filter(sku=page.sku).values_list("original_name", flat=True)) == [
        "skirt_back.png"]


def test_files_chosen_in_the_picker_upload_at_once(page):
    page.set_input_files("#garment-files", [
        {"name": "a_front.png", "mimeType": "image/png", "buffer": f.image_bytes(color=(1, 2, 3))},
        {"name": "a_side.png", "mimeType": "image/png", "buffer": f.image_bytes(color=(3, 2, 1))},
    ])

    page.wait_for_selector("#upload-result .alert")
    assert "2 images added." in page.inner_text("#upload-result")
    assert page.locator("#garment-images article").count() == 2


def test_a_garment_image_is_edited_in_place_without_a_page_load(page):
    page.set_input_files("#garment-files", [{"name": "tee.png", "mimeType": "image/png",
                                             "buffer": f.image_bytes()}])
    page.wait_for_selector("#garment-images article")
    page.evaluate("window.__sameDocument = true")

    page.select_option("#garment-images article select[name$='-view']", "side")

    page.wait_for_selector("#garment-images article .saved")
    assert page.evaluate("window.__sameDocument") is True
    assert GarmentImage.objects.get(sku=page.sku).view == "side"


def test_too_many_dropped_files_are_stopped_before_upload(page, settings):
    count = settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1
    page.evaluate(DROP, [[[f"{i}.png", "image/png", b64(f.image_bytes())] for i in range(count)]])

    page.wait_for_selector("#upload-result .alert.error")
    assert f"You chose {count} files; send at most {count - 1} at a time." in page.inner_text("#upload-result")
    assert not GarmentImage.objects.filter(sku=page.sku).exists()

"""Garment uploads (RELIABILITY.md, "Uploads"): what is refused, with which message, and that nothing half-saved
or named by the user ever lands in storage."""
import io
import logging
import struct
import unicodedata
import zlib
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.db import DatabaseError
from django.test import override_settings
from django.urls import reverse
from kombu.exceptions import OperationalError
from PIL import Image

from catalog import jobs, uploads
from catalog.models import GarmentImage, GarmentType
from catalog.naming import guess_garment
from studio.models import Role
from tests import factories as f

HTMX = {"HX-Request": "true"}


# --- files --------------------------------------------------------------------------------------------------------

def png(color=(200, 40, 40), size=(64, 96)) -> bytes:
    return f.image_bytes(*size, color=color)


def jpeg(size=(400, 300)) -> bytes:
    return f.image_bytes(*size, color=(10, 120, 200), fmt="JPEG")


def noisy_png(size=(200, 200)) -> bytes:
    """Incompressible pixels, so the file is as large as its pixel count."""
    import os

    out = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(out, "PNG")
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png() -> bytes:
    """A valid 65-byte PNG whose header claims 30000×30000 pixels."""
    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"")) + _chunk(b"IEND", b"")


def tiff() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (1, 2, 3)).save(out, "TIFF")
    return out.getvalue()


def psd() -> bytes:
    # Photoshop header: signature, version 1, reserved, 3 channels, 20×20, 8 bits, RGB; then empty sections.
    return (b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, 20, 20, 8, 3) + struct.pack(">I", 0) * 3
            + struct.pack(">H", 0) + b"\x00" * 1200)


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nnewpath 0 0 moveto 10 10 lineto stroke\n%%EOF\n"


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def stored_files(kind: str = "garments") -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / kind
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- fixtures -----------------------------------------------------------------------------------------------------

@pytest.fixture
def creative(db):
    return f.MembershipFactory(role=Role.CREATIVE)


@pytest.fixture
def sku(creative):
    return f.SKUFactory(project__program__team=creative.team, garment_type=GarmentType.BOTTOM)


@pytest.fixture
def browser(client, creative):
    client.force_login(creative.user)
    return client


def post_files(client, sku, files, headers=HTMX):
    return client.post(reverse("garment_upload", args=[sku.pk]), {"files": files}, headers=headers)


# --- through the page ---------------------------------------------------------------------------------------------

def test_several_files_at_once_are_all_saved_and_listed(browser, sku):
    response = post_files(browser, sku, [upload("tee_front.png", png()), upload("tee_back.jpg", jpeg()),
                                         upload("jeans-side.png", png((0, 0, 200)))])

    assert response.status_code == 200
    html = response.content.decode()
    assert "3 images added." in html
    assert sorted(sku.garment_images.values_list("original_name", flat=True)) == [
        "jeans-side.png", "tee_back.jpg", "tee_front.png"]
    assert 'id="garment-images" class="grid garments" hx-swap-oob="true"' in html
    for name in ("tee_front.png", "tee_back.jpg", "jeans-side.png"):
        assert name in html


def test_type_and_view_are_guessed_from_the_file_name_and_default_to_the_skus(browser, sku):
    post_files(browser, sku, [upload("navy_tee_back.png", png()), upload("IMG_0042.png", png((9, 9, 9)))])

    guessed = {g.original_name: (g.garment_type, g.view) for g in sku.garment_images.all()}
    assert guessed == {"navy_tee_back.png": ("Top", "back"), "IMG_0042.png": ("Bottom", "front")}


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("bomb.png", bomb_png(), "decompression bomb"),
        ("cut.jpg", jpeg((800, 600))[:1500], "damaged or truncated"),
        ("drawing.jpg", SVG, "only JPEG, PNG and WebP are accepted"),
        ("scan.jpg", tiff(), "is TIFF; only JPEG, PNG and WebP are accepted"),
        ("layers.jpg", psd(), "only JPEG, PNG and WebP are accepted"),
        ("logo.jpg", EPS, "only JPEG, PNG and WebP are accepted"),
        ("empty.png", b"", "is empty"),
    ],
)
def test_a_bad_file_is_refused_with_its_name_and_reason(browser, sku, name, data, reason):
    response = post_files(browser, sku, [upload(name, data)])

    html = response.content.decode()
    assert "0 images added, 1 not added." in html
    assert name in html and reason in html
    assert not sku.garment_images.exists()
    assert stored_files() == []


def test_the_bomb_png_is_really_65_bytes():
    assert len(bomb_png()) == 65


def test_a_bad_file_among_good_ones_leaves_the_good_ones_saved(browser, sku):
    response = post_files(browser, sku, [upload("front.png", png()), upload("evil.jpg", SVG),
                                         upload("back.png", png((1, 200, 1)))])

    html = response.content.decode()
    assert "2 images added, 1 not added." in html
    assert "evil.jpg is not an image we can read; only JPEG, PNG and WebP are accepted" in html
    assert sorted(sku.garment_images.values_list("original_name", flat=True)) == ["back.png", "front.png"]
    assert len(stored_files()) == 2


@override_settings(STUDIO_MAX_IMAGE_BYTES=20_000)
def test_a_file_over_the_cap_is_refused_and_the_others_kept(browser, sku):
    big = noisy_png()
    assert len(big) > 20_000

    response = post_files(browser, sku, [upload("huge.png", big), upload("small.png", png())])

    html = response.content.decode()
    assert "huge.png is larger than the 19.5 KB limit per image" in html
    assert list(sku.garment_images.values_list("original_name", flat=True)) == ["small.png"]


def test_the_same_image_twice_is_reported_not_stored_twice(browser, sku):
    data = png()
    post_files(browser, sku, [upload("first.png", data)])
    response = post_files(browser, sku, [upload("again.png", data), upload("copy.png", data)])

    html = response.content.decode()
    assert "again.png is already on this SKU (as first.png)" in html
    assert "copy.png is already on this SKU" in html
    assert sku.garment_images.count() == 1
    assert len(stored_files()) == 1


def test_the_same_image_on_another_sku_is_fine(browser, sku):
    other = f.SKUFactory(project=sku.project)
    post_files(browser, sku, [upload("a.png", png())])
    post_files(browser, other, [upload("a.png", png())])

    assert GarmentImage.objects.count() == 2


def test_storage_names_are_ours_even_for_a_path_in_the_file_name(browser, sku):
    boundary = "studioboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"../../evil.jpg\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + jpeg() + f"\r\n--{boundary}--\r\n".encode()

    browser.generic("POST", reverse("garment_upload", args=[sku.pk]), body,
                    content_type=f"multipart/form-data; boundary={boundary}", headers=HTMX)

    image = sku.garment_images.get()
    assert image.image.name.startswith("garments/")
    assert "evil" not in image.image.name and ".." not in image.image.name
    assert image.image.name.endswith(".jpg")  # the extension of the decoded format
    assert image.original_name == "evil.jpg"
    assert [p.name for p in stored_files()] == [Path(image.image.name).name]


def test_the_extension_comes_from_the_bytes_not_the_name(browser, sku):
    post_files(browser, sku, [upload("photo.jpg", png())])

    assert sku.garment_images.get().image.name.endswith(".png")


def test_a_file_name_is_shown_escaped(browser, sku):
    response = post_files(browser, sku, [upload("<img src=x onerror=alert(1)>.png", png())])

    html = response.content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;.png" in html
    assert "<img src=x onerror" not in html
    page = browser.get(reverse("sku_detail", args=[sku.pk])).content.decode()
    assert "<img src=x onerror" not in page


@override_settings(DATA_UPLOAD_MAX_NUMBER_FILES=2)
def test_too_many_files_in_one_request_get_a_clear_message_and_nothing_is_saved(browser, sku):
    response = post_files(browser, sku, [upload(f"{i}.png", png((i, i, i))) for i in range(3)])

    assert response.status_code == 200
    assert "Too many files in one upload: send at most 2 at a time. Nothing was added." in response.content.decode()
    assert not sku.garment_images.exists()


def test_an_empty_upload_asks_for_files(browser, sku):
    response = post_files(browser, sku, [])

    assert "Choose or drop at least one image" in response.content.decode()


def test_without_htmx_the_upload_redirects_to_the_sku_with_messages(browser, sku):
    response = post_files(browser, sku, [upload("ok.png", png()), upload("bad.jpg", SVG)], headers={})

    assert response.status_code == 302
    page = browser.get(response.url).content.decode()
    assert "1 image added, 1 not added." in page
    assert "bad.jpg is not an image we can read" in page
    assert "ok.png" in page


def test_the_upload_needs_the_csrf_token(creative, sku):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(creative.user)

    response = post_files(strict, sku, [upload("a.png", png())])

    assert response.status_code == 403
    assert not sku.garment_images.exists()


def test_the_upload_accepts_the_htmx_csrf_header(creative, sku):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(creative.user)
    token = strict.get(reverse("sku_detail", args=[sku.pk])).cookies["csrftoken"].value

    response = post_files(strict, sku, [upload("a.png", png())], headers={**HTMX, "X-CSRFToken": token})

    assert response.status_code == 200
    assert sku.garment_images.count() == 1


def test_a_client_cannot_upload(client, sku):
    member = f.MembershipFactory(team=sku.project.program.team, role=Role.CLIENT)
    client.force_login(member.user)

    response = post_files(client, sku, [upload("a.png", png())])

    assert response.status_code == 403
    assert not sku.garment_images.exists()


# --- thumbnails ---------------------------------------------------------------------------------------------------

def test_each_saved_image_queues_its_thumbnail_after_commit(browser, sku, django_capture_on_commit_callbacks):
    with mock.patch.object(jobs.make_thumbnail, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            post_files(browser, sku, [upload("a.png", png()), upload("b.png", png((0, 90, 0))),
                                      upload("bad.jpg", SVG)])

    assert len(callbacks) == 2
    assert sorted(c.args for c in delay.call_args_list) == sorted(
        ("garment", pk) for pk in sku.garment_images.values_list("pk", flat=True))


def test_the_thumbnail_job_makes_a_small_webp(browser, sku, django_capture_on_commit_callbacks):
    with mock.patch.object(jobs.make_thumbnail, "delay", side_effect=lambda *a: jobs.make_thumbnail(*a)):
        with django_capture_on_commit_callbacks(execute=True):
            post_files(browser, sku, [upload("big.jpg", jpeg((1600, 1200)))])

    image = sku.garment_images.get()
    assert image.thumbnail.name.startswith("thumbs/") and image.thumbnail.name.endswith(".webp")
    with Image.open(image.thumbnail) as thumb:
        assert max(thumb.size) == 480
    assert image.thumbnail.url in browser.get(reverse("sku_detail", args=[sku.pk])).content.decode()


def test_a_down_broker_does_not_fail_the_upload(browser, sku, django_capture_on_commit_callbacks, caplog):
    with mock.patch.object(jobs.make_thumbnail, "delay", side_effect=OperationalError("connection refused")):
        with django_capture_on_commit_callbacks(execute=True), caplog.at_level(logging.WARNING):
            response = post_files(browser, sku, [upload("a.png", png())])

    assert "1 image added." in response.content.decode()
    image = sku.garment_images.get()
    assert not image.thumbnail
    assert "could not queue the garment thumbnail" in caplog.text
    # Until the thumbnail exists the page shows the full image, scaled by CSS.
    assert f'src="{image.image.url}"' in browser.get(reverse("sku_detail", args=[sku.pk])).content.decode()


# --- the service --------------------------------------------------------------------------------------------------

def test_no_orphan_file_when_the_row_fails(sku):
    with mock.patch.object(GarmentImage, "save", side_effect=DatabaseError("database is locked")):
        report = uploads.upload_garment_images(sku, [upload("a.png", png())])

    assert [o.message for o in report.outcomes] == [
        "a.png could not be saved (storage or database error); try again"]
    assert not GarmentImage.objects.exists()
    assert stored_files() == []


def test_a_failing_file_does_not_undo_the_others(sku):
    real_save = GarmentImage.save

    def fail_second(self, *args, **kwargs):
        if self.original_name == "b.png":
            raise DatabaseError("boom")
        return real_save(self, *args, **kwargs)

    with mock.patch.object(GarmentImage, "save", fail_second):
        report = uploads.upload_garment_images(sku, [upload("a.png", png()), upload("b.png", png((5, 5, 5)))])

    assert [o.saved for o in report.outcomes] == [True, False]
    assert list(GarmentImage.objects.values_list("original_name", flat=True)) == ["a.png"]
    assert len(stored_files()) == 1


def test_the_service_reads_a_spooled_file_in_chunks_and_stops_at_the_cap(sku):
    read = []

    class Spied(TemporaryUploadedFile):  # what Django hands over for uploads above 2 MB
        def chunks(self, chunk_size=None):
            for chunk in super().chunks(chunk_size):
                read.append(len(chunk))
                yield chunk

    spooled = Spied("big.png", "image/png", 0, None)
    spooled.write(b"\x89PNG" + b"\0" * 1_000_000)

    with override_settings(STUDIO_MAX_IMAGE_BYTES=100_000):
        report = uploads.upload_garment_images(sku, [spooled])

    assert report.outcomes[0].message == "big.png is larger than the 97.7 KB limit per image"
    assert sum(read) <= 100_000 + uploads.CHUNK  # stopped right after the cap, not after 1 MB
    assert not GarmentImage.objects.exists()


@pytest.mark.parametrize(("raw", "shown"), [
    ("../../evil.jpg", "evil.jpg"),
    ("C:\\Users\\me\\front.png", "front.png"),
    ("nul\x00byte.png", "nulbyte.png"),
    ("/etc/passwd", "passwd"),
    ("x" * 300 + ".png", "x" * 119 + "…"),
    ("", "unnamed file"),
])
def test_display_names_keep_only_a_bounded_base_name(raw, shown):
    assert uploads.display_name(raw) == shown


def test_a_raw_path_name_never_reaches_storage(sku):
    uploaded = upload("x.png", png())
    uploaded._name = "..\\..\\windows\\evil.png"  # bypass Django's own basename to test ours

    report = uploads.upload_garment_images(sku, [uploaded])

    image = report.outcomes[0].image
    assert image.original_name == "evil.png"
    assert image.image.name.startswith("garments/") and "evil" not in image.image.name


@override_settings(STUDIO_MAX_IMAGE_BYTES=10_000)
def test_the_upload_handler_drops_a_file_as_soon_as_it_passes_the_cap(rf):
    handler = uploads.CappedUploadHandler(rf.post("/"))
    handler.new_file("files", "huge.png", "image/png", None)
    chunk = b"\0" * 4096
    kept = [handler.receive_data_chunk(chunk, i * 4096) for i in range(4)]  # 16 KB: over the cap at chunk 3
    temp_path = handler.file.temporary_file_path()

    result = handler.file_complete(4 * 4096)

    assert kept[:2] == [None, None]  # the handler writes the first chunks itself
    assert handler.received == 3 * 4096  # nothing counted (or kept) after the cap
    assert isinstance(result, uploads.RefusedUpload)
    assert result.refused_reason == "is larger than the 9.8 KB limit per image"
    assert not Path(temp_path).exists()


# --- names --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "expected"), [
    ("navy-tee_front.jpg", ("Top", "front")),
    ("Shirt BACK.png", ("Top", "back")),
    ("denim_jacket-side-2.webp", ("Top", "side")),
    ("slim-jeans_back.jpg", ("Bottom", "back")),
    ("pleated skirt.png", ("Bottom", "front")),
    ("PANTS_side.jpg", ("Bottom", "side")),
    ("summer-dress-back.jpg", ("Full body", "back")),
    ("jumpsuit.png", ("Full body", "front")),
    ("white_sneakers_side.jpg", ("Shoes", "side")),
    ("boots.png", ("Shoes", "front")),
    ("sun-hat.jpg", ("Accessory", "front")),
    ("cap_back.jpg", ("Accessory", "back")),
    ("reading-glasses.png", ("Accessory", "front")),
    ("tote bag.jpg", ("Accessory", "front")),
])
def test_type_and_view_are_guessed_from_words_in_the_name(name, expected):
    assert guess_garment(name, GarmentType.TOP) == expected


def test_a_name_that_says_nothing_gets_the_skus_type_and_front():
    assert guess_garment("IMG_2041.jpg", GarmentType.SHOES) == ("Shoes", "front")


def test_words_inside_other_words_do_not_count():
    # "capri" is not a cap, "topaz" not a top, "backdrop" not a back view.
    assert guess_garment("capri-topaz-backdrop.jpg", GarmentType.BOTTOM) == ("Bottom", "front")


@override_settings(STUDIO_MAX_IMAGE_BYTES=1000, DATA_UPLOAD_MAX_NUMBER_FILES=2)
def test_a_body_larger_than_any_honest_upload_is_refused_before_it_is_read(browser, sku):
    with mock.patch.object(uploads.CappedUploadHandler, "receive_data_chunk") as receive:
        response = post_files(browser, sku, [upload("huge.png", b"\0" * 1_300_000)])

    assert "more than 2 images of 1000 bytes each. Nothing was added." in response.content.decode()
    receive.assert_not_called()
    assert not sku.garment_images.exists()


def test_an_upload_cut_off_half_way_leaves_no_rows_or_files(browser, sku):
    boundary = "cutoff"
    whole = jpeg((800, 600))
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"first.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + png() + (
        f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"cut.jpg\"\r\n"
        f"Content-Type: image/jpeg\r\n\r\n").encode() + whole[: len(whole) // 2]  # the client vanished here

    response = browser.generic("POST", reverse("garment_upload", args=[sku.pk]), body,
                               content_type=f"multipart/form-data; boundary={boundary}", headers=HTMX)

    # The part that never ended is not a file: Django's parser drops it, so it leaves no row and no file, and the
    # file that arrived whole is kept.
    assert response.status_code == 200
    assert "1 image added." in response.content.decode()
    assert list(sku.garment_images.values_list("original_name", flat=True)) == ["first.png"]
    assert len(stored_files()) == 1


@given(st.text(max_size=400))
def test_any_name_shows_as_a_bounded_base_name_and_guesses_without_failing(raw):
    shown = uploads.display_name(raw)

    assert shown and len(shown) <= uploads.ORIGINAL_NAME_MAX
    assert "/" not in shown and "\\" not in shown and "\x00" not in shown
    assert not any(unicodedata.category(ch).startswith("C") for ch in shown)  # no controls, NUL, format chars
    garment_type, view = guess_garment(raw, GarmentType.TOP)
    assert garment_type in GarmentType.values and view in ("front", "back", "side")

"""Bulk import of a zip of SKU folders, including every hostile-archive row of RELIABILITY.md."""
import io
import stat
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from PIL import Image

from catalog import zip_ingest
from catalog.models import SKU, GarmentImage, GarmentType, ImportStatus, ProjectStatus, ZipImport
from catalog.zip_ingest import ArchiveRefused, ZipLimits, ingest_archive
from tests import badfiles
from tests.factories import ProjectFactory, image_bytes

pytestmark = pytest.mark.django_db

LIMITS = ZipLimits(max_entries=200, max_entry_bytes=2 * 1024 * 1024, max_total_bytes=50 * 1024 * 1024, max_ratio=50)


def make_zip(entries: dict, *, compression=zipfile.ZIP_DEFLATED) -> io.BytesIO:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in entries.items():
            if isinstance(name, zipfile.ZipInfo):
                zf.writestr(name, data)
            else:
                zf.writestr(name, data)
    buf.seek(0)
    return buf


def outcome_of(result, suffix):
    matches = [o for o in result.outcomes if o.name.endswith(suffix)]
    assert matches, f"{suffix} missing from the report: {[o.name for o in result.outcomes]}"
    return matches[0]


@pytest.fixture
def project():
    return ProjectFactory()


def test_one_folder_per_sku_becomes_skus_with_typed_images_and_thumbnails(project):
    archive = make_zip({
        "TEE-001/tee_front.jpg": image_bytes(300, 400, fmt="JPEG"),
        "TEE-001/tee_back.jpg": image_bytes(300, 400, color=(0, 90, 0), fmt="JPEG"),
        "JEANS-002/front.png": image_bytes(200, 300),
    })
    result = ingest_archive(project, archive, limits=LIMITS)
    assert (result.skus_created, result.images_created) == (2, 3)
    tee = SKU.objects.get(project=project, code="TEE-001")
    views = sorted(tee.garment_images.values_list("view", flat=True))
    assert views == ["back", "front"]
    assert SKU.objects.get(code="JEANS-002").garment_images.get().garment_type == GarmentType.BOTTOM
    for image in GarmentImage.objects.all():
        assert image.thumbnail and image.width > 0
        assert image.image.name.startswith("garments/")
        assert Path(settings.MEDIA_ROOT, image.thumbnail.name).exists()


def test_a_single_wrapping_folder_is_unwrapped_with_a_warning(project):
    archive = make_zip({"Spring/SKU-A/front.jpg": image_bytes(fmt="JPEG"), "Spring/SKU-B/back.jpg": image_bytes()})
    result = ingest_archive(project, archive, limits=LIMITS)
    assert set(SKU.objects.values_list("code", flat=True)) == {"SKU-A", "SKU-B"}
    assert "unwrapped" in result.warnings[0]


def test_reimporting_the_same_archive_creates_nothing_twice(project):
    entries = {"SKU-A/front.jpg": image_bytes(fmt="JPEG"), "SKU-A/back.jpg": image_bytes(color=(1, 2, 3))}
    ingest_archive(project, make_zip(entries), limits=LIMITS)
    again = ingest_archive(project, make_zip(entries), limits=LIMITS)
    assert (again.skus_created, again.images_created) == (0, 0)
    assert {o.outcome for o in again.outcomes} == {"duplicate"}
    assert GarmentImage.objects.count() == 2
    assert len(list(Path(settings.MEDIA_ROOT, "garments").rglob("*.*"))) == 2  # no stray files from the rerun


@pytest.mark.parametrize("name,data,reason", [
    ("SKU/bomb.png", badfiles.png_bomb(), "decompression bomb"),
    ("SKU/cut.jpg", badfiles.truncated_jpeg(), "truncated"),
    ("SKU/vector.jpg", badfiles.SVG, "only JPEG, PNG and WebP"),
    ("SKU/scan.jpg", badfiles.tiff_bytes(), "TIFF"),
    ("SKU/layers.jpg", badfiles.PSD, "only JPEG, PNG and WebP"),
    ("SKU/print.jpg", badfiles.EPS, "only JPEG, PNG and WebP"),
    ("SKU/page.jpg", badfiles.HTML, "only JPEG, PNG and WebP"),
])
def test_bad_images_are_rejected_with_a_reason_and_good_ones_kept(project, name, data, reason):
    archive = make_zip({name: data, "SKU/good.jpg": image_bytes(fmt="JPEG")})
    result = ingest_archive(project, archive, limits=LIMITS)
    bad = outcome_of(result, name.split("/")[-1])
    assert bad.outcome == "rejected" and reason in bad.reason
    assert outcome_of(result, "good.jpg").outcome == "accepted"
    assert GarmentImage.objects.count() == 1


@pytest.mark.parametrize("name,reason", [
    ("../escape.jpg", "outside its folder"),
    ("SKU/../../escape.jpg", "outside its folder"),
    ("/etc/abs.jpg", "absolute path"),
    ("C:/win/abs.jpg", "absolute path"),
    ("SKU\\back\\slash.jpg", "backslashes"),
    ("SKU/" + "x" * 300 + ".jpg", "too long"),
    ("SKU/bell\x07.jpg", "control characters"),
    ("SKU/inner.zip", "nested archives"),
    ("loose.jpg", "not inside a SKU folder"),
    ("SKU/deeper/front.jpg", "deeper than one folder"),
])
def test_unsafe_entry_names_are_refused_per_entry(project, name, reason):
    archive = make_zip({name: image_bytes(fmt="JPEG"), "OK/front.jpg": image_bytes(fmt="JPEG", color=(9, 9, 9))})
    result = ingest_archive(project, archive, limits=LIMITS)
    refused = [o for o in result.outcomes if o.outcome == "rejected"]
    assert len(refused) == 1 and reason in refused[0].reason
    assert list(SKU.objects.values_list("code", flat=True)) == ["OK"]


def test_links_and_case_colliding_names_are_refused(project):
    link = zipfile.ZipInfo("SKU/link.jpg")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = make_zip({link: "/etc/passwd", "SKU/Front.jpg": image_bytes(fmt="JPEG"),
                        "SKU/front.JPG": image_bytes(fmt="JPEG", color=(0, 0, 255))})
    result = ingest_archive(project, archive, limits=LIMITS)
    assert "link" in outcome_of(result, "link.jpg").reason
    assert "ignoring case" in outcome_of(result, "front.JPG").reason
    assert GarmentImage.objects.count() == 1


def test_a_nul_in_a_name_never_reaches_storage(project):
    info = zipfile.ZipInfo("SKU/evil.jpg")
    archive = make_zip({info: image_bytes(fmt="JPEG")})
    raw = archive.getvalue().replace(b"SKU/evil.jpg", b"SKU/e\x00il.jpg")
    result = ingest_archive(project, io.BytesIO(raw), limits=LIMITS)
    for image in GarmentImage.objects.all():
        assert "\x00" not in image.image.name and image.image.name.startswith("garments/")
    assert all("\x00" not in o.name for o in result.outcomes)


def test_system_files_are_skipped_not_rejected(project):
    archive = make_zip({"__MACOSX/SKU/._front.jpg": b"junk", "SKU/.DS_Store": b"junk",
                        "SKU/front.jpg": image_bytes(fmt="JPEG")})
    result = ingest_archive(project, archive, limits=LIMITS)
    assert sorted(o.outcome for o in result.outcomes) == ["accepted", "skipped", "skipped"]


def test_a_zip_bomb_entry_is_refused_by_its_ratio_without_inflating_it(project):
    archive = make_zip({"SKU/zeros.jpg": b"\x00" * (1024 * 1024)})  # deflates about 1000:1
    result = ingest_archive(project, archive, limits=LIMITS)
    assert "zip bomb" in outcome_of(result, "zeros.jpg").reason


def test_an_entry_over_the_per_image_cap_is_refused_from_its_header(project):
    big = io.BytesIO()
    Image.effect_noise((1400, 1400), 80).convert("RGB").save(big, "PNG")  # noise: incompressible, > 2 MB
    archive = make_zip({"SKU/huge.png": big.getvalue()}, compression=zipfile.ZIP_STORED)
    result = ingest_archive(project, archive, limits=LIMITS)
    assert "limit is 2 MB" in outcome_of(result, "huge.png").reason


def test_an_entry_whose_header_lies_about_its_size_is_cut_off(project):
    payload = image_bytes(400, 400, fmt="PNG")
    archive = make_zip({"SKU/liar.png": payload}, compression=zipfile.ZIP_STORED).getvalue()
    true_size = len(payload).to_bytes(4, "little")
    lied = archive.replace(true_size + true_size, (100).to_bytes(4, "little") * 2)  # compressed + uncompressed
    result = ingest_archive(project, io.BytesIO(lied), limits=LIMITS)
    assert outcome_of(result, "liar.png").outcome == "rejected"
    assert GarmentImage.objects.count() == 0


def test_an_archive_with_too_many_entries_is_refused_before_reading_any(project):
    archive = make_zip({f"SKU{i}/f{i}.jpg": b"x" for i in range(LIMITS.max_entries + 1)},
                       compression=zipfile.ZIP_STORED)
    with pytest.raises(ArchiveRefused, match="entries"):
        ingest_archive(project, archive, limits=LIMITS)


def test_an_archive_that_declares_a_huge_total_is_refused_up_front(project):
    limits = ZipLimits(max_entries=200, max_entry_bytes=2 * 1024 * 1024, max_total_bytes=1024, max_ratio=50)
    archive = make_zip({"SKU/a.jpg": image_bytes(400, 600, fmt="JPEG")})
    with pytest.raises(ArchiveRefused, match="expands to"):
        ingest_archive(project, archive, limits=limits)


def test_a_file_that_is_not_a_zip_is_refused_clearly(project):
    with pytest.raises(ArchiveRefused, match="not a zip"):
        ingest_archive(project, io.BytesIO(b"PK\x03\x04 not really"), limits=LIMITS)


def test_a_failing_sku_leaves_no_rows_and_no_files(project, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(GarmentImage.objects, "bulk_create", explode)
    with pytest.raises(RuntimeError):
        ingest_archive(project, make_zip({"SKU/front.jpg": image_bytes(fmt="JPEG")}), limits=LIMITS)
    assert not SKU.objects.exists()
    assert not [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


def test_the_import_job_records_progress_a_report_and_ends_the_projects_creating_state(project):
    from django.core.files.uploadedfile import SimpleUploadedFile

    archive = make_zip({"SKU-A/front.jpg": image_bytes(fmt="JPEG"), "../bad.jpg": image_bytes(fmt="JPEG")})
    upload = SimpleUploadedFile("spring.zip", archive.getvalue(), "application/zip")
    job = zip_ingest.start_import(project, upload)
    project.refresh_from_db()
    assert project.status == ProjectStatus.CREATING
    zip_ingest.run_import(job.pk)
    job.refresh_from_db()
    project.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.percent == 100
    assert {row["outcome"] for row in job.report} == {"accepted", "rejected"}
    assert project.status == ProjectStatus.CREATED
    assert zip_ingest.run_import(job.pk) is None  # a redelivered job for a finished import is a no-op


def test_a_refused_archive_marks_the_import_failed_with_the_reason(project):
    from django.core.files.uploadedfile import SimpleUploadedFile

    job = zip_ingest.start_import(project, SimpleUploadedFile("x.zip", b"garbage", "application/zip"))
    zip_ingest.run_import(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "not a zip" in job.message
    assert ZipImport.objects.for_team(project.program.team).filter(pk=job.pk).exists()


name_chars = st.characters(codec="utf-8", exclude_categories=["Cs"])


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(name_chars, min_size=1, max_size=40), min_size=1, max_size=6))
def test_any_entry_names_are_reported_once_each_and_stored_only_under_our_names(project, names):
    data = image_bytes(fmt="JPEG")
    entries = {}
    for i, name in enumerate(names):
        entries[f"{name}"] = image_bytes(40 + i, 40, fmt="JPEG") if i else data
    try:
        archive = make_zip(entries)
    except (UnicodeEncodeError, ValueError):
        return  # zipfile itself cannot write such a name
    result = ingest_archive(project, archive, limits=LIMITS)
    files = [n for n in zipfile.ZipFile(make_zip(entries)).infolist() if not n.is_dir()]
    assert len(result.outcomes) == len(files)
    for image in GarmentImage.objects.all():
        assert image.image.name.startswith("garments/") and ".." not in image.image.name
    media = Path(settings.MEDIA_ROOT).resolve()
    assert all(p.resolve().is_relative_to(media) for p in media.rglob("*"))

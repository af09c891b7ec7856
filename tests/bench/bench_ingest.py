"""make bench-ingest: bulk zip import throughput and memory against a bare Pillow loop, measured in one run.

Archive: 200 SKU folders × 3 JPEGs of 2000×3000 pixels (garment-like shapes over photographic noise, so the
JPEGs are realistically sized). Reference: a bare Pillow loop over the same files — decode, then a thumbnail.
The ingest runs in a child process (fresh SQLite database and media folder) so `peak_rss_mb` is the ingesting
process's own; a second, quarter-size archive shows that peak RSS does not grow with the archive.
Last line: one JSON object. Targets: ratio ≥ 0.8, peak_rss_mb ≤ 300.
"""
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parents[2]
SKUS, PER_SKU, SIZE = int(os.environ.get("BENCH_SKUS", 200)), 3, (2000, 3000)


def base_images() -> list[bytes]:
    """Three distinct garment photos; each archive entry is one of them with a unique JPEG comment segment,
    so every entry has its own checksum and decodes exactly like the original."""
    out = []
    for i, color in enumerate([(180, 40, 50), (30, 60, 140), (40, 120, 70)]):
        noise = Image.effect_noise((SIZE[0] // 4, SIZE[1] // 4), 40).resize(SIZE).convert("RGB")
        img = Image.blend(Image.new("RGB", SIZE, (235, 232, 228)), noise, 0.25)
        draw = ImageDraw.Draw(img)
        draw.rectangle([500, 600 + i * 40, 1500, 2400], fill=color)
        draw.polygon([(500, 600), (150, 1100), (350, 1250), (500, 1000)], fill=color)
        draw.polygon([(1500, 600), (1850, 1100), (1650, 1250), (1500, 1000)], fill=color)
        img = img.filter(ImageFilter.GaussianBlur(1))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=88)
        out.append(buf.getvalue())
    return out


def with_comment(jpeg: bytes, text: str) -> bytes:
    payload = text.encode()
    return jpeg[:2] + b"\xff\xfe" + (len(payload) + 2).to_bytes(2, "big") + payload + jpeg[2:]


def build_archive(path: Path, skus: int, originals: list[bytes]) -> list[Path]:
    files_dir = path.parent / f"files-{skus}"
    files_dir.mkdir(exist_ok=True)
    files = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for s in range(skus):
            for v, view in enumerate(("front", "back", "side")):
                data = with_comment(originals[v], f"SKU-{s:04d}-{view}")
                zf.writestr(f"SKU-{s:04d}/{view}.jpg", data)
                if skus == SKUS:
                    f = files_dir / f"{s:04d}-{view}.jpg"
                    f.write_bytes(data)
                    files.append(f)
    return files


def reference(files: list[Path]) -> float:
    start = time.perf_counter()
    for f in files:
        with Image.open(f) as img:
            img.load()
            img.thumbnail((480, 480))
            img.save(io.BytesIO(), "WEBP", quality=82)
    return len(files) / (time.perf_counter() - start)


def child_reference(files_dir: str) -> None:
    files = sorted(Path(files_dir).glob("*.jpg"))
    print(json.dumps({"images_per_s": reference(files)}))


def child(archive: str) -> None:
    """Runs in its own process: fresh database, then time the ingest of `archive`."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from catalog.models import Program, Project
    from catalog.zip_ingest import ZipLimits, ingest_archive
    from studio.models import Team

    team = Team.objects.create(name="Bench", slug="bench")
    project = Project.objects.create(program=Program.objects.create(team=team, name="Bench"), name="Bench")
    limits = ZipLimits.from_settings()
    start = time.perf_counter()
    with open(archive, "rb") as fh:
        result = ingest_archive(project, fh, limits=limits)
    seconds = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"images": result.images_created, "seconds": seconds, "peak_rss_mb": rss_mb}))


def run_reference(files_dir: Path) -> float:
    out = subprocess.run([sys.executable, __file__, "--child-reference", str(files_dir)], cwd=ROOT, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["images_per_s"]


def run_child(archive: Path, work: Path) -> dict:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="studio.settings", STUDIO_VAR_DIR=str(work / archive.stem),
               DATABASE_URL=f"sqlite:///{work / archive.stem}.sqlite3", MEDIA_ROOT=str(work / archive.stem / "media"),
               CELERY_BROKER_URL="memory://")
    env.pop("STUDIO_TEST_DB_NAME", None)
    out = subprocess.run([sys.executable, __file__, "--child", str(archive)], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        work = Path(tmp)
        originals = base_images()
        small_archive, archive = work / "small.zip", work / "full.zip"
        files = build_archive(archive, SKUS, originals)
        build_archive(small_archive, SKUS // 4, originals)
        print(f"archive: {SKUS} SKUs × {PER_SKU} JPEGs {SIZE[0]}×{SIZE[1]}, "
              f"{archive.stat().st_size / 1_048_576:.0f} MB; small archive {small_archive.stat().st_size / 1_048_576:.0f} MB")
        files_dir = files[0].parent
        # Reference and ingest each run in a child process of their own; the reference runs before and after
        # the ingest and is averaged, so load from other processes on a shared machine weighs on both alike.
        ref_before = run_reference(files_dir)
        small = run_child(small_archive, work)
        full = run_child(archive, work)
        ref_after = run_reference(files_dir)
        ref = (ref_before + ref_after) / 2
        print(f"reference (bare Pillow decode + thumbnail): {ref_before:.2f} then {ref_after:.2f} images/s")
        print(f"ingest: {full['images']} images in {full['seconds']:.1f} s; peak RSS {full['peak_rss_mb']:.0f} MB "
              f"(quarter-size archive: {small['peak_rss_mb']:.0f} MB)")
        ips = full["images"] / full["seconds"]
        print(json.dumps({
            "images": full["images"], "seconds": round(full["seconds"], 2), "images_per_s": round(ips, 2),
            "reference_images_per_s": round(ref, 2), "ratio": round(ips / ref, 3),
            "peak_rss_mb": round(full["peak_rss_mb"], 1), "peak_rss_mb_quarter_archive": round(small["peak_rss_mb"], 1),
        }))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child-reference":
        child_reference(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "--child":
        sys.path.insert(0, str(ROOT))
        child(sys.argv[2])
    else:
        main()

"""make bench-pages: every main page and fragment at 50, 500 and 5,000 SKUs against the Django admin, in one run.

A PostgreSQL database of its own (bench_pages on 127.0.0.1:5432, created and dropped here; BENCH_PG_URL changes the
server) is filled with bulk_create: per SKU 2 garment images, 2 tasks and 4 outputs (2 approved, 2 awaiting review),
plus 500 fashion models and 500 poses. gunicorn (2 workers, DEBUG off) serves it. At each size, for every page and
the admin changelists of SKU, Task and TaskOutput on the same rows, the bench prints the queries one request makes,
the p50 and the requests per second at 4 connections; pages are interleaved in rounds, so each ratio is measured in
the same minutes. Then the export zip: time to first byte and the serving worker's peak RSS. At 5,000 SKUs it prints
the EXPLAIN of the queries the new indexes serve. Last line, one JSON object:

- min_ratio_to_admin: the smallest page req/s ÷ admin SKU changelist req/s, at 5,000 SKUs (target ≥ 1.0);
- max_growth: the largest page p50 at 5,000 ÷ its p50 at 50 (target ≤ 1.5);
- export_rss_growth: the export worker's peak RSS at 5,000 SKUs ÷ at 50 (target ≤ 1.2);
- export_first_byte_s: the export's time to first byte at 5,000 SKUs (target ≤ 0.5).

The export is the streamed one (STUDIO_EXPORT_BACKGROUND_FILES is raised for the bench; in production a zip above
it runs as a background job).
"""
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "50,500,5000").split(",")]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))
PER_CONNECTION = int(os.environ.get("BENCH_PER_CONNECTION", 2))  # requests per connection per round
CONNECTIONS = 4
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("BENCH_DB_NAME", "bench_pages")
PORT = int(os.environ.get("BENCH_PORT", 8731))
ADMIN_SKU = "admin: SKU changelist"


# --- the child: Django in this process ------------------------------------------------------------------------------
def child(command: str, arg: str, state_path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
    import django

    django.setup()
    {"populate": populate, "queries": count_queries, "explain": explain}[command](arg, state_path)


def _files(media: Path) -> dict:
    """One garment image and one output image on disk, shared by every row (the bench measures pages, not disks)."""
    import io

    from PIL import Image

    names = {"garment": "garments/bench/garment.png", "output": "outputs/bench/output.jpg",
             "model": "models/bench/model.png"}
    for key, name in names.items():
        path = media / name
        path.parent.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        img = Image.effect_noise((200, 300), 60).convert("RGB")
        img.save(buf, "JPEG" if name.endswith(".jpg") else "PNG", **({"quality": 85} if name.endswith(".jpg") else {}))
        path.write_bytes(buf.getvalue())
    return names


def _setup_world(state_path: Path) -> dict:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    from catalog.models import FashionModel, ModelImage, Pose, Program, Project
    from generations.models import Vendor, VendorAccount
    from studio.models import Membership, Role, Team
    from studio.tenancy import SESSION_KEY

    files = _files(Path(settings.MEDIA_ROOT))
    team = Team.objects.create(name="Bench Studio", slug="bench-studio")
    user = get_user_model().objects.create_superuser("bench-admin", "bench@example.com", "x" * 20)
    Membership.objects.create(user=user, team=team, role=Role.ADMIN)
    program = Program.objects.create(team=team, name="Bench Brand")
    project = Project.objects.create(program=program, name="Season")
    account = VendorAccount.objects.create(team=team, vendor=Vendor.SANDBOX, name="Sandbox")
    models = FashionModel.objects.bulk_create([FashionModel(program=program, name=f"Model {i:03d}")
                                               for i in range(500)])
    ModelImage.objects.bulk_create([ModelImage(fashion_model=m, image=files["model"], width=200, height=300)
                                    for m in models])
    Pose.objects.bulk_create([Pose(program=program, name=f"Pose {i:03d}", prompt="standing") for i in range(500)])
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session[SESSION_KEY] = team.pk
    session.create()
    state = {"team": team.pk, "user": user.pk, "program": program.pk, "project": project.pk, "account": account.pk,
             "model_image": ModelImage.objects.filter(fashion_model__program=program).first().pk,
             "cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}", "files": files, "skus": 0}
    state_path.write_text(json.dumps(state))
    return state


def populate(arg: str, state_path: Path) -> None:
    """Grow the project to `arg` SKUs: per SKU 2 garment images, 2 tasks (one approved, one awaiting review) with
    2 outputs each; tasks in batches of 100 SKUs with their counters; one output in 8 held by the NSFW gate. That
    rate fills the moderation lane's first page (24) already at 50 SKUs, so its growth measures the data (2,500 held
    at 5,000 SKUs), not an empty page at 50 filling up at 5,000 (one in 1,000 left it empty at 50)."""
    from decimal import Decimal

    from django.db import transaction
    from django.db.models import Count
    from django.utils import timezone

    from catalog.models import SKU, GarmentImage, Project, SKUStatus
    from generations import batch_counts
    from generations.models import Batch, Task, TaskOutput, TaskStatus as S

    state = json.loads(state_path.read_text()) if state_path.exists() else _setup_world(state_path)
    target, have = int(arg), state["skus"]
    files = state["files"]
    project = Project.objects.get(pk=state["project"])
    step = 100
    with transaction.atomic():
        for start in range(have, target, step):
            codes = range(start, min(start + step, target))
            batch = Batch.objects.create(project=project, form_token=f"bench-{start}", label=f"Try-on · {len(codes)} SKUs")
            skus = SKU.objects.bulk_create([SKU(project=project, code=f"SKU-{i:05d}", status=SKUStatus.REVIEWING_PENDING)
                                            for i in codes])
            GarmentImage.objects.bulk_create([
                GarmentImage(sku=sku, image=files["garment"], width=200, height=300, checksum=f"{sku.pk}-{view}",
                             view=view, original_name=f"{sku.code}-{view}.png")
                for sku in skus for view in ("front", "back")])
            now = timezone.now()
            tasks = Task.objects.bulk_create([
                Task(team_id=state["team"], sku=sku, batch=batch, account_id=state["account"], status=status,
                     model_image_id=state["model_image"], prompt="white studio, full body", num_outputs=2,
                     estimated_credits=Decimal(2), charged_credits=Decimal(2), step="done", submitted_at=now,
                     finished_at=now)
                for sku in skus for status in (S.REVIEW_APPROVED, S.REVIEW_SUBMITTED)])
            garments = {g.sku_id: g for g in GarmentImage.objects.filter(sku__in=skus, view="front")}
            Task.garment_images.through.objects.bulk_create([
                Task.garment_images.through(task_id=t.pk, garmentimage_id=garments[t.sku_id].pk) for t in tasks])
            TaskOutput.objects.bulk_create([
                TaskOutput(task=t, file=files["output"], thumbnail=files["output"], width=200, height=300,
                           size_bytes=1, review_status=t.status, vendor_result_id=f"{t.pk}-{n}",
                           flagged=(t.pk * 2 + n) % 8 == 0)
                for t in tasks for n in range(2)])
            batch_counts.recount(batch)
        state["skus"] = max(have, target)
    state_path.write_text(json.dumps(state))
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # fresh statistics, as autovacuum would have them
    counts = Task.objects.filter(sku__project=project).aggregate(n=Count("pk"))
    print(f"  populated: {state['skus']} SKUs, {counts['n']} tasks, "
          f"{TaskOutput.objects.filter(task__sku__project=project).count()} outputs", flush=True)


def urls(state: dict) -> dict[str, tuple[str, bool]]:
    """Page name -> (path, is an htmx fragment)."""
    from django.urls import reverse

    from catalog.models import SKU
    from generations.models import Batch, Task

    project, program = state["project"], state["program"]
    sku = SKU.objects.filter(project_id=project).order_by("code").first()
    task = Task.objects.filter(sku=sku).order_by("pk").first()
    batch = Batch.objects.filter(project_id=project).order_by("-created_at").first()
    return {
        "dashboard": (reverse("dashboard"), False),
        "program": (reverse("program_detail", args=[program]), False),
        "project": (reverse("project_detail", args=[project]), False),
        "sku": (reverse("sku_detail", args=[sku.pk]), False),
        "generate form": (reverse("generate", args=[project]), False),
        "bulk generate form": (reverse("bulk_generate", args=[project]), False),
        "review board": (reverse("review_board", args=[project]), False),
        "review board page 50": (reverse("review_board", args=[project]) + "?page=50", False),
        "client board": (reverse("client_board", args=[project]), False),
        "moderation lane": (reverse("moderation_lane", args=[project]), False),
        "model gallery": (reverse("model_gallery", args=[program]), False),
        "pose library": (reverse("pose_library", args=[program]), False),
        "comparisons": (reverse("project_comparisons", args=[project]), False),
        "comparison form": (reverse("comparison_new", args=[project]), False),
        "accounts": (reverse("account_list"), False),
        "batches fragment": (reverse("project_batches", args=[project]), True),
        "spend fragment": (reverse("project_spend", args=[project]), True),
        "batch panel": (reverse("batch_panel", args=[batch.pk]), True),
        "sku tasks fragment": (reverse("sku_tasks", args=[sku.pk]), True),
        "task card": (reverse("task_card", args=[task.pk]), True),
        ADMIN_SKU: ("/admin/catalog/sku/", False),
        "admin: Task changelist": ("/admin/generations/task/", False),
        "admin: TaskOutput changelist": ("/admin/generations/taskoutput/", False),
    }


def count_queries(arg: str, state_path: Path) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from studio.tenancy import SESSION_KEY

    state = json.loads(state_path.read_text())
    client = Client()
    client.force_login(get_user_model().objects.get(pk=state["user"]))
    session = client.session
    session[SESSION_KEY] = state["team"]
    session.save()
    out = {}
    for name, (path, fragment) in urls(state).items():
        headers = {"HX-Request": "true"} if fragment else {}
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path, headers=headers)
        out[name] = {"path": path, "fragment": fragment, "queries": len(ctx), "status": response.status_code}
    print(json.dumps(out))


def explain(arg: str, state_path: Path) -> None:
    """The plans of the queries the scale indexes (migration 0007_scale_indexes) serve, at the largest size."""

    from catalog.models import Project
    from generations.models import Batch, Task, TaskOutput, TaskStatus as S
    from studio.models import Team

    state = json.loads(state_path.read_text())
    team, project = Team.objects.get(pk=state["team"]), Project.objects.get(pk=state["project"])
    queries = {
        "held count (partial index output_flagged)":
            TaskOutput.objects.filter(task__sku__project=project, flagged=True),
        "dashboard recent tasks (task_updated_at)":
            Task.objects.for_team(team).select_related("sku", "sku__project", "account").order_by("-updated_at")[:15],
        "review board awaiting count (existing review_status index)":
            TaskOutput.objects.filter(task__sku__project=project, review_status=S.REVIEW_SUBMITTED, flagged=False),
        "held for a person in a batch (task_needs_attention)":
            Task.objects.filter(batch=Batch.objects.filter(project=project).first(), needs_attention=True),
        "batch tasks a worker started paying for (existing status index)":
            Task.objects.filter(batch=Batch.objects.filter(project=project).first(), status=S.TASK_CREATED)
            .exclude(attempt_key=""),
    }
    for label, qs in queries.items():
        if hasattr(qs, "explain"):
            print(f"EXPLAIN {label}")
            print("  " + qs.explain(analyze=True).replace("\n", "\n  "))


# --- the parent -----------------------------------------------------------------------------------------------------
def env(tmp: Path) -> dict:
    e = dict(os.environ)
    e.update(DATABASE_URL=f"{PG_URL}/{DB_NAME}", DEBUG="0", STUDIO_ENV="development", STUDIO_VAR_DIR=str(tmp / "var"),
             MEDIA_ROOT=str(tmp / "media"), STUDIO_EXPORT_BACKGROUND_FILES="1000000", LOG_LEVEL="WARNING",
             PYTHONPATH=str(ROOT))
    e.pop("STUDIO_TEST_DB_NAME", None)
    return e


def run_child(e: dict, tmp: Path, command: str, arg: str = "") -> str:
    out = subprocess.run([sys.executable, __file__, "--child", command, arg, str(tmp / "state.json")], env=e,
                         cwd=ROOT, check=True, capture_output=True, text=True)
    return out.stdout


def admin_db(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def start_server(e: dict, tmp: Path) -> subprocess.Popen:
    server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "studio.wsgi", "--workers", "2", "--bind",
                               f"127.0.0.1:{PORT}", "--log-level", "warning", "--timeout", "120"],
                              env=e, cwd=ROOT, start_new_session=True)
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            conn.request("GET", "/accounts/login/")
            conn.getresponse().read()
            return server
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def workers(server: subprocess.Popen) -> list[int]:
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


def rss_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return 0


def burst(path: str, fragment: bool, cookie: str, per_connection: int = 0) -> tuple[list[float], float]:
    """PER_CONNECTION requests on each of CONNECTIONS keep-alive connections at once: latencies and wall time."""
    per_connection = per_connection or PER_CONNECTION
    latencies: list[float] = []
    lock = threading.Lock()
    headers = {"Cookie": cookie, **({"HX-Request": "true"} if fragment else {})}

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
        mine = []
        for _ in range(per_connection):
            t0 = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - t0)
            if response.status not in (200, 286):
                raise RuntimeError(f"{path}: HTTP {response.status}")
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - t0


def measure_pages(pages: dict, cookie: str) -> dict:
    for name, info in pages.items():  # warm up every page on both workers
        burst(info["path"], info["fragment"], cookie, per_connection=1)
    lat = {name: [] for name in pages}
    wall = dict.fromkeys(pages, 0.0)
    for _ in range(ROUNDS):
        for name, info in pages.items():
            got, seconds = burst(info["path"], info["fragment"], cookie)
            lat[name].extend(got)
            wall[name] += seconds
    return {name: {"queries": pages[name]["queries"], "p50_ms": 1000 * statistics.median(lat[name]),
                   "rps": len(lat[name]) / wall[name]} for name in pages}


def measure_export(server: subprocess.Popen, state: dict, cookie: str) -> dict:
    path = f"/projects/{state['project']}/export.zip"
    before = {pid: rss_kb(pid, "VmHWM") for pid in workers(server)}
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=600)
    t0 = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": cookie})
    response = conn.getresponse()
    response.read(1)
    first_byte = time.perf_counter() - t0
    size = 1
    while chunk := response.read(1 << 20):
        size += len(chunk)
    total = time.perf_counter() - t0
    peaks = {pid: rss_kb(pid, "VmHWM") for pid in workers(server)}
    served = max(peaks, key=lambda pid: peaks[pid] - before.get(pid, 0))
    return {"first_byte_s": first_byte, "seconds": total, "mb": size / 1e6, "peak_rss_mb": peaks[served] / 1024}


def main() -> None:
    started = time.time()
    tmp = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    e = env(tmp)
    admin_db(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
    admin_db(f'CREATE DATABASE "{DB_NAME}"')
    results, exports = {}, {}
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env=e, cwd=ROOT, check=True)
        for size in SIZES:
            print(f"== {size} SKUs", flush=True)
            print(run_child(e, tmp, "populate", str(size)), end="", flush=True)
            pages = json.loads(run_child(e, tmp, "queries"))
            state = json.loads((tmp / "state.json").read_text())
            server = start_server(e, tmp)
            try:
                results[size] = measure_pages(pages, state["cookie"])
            finally:
                stop_server(server)
            server = start_server(e, tmp)  # fresh workers: the peak RSS is the export's own, not a page's
            try:
                exports[size] = measure_export(server, state, state["cookie"])
            finally:
                stop_server(server)
            admin = results[size][ADMIN_SKU]["rps"]
            print(f"  {'page':32} {'queries':>7} {'p50 ms':>8} {'req/s':>7} {'÷ admin':>8}")
            for name, r in results[size].items():
                print(f"  {name:32} {r['queries']:>7} {r['p50_ms']:>8.1f} {r['rps']:>7.1f} {r['rps'] / admin:>8.2f}")
            x = exports[size]
            print(f"  export zip: first byte {x['first_byte_s']:.3f} s, {x['mb']:.0f} MB in {x['seconds']:.1f} s, "
                  f"worker peak RSS {x['peak_rss_mb']:.0f} MB", flush=True)
        print(run_child(e, tmp, "explain"), end="", flush=True)
    finally:
        admin_db(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    small, large = SIZES[0], SIZES[-1]
    studio_pages = [n for n in results[large] if not n.startswith("admin:")]
    admin = results[large][ADMIN_SKU]["rps"]
    ratios = {n: results[large][n]["rps"] / admin for n in studio_pages}
    growth = {n: results[large][n]["p50_ms"] / results[small][n]["p50_ms"] for n in studio_pages}
    worst_ratio = sorted(ratios, key=ratios.get)[:4]
    worst_growth = sorted(growth, key=growth.get, reverse=True)[:4]
    print(f"lowest req/s ÷ admin at {large}: " + ", ".join(f"{n} {ratios[n]:.2f}" for n in worst_ratio))
    print(f"most p50 growth {small}→{large}: " + ", ".join(f"{n} {growth[n]:.2f}" for n in worst_growth))
    print(f"{time.time() - started:.0f} s in all")
    print(json.dumps({
        "min_ratio_to_admin": round(min(ratios.values()), 2),
        "max_growth": round(max(growth.values()), 2),
        "export_rss_growth": round(exports[large]["peak_rss_mb"] / exports[small]["peak_rss_mb"], 2),
        "export_first_byte_s": round(exports[large]["first_byte_s"], 3),
    }))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], Path(sys.argv[4]))
    else:
        main()

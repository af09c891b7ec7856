"""make bench-orchestration: 200 Huhu try-on tasks through the engine, two real worker processes, the fake Huhu
(in this process) with a fixed generation latency and concurrent_requests = 10.

Measures the makespan against the ideal ceil(tasks / 10) × latency, Huhu-side peak concurrency and 429s (limit
violations), and vendor calls per task (every API call except the unpaid uploads: POST /project/upload and
/project/complete_multipart_upload; output downloads are not API calls). In the same run a naive client drives a
sample of tasks one at a time the way the vendor's examples do (submit, poll GET /task every 5 s, read the detail),
and its per-task time is scaled to the same number of tasks.

Database and broker: DATABASE_URL (PostgreSQL: a fresh `bench_orchestration` database is created on that server)
and CELERY_BROKER_URL (Redis: that db is flushed) when set, else PostgreSQL and Redis (db 14) on 127.0.0.1 when they
listen there; otherwise SQLite and the filesystem broker in a temporary folder. Knobs: BENCH_TASKS (200), BENCH_LATENCY (9.0 s), BENCH_POLL (engine and naive poll interval, 0.5 s),
BENCH_WORKER_CONCURRENCY (4 per worker), BENCH_NAIVE_SAMPLE (5). Last line: one JSON object.
Targets: utilization ≥ 0.90, zero limit violations, ≤ 3 vendor calls per task, zero pace violations (the same
request again within the compressed 5 s gap, i.e. BENCH_POLL seconds).
"""
from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

TASKS = int(os.environ.get("BENCH_TASKS", 200))
LIMIT = 10
# Huhu's own timing, compressed tenfold so the run takes minutes: a try-on "typically completes in ~90 seconds"
# (001 POST /task/generate) and the documents ask to "poll /task every 5-10 seconds, not faster" (000 Best
# Practices) -> a 9 s generation and a 0.5 s poll interval. Compressing only the latency (say to 2 s with a 0.5 s
# poll) would make the poll interval a quarter of a generation instead of an eighteenth; BENCH_LATENCY=2 runs it.
LATENCY = float(os.environ.get("BENCH_LATENCY", 9.0))
POLL = float(os.environ.get("BENCH_POLL", 0.5))
WORKER_CONCURRENCY = int(os.environ.get("BENCH_WORKER_CONCURRENCY", 4))
NAIVE_SAMPLE = int(os.environ.get("BENCH_NAIVE_SAMPLE", 5))
NAIVE_POLL = POLL  # 000 "Poll gently — Check /task every 5-10 seconds", compressed like the latency
UNPAID_UPLOADS = ("/project/upload", "/project/complete_multipart_upload")


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def configure_environment(tmp: Path, fake_origin: str) -> None:
    # Production's stack when this machine runs it (PostgreSQL, Redis), as the studio is deployed: kombu's
    # filesystem transport is for the single-worker `make run`, and two workers polling one folder can read a
    # message file before its writer has filled it (the worker then stops on a JSON error).
    if not os.environ.get("DATABASE_URL") and _listening(5432):
        os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/postgres"
    if not os.environ.get("CELERY_BROKER_URL") and _listening(6379):
        os.environ["CELERY_BROKER_URL"] = "redis://127.0.0.1:6379/14"
    database = os.environ.get("DATABASE_URL", "")
    if database.startswith("postgres"):
        import psycopg

        parts = urlsplit(database)
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS bench_orchestration WITH (FORCE)")
            conn.execute("CREATE DATABASE bench_orchestration")
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path="/bench_orchestration"))
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if broker.startswith("redis"):
        import redis

        redis.Redis.from_url(broker).flushdb()
    else:
        os.environ["CELERY_BROKER_URL"] = "filesystem://"
        os.environ["STUDIO_BROKER_DIR"] = str(tmp / "broker")
    host_port = urlsplit(fake_origin).netloc
    os.environ.update(DJANGO_SETTINGS_MODULE="studio.settings", MEDIA_ROOT=str(tmp / "media"),
                      STUDIO_VAR_DIR=str(tmp / "var"), STUDIO_FETCH_ALLOW_HOSTS=host_port, STUDIO_VENDOR_ALLOW_HOSTS=host_port,
                      STUDIO_LEASE_SECONDS="30", LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "WARNING"))


def build_tasks(fake, n: int):
    from generations.models import Vendor
    from tests.factories import (FashionModelFactory, GarmentImageFactory, ModelImageFactory, ProjectFactory,
                                 SKUFactory, TaskFactory, VendorAccountFactory)

    project = ProjectFactory()
    account = VendorAccountFactory(team=project.program.team, vendor=Vendor.HUHU, base_url=fake.url,
                                   concurrency_limit=LIMIT, settings={"poll_interval_seconds": POLL,
                                                                      "poll_min_gap_seconds": POLL,
                                                                      "sku_poll_seconds": 1.0})
    account.set_api_key(fake.api_key)
    account.save()
    model_image = ModelImageFactory(fashion_model=FashionModelFactory(program=project.program))
    tasks = []
    for i in range(n):
        sku = SKUFactory(project=project, code=f"BENCH-{i:04d}")
        garment = GarmentImageFactory(sku=sku, view="front")
        task = TaskFactory(sku=sku, account=account, team=account.team, model_image=model_image, prompt="")
        task.garment_images.add(garment)
        tasks.append(task)
    return tasks


def start_worker(tmp: Path, index: int) -> subprocess.Popen:
    log = open(tmp / f"worker{index}.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "studio", "worker", "-Q", "vendor,media", "-c",
         str(WORKER_CONCURRENCY), "-n", f"bench{index}@%h", "-l", os.environ.get("BENCH_LOG_LEVEL", "WARNING"), "--without-gossip",
         "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    proc.log_path = tmp / f"worker{index}.log"
    return proc


def stop_workers(procs) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def run_engine(fake, tasks) -> dict:
    from django.db import transaction

    from generations.engine import limits
    from generations.engine import runs
    from generations.models import Task

    ids = [t.pk for t in tasks]
    started = time.monotonic()
    fake.launched_at = time.time()
    with transaction.atomic():  # what launch_generation does once its tasks exist
        limits.admit(tasks[0].account_id, ids)
    last_sweep, deadline = started, started + 900
    while time.monotonic() < deadline:
        steps = list(Task.objects.filter(pk__in=ids).values_list("step", flat=True))
        if all(s in ("done", "hold") for s in steps):
            break
        if time.monotonic() - last_sweep > 10:  # stands in for beat
            runs.sweep()
            last_sweep = time.monotonic()
        time.sleep(0.1)
    makespan = time.monotonic() - started
    done = Task.objects.filter(pk__in=ids, step="done", status="Review submitted").count()
    return {"makespan_s": makespan, "completed": done}


def api_calls(fake, since: int = 0) -> int:
    return sum(1 for r in fake.requests[since:] if not r.path.endswith(UNPAID_UPLOADS))


def run_naive(fake, n: int) -> float:
    """One task at a time, as the vendor's Workflow D reads: create, find, set model_image, generate, poll every
    5 s, fetch the detail and the image. SKUs are uploaded first (untimed), like the engine's groundwork."""
    import io
    import zipfile

    import httpx

    from tests.factories import image_bytes

    key = fake.add_team(credits=10**6, concurrent_requests=LIMIT)
    api = httpx.Client(base_url=fake.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    project = api.post("/project", json={"project_name": "naive"}).json()["project_id"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for i in range(n):
            archive.writestr(f"NAIVE-{i}/front_top.png", image_bytes())
    data = buf.getvalue()
    init = api.post("/project/upload", json={"project_id": project, "file_type": "sku_zip", "file_size": len(data)})
    init = init.json()
    etag = httpx.put(init["upload_urls"][0], content=data).headers["ETag"]
    api.post("/project/complete_multipart_upload", json={"project_id": project, "key": init["key"],
                                                         "upload_id": init["upload_id"],
                                                         "parts": [{"PartNumber": 1, "ETag": etag}]})
    skus = api.get("/sku", params={"project_id": project}).json()["skus"]
    started = time.monotonic()
    for sku in skus:
        api.post("/task", json={"project_id": project, "sku_ids": [sku["sku_id"]]})
        groups = api.get("/task").json()["skus"]
        task_id = next(t["task_id"] for g in groups if g.get("sku_id") == sku["sku_id"] for t in g["tasks"])
        api.put("/task", json={"project_id": project, "sku_id": sku["sku_id"], "task_id": task_id,
                               "model_image": "assets/model_images/naive.png"})
        api.post("/task/generate", json={"project_id": project, "task_ids": [task_id], "num_output_images": 1})
        while True:
            time.sleep(NAIVE_POLL)
            groups = api.get("/task").json()["skus"]
            status = next(t["task_status"] for g in groups for t in g["tasks"] if t["task_id"] == task_id)
            if status in ("Generation completed", "Generation failed"):
                break
        detail = api.get("/task", params={"project_id": project, "sku_id": sku["sku_id"], "task_id": task_id})
        httpx.get(detail.json()["output"][0]["image_url"])
    api.close()
    return (time.monotonic() - started) / max(1, len(skus))


def main() -> None:
    from tests.vendors.huhu.fake import FakeHuhu

    tmp = Path(tempfile.mkdtemp(prefix="bench-orch-"))
    print(f"work folder (worker logs): {tmp}")
    # Huhu's 5 s pace, compressed like its timing: the same request again within POLL seconds is a violation.
    fake = FakeHuhu(latency=LATENCY, credits=10**6, concurrent_requests=LIMIT, min_gap=POLL).start()
    configure_environment(tmp, fake.origin)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    tasks = build_tasks(fake, TASKS)
    workers = [start_worker(tmp, i) for i in range(2)]
    time.sleep(6)  # both workers connected to the broker
    try:
        engine = run_engine(fake, tasks)
    finally:
        stop_workers(workers)
    calls = api_calls(fake)
    pace_violations = len(fake.pace_violations)  # the engine's, before the naive client runs
    naive_per_task = run_naive(fake, NAIVE_SAMPLE)
    fake.stop()

    ideal = math.ceil(TASKS / LIMIT) * LATENCY
    result = {
        "tasks": TASKS,
        "makespan_s": round(engine["makespan_s"], 2),
        "ideal_s": round(ideal, 2),
        "utilization": round(ideal / engine["makespan_s"], 3),
        "peak_concurrency": fake.peak_in_flight,
        "limit_violations": fake.rejected_429,
        "pace_violations": pace_violations,
        "vendor_calls_per_task": round(calls / TASKS, 2),
        "naive_makespan_s": round(naive_per_task * TASKS, 1),
    }
    print(f"completed {engine['completed']}/{TASKS} try-on tasks with 2 workers × {WORKER_CONCURRENCY} processes, "
          f"concurrent_requests={LIMIT}, generation latency {LATENCY:g} s, engine poll interval {POLL:g} s")
    print(f"makespan {engine['makespan_s']:.1f} s vs ideal {ideal:.1f} s; Huhu-side peak in flight "
          f"{fake.peak_in_flight}; 429 answers {fake.rejected_429}; paid generations {sum(fake.paid.values())}")
    by_route = {}
    for r in fake.requests:
        if not r.path.endswith(UNPAID_UPLOADS):
            name = f"{r.method} {r.path.split('/v1', 1)[-1]}{'?detail' if 'task_id' in r.query else ''}"
            by_route[name] = by_route.get(name, 0) + 1
    print("API calls by route: " + ", ".join(f"{k}={v}" for k, v in sorted(by_route.items())))
    paced = {}
    for v in fake.pace_violations[:pace_violations]:
        paced[f"{v['method']} {v['path']}"] = paced.get(f"{v['method']} {v['path']}", 0) + 1
    print("pace violations by route: " + (", ".join(f"{k}={n}" for k, n in sorted(paced.items())) or "none"))
    starts = sorted(g.started - fake.launched_at for g in fake.generations)[:TASKS]
    print("generation starts (s after launch): " + " ".join(f"{s:.1f}" for s in starts))
    print(f"naive client: {naive_per_task:.1f} s per task over a sample of {NAIVE_SAMPLE}, scaled to {TASKS}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()

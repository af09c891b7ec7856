"""make bench-api: the API against the pages' own views, doing the same work in the same run.

1. Launching 1,000 generations (one SKU each, sandbox account): 1,000 `POST /api/v1/generations/` with an
   Idempotency-Key, against 1,000 POSTs of the generate page's form.
2. Listing 5,000 SKUs page by page: the API's cursor pages (50 a page) against the project page's grid pages (50 a
   page).
Both go through Django's test client in this one process (no network, no server), on a fresh SQLite database in a
temporary folder; queueing the engine is replaced by a no-op in both, so the numbers are the request path only.
Prints requests/s for each and the ratio API / pages. Last line: one JSON object. Target: ratios ≥ 0.5.
"""
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAUNCHES = int(os.environ.get("BENCH_LAUNCHES", 1000))
SKUS = int(os.environ.get("BENCH_SKUS", 5000))


def setup(work: Path):
    os.environ.update(DJANGO_SETTINGS_MODULE="studio.settings", STUDIO_VAR_DIR=str(work),
                      DATABASE_URL=f"sqlite:///{work / 'bench.sqlite3'}", MEDIA_ROOT=str(work / "media"),
                      STUDIO_API_RATE="1000000/min", STUDIO_BROKER_DIR=str(work / "broker"), LOG_LEVEL="WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from generations.engine import queue

    queue.queue_advance = lambda task_id, countdown=0: True  # the request path only, in both


def world():
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from api import keys
    from catalog.models import SKU, GarmentImage, Program, Project
    from generations.models import VendorAccount
    from studio.models import Membership, Role, Team
    from django.contrib.auth import get_user_model
    from tests.factories import image_bytes

    team = Team.objects.create(name="Bench", slug="bench")
    user = get_user_model().objects.create_user("bench-admin", password="bench-pass-123")
    Membership.objects.create(user=user, team=team, role=Role.ADMIN)
    program = Program.objects.create(team=team, name="Bench brand")
    listing = Project.objects.create(program=program, name="Listing")
    launching = Project.objects.create(program=program, name="Launching")
    SKU.objects.bulk_create(SKU(project=listing, code=f"L-{n:05d}") for n in range(SKUS))
    skus = SKU.objects.bulk_create(SKU(project=launching, code=f"G-{n:05d}") for n in range(2 * LAUNCHES))
    name = default_storage.save("garments/bench.png", ContentFile(image_bytes()))
    GarmentImage.objects.bulk_create(GarmentImage(sku=s, image=name, checksum=f"{s.pk:064x}", width=64, height=96)
                                     for s in skus)
    account = VendorAccount.objects.create(team=team, vendor="sandbox", name="Sandbox")
    _, key = keys.create_key(team, user, name="bench", role=Role.ADMIN, scope="full")
    skus = list(SKU.objects.filter(project=launching).order_by("pk").values_list("pk", flat=True))
    return user, key, listing, launching, account, skus[:LAUNCHES], skus[LAUNCHES:]


def timed(label, fn, count) -> float:
    started = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - started
    rate = count / elapsed
    print(f"{label:<34} {count:>6} requests in {elapsed:6.2f} s = {rate:8.1f} req/s", flush=True)
    return rate


def main():
    work = Path(tempfile.mkdtemp(prefix="bench-api-"))
    setup(work)
    from django.test import Client
    from django.urls import reverse

    from generations.models import Batch

    user, key, listing, launching, account, api_skus, page_skus = world()
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    pages = Client()
    pages.force_login(user)

    def api_launches():
        for n, sku in enumerate(api_skus):
            r = api.post("/api/v1/generations/", {"project": launching.pk, "skus": [sku], "account": account.pk,
                                                  "operation": "try_on", "num_outputs": 1},
                         content_type="application/json", HTTP_IDEMPOTENCY_KEY=f"bench-{n}")
            assert r.status_code == 201, r.content[:300]

    def page_launches():
        url = reverse("generate", args=[launching.pk])
        for n, sku in enumerate(page_skus):
            r = pages.post(url, {"form_token": f"page-{n}", "skus": [sku], "account": account.pk,
                                 "operation": "try_on", "num_outputs": 1})
            assert r.status_code in (200, 302), r.status_code

    def api_listing():
        url, n = f"/api/v1/skus/?project={listing.pk}", 0
        while url:
            body = api.get(url).json()
            n += len(body["results"])
            url = body["next"]
        assert n == SKUS, n

    def page_listing():
        url = reverse("project_detail", args=[listing.pk])
        for page in range(1, SKUS // 50 + 1):
            assert pages.get(f"{url}?page={page}", HTTP_HX_REQUEST="true").status_code == 200

    api_launch = timed("API launch (1 SKU each)", api_launches, LAUNCHES)
    page_launch = timed("generate page launch (1 SKU each)", page_launches, LAUNCHES)
    assert Batch.objects.count() == 2 * LAUNCHES, Batch.objects.count()
    list_requests = SKUS // 50
    api_list = timed("API SKU list, cursor pages of 50", api_listing, list_requests)
    page_list = timed("project page grid, pages of 50", page_listing, list_requests)
    result = {"launches": LAUNCHES, "skus_listed": SKUS,
              "api_launch_rps": round(api_launch, 1), "pages_launch_rps": round(page_launch, 1),
              "launch_ratio": round(api_launch / page_launch, 2),
              "api_list_rps": round(api_list, 1), "pages_list_rps": round(page_list, 1),
              "list_ratio": round(api_list / page_list, 2)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()

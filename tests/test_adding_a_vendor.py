"""docs/adding-a-vendor.md, checked: a vendor package that lives outside generations/ (tests/example_vendor/) is
registered, and the studio drives it through the engine, shows its panel on the SKU page, and routes its webhook —
with no core module naming it."""
import hashlib
import hmac
import importlib
import json
import time

import pytest
from django.urls import clear_url_caches, reverse

from generations.engine import runs, webhooks
from generations.models import AccountState, Task, TaskStatus, WebhookEvent
from generations.vendors import registry
from studio.models import Role
from tests import factories as f
from tests.example_vendor.adapter import JOBS, AtelierAdapter

pytestmark = pytest.mark.django_db


def _reload_urls():
    import generations.urls
    import studio.urls

    importlib.reload(generations.urls)
    importlib.reload(studio.urls)
    clear_url_caches()


@pytest.fixture
def atelier():
    """Register the package as settings.STUDIO_VENDORS would, and mount its urls (the URLconf reads the registry)."""
    with registry.registered("atelier", AtelierAdapter):
        _reload_urls()
        try:
            yield AtelierAdapter
        finally:
            JOBS.clear()
            webhooks._VIEWS.pop("atelier", None)
    _reload_urls()


@pytest.fixture
def team():
    return f.TeamFactory()


@pytest.fixture
def account(team):
    account = f.VendorAccountFactory(team=team, vendor="atelier", name="Atelier", state=AccountState.ACTIVE)
    account.set_webhook_secret("whsec-atelier")
    account.save()
    return account


@pytest.fixture
def task(account):
    task = f.TaskFactory(account=account, team=account.team, sku__project__program__team=account.team,
                         operation="try_on")
    task.garment_images.add(f.GarmentImageFactory(sku=task.sku))
    return task


def step(task):
    Task.objects.filter(pk=task.pk).update(next_run_at=None)
    runs.advance(task.pk)
    task.refresh_from_db()


def test_the_engine_drives_a_registered_package_to_stored_outputs(atelier, task):
    for _ in range(10):
        if task.step == "done":
            break
        step(task)
    assert task.status == TaskStatus.REVIEW_SUBMITTED  # its output waits on the review board
    assert task.vendor_task_id in JOBS and len(JOBS) == 1  # one paid call
    output = task.outputs.get()
    assert output.file.size > 0  # copied into our storage


def test_its_panel_reaches_the_sku_page_through_the_registry(atelier, client, account, task):
    client.force_login(f.MembershipFactory(team=account.team, role=Role.CREATIVE).user)
    page = client.get(reverse("sku_detail", args=[task.sku.pk])).content.decode()
    panel_url = reverse("sku_atelier", args=[task.sku.pk])
    assert f'hx-get="{panel_url}"' in page and "Atelier fit notes" in page
    assert 'id="atelier-panel"' in client.get(panel_url).content.decode()

    other = f.SKUFactory()  # another team's SKU: the package's own route answers 404 too
    assert client.get(reverse("sku_atelier", args=[other.pk])).status_code == 404


def test_a_team_without_its_account_sees_no_panel(atelier, client):
    sku = f.SKUFactory()
    client.force_login(f.MembershipFactory(team=sku.project.program.team, role=Role.CREATIVE).user)
    assert "Atelier fit notes" not in client.get(reverse("sku_detail", args=[sku.pk])).content.decode()


def test_its_webhook_route_is_found_and_signed_deliveries_finish_the_job(atelier, client, account, task):
    step(task)  # submitted
    assert task.vendor_task_id
    body = json.dumps({"id": "evt-1", "job": task.vendor_task_id, "status": "done"}).encode()
    stamp = str(int(time.time()))
    signature = hmac.new(b"whsec-atelier", stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    url = reverse("vendor_webhook", kwargs={"vendor": "atelier", "account_token": account.webhook_token})

    forged = client.post(url, body, content_type="application/json", HTTP_X_SIGNATURE="0" * 64,
                         HTTP_X_TIMESTAMP=stamp)
    assert forged.status_code == 403
    answer = client.post(url, body, content_type="application/json", HTTP_X_SIGNATURE=signature,
                         HTTP_X_TIMESTAMP=stamp)
    assert answer.status_code == 200
    assert WebhookEvent.objects.filter(account=account, event_id="evt-1").exists()
    task.refresh_from_db()
    assert task.status == TaskStatus.GENERATION_COMPLETED


def test_an_unregistered_vendor_has_no_webhook_route(client):
    url = reverse("vendor_webhook", kwargs={"vendor": "atelier", "account_token": "whatever"})
    assert client.post(url, b"{}", content_type="application/json").status_code == 404

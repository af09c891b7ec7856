"""Batch progress from per-batch counters (issue 17), and the #16 bugs of the batch panel and the budget.

- Pausing a batch must not freeze its panel: work already at the vendor keeps finishing, and the panel follows it,
  telling "at the vendor" apart from "waiting".
- After a cancel, the project's batch list (bar and badge) and the batch's own panel agree.
- The budget's "committed" is the estimate of the running tasks plus what the ledger charged.
- The fragments cost the same number of queries whatever the number of tasks.
"""
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from generations import batch_counts, batches, lifecycle
from generations.launch import new_form_token
from generations.models import Batch, CreditEntry, CreditKind, Task, TaskStatus as S
from studio.models import Role
from tests import factories as f
from tests.generations.test_review import login, make_studio

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def queued(monkeypatch):
    monkeypatch.setattr("generations.engine.queue.queue_advance", lambda pk, countdown=0: True)


@pytest.fixture
def studio():
    studio = make_studio()
    studio.skus = [studio.sku] + [f.SKUFactory(project=studio.project) for _ in range(3)]
    for sku in studio.skus:
        f.GarmentImageFactory(sku=sku)
    studio.model_image = f.ModelImageFactory(fashion_model__program=studio.project.program)
    return studio


def _launch(studio, skus=None):
    return batches.launch_bulk(user=studio.user(Role.CREATIVE), team=studio.team, skus=skus or studio.skus,
                               account=studio.account, operation="try_on", model_image=studio.model_image,
                               num_outputs=2, form_token=new_form_token())


def _submit(task, vendor_id=""):
    task.refresh_from_db()
    if vendor_id:
        Task.objects.filter(pk=task.pk).update(vendor_task_id=vendor_id)
        task.vendor_task_id = vendor_id
    return lifecycle.transition_task(task, S.TASK_SUBMITTED)


def _counts(html: str) -> str:
    return re.search(r'class="batch-counts">(.*?)</span>', html, re.S).group(1)


def test_a_paused_batch_keeps_following_the_work_at_the_vendor(client, studio):
    batch = _launch(studio)
    first, second, *_ = batch.tasks.order_by("sku__code")
    _submit(first)
    _submit(second)
    login(client, studio, Role.CREATIVE)
    client.post(reverse("batch_pause", args=[batch.pk]), headers=HTMX)

    response = client.get(reverse("batch_panel", args=[batch.pk]), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and 'hx-trigger="every 2s"' in html  # still polling while paused
    assert "2 at the vendor" in _counts(html) and "2 waiting" in _counts(html)

    lifecycle.transition_task(first, S.GENERATION_COMPLETED)
    lifecycle.transition_task(second, S.GENERATION_COMPLETED)
    response = client.get(reverse("batch_panel", args=[batch.pk]), headers=HTMX)
    html = response.content.decode()
    assert "2 done" in _counts(html) and "2 waiting" in _counts(html) and "at the vendor" not in _counts(html)
    assert response.status_code == 286  # only the waiting ones are left, and they wait for a person


def test_the_project_list_keeps_polling_a_paused_batch_with_work_at_the_vendor(client, studio):
    batch = _launch(studio)
    _submit(batch.tasks.order_by("sku__code").first())
    batches.pause(batch)
    login(client, studio, Role.CREATIVE)
    response = client.get(reverse("project_batches", args=[studio.project.pk]), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "1 at the vendor" in html and "3 waiting" in html


def test_after_cancel_the_project_list_and_the_panel_agree(client, studio):
    batch = _launch(studio)
    at_vendor = batch.tasks.order_by("sku__code").first()
    _submit(at_vendor)
    login(client, studio, Role.CREATIVE)
    panel = client.post(reverse("batch_cancel", args=[batch.pk]), headers=HTMX).content.decode()
    listing = client.get(reverse("project_batches", args=[studio.project.pk]), headers=HTMX).content.decode()
    assert "3 cancelled" in _counts(panel) and "3 cancelled" in _counts(listing)
    assert "0 failed" in _counts(listing)  # cancelled is not failed: the red part of the bar stays empty
    assert "bar-failed pct-0" in listing and "bar-cancelled pct-75" in listing
    assert "Cancelled" in listing and "1 at the vendor" in _counts(listing)
    assert 'hx-trigger="every 2s"' in panel  # the task at the vendor still finishes, and the panel follows it


def test_committed_is_the_running_estimate_plus_what_the_ledger_charged(studio):
    batch = _launch(studio)  # 4 tasks × 2 outputs × 1 credit
    never_sent, refunded, finished, running = batch.tasks.order_by("sku__code")
    lifecycle.transition_task(never_sent, S.GENERATION_FAILED, error_message="the garment image is unreadable")
    # The vendor took this one, charged it, failed it and gave the credits back.
    _submit(refunded, "v-refunded")
    for kind in (CreditKind.CHARGE, CreditKind.REFUND):
        CreditEntry.objects.create(team=studio.team, account=studio.account, task=refunded, kind=kind,
                                   credits=2, external_id="v-refunded" if kind == CreditKind.CHARGE else "")
    Task.objects.filter(pk=refunded.pk).update(charged_credits=2)
    refunded.refresh_from_db()
    lifecycle.transition_task(refunded, S.GENERATION_FAILED, error_message="vendor error")
    # This one finished and the vendor charged less than the estimate.
    _submit(finished, "v-finished")
    CreditEntry.objects.create(team=studio.team, account=studio.account, task=finished, kind=CreditKind.CHARGE,
                               credits=Decimal("1.5"), external_id="v-finished")
    Task.objects.filter(pk=finished.pk).update(charged_credits=Decimal("1.5"))
    finished.refresh_from_db()
    lifecycle.transition_task(finished, S.GENERATION_COMPLETED)
    assert running.status == S.TASK_CREATED
    assert batches.committed_credits(studio.project) == Decimal("3.5")  # 1.5 charged + 2 estimated for `running`


def test_the_counters_match_a_recount_after_a_batch_has_moved(studio):
    batch = _launch(studio)
    a, b, c, d = batch.tasks.order_by("sku__code")
    _submit(a)
    lifecycle.transition_task(a, S.GENERATION_COMPLETED)
    _submit(b)
    lifecycle.transition_task(b, S.GENERATION_FAILED, error_message="500")
    batches.retry_failed(batch, studio.user(Role.CREATIVE))
    batches.cancel(batch)
    batch.refresh_from_db()
    kept = {name: getattr(batch, name) for name in (*batch_counts.BUCKETS, "tasks_total", "credits_estimated")}
    batch_counts.recount(batch)
    batch.refresh_from_db()
    assert kept == {name: getattr(batch, name) for name in kept}
    assert (batch.tasks_done, batch.tasks_at_vendor, batch.tasks_cancelled) == (1, 1, 2)


def _grow(studio, batch, n):
    skus = [f.SKUFactory(project=studio.project) for _ in range(n)]
    Task.objects.bulk_create([Task(team=studio.team, sku=sku, batch=batch, account=studio.account,
                                   status=S.REVIEW_SUBMITTED) for sku in skus])


def test_the_batch_fragments_cost_the_same_queries_at_any_size(client, studio):
    batch = _launch(studio)
    login(client, studio, Role.CREATIVE)
    urls = [reverse("project_batches", args=[studio.project.pk]), reverse("batch_panel", args=[batch.pk]),
            reverse("project_spend", args=[studio.project.pk])]

    def cost():
        counts = []
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url, headers=HTMX).status_code in (200, 286)
            counts.append(len(ctx))
        return counts

    small = cost()
    _grow(studio, batch, 60)
    for _ in range(3):
        Batch.objects.create(project=studio.project, form_token=new_form_token())
    assert cost() == small

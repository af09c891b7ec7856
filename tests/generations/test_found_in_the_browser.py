"""Bugs found in the browser (issue 16, "Bugs to fix"): a comparison column with no outputs could win, "Pilot: run
the rest" stayed after the rest had run, /favicon.ico was a 404. (The CSS ones are in tests/browser/.)"""
import re

import pytest
from django.urls import reverse

from generations import batches
from generations.models import Comparison, Task
from studio.models import Role
from tests import factories as f
from tests.generations.test_bulk_views import _launch, _panel, _post, _token
from tests.generations.test_bulk_views import studio as bulk_studio  # noqa: F401 (fixture)
from tests.generations.test_comparison_views import _compare, _finish, _tasks
from tests.generations.test_comparison_views import studio as comparison_studio  # noqa: F401 (fixture)
from tests.generations.test_review import login

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def queued(monkeypatch):
    monkeypatch.setattr("generations.engine.queue.queue_advance", lambda pk, countdown=0: True)


# --- a vendor column with no outputs cannot win ----------------------------------------------------------------------
def test_a_comparison_column_with_no_outputs_cannot_be_marked_the_winner(client, comparison_studio):
    studio = comparison_studio
    comparison = _compare(studio)
    tasks = _tasks(comparison)
    _finish(tasks[studio.account.name], seconds=30, outputs=1)
    _finish(tasks["Second sandbox"], seconds=30, outputs=0)
    login(client, studio, Role.MANAGER)

    page = client.get(reverse("comparison_detail", args=[comparison.pk])).content.decode()
    assert f'data-mark-winner="{tasks[studio.account.name].pk}"' in page
    assert f'data-mark-winner="{tasks["Second sandbox"].pk}"' not in page

    html = client.post(reverse("comparison_winner", args=[comparison.pk]), {"task": tasks["Second sandbox"].pk},
                       headers=HTMX).content.decode()
    assert "has no outputs, so it cannot win" in html
    comparison.refresh_from_db()
    assert comparison.winner_id is None


def test_the_scoreboard_credits_only_a_winner_that_has_outputs(client, comparison_studio):
    studio = comparison_studio
    comparison = _compare(studio)
    tasks = _tasks(comparison)
    _finish(tasks[studio.account.name], seconds=30, outputs=1)
    _finish(tasks["Second sandbox"], seconds=30, outputs=0)
    # A winner recorded before the rule (or by another path) on the empty column.
    Comparison.objects.filter(pk=comparison.pk).update(winner=tasks["Second sandbox"])

    scores = {s.account: s.wins for s in batches.scoreboard(studio.project)}

    assert scores == {studio.account.name: 0, "Second sandbox": 0}


# --- "Pilot: run the rest" --------------------------------------------------------------------------------------------
def test_the_project_batch_list_stops_offering_run_the_rest_once_the_rest_has_run(client, bulk_studio):
    studio = bulk_studio
    pilot = _launch(studio, skus=studio.skus, pilot_size=1)
    login(client, studio, Role.CREATIVE)
    batches_url = reverse("project_batches", args=[studio.project.pk])

    before = client.get(batches_url, headers=HTMX).content.decode()
    assert "Pilot: run the rest" in before

    _post(client, "batch_run_rest", pilot, {"form_token": _token(_panel(client, pilot))})
    after = client.get(batches_url, headers=HTMX).content.decode()

    pilot_row = re.search(rf'data-batch="{pilot.pk}">(.*?)</div>\s*</div>', after, re.S).group(1)
    assert "run the rest" not in pilot_row
    assert Task.objects.filter(batch__pilot_of=pilot).count() == 4


# --- favicon -----------------------------------------------------------------------------------------------------------
def test_favicon_ico_is_an_icon_for_anyone(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body[:4] == b"\x00\x00\x01\x00"  # the ICO header

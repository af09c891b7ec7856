"""The client stage: a client sees only outputs the studio approved (and those the client decided) on every page,
fragment and file URL, and approves or rejects each one."""
import pytest
from django.urls import reverse

from generations import review
from generations.models import TaskStatus
from studio.models import Role
from tests.generations.test_review import login, make_studio, make_task, statuses

S = TaskStatus


@pytest.fixture
def studio(db):
    return make_studio()


@pytest.fixture
def mixed(studio):
    """One task with an approved and a rejected output, one still waiting for review, one flagged approved."""
    decided = make_task(studio)
    approved, rejected = decided.outputs.all()
    manager = studio.user(Role.MANAGER)
    review.approve(approved, manager)
    review.reject(rejected, manager, comment="MANAGER-ONLY-REMARK")
    waiting = make_task(studio, outputs=1)
    return {"task": decided, "approved": approved, "rejected": rejected, "waiting_task": waiting,
            "waiting": waiting.outputs.get()}


def _urls(output):
    return (reverse("output_thumbnail", args=[output.pk]), reverse("output_file", args=[output.pk]))


def test_the_client_board_shows_only_approved_outputs(client, studio, mixed):
    html = login(client, studio, Role.CLIENT).get(reverse("client_board", args=[studio.project.pk])).content.decode()
    assert _urls(mixed["approved"])[0] in html
    for hidden in (mixed["rejected"], mixed["waiting"]):
        assert not any(url in html for url in _urls(hidden))
    assert "1 image approved by the studio." in html
    assert reverse("client_decide", args=[mixed["approved"].pk]) in html


def test_the_sku_fragment_shows_a_client_only_approved_outputs_and_no_manager_remarks(client, studio, mixed):
    html = login(client, studio, Role.CLIENT).get(reverse("sku_tasks", args=[studio.sku.pk]),
                                                  headers={"HX-Request": "true"}).content.decode()
    assert _urls(mixed["approved"])[0] in html
    for hidden in (mixed["rejected"], mixed["waiting"]):
        assert not any(url in html for url in _urls(hidden))
    assert f'id="task-{mixed["waiting_task"].pk}"' not in html  # a task with nothing approved is not shown at all
    assert "MANAGER-ONLY-REMARK" not in html


def test_the_same_fragment_shows_the_creative_everything(client, studio, mixed):
    html = login(client, studio, Role.CREATIVE).get(reverse("sku_tasks", args=[studio.sku.pk])).content.decode()
    for output in (mixed["approved"], mixed["rejected"], mixed["waiting"]):
        assert _urls(output)[0] in html
    assert "MANAGER-ONLY-REMARK" in html


def test_task_cards_are_internal_and_a_403_for_the_client(client, studio, mixed):
    """Task cards carry task statuses and vendors: a client gets the SKU's images instead (issue 16.4)."""
    login(client, studio, Role.CLIENT)
    assert client.get(reverse("task_card", args=[mixed["waiting_task"].pk])).status_code == 403
    assert client.get(reverse("task_card", args=[mixed["task"].pk])).status_code == 403


def test_unapproved_files_are_a_404_for_the_client(client, studio, mixed):
    login(client, studio, Role.CLIENT)
    for hidden in (mixed["rejected"], mixed["waiting"]):
        for url in _urls(hidden):
            assert client.get(url).status_code == 404
    response = client.get(_urls(mixed["approved"])[1])
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_flagged_outputs_stay_hidden_from_the_client_even_when_approved(client, studio, mixed):
    mixed["approved"].__class__.objects.filter(pk=mixed["approved"].pk).update(flagged=True)
    login(client, studio, Role.CLIENT)
    assert client.get(_urls(mixed["approved"])[1]).status_code == 404
    html = client.get(reverse("client_board", args=[studio.project.pk])).content.decode()
    assert _urls(mixed["approved"])[0] not in html


def test_the_client_cannot_open_the_review_board(client, studio, mixed):
    login(client, studio, Role.CLIENT)
    assert client.get(reverse("review_board", args=[studio.project.pk])).status_code == 403


def test_the_client_approves_with_htmx_and_sees_the_decision(client, studio, mixed):
    response = login(client, studio, Role.CLIENT).post(
        reverse("client_decide", args=[mixed["approved"].pk]), {"decision": "approved", "comment": "perfect"},
        headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert '<span class="badge client-status">Approved</span>' in html  # in the client's words
    assert f"Approved {studio.sku.code}." in html
    assert statuses(mixed["task"])[0] == S.CLIENT_APPROVED


def test_the_client_rejects_with_a_comment(client, studio, mixed):
    login(client, studio, Role.CLIENT).post(reverse("client_decide", args=[mixed["approved"].pk]),
                                            {"decision": "rejected", "comment": "logo too small"})
    assert statuses(mixed["task"])[0] == S.CLIENT_REJECTED
    assert mixed["task"].review_events.last().comment == "logo too small"


def test_the_client_cannot_decide_an_unapproved_output(client, studio, mixed):
    login(client, studio, Role.CLIENT)
    response = client.post(reverse("client_decide", args=[mixed["waiting"].pk]), {"decision": "approved"})
    assert response.status_code == 404
    mixed["waiting"].refresh_from_db()
    assert mixed["waiting"].review_status == S.REVIEW_SUBMITTED


def test_the_client_sees_their_own_decisions_and_no_studio_remarks(client, studio, mixed):
    login(client, studio, Role.CLIENT).post(reverse("client_decide", args=[mixed["approved"].pk]),
                                            {"decision": "approved", "comment": "CLIENT-SAYS-YES"})
    html = client.get(reverse("sku_tasks", args=[studio.sku.pk]), headers={"HX-Request": "true"}).content.decode()
    assert "CLIENT-SAYS-YES" in html
    assert "MANAGER-ONLY-REMARK" not in html
    board = client.get(reverse("client_board", args=[studio.project.pk]),
                       {"status": "all", "selected": mixed["approved"].pk}).content.decode()
    assert "CLIENT-SAYS-YES" in board
    assert "MANAGER-ONLY-REMARK" not in board

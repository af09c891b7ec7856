"""Review decisions: what approve, reject, bulk approve and the client's decisions do to outputs, tasks, SKUs and
projects, who may take them, and what the review board shows."""
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from catalog.models import ProjectStatus, SKUStatus
from generations import review
from generations.lifecycle import rollup_sku
from generations.models import Decision, ReviewEvent, ReviewStage, TaskStatus
from studio.models import Role
from tests import factories as f

S = TaskStatus


@dataclass
class Studio:
    team: object
    project: object
    sku: object
    account: object
    users: dict

    def user(self, role):
        return self.users[role]


def make_studio() -> Studio:
    team = f.TeamFactory()
    project = f.ProjectFactory(program=f.ProgramFactory(team=team))
    sku = f.SKUFactory(project=project)
    users = {role: f.MembershipFactory(team=team, role=role, user__username=f"{role}-{team.slug}").user
             for role in Role.values}
    return Studio(team, project, sku, f.VendorAccountFactory(team=team), users)


def make_task(studio: Studio, *, outputs=2, status=S.REVIEW_SUBMITTED, sku=None, output_status=S.REVIEW_SUBMITTED,
              **fields):
    sku = sku or studio.sku
    fields.setdefault("num_outputs", max(outputs, 1))
    task = f.TaskFactory(sku=sku, team=studio.team, account=studio.account, status=status, **fields)
    for _ in range(outputs):
        f.TaskOutputFactory(task=task, review_status=output_status)
    rollup_sku(sku.pk)
    return task


def login(client, studio, role):
    client.force_login(studio.user(role))
    return client


def statuses(task):
    task.refresh_from_db()
    task.sku.refresh_from_db()
    task.sku.project.refresh_from_db()
    return task.status, task.sku.status, task.sku.project.status


@pytest.fixture
def studio(db):
    return make_studio()


# --- The service ----------------------------------------------------------------------------------------------------
def test_approving_one_of_two_outputs_leaves_the_task_in_review(studio):
    task = make_task(studio)
    first, _ = task.outputs.all()
    review.approve(first, studio.user(Role.MANAGER))
    first.refresh_from_db()
    assert first.review_status == S.REVIEW_APPROVED
    assert statuses(task) == (S.REVIEW_IN_PROCESS, SKUStatus.REVIEWING_PENDING, ProjectStatus.IN_PROCESS)


def test_approving_every_output_approves_the_task_and_records_who_did_it(studio):
    task = make_task(studio)
    manager = studio.user(Role.MANAGER)
    for output in task.outputs.all():
        review.approve(output, manager, comment="lovely")
    assert statuses(task) == (S.REVIEW_APPROVED, SKUStatus.REVIEWING_PENDING, ProjectStatus.IN_PROCESS)
    events = list(ReviewEvent.objects.filter(task=task))
    assert [(e.actor, e.stage, e.decision, e.comment) for e in events] == [
        (manager, ReviewStage.REVIEW, Decision.APPROVED, "lovely")] * 2


def test_rejecting_needs_a_comment_and_moves_nothing_without_one(studio):
    task = make_task(studio, outputs=1)
    output = task.outputs.get()
    with pytest.raises(review.ReviewError, match="needs a comment"):
        review.reject(output, studio.user(Role.MANAGER), comment="  ")
    output.refresh_from_db()
    assert output.review_status == S.REVIEW_SUBMITTED
    assert not ReviewEvent.objects.exists()


def test_rejecting_every_output_rejects_the_task_and_the_sku_needs_work_again(studio):
    task = make_task(studio, outputs=1)
    review.reject(task.outputs.get(), studio.user(Role.MANAGER), comment="sleeve is wrong")
    assert statuses(task) == (S.REVIEW_REJECTED, SKUStatus.IN_PROCESS, ProjectStatus.IN_PROCESS)
    assert ReviewEvent.objects.get().comment == "sleeve is wrong"


def test_a_mixed_decision_approves_the_task(studio):
    task = make_task(studio)
    first, second = task.outputs.all()
    manager = studio.user(Role.MANAGER)
    review.approve(first, manager)
    review.reject(second, manager, comment="too dark")
    assert statuses(task)[0] == S.REVIEW_APPROVED


def test_the_first_decision_on_a_completed_generation_submits_it_for_review(studio):
    task = make_task(studio, outputs=1, status=S.GENERATION_COMPLETED)
    review.approve(task.outputs.get(), studio.user(Role.MANAGER))
    assert statuses(task) == (S.REVIEW_APPROVED, SKUStatus.REVIEWING_PENDING, ProjectStatus.IN_PROCESS)


def test_a_task_still_generating_cannot_be_reviewed(studio):
    task = make_task(studio, outputs=1, status=S.GENERATION_IN_PROCESS)
    with pytest.raises(review.ReviewError, match="cannot be reviewed"):
        review.approve(task.outputs.get(), studio.user(Role.MANAGER))
    assert task.outputs.get().review_status == S.REVIEW_SUBMITTED


def test_deciding_twice_on_the_same_output_is_refused(studio):
    task = make_task(studio, outputs=1)
    output = task.outputs.get()
    review.approve(output, studio.user(Role.MANAGER))
    stale = task.outputs.get()
    stale.review_status = S.REVIEW_SUBMITTED  # a second tab that still shows the output as waiting
    with pytest.raises(review.ReviewError):
        review.approve(stale, studio.user(Role.MANAGER))
    assert ReviewEvent.objects.count() == 1


def test_bulk_approve_approves_the_waiting_outputs_and_skips_decided_ones(studio):
    task = make_task(studio, outputs=3)
    outputs = list(task.outputs.all())
    review.reject(outputs[0], studio.user(Role.MANAGER), comment="no")
    approved = review.bulk_approve(task.outputs.all(), studio.user(Role.MANAGER))
    assert approved == 2
    assert sorted(task.outputs.values_list("review_status", flat=True)) == [
        S.REVIEW_APPROVED, S.REVIEW_APPROVED, S.REVIEW_REJECTED]
    assert statuses(task)[0] == S.REVIEW_APPROVED


def test_client_approval_completes_the_task_the_sku_and_the_project(studio):
    task = make_task(studio)
    approved, rejected = task.outputs.all()
    review.approve(approved, studio.user(Role.MANAGER))
    review.reject(rejected, studio.user(Role.MANAGER), comment="crooked hem")
    review.client_approve(approved, studio.user(Role.CLIENT), comment="ship it")
    assert statuses(task) == (S.CLIENT_APPROVED, SKUStatus.COMPLETED, ProjectStatus.COMPLETED)
    event = ReviewEvent.objects.filter(stage=ReviewStage.CLIENT).get()
    assert (event.actor, event.decision, event.comment) == (studio.user(Role.CLIENT), Decision.APPROVED, "ship it")


def test_client_rejection_rejects_the_task(studio):
    task = make_task(studio, outputs=1)
    output = task.outputs.get()
    review.approve(output, studio.user(Role.MANAGER))
    review.client_reject(output, studio.user(Role.CLIENT), comment="wrong colour")
    assert statuses(task) == (S.CLIENT_REJECTED, SKUStatus.IN_PROCESS, ProjectStatus.IN_PROCESS)


def test_the_client_decides_only_after_the_studio_has_decided_every_output(studio):
    task = make_task(studio)
    first, _ = task.outputs.all()
    review.approve(first, studio.user(Role.MANAGER))
    with pytest.raises(review.ReviewError, match="still reviewing"):
        review.client_approve(first, studio.user(Role.CLIENT))
    first.refresh_from_db()
    assert first.review_status == S.REVIEW_APPROVED


def test_the_client_cannot_decide_an_output_the_studio_has_not_approved(studio):
    task = make_task(studio, outputs=1, status=S.REVIEW_APPROVED, output_status=S.REVIEW_REJECTED)
    with pytest.raises(review.ReviewError):
        review.client_approve(task.outputs.get(), studio.user(Role.CLIENT))


# --- The board and its decisions over HTTP ----------------------------------------------------------------------------
def test_the_board_shows_waiting_outputs_with_a_large_view_and_keyboard_hints(client, studio):
    waiting = make_task(studio, outputs=2)
    decided = make_task(studio, outputs=1, status=S.REVIEW_APPROVED, output_status=S.REVIEW_APPROVED)
    flagged = make_task(studio, outputs=1)
    flagged.outputs.update(flagged=True)
    response = login(client, studio, Role.MANAGER).get(reverse("review_board", args=[studio.project.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    for output in waiting.outputs.all():
        assert reverse("output_thumbnail", args=[output.pk]) in html
    assert reverse("output_thumbnail", args=[decided.outputs.get().pk]) not in html
    assert reverse("output_thumbnail", args=[flagged.outputs.get().pk]) not in html
    first = waiting.outputs.first()
    assert reverse("output_file", args=[first.pk]) in html  # the large view of the first output
    assert "2 waiting for review" in html
    assert "<kbd>A</kbd> approve" in html and "<kbd>R</kbd> reject" in html


def test_selecting_an_output_with_htmx_answers_only_the_large_view(client, studio):
    task = make_task(studio)
    second = task.outputs.last()
    response = login(client, studio, Role.MANAGER).get(
        reverse("review_board", args=[studio.project.pk]), {"selected": second.pk},
        headers={"HX-Request": "true", "HX-Target": "review-preview"})
    html = response.content.decode()
    assert html.lstrip().startswith('<aside id="review-preview"')
    assert reverse("review_decide", args=[second.pk]) in html


def test_an_htmx_approval_answers_the_updated_board_with_a_toast(client, studio):
    task = make_task(studio)
    first, second = task.outputs.all()
    response = login(client, studio, Role.MANAGER).post(
        reverse("review_decide", args=[first.pk]), {"decision": "approved", "next": second.pk},
        headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="review-board"')
    assert reverse("output_thumbnail", args=[first.pk]) not in html
    assert f'data-selected="{second.pk}"' in html
    assert f"Approved an output of {studio.sku.code}." in html
    first.refresh_from_db()
    assert first.review_status == S.REVIEW_APPROVED


def test_a_rejection_without_a_comment_shows_why_and_keeps_the_output(client, studio):
    task = make_task(studio, outputs=1)
    output = task.outputs.get()
    response = login(client, studio, Role.MANAGER).post(
        reverse("review_decide", args=[output.pk]), {"decision": "rejected", "comment": ""},
        headers={"HX-Request": "true"})
    assert "a rejection needs a comment" in response.content.decode()
    output.refresh_from_db()
    assert output.review_status == S.REVIEW_SUBMITTED


def test_a_rejection_with_a_comment_without_javascript_redirects_to_the_board(client, studio):
    task = make_task(studio, outputs=1)
    output = task.outputs.get()
    response = login(client, studio, Role.MANAGER).post(
        reverse("review_decide", args=[output.pk]), {"decision": "rejected", "comment": "wrinkled", "page": "1"},
        follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("review_board", args=[studio.project.pk]))
    assert "Nothing is waiting for review" in response.content.decode()
    assert statuses(task)[0] == S.REVIEW_REJECTED


def test_bulk_approve_over_http_approves_the_ticked_outputs(client, studio):
    task = make_task(studio, outputs=3)
    ticked = list(task.outputs.values_list("pk", flat=True)[:2])
    response = login(client, studio, Role.MANAGER).post(
        reverse("review_bulk_approve", args=[studio.project.pk]), {"outputs": ticked},
        headers={"HX-Request": "true"})
    assert "Approved 2 outputs." in response.content.decode()
    assert "1 waiting for review" in response.content.decode()
    assert task.outputs.filter(review_status=S.REVIEW_APPROVED).count() == 2


def test_the_board_is_paginated(client, studio):
    make_task(studio, outputs=50)
    html = login(client, studio, Role.MANAGER).get(reverse("review_board", args=[studio.project.pk])).content.decode()
    assert html.count('class="review-tile') == 48
    assert "50 waiting for review" in html
    assert "data-next-page" in html  # seek pagination (tests/review/test_board.py follows the links)


# --- Who may decide ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", [Role.CREATIVE, Role.CLIENT])
def test_only_managers_decide_in_review(client, studio, role):
    task = make_task(studio, outputs=1)
    output = task.outputs.get()
    login(client, studio, role)
    assert client.post(reverse("review_decide", args=[output.pk]), {"decision": "approved"}).status_code == 403
    assert client.post(reverse("review_bulk_approve", args=[studio.project.pk]),
                       {"outputs": [output.pk]}).status_code == 403
    assert client.get(reverse("review_board", args=[studio.project.pk])).status_code == 403
    output.refresh_from_db()
    assert output.review_status == S.REVIEW_SUBMITTED


def test_another_teams_admin_gets_404_and_decides_nothing(client, studio):
    task = make_task(studio, outputs=1)
    output = task.outputs.get()
    stranger = make_studio()
    login(client, stranger, Role.ADMIN)
    assert client.post(reverse("review_decide", args=[output.pk]), {"decision": "approved"}).status_code == 404
    assert client.post(reverse("client_decide", args=[output.pk]), {"decision": "approved"}).status_code == 404
    assert client.get(reverse("review_board", args=[studio.project.pk])).status_code == 404
    output.refresh_from_db()
    assert output.review_status == S.REVIEW_SUBMITTED


def test_a_manager_cannot_give_the_clients_approval(client, studio):
    task = make_task(studio, outputs=1, status=S.REVIEW_APPROVED, output_status=S.REVIEW_APPROVED)
    response = login(client, studio, Role.MANAGER).post(reverse("client_decide", args=[task.outputs.get().pk]),
                                                        {"decision": "approved"})
    assert response.status_code == 403


def test_a_decision_without_the_csrf_token_is_refused(studio):
    task = make_task(studio, outputs=1)
    output = task.outputs.get()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(studio.user(Role.MANAGER))
    assert browser.post(reverse("review_decide", args=[output.pk]), {"decision": "approved"}).status_code == 403
    assert browser.post(reverse("review_bulk_approve", args=[studio.project.pk]),
                        {"outputs": [output.pk]}).status_code == 403
    output.refresh_from_db()
    assert output.review_status == S.REVIEW_SUBMITTED


def test_a_decision_with_the_csrf_token_from_the_page_header_goes_through(studio):
    task = make_task(studio, outputs=1)
    output = task.outputs.get()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(studio.user(Role.MANAGER))
    page = browser.get(reverse("review_board", args=[studio.project.pk]))
    token = page.context["csrf_token"]
    response = browser.post(reverse("review_decide", args=[output.pk]), {"decision": "approved"},
                            headers={"HX-Request": "true", "X-CSRFToken": str(token)})
    assert response.status_code == 200
    output.refresh_from_db()
    assert output.review_status == S.REVIEW_APPROVED


def test_rejecting_a_regenerated_round_ignores_the_earlier_rounds_client_decision(studio):
    # A regenerated task keeps its client-rejected first round as history; rejecting the whole new round makes the
    # task "Review rejected" (ready to regenerate again), decided by the latest round only.
    task = make_task(studio, outputs=1, status=S.REVIEW_IN_PROCESS, output_status=S.CLIENT_REJECTED)
    new_round = f.TaskOutputFactory(task=task, round=2)
    review.reject(new_round, studio.user(Role.MANAGER), comment="still wrong")
    new_round.refresh_from_db()
    assert new_round.review_status == S.REVIEW_REJECTED
    assert ReviewEvent.objects.get().comment == "still wrong"
    assert statuses(task)[0] == S.REVIEW_REJECTED


def test_a_boosted_link_to_the_review_board_gets_the_whole_page_and_a_fragment_request_gets_the_board(client, studio):
    make_task(studio)
    client.force_login(studio.user(Role.MANAGER))
    url = reverse("review_board", args=[studio.project.pk])
    boosted = client.get(url, headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert b"<html" in boosted.content  # hx-boost navigation swaps the whole body: it needs the layout
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert b"<html" not in fragment.content and fragment.status_code == 200

"""The moderation lane of a project as a manager sees it: outputs the NSFW gate holds, blurred, with their
probability, SKU and vendor; Release sends one to the review board, Discard rejects it for good, each recorded as a
ReviewEvent at the "moderation" stage. Only managers decide, only on their team's outputs, only with the CSRF token."""
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from generations.models import Decision, ReviewEvent, ReviewStage, TaskOutput, TaskStatus
from studio.models import Role
from tests import factories as f
from tests.generations.test_review import login, make_studio

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
S = TaskStatus


@pytest.fixture
def studio():
    studio = make_studio()
    studio.team.nsfw_gate_enabled = True
    studio.team.save()
    return studio


def held(studio, probability=0.91, *, sku=None, outputs=1):
    """Outputs of one task waiting for review that the gate holds, as the NSFW check leaves them."""
    task = f.TaskFactory(sku=sku or f.SKUFactory(project=studio.project), team=studio.team, account=studio.account,
                         status=S.REVIEW_SUBMITTED, num_outputs=outputs)
    made = [f.TaskOutputFactory(task=task, flagged=True, nsfw_probability=probability) for _ in range(outputs)]
    return made[0] if outputs == 1 else made


def lane(client, studio, **kwargs) -> str:
    response = client.get(reverse("moderation_lane", args=[studio.project.pk]), **kwargs)
    assert response.status_code == 200
    return response.content.decode()


def tile(html: str, output) -> str:
    return re.search(rf'<article class="moderation-tile" data-output="{output.pk}">.*?</article>', html,
                     re.S).group(0)


def board(client, studio) -> str:
    return client.get(reverse("review_board", args=[studio.project.pk])).content.decode()


def test_the_lane_shows_held_outputs_blurred_with_probability_sku_and_vendor(client, studio):
    unsafe = held(studio, 0.91, sku=f.SKUFactory(project=studio.project, code="SWIM-01"))
    unchecked = held(studio, None)
    reviewable = f.TaskOutputFactory(task=unsafe.task)  # the check found it safe: it belongs on the review board
    TaskOutput.objects.filter(pk=reviewable.pk).update(flagged=False, nsfw_probability=0.02)
    elsewhere = held(studio, 0.99, sku=f.SKUFactory(project=f.ProjectFactory(program=studio.project.program)))

    html = lane(login(client, studio, Role.MANAGER), studio)

    card = tile(html, unsafe)
    assert "91%" in card and "SWIM-01" in card and "Sandbox (local, no key)" in card
    assert 'class="nsfw-reveal"' in card and "Click to reveal" in card
    assert f'src="{reverse("output_thumbnail", args=[unsafe.pk])}"' in card
    assert f'hx-post="{reverse("moderation_release", args=[unsafe.pk])}"' in card
    assert f'hx-post="{reverse("moderation_discard", args=[unsafe.pk])}"' in card
    assert "not checked" in tile(html, unchecked)  # the check could not run: held all the same (fails closed)
    assert f'data-output="{reviewable.pk}"' not in html and f'data-output="{elsewhere.pk}"' not in html
    assert "2 held" in html
    # Most suspicious first.
    assert html.index(f'data-output="{unsafe.pk}"') < html.index(f'data-output="{unchecked.pk}"')


def test_the_review_board_links_the_lane_with_the_number_held(client, studio):
    held(studio, outputs=3)

    html = board(login(client, studio, Role.MANAGER), studio)

    assert f'href="{reverse("moderation_lane", args=[studio.project.pk])}"' in html
    assert "Held for moderation (3)" in html


def test_a_long_lane_counts_up_to_the_cap_and_says_so(client, studio, monkeypatch):
    """The lane and the board's link count at most keyset.CAP held outputs (a count that costs the same at 5,000)."""
    from generations import keyset

    monkeypatch.setattr(keyset, "CAP", 2)
    held(studio, outputs=3)
    manager = login(client, studio, Role.MANAGER)

    assert "2+ held" in lane(manager, studio)
    assert "Held for moderation (2+)" in board(manager, studio)


def test_release_moves_an_output_onto_the_review_board(client, studio):
    output = held(studio)
    manager = login(client, studio, Role.MANAGER)
    thumb = f'src="{reverse("output_thumbnail", args=[output.pk])}"'
    assert thumb not in board(manager, studio)

    html = manager.post(reverse("moderation_release", args=[output.pk]), {"comment": "Swimwear, fine"},
                        headers=HTMX).content.decode()

    assert html.lstrip().startswith('<section id="moderation-lane"')
    assert f'data-output="{output.pk}"' not in html and "Nothing is held for moderation" in html
    assert f"Released output {output.pk} of {output.task.sku.code} to the review board." in html
    event = ReviewEvent.objects.get(output=output)
    assert (event.stage, event.decision, event.actor, event.comment) == (
        ReviewStage.MODERATION, Decision.RELEASED, studio.user(Role.MANAGER), "Swimwear, fine")
    assert thumb in board(manager, studio)


def test_discard_removes_an_output_from_the_lane_and_every_board_and_records_it(client, studio):
    output = held(studio)
    manager = login(client, studio, Role.MANAGER)

    response = manager.post(reverse("moderation_discard", args=[output.pk]), {"comment": "Not usable"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("moderation_lane", args=[studio.project.pk])
    html = response.content.decode()
    assert f'data-output="{output.pk}"' not in html and f"Discarded output {output.pk}" in html
    event = ReviewEvent.objects.get(output=output)
    assert (event.stage, event.decision, event.comment) == (ReviewStage.MODERATION, Decision.DISCARDED, "Not usable")
    assert TaskOutput.objects.get(pk=output.pk).review_status == S.REVIEW_REJECTED
    assert f'src="{reverse("output_thumbnail", args=[output.pk])}"' not in board(manager, studio)


def test_an_output_decided_already_is_not_decided_twice(client, studio):
    output = held(studio)
    manager = login(client, studio, Role.MANAGER)
    manager.post(reverse("moderation_release", args=[output.pk]), headers=HTMX)

    html = manager.post(reverse("moderation_discard", args=[output.pk]), headers=HTMX).content.decode()

    assert "This output is not held." in html
    assert list(ReviewEvent.objects.filter(output=output).values_list("decision", flat=True)) == [Decision.RELEASED]


@pytest.mark.parametrize("role", [Role.CREATIVE, Role.CLIENT])
def test_only_managers_see_the_lane_or_decide(client, studio, role):
    output = held(studio)
    member = login(client, studio, role)

    assert member.get(reverse("moderation_lane", args=[studio.project.pk])).status_code == 403
    assert member.post(reverse("moderation_release", args=[output.pk])).status_code == 403
    assert member.post(reverse("moderation_discard", args=[output.pk])).status_code == 403
    output.refresh_from_db()
    assert output.flagged and not ReviewEvent.objects.filter(output=output).exists()


def test_another_teams_manager_gets_404_everywhere(client, studio):
    output = held(studio)
    stranger = f.MembershipFactory(role=Role.MANAGER)
    client.force_login(stranger.user)

    assert client.get(reverse("moderation_lane", args=[studio.project.pk])).status_code == 404
    assert client.post(reverse("moderation_release", args=[output.pk])).status_code == 404
    assert client.post(reverse("moderation_discard", args=[output.pk])).status_code == 404
    output.refresh_from_db()
    assert output.flagged and not ReviewEvent.objects.filter(output=output).exists()


def test_decisions_need_the_csrf_token(studio):
    output = held(studio)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(studio.user(Role.MANAGER))

    assert strict.post(reverse("moderation_release", args=[output.pk])).status_code == 403
    assert strict.post(reverse("moderation_discard", args=[output.pk])).status_code == 403
    output.refresh_from_db()
    assert output.flagged and not ReviewEvent.objects.exists()

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', lane(strict, studio)).group(1)
    assert strict.post(reverse("moderation_release", args=[output.pk]),
                       {"csrfmiddlewaretoken": token}).status_code == 302
    output.refresh_from_db()
    assert not output.flagged


def test_the_lane_is_paginated(client, studio):
    for _ in range(7):
        held(studio, outputs=4)

    html = lane(login(client, studio, Role.MANAGER), studio)
    second = lane(client, studio, data={"page": 2}, headers=HTMX)

    assert html.count('class="moderation-tile"') == 24 and "Page 1 of 2" in html and "28 held" in html
    assert second.lstrip().startswith('<section id="moderation-lane"') and second.count('class="moderation-tile"') == 4


def _queries(client, url, **kwargs) -> int:
    client.get(url, **kwargs)  # warm the session and the content-type caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **kwargs)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "fragment"])
def test_the_lane_costs_the_same_with_10_held_outputs_as_with_200(client, headers):
    counts = []
    for count in (10, 200):
        studio = make_studio()
        for _ in range(count // 5):
            held(studio, outputs=5)
        login(client, studio, Role.MANAGER)
        counts.append(_queries(client, reverse("moderation_lane", args=[studio.project.pk]), headers=headers))
    assert counts[0] == counts[1], counts

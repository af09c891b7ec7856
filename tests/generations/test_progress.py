"""Progress fragments: task cards and batch bars poll every 2 s while work runs and stop themselves with 286."""
import pytest
from django.urls import reverse

from generations.models import Decision, ReviewEvent, TaskStatus
from studio.models import Role
from tests import factories as f
from tests.generations.test_review import login, make_studio, make_task

S = TaskStatus
HTMX = {"HX-Request": "true"}


@pytest.fixture
def studio(db):
    return make_studio()


def test_a_running_task_card_keeps_polling(client, studio):
    task = make_task(studio, outputs=0, status=S.GENERATION_IN_PROCESS, num_outputs=2)
    response = login(client, studio, Role.CREATIVE).get(reverse("task_card", args=[task.pk]), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'hx-trigger="every 2s"' in html
    assert "Generation in process" in html and "Generating 2 outputs" in html


@pytest.mark.parametrize("status", [S.REVIEW_SUBMITTED, S.GENERATION_FAILED, S.CLIENT_APPROVED])
def test_a_task_card_stops_polling_with_286_once_the_task_is_done(client, studio, status):
    task = make_task(studio, outputs=1, status=status)
    response = login(client, studio, Role.CREATIVE).get(reverse("task_card", args=[task.pk]), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 286
    assert "every 2s" not in html
    assert status in html
    assert reverse("output_thumbnail", args=[task.outputs.get().pk]) in html


def test_a_task_card_shows_the_error_and_the_needs_attention_flag(client, studio):
    task = make_task(studio, outputs=0, status=S.GENERATION_FAILED, needs_attention=True,
                     error_message="The vendor refused the garment image: too small")
    html = login(client, studio, Role.CREATIVE).get(reverse("task_card", args=[task.pk])).content.decode()
    assert "The vendor refused the garment image: too small" in html
    assert "Needs attention" in html
    assert "Try-on" in html and studio.account.get_vendor_display() in html


def test_a_task_card_never_links_to_a_vendor_url(client, studio):
    task = make_task(studio, outputs=1, vendor_state={"outputs": ["https://cdn.vendor.example/abc.png"]})
    task.outputs.update(vendor_result_id="https://cdn.vendor.example/abc.png")
    html = login(client, studio, Role.CREATIVE).get(reverse("task_card", args=[task.pk])).content.decode()
    assert "vendor.example" not in html
    assert reverse("output_file", args=[task.outputs.get().pk]) in html


def test_a_task_card_shows_its_decision_history(client, studio):
    task = make_task(studio, outputs=1, status=S.REVIEW_REJECTED, output_status=S.REVIEW_REJECTED)
    manager = studio.user(Role.MANAGER)
    ReviewEvent.objects.create(task=task, output=task.outputs.get(), actor=manager, stage="review",
                               decision=Decision.REJECTED, comment="collar is crooked")
    html = login(client, studio, Role.CREATIVE).get(reverse("task_card", args=[task.pk])).content.decode()
    assert "Decisions (1)" in html
    assert manager.username in html and "rejected" in html and "collar is crooked" in html


def test_the_sku_fragment_lists_its_task_cards_newest_first(client, studio):
    older = make_task(studio, outputs=1)
    newer = make_task(studio, outputs=0, status=S.TASK_SUBMITTED)
    other_sku = make_task(studio, outputs=0, sku=f.SKUFactory(project=studio.project))
    html = login(client, studio, Role.CREATIVE).get(reverse("sku_tasks", args=[studio.sku.pk]),
                                                    headers=HTMX).content.decode()
    assert html.index(f'id="task-{newer.pk}"') < html.index(f'id="task-{older.pk}"')
    assert f'id="task-{other_sku.pk}"' not in html


def test_batch_progress_counts_done_failed_and_total_and_polls_while_running(client, studio):
    batch = f.BatchFactory(project=studio.project, label="Try-on · 3 SKUs")
    for status in (S.REVIEW_SUBMITTED, S.GENERATION_FAILED, S.GENERATION_IN_PROCESS):
        make_task(studio, outputs=0, status=status, batch=batch, sku=f.SKUFactory(project=studio.project))
    response = login(client, studio, Role.CREATIVE).get(reverse("project_batches", args=[studio.project.pk]),
                                                        headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Try-on · 3 SKUs" in html
    assert "1 done · 1 failed · 3 total · 1 at the vendor" in html
    assert 'hx-trigger="every 2s"' in html


def test_batch_progress_answers_286_when_no_batch_is_running(client, studio):
    batch = f.BatchFactory(project=studio.project)
    make_task(studio, outputs=1, status=S.REVIEW_SUBMITTED, batch=batch)
    response = login(client, studio, Role.CREATIVE).get(reverse("project_batches", args=[studio.project.pk]),
                                                        headers=HTMX)
    assert response.status_code == 286
    assert "every 2s" not in response.content.decode()
    assert "1 done · 0 failed · 1 total" in response.content.decode()


def test_output_files_are_streamed_from_our_storage(client, studio):
    output = make_task(studio, outputs=1).outputs.get()
    login(client, studio, Role.CREATIVE)
    response = client.get(reverse("output_file", args=[output.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == output.file.open("rb").read()
    thumb = client.get(reverse("output_thumbnail", args=[output.pk]))  # no thumbnail yet: the file itself
    assert thumb.status_code == 200


def test_a_rejected_task_is_regenerated_with_the_edited_prompt(client, studio):
    task = make_task(studio, outputs=1, status=S.REVIEW_REJECTED, output_status=S.REVIEW_REJECTED)
    response = login(client, studio, Role.CREATIVE).post(
        reverse("task_regenerate", args=[task.pk]), {"prompt": "same tee, brighter light"}, headers=HTMX)
    html = response.content.decode()
    task.refresh_from_db()
    assert (task.status, task.round, task.prompt) == (S.TASK_SUBMITTED, 2, "same tee, brighter light")
    assert task.outputs.count() == 1  # the rejected output stays; the new round's outputs join the same task
    assert 'hx-trigger="every 2s"' in html  # the card polls again
    assert f"Regenerating {studio.sku.code}" in html
    assert task.review_events.get().decision == Decision.REGENERATE


def test_a_task_in_review_cannot_be_regenerated(client, studio):
    task = make_task(studio, outputs=1, status=S.REVIEW_SUBMITTED)
    card = login(client, studio, Role.CREATIVE).get(reverse("task_card", args=[task.pk])).content.decode()
    assert reverse("task_regenerate", args=[task.pk]) not in card
    client.post(reverse("task_regenerate", args=[task.pk]), {"prompt": "x"}, headers=HTMX)
    task.refresh_from_db()
    assert task.status == S.REVIEW_SUBMITTED and task.round == 1


def test_a_client_cannot_regenerate(client, studio):
    task = make_task(studio, outputs=1, status=S.REVIEW_REJECTED, output_status=S.REVIEW_REJECTED)
    assert login(client, studio, Role.CLIENT).post(reverse("task_regenerate", args=[task.pk]),
                                                   {"prompt": "x"}).status_code == 403


def test_an_approved_output_offers_edit_upscale_and_video_to_creatives_but_not_to_clients(client, studio):
    task = make_task(studio, outputs=2, status=S.REVIEW_APPROVED, output_status=S.REVIEW_APPROVED)
    rejected = task.outputs.last()
    rejected.review_status = S.REVIEW_REJECTED
    rejected.save()
    approved = task.outputs.exclude(pk=rejected.pk).get()
    html = login(client, studio, Role.CREATIVE).get(reverse("task_card", args=[task.pk])).content.decode()
    link = f"{reverse('generate', args=[studio.project.pk])}?sku={studio.sku.pk}&amp;parent={approved.pk}"
    assert link in html and f"parent={rejected.pk}" not in html
    client_html = login(client, studio, Role.CLIENT).get(reverse("task_card", args=[task.pk])).content.decode()
    assert "parent=" not in client_html


def test_a_vendors_note_about_the_task_is_shown_on_its_card(client, studio):
    note = "The garment image was downscaled from 13.0 MB to fit ArtEmotion's 10 MB limit."
    task = make_task(studio, outputs=0, status=S.TASK_SUBMITTED,
                     vendor_state={"submission": {"job_id": "j1", "notes": [note]}})
    html = login(client, studio, Role.CREATIVE).get(reverse("task_card", args=[task.pk])).content.decode()
    assert "downscaled from 13.0 MB" in html

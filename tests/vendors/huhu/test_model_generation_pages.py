"""The Huhu model pages: faces, model images and poses generated from the browser against the contract-faithful Huhu
fake (real HTTP on 127.0.0.1), their candidates copied into our storage, and the chosen ones saved to a model. The
worker jobs run here: a queued job runs at commit, a "poll again" re-queue is recorded instead of run."""
import json
import uuid
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import ModelImage
from generations.vendors.huhu import jobs as huhu_jobs
from generations.vendors.huhu import sync as huhu_sync
from generations.models import AccountState, HuhuImageRequest, VendorReference
from generations.vendors.huhu.model_views import FACE_PROMPT_TEMPLATE
from studio.models import Role
from tests.factories import FashionModelFactory, MembershipFactory, ModelImageFactory, ProgramFactory
from tests.fakes.base import count
from tests.vendors.huhu.test_support import fake, house_style, huhu_account, start_fake  # noqa: F401

pytestmark = pytest.mark.django_db

FACE_PROMPT = ("Headshot front facing portrait of a Young Adult East Asian Regular Size Female with Black Long hair "
               "with brown eye with Light skin tone in the White Studio setting with Neutral expression. Standing "
               "pose, professional lighting, high detail.")


@pytest.fixture
def requeued(monkeypatch):
    """Jobs run at once when queued; a re-queue with a countdown (Huhu still working) is only recorded."""
    calls = []
    job = huhu_jobs.generate_model_images
    monkeypatch.setattr(job, "delay", job.run)
    monkeypatch.setattr(job, "apply_async", lambda args, countdown=None: calls.append((args, countdown)))
    monkeypatch.setattr(huhu_jobs.save_model_images, "delay", huhu_jobs.save_model_images.run)
    return calls


class Studio:
    def __init__(self, client, fake, role=Role.ADMIN):  # noqa: F811
        self.member = MembershipFactory(role=role)
        self.client, self.fake = client, fake
        # The Huhu style the team chose for the account (a new model has no gallery style of its own yet).
        self.account = huhu_account(fake, team=self.member.team, settings={"style_id": house_style(fake)})
        self.program = ProgramFactory(team=self.member.team)
        self.model = FashionModelFactory(program=self.program, name="Dae Nakamura", hair_style="Long",
                                         eye_color="Brown")
        self.image = ModelImageFactory(fashion_model=self.model)
        client.force_login(self.member.user)

    def start(self, commit, **fields):
        data = {"form_token": uuid.uuid4().hex, "kind": "face", "account": self.account.pk, "mode": "variety",
                "prompt": FACE_PROMPT, "num_images": 1, "fashion_model": self.model.pk, **fields}
        with commit(execute=True):
            response = self.client.post(reverse("huhu_model_generate", args=[self.program.pk]), data)
        return response

    def last(self) -> HuhuImageRequest:
        return HuhuImageRequest.objects.latest("pk")

    def page(self, row, **kwargs):
        return self.client.get(reverse("huhu_model_request", args=[row.pk]), **kwargs)

    def save(self, commit, row, chosen, model=None):
        """Post "Save chosen to model" (its job runs at commit), then the page the browser is sent back to."""
        with commit(execute=True):
            response = self.client.post(reverse("huhu_model_request_save", args=[row.pk]),
                                        {"chosen": [str(i) for i in chosen], "fashion_model": (model or self.model).pk})
        assert response.status_code == 302
        return self.client.get(response.url)


@pytest.fixture
def studio(client, fake):  # noqa: F811
    return Studio(client, fake)


def _no_vendor_url(studio, content: bytes) -> None:
    assert studio.fake.origin.encode() not in content and b"/_files/" not in content and b"Signature=" not in content


def _posted(fake, path: str) -> dict:  # noqa: F811
    return json.loads([r for r in fake.requests if r.method == "POST" and r.path.endswith(path)][-1].body)


# --- End to end, one kind each -----------------------------------------------------------------------------------
def test_faces_are_generated_from_the_prefilled_template_stored_here_and_saved_to_the_model(
        studio, requeued, django_capture_on_commit_callbacks):
    form = studio.client.get(reverse("huhu_model_generate", args=[studio.program.pk]), {"model": studio.model.pk})
    assert FACE_PROMPT.encode() in form.content  # the document's template, filled from the model's attributes

    response = studio.start(django_capture_on_commit_callbacks, mode="fidelity", num_images=2)
    row = studio.last()
    assert response.url == reverse("huhu_model_request", args=[row.pk])
    assert (row.status, row.kind, row.mode, row.num_images) == ("completed", "face", "fidelity", 2)
    assert _posted(studio.fake, "/model/face")["mode"] == "fidelity"
    assert len(row.results) == 2 and all(default_storage.exists(r["file"]) and default_storage.exists(r["thumbnail"])
                                         for r in row.results)
    page = studio.page(row)
    assert b"Save chosen to model" in page.content and page.content.count(b'name="chosen"') == 2
    _no_vendor_url(studio, page.content)
    thumb = studio.client.get(reverse("huhu_model_candidate", args=[row.pk, 1]))
    assert thumb.status_code == 200 and b"WEBP" in b"".join(thumb.streaming_content)[:16]

    saved = studio.save(django_capture_on_commit_callbacks, row, [1])
    assert b"1 image saved to Dae Nakamura" in saved.content
    image = ModelImage.objects.exclude(pk=studio.image.pk).get(fashion_model=studio.model)
    assert VendorReference.objects.get(kind="huhu_model_image", object_id=image.pk).vendor_id.startswith(
        "assets/model_images/")
    row.refresh_from_db()
    assert row.saved == [{"model_image_id": row.results[1]["model_image_id"], "fashion_model_id": studio.model.pk,
                          "image_id": image.pk}]
    assert image.image.url.encode() in studio.client.get(reverse("model_detail", args=[studio.model.pk])).content
    assert count(studio.fake, "POST", r"/model/face$") == 1 and studio.fake.team().credits == 50 - 4


def test_model_images_use_the_chosen_reference_from_the_huhu_gallery(studio, requeued,
                                                                      django_capture_on_commit_callbacks):
    studio.start(django_capture_on_commit_callbacks, kind="model_image", prompt="studio photo, white background",
                 num_images=3, reference_image=studio.image.pk)
    row = studio.last()
    assert row.status == "completed" and len(row.results) == 3
    # Our image had no Huhu id: it went to the model's Huhu gallery first (upload mode, free), then as reference.
    reference = VendorReference.objects.get(kind="huhu_model_image", object_id=studio.image.pk).vendor_id
    assert row.reference_id == reference and _posted(studio.fake, "/model/image")["reference_image"] == reference
    _no_vendor_url(studio, studio.page(row).content)

    studio.save(django_capture_on_commit_callbacks, row, [0, 2])
    assert studio.model.images.count() == 3
    assert studio.fake.team().credits == 50 - 6


def test_a_pose_is_generated_from_a_reference_image_and_saved_back(studio, requeued,
                                                                  django_capture_on_commit_callbacks):
    studio.start(django_capture_on_commit_callbacks, kind="pose", prompt="walking pose, side view",
                 reference_image=studio.image.pk, num_images=4)
    row = studio.last()
    assert (row.status, row.num_images, len(row.results)) == ("completed", 1, 1)  # one image per pose request
    posted = _posted(studio.fake, "/model/pose")
    assert (posted["prompt"], posted["reference_image"]) == ("walking pose, side view", row.reference_id)
    assert "num_output_images" not in posted  # POST /model/pose takes no count (001 §5.20)
    page = studio.save(django_capture_on_commit_callbacks, row, [0])
    _no_vendor_url(studio, page.content)
    assert studio.model.images.count() == 2


def test_saving_asks_huhu_for_fresh_links_first(studio, requeued, django_capture_on_commit_callbacks):
    studio.start(django_capture_on_commit_callbacks)
    row = studio.last()
    studio.save(django_capture_on_commit_callbacks, row, [0])
    assert _posted(studio.fake, "/model/image")["image_url"] != row.results[0]["url"]


def test_saving_the_same_image_to_the_same_model_twice_saves_it_once(studio, requeued,
                                                                    django_capture_on_commit_callbacks):
    studio.start(django_capture_on_commit_callbacks)
    row = studio.last()
    studio.save(django_capture_on_commit_callbacks, row, [0])
    page = studio.save(django_capture_on_commit_callbacks, row, [0])
    assert b"0 images saved" in page.content and studio.model.images.count() == 2


# --- The form refuses what Huhu would refuse ---------------------------------------------------------------------
@pytest.mark.parametrize("fields, message", [
    ({"kind": "face", "num_images": 5}, b"Huhu makes 1 to 4 faces per request; you asked for 5."),
    ({"kind": "model_image", "num_images": 9}, b"Huhu makes 1 to 8 model images per request; you asked for 9."),
    ({"kind": "pose", "prompt": "walking"}, b"A pose is made from one of the model&#x27;s images: choose the "
                                            b"reference image."),
    ({"kind": "face", "prompt": FACE_PROMPT_TEMPLATE}, b"Replace the template&#x27;s placeholders with words first"),
])
def test_requests_huhu_would_refuse_are_refused_with_a_message(studio, requeued, django_capture_on_commit_callbacks,
                                                               fields, message):
    response = studio.start(django_capture_on_commit_callbacks, **fields)
    assert response.status_code == 200 and message in response.content
    assert not HuhuImageRequest.objects.exists() and not [r for r in studio.fake.requests if r.method == "POST"]


def test_a_double_click_sends_one_request(studio, requeued, django_capture_on_commit_callbacks):
    token = uuid.uuid4().hex
    first = studio.start(django_capture_on_commit_callbacks, form_token=token)
    second = studio.start(django_capture_on_commit_callbacks, form_token=token)
    assert first.url == second.url and HuhuImageRequest.objects.count() == 1
    assert count(studio.fake, "POST", r"/model/face$") == 1


# --- Exactly once, and the poll ----------------------------------------------------------------------------------
def test_a_job_rerun_after_a_crash_polls_the_recorded_request_instead_of_paying_again(
        studio, requeued, monkeypatch, django_capture_on_commit_callbacks):
    real_poll = huhu_sync.poll_images
    calls = []

    def dies_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise SystemExit("the worker was killed")
        return real_poll(*args, **kwargs)

    monkeypatch.setattr(huhu_sync, "poll_images", dies_once)
    with pytest.raises(SystemExit):
        studio.start(django_capture_on_commit_callbacks, num_images=2)
    row = studio.last()
    assert row.status == "running" and row.request_id  # recorded before the first poll
    huhu_jobs.generate_model_images.run(row.pk)  # the broker redelivers it (acks_late)
    row.refresh_from_db()
    assert row.status == "completed" and len(row.results) == 2
    assert count(studio.fake, "POST", r"/model/face$") == 1 and studio.fake.team().credits == 50 - 4


def test_a_run_that_died_inside_the_paid_call_is_not_sent_again(studio, requeued):
    row = HuhuImageRequest.objects.create(team=studio.member.team, account=studio.account, program=studio.program,
                                          kind="face", prompt=FACE_PROMPT, form_token="t", status="running")
    HuhuImageRequest.objects.filter(pk=row.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    huhu_jobs.generate_model_images.run(row.pk)
    row.refresh_from_db()
    assert row.status == "failed" and "may have accepted (and charged) it" in row.message
    assert count(studio.fake, "POST", r"/model/face$") == 0


def test_the_page_polls_while_huhu_works_and_answers_286_once_the_images_are_in(
        client, settings, requeued, django_capture_on_commit_callbacks):
    slow = start_fake(settings, latency=60)
    try:
        studio = Studio(client, slow)
        studio.start(django_capture_on_commit_callbacks)
        row = studio.last()
        assert row.status == "running" and requeued == [((row.pk, 0), huhu_jobs.POLL_SECONDS)]
        polling = studio.page(row, headers={"HX-Request": "true"})
        assert polling.status_code == 200 and b'hx-trigger="every 2s"' in polling.content
        assert b"Huhu is generating" in polling.content

        slow.advance(61)
        huhu_jobs.generate_model_images.run(row.pk)  # the re-queued poll
        done = studio.page(row, headers={"HX-Request": "true"})
        assert done.status_code == 286 and b"hx-trigger" not in done.content
        assert b'name="chosen"' in done.content
        _no_vendor_url(studio, done.content)
    finally:
        slow.stop()


# --- What Huhu answers, on the page ------------------------------------------------------------------------------
def test_a_failed_generation_is_shown_on_the_page(studio, requeued, django_capture_on_commit_callbacks):
    studio.fake.fail_generations(1)
    studio.start(django_capture_on_commit_callbacks)
    row = studio.last()
    page = studio.page(row)
    assert row.status == "failed" and b"Generation Failed" in page.content and b"Save chosen" not in page.content


def test_out_of_credits_is_shown_and_pauses_the_account(studio, requeued, django_capture_on_commit_callbacks):
    studio.fake.set_credits(0)
    studio.start(django_capture_on_commit_callbacks)
    page = studio.page(studio.last())
    assert b"is out of credits" in page.content and b"HTTP 402" in page.content
    studio.account.refresh_from_db()
    assert studio.account.state == AccountState.PAUSED


def test_a_rejected_key_disables_the_account_and_says_so(studio, requeued, django_capture_on_commit_callbacks):
    studio.fake.revoke(studio.fake.api_key)
    studio.start(django_capture_on_commit_callbacks)
    page = studio.page(studio.last())
    assert b"Huhu rejected the account&#x27;s API key" in page.content
    studio.account.refresh_from_db()
    assert studio.account.state == AccountState.DISABLED
    # Without an active account the gallery no longer offers the pages.
    gallery = studio.client.get(reverse("model_gallery", args=[studio.program.pk]))
    assert b"Generate faces / model images / poses with Huhu" not in gallery.content


# --- Who may do what ---------------------------------------------------------------------------------------------
def test_the_gallery_and_the_model_page_offer_the_pages_to_editors(studio):
    for url in (reverse("model_gallery", args=[studio.program.pk]), reverse("model_detail", args=[studio.model.pk])):
        assert b"Generate faces / model images / poses with Huhu" in studio.client.get(url).content


def test_a_client_sees_no_vendor_requests_and_cannot_generate_or_save(client, studio, requeued,
                                                                    django_capture_on_commit_callbacks):
    """Huhu requests are vendor machinery: a client gets none of their pages (issue 16.4)."""
    studio.start(django_capture_on_commit_callbacks)
    row = studio.last()
    viewer = MembershipFactory(role=Role.CLIENT, team=studio.member.team)
    client.force_login(viewer.user)
    assert b"Generate faces" not in client.get(reverse("model_gallery", args=[studio.program.pk])).content
    assert client.get(reverse("huhu_model_generate", args=[studio.program.pk])).status_code == 403
    assert client.post(reverse("huhu_model_generate", args=[studio.program.pk]), {}).status_code == 403
    assert client.get(reverse("huhu_model_request", args=[row.pk])).status_code == 403
    assert client.post(reverse("huhu_model_request_save", args=[row.pk]),
                       {"chosen": ["0"], "fashion_model": studio.model.pk}).status_code == 403
    assert client.get(reverse("huhu_model_candidate", args=[row.pk, 0])).status_code == 403


def test_another_teams_request_is_a_404(client, studio, requeued, django_capture_on_commit_callbacks):
    studio.start(django_capture_on_commit_callbacks)
    row = studio.last()
    outsider = MembershipFactory(role=Role.ADMIN)
    client.force_login(outsider.user)
    for url in (reverse("huhu_model_request", args=[row.pk]), reverse("huhu_model_candidate", args=[row.pk, 0]),
                reverse("huhu_model_generate", args=[studio.program.pk])):
        assert client.get(url).status_code == 404
    assert client.post(reverse("huhu_model_request_save", args=[row.pk]), {"chosen": ["0"]}).status_code == 404


def test_a_model_of_another_program_is_not_a_save_target(studio, requeued, django_capture_on_commit_callbacks):
    studio.start(django_capture_on_commit_callbacks)
    row = studio.last()
    elsewhere = FashionModelFactory(program=ProgramFactory(team=studio.member.team))
    page = studio.save(django_capture_on_commit_callbacks, row, [0], model=elsewhere)
    assert b"Choose a model of" in page.content and not elsewhere.images.exists()


# --- The list of recent requests --------------------------------------------------------------------------------
def test_the_request_page_costs_the_same_with_1_recent_request_as_with_8(studio, requeued,
                                                                        django_capture_on_commit_callbacks):
    counts = []
    for total in (1, 8):
        while HuhuImageRequest.objects.count() < total:
            studio.start(django_capture_on_commit_callbacks)
        url = reverse("huhu_model_request", args=[studio.last().pk])
        studio.client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert studio.client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


def test_a_request_whose_job_never_ran_is_started_by_check_again(studio, requeued, monkeypatch,
                                                                 django_capture_on_commit_callbacks):
    def broker_down(*args):
        raise OSError("connection refused")

    job = huhu_jobs.generate_model_images
    monkeypatch.setattr(job, "delay", broker_down)
    studio.start(django_capture_on_commit_callbacks)
    row = studio.last()
    assert row.status == "queued" and "job queue is unreachable" in row.message
    HuhuImageRequest.objects.filter(pk=row.pk).update(updated_at=timezone.now() - timedelta(minutes=2))
    assert b"Check again" in studio.page(row).content

    monkeypatch.setattr(job, "delay", job.run)
    with django_capture_on_commit_callbacks(execute=True):
        studio.client.post(reverse("huhu_model_request_resume", args=[row.pk]))
    row.refresh_from_db()
    assert row.status == "completed" and count(studio.fake, "POST", r"/model/face$") == 1

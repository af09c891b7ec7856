"""Fix one image at a time (issue 16.3): regenerate one rejected output with the same inputs, reject comments on
the output card, the decision history one click away, and the inbox that tells people what needs them."""
import pytest
from django.core import mail
from django.urls import reverse

from generations import lifecycle, review
from generations.models import Task, TaskStatus
from generations.review_notices import batch_ready
from studio.models import InboxMessage, Role
from tests import factories as f

S = TaskStatus


@pytest.fixture
def studio(db):
    team = f.TeamFactory()
    project = f.ProjectFactory(program=f.ProgramFactory(team=team))
    sku = f.SKUFactory(project=project, code="DRESS-9")
    garments = [f.GarmentImageFactory(sku=sku, view="front"), f.GarmentImageFactory(sku=sku, view="back")]
    users = {role: f.MembershipFactory(team=team, role=role, user__username=f"{role}-{team.slug}",
                                       user__email=f"{role}@example.com").user for role in Role.values}
    account = f.VendorAccountFactory(team=team)
    model_image = f.ModelImageFactory(fashion_model=f.FashionModelFactory(program=project.program))
    task = f.TaskFactory(sku=sku, team=team, account=account, status=S.REVIEW_SUBMITTED, num_outputs=4,
                         model_image=model_image, prompt="studio light, white background",
                         created_by=users[Role.CREATIVE], batch=f.BatchFactory(project=project))
    task.garment_images.set(garments)
    outputs = [f.TaskOutputFactory(task=task) for _ in range(4)]
    return {"team": team, "project": project, "sku": sku, "users": users, "task": task, "outputs": outputs,
            "garments": garments, "model_image": model_image}


def _reject_one(client, studio, comment="The logo is missing on the chest"):
    bad = studio["outputs"][2]
    client.force_login(studio["users"][Role.MANAGER])
    client.post(reverse("review_decide", args=[bad.pk]), {"decision": "rejected", "comment": comment})
    bad.refresh_from_db()
    assert bad.review_status == S.REVIEW_REJECTED
    return bad


def test_one_rejected_output_is_regenerated_alone_with_the_same_inputs_and_an_edited_prompt(client, studio):
    bad = _reject_one(client, studio)
    before = Task.objects.count()
    response = client.post(reverse("output_regenerate", args=[bad.pk]),
                           {"prompt": "studio light, logo visible on the chest", "form_token": "tok-1"})
    assert response.status_code == 302
    assert Task.objects.count() == before + 1
    remake = Task.objects.get(replaces=bad)
    original = studio["task"]
    assert (remake.sku_id, remake.account_id, remake.operation, remake.model_image_id, remake.num_outputs) == (
        original.sku_id, original.account_id, original.operation, original.model_image_id, 1)
    assert set(remake.garment_images.values_list("pk", flat=True)) == {g.pk for g in studio["garments"]}
    assert remake.prompt == "studio light, logo visible on the chest"
    # The other three outputs and the original task are untouched.
    original.refresh_from_db()
    assert original.outputs.count() == 4 and original.round == 1
    # A double click lands on the same remake.
    client.post(reverse("output_regenerate", args=[bad.pk]), {"prompt": "again", "form_token": "tok-1"})
    assert Task.objects.filter(replaces=bad).count() == 1


def test_only_a_rejected_output_can_be_regenerated_alone(client, studio):
    waiting = studio["outputs"][0]
    client.force_login(studio["users"][Role.MANAGER])
    response = client.post(reverse("output_regenerate", args=[waiting.pk]), {"form_token": "tok-2"}, follow=True)
    assert "Only a rejected output can be regenerated on its own" in response.content.decode()
    assert not Task.objects.filter(replaces=waiting).exists()


def test_a_client_cannot_regenerate(client, studio):
    bad = _reject_one(client, studio)
    client.force_login(studio["users"][Role.CLIENT])
    assert client.post(reverse("output_regenerate", args=[bad.pk]), {"form_token": "tok-3"}).status_code == 403


def test_the_reject_comment_shows_on_the_output_card_with_a_regenerate_button(client, studio):
    bad = _reject_one(client, studio, comment="Hem is two centimetres too short")
    client.force_login(studio["users"][Role.CREATIVE])
    html = client.get(reverse("sku_tasks", args=[studio["sku"].pk])).content.decode()
    assert f'data-reject-comment="{bad.pk}">“Hem is two centimetres too short”' in html
    assert reverse("output_regenerate", args=[bad.pk]) in html


def test_the_replacement_shows_what_it_replaces_and_the_whole_history(client, studio):
    bad = _reject_one(client, studio, comment="Wrong colour")
    client.post(reverse("output_regenerate", args=[bad.pk]), {"prompt": "deep navy", "form_token": "tok-4"})
    remake = Task.objects.get(replaces=bad)
    Task.objects.filter(pk=remake.pk).update(status=S.REVIEW_SUBMITTED)
    new_output = f.TaskOutputFactory(task=remake)
    html = client.get(reverse("review_board", args=[studio["project"].pk]),
                      {"selected": new_output.pk, "sku": "DRESS"}).content.decode()
    assert f"output #{bad.pk}" in html  # "Replaces output #N"
    assert "Wrong colour" in html  # the rejected output's decision is in this output's history
    assert "data-ab-toggle" in html  # and c compares the two
    assert reverse("output_file", args=[bad.pk]) in html


def test_the_launcher_hears_of_a_rejection_in_the_inbox_and_by_mail(client, studio,
                                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the mail leaves once the decision is committed
        _reject_one(client, studio, comment="Print is blurred")
    creative = studio["users"][Role.CREATIVE]
    message = InboxMessage.objects.get(recipient=creative)
    assert "Print is blurred" in message.text and "DRESS-9" in message.text
    assert [m.to for m in mail.outbox] == [[creative.email]]
    client.force_login(creative)
    assert 'data-unread>1<' in client.get(reverse("dashboard")).content.decode()
    html = client.get(reverse("inbox")).content.decode()
    assert "Print is blurred" in html and message.url.replace("&", "&amp;") in html
    message.refresh_from_db()
    assert message.read_at is not None
    assert "data-unread" not in client.get(reverse("dashboard")).content.decode()


def test_nobody_is_told_of_an_approval_or_of_their_own_rejection(client, studio):
    manager = studio["users"][Role.MANAGER]
    client.force_login(manager)
    client.post(reverse("review_decide", args=[studio["outputs"][0].pk]), {"decision": "approved"})
    studio["task"].created_by = manager
    studio["task"].save(update_fields=["created_by"])
    client.post(reverse("review_decide", args=[studio["outputs"][1].pk]),
                {"decision": "rejected", "comment": "mine"})
    assert not InboxMessage.objects.exists()


def test_managers_hear_once_when_a_batch_is_ready_for_review(studio, django_capture_on_commit_callbacks):
    batch = studio["task"].batch
    running = f.TaskFactory(sku=studio["sku"], team=studio["team"], account=studio["task"].account, batch=batch,
                            status=S.GENERATION_IN_PROCESS)
    assert batch_ready(batch.pk) == 0  # one task is still generating
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.transition_task(running, S.GENERATION_COMPLETED)
    told = set(InboxMessage.objects.filter(kind="batch_ready").values_list("recipient__username", flat=True))
    assert told == {studio["users"][Role.MANAGER].username, studio["users"][Role.ADMIN].username}
    assert batch_ready(batch.pk) == 0  # once
    assert InboxMessage.objects.filter(kind="batch_ready").count() == 2


def test_the_inbox_is_per_person_and_per_team(client, studio):
    review.reject(studio["outputs"][3], studio["users"][Role.MANAGER], comment="x")  # the service alone: no notice
    other = f.MembershipFactory(role=Role.CREATIVE).user
    InboxMessage.objects.create(team=studio["team"], recipient=studio["users"][Role.CREATIVE], kind="rejected",
                                text="SECRET-NOTE")
    client.force_login(other)
    assert "SECRET-NOTE" not in client.get(reverse("inbox")).content.decode()


def test_the_launcher_hears_when_the_client_asks_for_changes(client, studio):
    manager = studio["users"][Role.MANAGER]
    for output in studio["outputs"]:
        review.approve(output, manager)
    client.force_login(studio["users"][Role.CLIENT])
    client.post(reverse("client_decide", args=[studio["outputs"][0].pk]),
                {"decision": "rejected", "comment": "Colour is off"})
    message = InboxMessage.objects.get(recipient=studio["users"][Role.CREATIVE])
    assert "Colour is off" in message.text

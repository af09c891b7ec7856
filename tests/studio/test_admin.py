"""The Django admin: every model is reachable, lists stay cheap, pictures show, secrets and statuses are safe."""
import hashlib

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog import images
from catalog import models as cm
from generations import models as gm
from studio.models import Role
from tests import factories as f

pytestmark = pytest.mark.django_db

API_KEY = "sk-demo-" + "9f8e7d6c5b4a3210"
WEBHOOK_SECRET = "whsec_" + "aabbccddeeff0011"


def build_world():
    """One row of every model, linked the way the studio links them."""
    membership = f.MembershipFactory(role=Role.ADMIN)
    program = f.ProgramFactory(team=membership.team)
    cm.ProgramShare.objects.create(program=program, team=f.TeamFactory())
    sku = f.SKUFactory(project__program=program, fashion_model=f.FashionModelFactory(program=program),
                       style=f.StyleFactory(program=program))
    garment = f.GarmentImageFactory(sku=sku)
    model_image = f.ModelImageFactory(fashion_model=sku.fashion_model)
    f.PoseFactory(program=program)
    account = f.VendorAccountFactory(team=membership.team)
    account.set_api_key(API_KEY)
    account.set_webhook_secret(WEBHOOK_SECRET)
    account.save()
    task = f.TaskFactory(sku=sku, account=account, model_image=model_image,
                         batch=f.BatchFactory(project=sku.project), vendor_task_id="huhu-task-77",
                         attempt_key="attempt-abc")
    task.garment_images.add(garment)
    output = f.TaskOutputFactory(task=task, vendor_result_id="result-55")
    gm.ReviewEvent.objects.create(task=task, output=output, actor=membership.user, stage=gm.ReviewStage.REVIEW,
                                  decision=gm.Decision.APPROVED, comment="Looks right")
    gm.CreditEntry.objects.create(team=membership.team, account=account, task=task, kind=gm.CreditKind.CHARGE,
                                  credits=4)
    gm.WebhookEvent.objects.create(account=account, vendor=account.vendor, event_id=f"evt-{task.pk}",
                                   event_type="task.completed", task=task, payload={"task_id": "huhu-task-77"})
    gm.VendorReference.objects.create(account=account, kind="sku", content_type=ContentType.objects.get_for_model(sku),
                                      object_id=sku.pk, vendor_id=f"huhu-sku-{sku.pk}")
    gm.Comparison.objects.create(project=sku.project, winner=task, decided_by=membership.user)
    cm.ZipImport.objects.create(project=sku.project, archive="imports/spring.zip", created_by=membership.user)
    return {"sku": sku, "task": task, "garment": garment, "account": account, "output": output,
            "team": membership.team, "program": program}


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def changelist_queries(client, model) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url(model, "changelist")).status_code == 200
    return len(ctx)


def test_every_model_of_the_studio_is_registered():
    registered = set(admin.site._registry)
    for app in ("studio", "catalog", "generations", "api"):
        from django.apps import apps

        assert set(apps.get_app_config(app).get_models()) <= registered, app


def test_every_changelist_add_and_change_page_answers_for_a_superuser(admin_client):
    build_world()
    assert admin_client.get(reverse("admin:index")).status_code == 200
    for model in admin.site._registry:
        assert admin_client.get(url(model, "changelist")).status_code == 200, model
        read_only = type(admin.site._registry[model]).has_add_permission is not admin.ModelAdmin.has_add_permission
        # Read-only admins (the audit log, django-axes' attempt logs) refuse "add" with a 403.
        assert admin_client.get(url(model, "add")).status_code == (403 if read_only else 200), model
        obj = model._default_manager.first()
        if obj is not None:
            assert admin_client.get(url(model, "change", obj.pk)).status_code == 200, model


def test_changelists_cost_the_same_queries_with_more_rows(admin_client):
    build_world()
    admin_client.get(url(cm.SKU, "changelist"))  # warm the session and content-type caches
    few = {model: changelist_queries(admin_client, model) for model in admin.site._registry}
    build_world()
    build_world()
    many = {model: changelist_queries(admin_client, model) for model in admin.site._registry}
    assert {m._meta.label: n for m, n in many.items() if n != few[m]} == {}


def test_the_sku_page_shows_its_garment_images_as_thumbnails_and_its_tasks(admin_client):
    world = build_world()
    garment = world["garment"]
    images.save_thumbnail(garment)
    html = admin_client.get(url(cm.SKU, "change", world["sku"].pk)).content.decode()
    assert 'id="garment_images-group"' in html and 'id="tasks-group"' in html
    assert f'src="{garment.thumbnail.url}"' in html
    assert 'width="64" height="96"' in html  # a 64x96 image fitted into the 96 px box, proportions kept
    assert world["task"].get_operation_display() in html


def test_the_task_page_shows_outputs_and_review_events_with_vendor_ids_read_only(admin_client):
    world = build_world()
    html = admin_client.get(url(gm.Task, "change", world["task"].pk)).content.decode()
    assert 'id="outputs-group"' in html and 'id="review_events-group"' in html
    assert "Looks right" in html and "result-55" in html and "huhu-task-77" in html
    for field in ("status", "vendor_task_id", "vendor_state", "attempt_key"):
        assert f'name="{field}"' not in html, field
    assert f'src="{world["output"].file.url}"' in html


def test_team_and_program_pages_show_memberships_and_shares(admin_client):
    world = build_world()
    team_html = admin_client.get(url(f.Team, "change", world["team"].pk)).content.decode()
    program_html = admin_client.get(url(cm.Program, "change", world["program"].pk)).content.decode()
    assert 'id="memberships-group"' in team_html
    assert 'id="shares-group"' in program_html


def test_statuses_and_vendor_ids_cannot_be_edited_in_the_admin(admin_client):
    world = build_world()
    pages = [(cm.SKU, world["sku"], ["status"]), (cm.Project, world["sku"].project, ["status"]),
             (gm.TaskOutput, world["output"], ["review_status", "vendor_result_id"])]
    for model, obj, fields in pages:
        html = admin_client.get(url(model, "change", obj.pk)).content.decode()
        for field in fields:
            assert f'name="{field}"' not in html, (model, field)
    reference = gm.VendorReference.objects.first()
    html = admin_client.get(url(gm.VendorReference, "change", reference.pk)).content.decode()
    assert 'name="vendor_id"' not in html and reference.vendor_id in html
    event = gm.WebhookEvent.objects.first()
    assert 'name="payload"' not in admin_client.get(url(gm.WebhookEvent, "change", event.pk)).content.decode()


def test_the_recompute_action_derives_the_sku_status_from_its_tasks(admin_client):
    world = build_world()
    sku = world["sku"]
    cm.SKU.objects.filter(pk=sku.pk).update(status=cm.SKUStatus.COMPLETED)  # drifted, e.g. by a bad import
    admin_client.post(url(cm.SKU, "changelist"), {"action": "recompute_sku_status", "_selected_action": [sku.pk]})
    sku.refresh_from_db()
    assert sku.status == cm.SKUStatus.IN_PROCESS  # its only task is still "Task created"


# --- Vendor account secrets -------------------------------------------------------------------------------------
def account_form(team, **overrides):
    data = {"team": team.pk, "vendor": gm.Vendor.HUHU, "name": "Huhu production", "base_url": "",
            "concurrency_limit": 10, "submissions_per_minute": "", "settings": "{}", "api_key": API_KEY,
            "webhook_secret": WEBHOOK_SECRET}
    return {**data, **overrides}


def assert_no_secret(html: str, account=None):
    assert API_KEY not in html and WEBHOOK_SECRET not in html
    if account is not None:
        assert account.api_key_encrypted not in html and account.webhook_secret_encrypted not in html


def test_a_key_typed_into_the_admin_is_stored_encrypted_and_never_shown_again(admin_client):
    team = f.TeamFactory()
    response = admin_client.post(url(gm.VendorAccount, "add"), account_form(team))
    assert response.status_code == 302
    account = gm.VendorAccount.objects.get(name="Huhu production")
    assert account.reveal_api_key() == API_KEY and account.reveal_webhook_secret() == WEBHOOK_SECRET

    changelist = admin_client.get(url(gm.VendorAccount, "changelist")).content.decode()
    change = admin_client.get(url(gm.VendorAccount, "change", account.pk)).content.decode()
    for html in (changelist, change):
        assert_no_secret(html, account)
        assert "••••••••" in html
    history = admin_client.get(url(gm.VendorAccount, "history", account.pk)).content.decode()
    assert_no_secret(history, account)


def test_a_form_that_fails_validation_does_not_echo_the_typed_key(admin_client):
    team = f.TeamFactory()
    response = admin_client.post(url(gm.VendorAccount, "add"), account_form(team, base_url="not a url"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter a valid URL" in html
    assert_no_secret(html)
    assert not gm.VendorAccount.objects.exists()


def test_leaving_the_key_empty_keeps_the_current_one(admin_client):
    account = build_world()["account"]
    data = account_form(account.team, name="Renamed", api_key="", webhook_secret="")
    assert admin_client.post(url(gm.VendorAccount, "change", account.pk), data).status_code == 302
    account.refresh_from_db()
    assert account.name == "Renamed"
    assert account.reveal_api_key() == API_KEY and account.reveal_webhook_secret() == WEBHOOK_SECRET


def test_a_new_key_reactivates_an_account_the_vendor_had_disabled(admin_client):
    account = f.VendorAccountFactory(state=gm.AccountState.DISABLED, state_message="401 from vendor")
    data = account_form(account.team, name=account.name, api_key="sk-new-" + "1234567890ab")
    assert admin_client.post(url(gm.VendorAccount, "change", account.pk), data).status_code == 302
    account.refresh_from_db()
    assert account.state == gm.AccountState.ACTIVE
    assert account.reveal_api_key() == "sk-new-1234567890ab"


def test_account_state_is_changed_only_through_the_lifecycle_actions(admin_client):
    account = build_world()["account"]
    html = admin_client.get(url(gm.VendorAccount, "change", account.pk)).content.decode()
    assert 'name="state"' not in html
    admin_client.post(url(gm.VendorAccount, "changelist"),
                      {"action": "disable_accounts", "_selected_action": [account.pk]})
    account.refresh_from_db()
    assert account.state == gm.AccountState.DISABLED


# --- Uploads through the admin ----------------------------------------------------------------------------------
def test_an_admin_upload_is_checked_like_any_upload_and_queues_its_thumbnail(admin_client,
                                                                             django_capture_on_commit_callbacks):
    sku = f.SKUFactory()
    data = f.image_bytes(width=120, height=150, fmt="JPEG")
    upload = ContentFile(data, name="front.jpg")
    form = {"sku": sku.pk, "image": upload, "original_name": "", "garment_type": "Top", "view": "front",
            "presentation": "flatlay_clean", "caption": ""}
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = admin_client.post(url(cm.GarmentImage, "add"), form)
    assert response.status_code == 302
    garment = cm.GarmentImage.objects.get(sku=sku)
    assert garment.checksum == hashlib.sha256(data).hexdigest() and garment.size_bytes == len(data)
    assert (garment.width, garment.height, garment.original_name) == (120, 150, "front.jpg")
    assert len(queued) == 1  # the media worker makes the thumbnail, not this request

    changelist = admin_client.get(url(cm.GarmentImage, "changelist")).content.decode()
    assert f'src="{garment.image.url}" width="77" height="96"' in changelist


def test_an_admin_upload_over_the_size_limit_is_refused_with_a_reason(admin_client, settings):
    settings.STUDIO_MAX_IMAGE_BYTES = 200
    sku = f.SKUFactory()
    upload = ContentFile(f.image_bytes(width=300, height=300, fmt="JPEG"), name="big.jpg")
    form = {"sku": sku.pk, "image": upload, "garment_type": "Top", "view": "front", "presentation": "flatlay_clean"}
    response = admin_client.post(url(cm.GarmentImage, "add"), form)
    assert response.status_code == 200
    assert "the limit is" in response.content.decode()
    assert not cm.GarmentImage.objects.exists()

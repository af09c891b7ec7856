"""A client sees the work, not the machinery (issue 16.4): the internals are absent from every page a client gets,
and the internal pages are closed to them."""
import pytest
from django.urls import reverse

from generations import review
from generations.models import Batch, TaskStatus, Vendor
from studio.models import Role
from tests import factories as f
from tests.tenancy import routes, routes_generations
from tests.tenancy.world import build_world

S = TaskStatus
ACCOUNT = "INTERNAL-ACCOUNT-NAME"
BATCH = "INTERNAL-BATCH-LABEL"
VENDOR_MESSAGE = "INTERNAL-VENDOR-MESSAGE"
REMARK = "INTERNAL-MANAGER-REMARK"

# What a client may open: the catalog they were shared, the approval board, approved files, exports.
CLIENT_PAGES = {"program_detail", "project_detail", "sku_detail", "sku_tasks", "client_board", "output_file",
                "output_thumbnail", "project_export_zip", "project_export_manifest", "media_file", "model_gallery",
                "model_detail", "pose_library", "style_list", "export_job", "export_job_download",
                # The same catalog and exports through the API, for a client's signed-in browser or key.
                "api:program-detail", "api:project-detail", "api:sku-detail", "api:fashion-model-detail",
                "api:model-image-detail", "api:pose-detail", "api:export-detail"}


@pytest.fixture
def client_world(db, monkeypatch):
    for name in ("_huhu_request", "_comparison"):  # each builds one object: build it once for all routes
        original, memo = getattr(routes_generations, name), {}
        monkeypatch.setattr(routes_generations, name,
                            lambda w, o=original, m=memo: m["x"] if "x" in m else m.setdefault("x", o(w)))
    world = build_world()
    urls = {name: reverse(name, kwargs=fn(world)) for name, fn in routes.OBJECT_ROUTES.items()}
    member = f.MembershipFactory(team=world.team_a, role=Role.CLIENT)
    return world, urls, member


def test_every_internal_page_is_closed_to_a_client(client, client_world):
    world, urls, member = client_world
    client.force_login(member.user)
    opened = set()
    for name, url in sorted(urls.items()):
        response = client.get(url)
        assert response.status_code in (200, 302, 403, 404, 405), (name, response.status_code)
        if response.status_code == 200:
            opened.add(name)
    assert opened <= CLIENT_PAGES, f"internal pages a client can open: {sorted(opened - CLIENT_PAGES)}"
    for internal in ("project_batches", "batch_panel", "import_detail", "task_card", "review_board", "generate",
                     "bulk_generate", "account_edit", "moderation_lane", "project_comparisons", "huhu_model_request",
                     "api:batch-detail", "api:import-detail"):
        assert client.get(urls[internal]).status_code in (403, 404), internal
    for team_page in ("account_list", "team_settings", "team_audit"):
        assert client.get(reverse(team_page)).status_code in (403, 404), team_page


@pytest.fixture
def shared(db):
    """A project with an approved output (visible to the client), a rejected and a waiting one (not visible)."""
    team = f.TeamFactory()
    project = f.ProjectFactory(program=f.ProgramFactory(team=team))
    sku = f.SKUFactory(project=project, code="TEE-1")
    account = f.VendorAccountFactory(team=team, name=ACCOUNT, vendor=Vendor.SANDBOX, state_message=VENDOR_MESSAGE)
    batch = f.BatchFactory(project=project, label=BATCH)
    manager = f.MembershipFactory(team=team, role=Role.MANAGER).user
    client_user = f.MembershipFactory(team=team, role=Role.CLIENT).user
    decided = f.TaskFactory(sku=sku, team=team, account=account, batch=batch, status=S.REVIEW_SUBMITTED,
                            num_outputs=2, error_message=VENDOR_MESSAGE)
    approved, rejected = (f.TaskOutputFactory(task=decided) for _ in range(2))
    review.approve(approved, manager)
    review.reject(rejected, manager, comment=REMARK)
    waiting_task = f.TaskFactory(sku=f.SKUFactory(project=project, code="JEANS-2"), team=team, account=account,
                                 batch=batch, status=S.REVIEW_SUBMITTED)
    waiting = f.TaskOutputFactory(task=waiting_task)
    return {"project": project, "sku": sku, "client": client_user, "approved": approved, "rejected": rejected,
            "waiting": waiting, "waiting_sku": waiting_task.sku}


INTERNALS = (ACCOUNT, BATCH, VENDOR_MESSAGE, REMARK, "Vendor accounts", "Recent activity", "Batch progress",
             "Review submitted", "Review approved", "Review rejected", "Review in process", "Generation",
             "Sandbox", "Tasks", "Outputs", "Import a zip", "Bulk generate", "Review board", "credits")


def _pages(client, shared):
    project, sku = shared["project"], shared["sku"]
    yield "dashboard", client.get(reverse("dashboard"))
    yield "program", client.get(reverse("program_detail", args=[project.program_id]))
    yield "project", client.get(reverse("project_detail", args=[project.pk]))
    yield "sku", client.get(reverse("sku_detail", args=[sku.pk]))
    yield "sku images", client.get(reverse("sku_tasks", args=[sku.pk]), headers={"HX-Request": "true"})
    yield "board", client.get(reverse("client_board", args=[project.pk]))
    yield "board (all)", client.get(reverse("client_board", args=[project.pk]), {"status": "all"})


def test_the_internals_are_absent_from_the_html_a_client_receives(client, shared):
    client.force_login(shared["client"])
    for label, response in _pages(client, shared):
        assert response.status_code == 200, label
        html = response.content.decode()
        leaked = [word for word in INTERNALS if word in html]
        assert not leaked, f"{label} shows a client {leaked}"
        for hidden in (shared["rejected"], shared["waiting"]):
            assert reverse("output_thumbnail", args=[hidden.pk]) not in html, label


def test_the_same_pages_show_the_internals_to_a_manager(client, shared):
    """The check above can fail: the words it looks for are on the studio's own pages."""
    manager = shared["project"].program.team.memberships.get(role=Role.MANAGER).user
    client.force_login(manager)
    html = "".join(r.content.decode() for _label, r in _pages_manager(client, shared))
    for word in (ACCOUNT, "Vendor accounts", "Recent activity", "Tasks", "Outputs", "Review board"):
        assert word in html, word


def _pages_manager(client, shared):
    yield "dashboard", client.get(reverse("dashboard"))
    yield "project", client.get(reverse("project_detail", args=[shared["project"].pk]))


def test_a_client_sees_each_sku_in_their_own_words(client, shared):
    client.force_login(shared["client"])
    html = client.get(reverse("project_detail", args=[shared["project"].pk])).content.decode()
    assert "Awaiting you" in html  # TEE-1: an approved output waits for the client
    assert "In progress at the studio" in html  # JEANS-2: nothing approved yet, and no count of what is waiting
    review.client_reject(shared["approved"], shared["client"], comment="sleeve too long")
    html = client.get(reverse("sku_detail", args=[shared["sku"].pk])).content.decode()
    assert "Changes requested" in html


def test_the_client_board_offers_bulk_approve_and_approves_only_what_waits_for_them(client, shared):
    client.force_login(shared["client"])
    html = client.get(reverse("client_board", args=[shared["project"].pk])).content.decode()
    assert "Approve selected" in html
    response = client.post(reverse("client_bulk_approve", args=[shared["project"].pk]),
                           {"outputs": [shared["approved"].pk, shared["waiting"].pk]})
    assert response.status_code == 302
    for output in (shared["approved"], shared["waiting"]):
        output.refresh_from_db()
    assert shared["approved"].review_status == S.CLIENT_APPROVED
    assert shared["waiting"].review_status == S.REVIEW_SUBMITTED  # never the client's to decide


def test_the_client_board_large_view_shows_the_garment_beside_the_image(client, shared):
    front = f.GarmentImageFactory(sku=shared["sku"], view="front")
    back = f.GarmentImageFactory(sku=shared["sku"], view="back")
    client.force_login(shared["client"])
    html = client.get(reverse("client_board", args=[shared["project"].pk])).content.decode()
    assert 'data-pane="output"' in html
    assert front.image.url in html and back.image.url in html
    assert 'data-pane="garment-front"' in html and 'data-pane="garment-back"' in html


def test_batch_is_not_a_word_on_the_client_board(shared):
    assert Batch.objects.filter(label=BATCH).exists()  # the marker exists, so its absence above means something

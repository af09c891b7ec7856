"""Contract tests for the catalog resources: programs, projects, SKUs, garment images (multipart and by URL), zip
imports, models and poses. Validation errors name the field; roles are the pages' roles."""
import io
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from catalog.models import SKU, GarmentImage, ZipImport
from studio.models import Role
from tests import factories as f


def test_a_pim_creates_a_program_a_project_and_a_sku_then_updates_the_sku(api):
    program = api.post("/api/v1/programs/", {"name": "Autumn brand"}, format="json")
    assert program.status_code == 201 and program.json()["owned"] is True
    project = api.post("/api/v1/projects/", {"program": program.json()["id"], "name": "AW26",
                                             "budget_credits": "500"}, format="json")
    assert project.status_code == 201 and project.json()["status"] == "Created"
    sku = api.post("/api/v1/skus/", {"project": project.json()["id"], "code": "AW26-001", "name": "Wool coat",
                                     "category": "coat", "garment_type": "Full body"}, format="json")
    assert sku.status_code == 201, sku.json()
    changed = api.patch(f"/api/v1/skus/{sku.json()['id']}/", {"name": "Wool coat, navy"}, format="json")
    assert changed.status_code == 200
    stored = SKU.objects.get(pk=sku.json()["id"])
    assert (stored.name, stored.code, stored.garment_type) == ("Wool coat, navy", "AW26-001", "Full body")


def test_validation_errors_name_the_field(api, project):
    f.SKUFactory(project=project, code="DUP-1")
    response = api.post("/api/v1/skus/", {"project": project.pk, "code": "DUP-1", "garment_type": "Hat"},
                        format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"garment_type", "__all__"} or "garment_type" in error["fields"]
    assert SKU.objects.filter(project=project).count() == 1


def test_a_sku_in_another_teams_project_cannot_be_created(api, db):
    foreign = f.ProjectFactory()
    response = api.post("/api/v1/skus/", {"project": foreign.pk, "code": "X-1"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"project": ["Choose one of your team's projects."]}
    assert not SKU.objects.filter(code="X-1").exists()


@pytest.mark.parametrize("role, allowed", [(Role.ADMIN, True), (Role.MANAGER, True), (Role.CREATIVE, True),
                                           (Role.CLIENT, False)])
def test_creating_a_sku_follows_the_role_of_the_key(api_for, project, role, allowed):
    response = api_for(role).post("/api/v1/skus/", {"project": project.pk, "code": f"R-{role}"}, format="json")
    assert response.status_code == (201 if allowed else 403)
    assert SKU.objects.filter(code=f"R-{role}").exists() is allowed


def test_two_garment_photos_upload_in_one_multipart_request_and_a_bad_file_is_refused_by_name(api, project):
    sku = f.SKUFactory(project=project)
    files = [io.BytesIO(f.image_bytes(color=(10, 200, 10))), io.BytesIO(f.image_bytes(color=(10, 10, 200))),
             io.BytesIO(b"not an image")]
    for handle, name in zip(files, ["coat_front.png", "coat_back.png", "notes.png"]):
        handle.name = name
    response = api.post(f"/api/v1/skus/{sku.pk}/garment-images/", {"files": files}, format="multipart")
    assert response.status_code == 201
    body = response.json()
    assert sorted(i["view"] for i in body["saved"]) == ["back", "front"]
    assert [r["name"] for r in body["refused"]] == ["notes.png"]
    assert GarmentImage.objects.filter(sku=sku).count() == 2


class _ImageHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        data = f.image_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def image_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ImageHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_a_garment_url_is_fetched_through_the_guarded_downloader(api, project, image_server, settings):
    sku = f.SKUFactory(project=project)
    settings.STUDIO_FETCH_ALLOW_HOSTS = []
    refused = api.post(f"/api/v1/skus/{sku.pk}/garment-images/", {"url": f"{image_server}/front.png"},
                       format="json")
    assert refused.status_code == 422
    assert "non-public address" in refused.json()["error"]["fields"]["url"][0]
    settings.STUDIO_FETCH_ALLOW_HOSTS = ["127.0.0.1"]  # as the tests' fake vendors are
    fetched = api.post(f"/api/v1/skus/{sku.pk}/garment-images/", {"url": f"{image_server}/front.png"},
                       format="json")
    assert fetched.status_code == 201 and fetched.json()["saved"][0]["original_name"] == "front.png"


def _zip() -> io.BytesIO:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("SKU-A/front.png", f.image_bytes())
    buf.seek(0)
    buf.name = "season.zip"
    return buf


def test_a_zip_import_starts_reports_and_replays_on_the_same_idempotency_key(
        api, project, _no_broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post("/api/v1/imports/", {"project": project.pk, "archive": _zip()}, format="multipart",
                         HTTP_IDEMPOTENCY_KEY="import-1")
    assert first.status_code == 202
    again = api.post("/api/v1/imports/", {"project": project.pk, "archive": _zip()}, format="multipart",
                     HTTP_IDEMPOTENCY_KEY="import-1")
    assert again.status_code == 202 and again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert ZipImport.objects.count() == 1 and ("import", first.json()["id"]) in _no_broker
    from catalog.zip_ingest import run_import

    run_import(first.json()["id"])
    report = api.get(f"/api/v1/imports/{first.json()['id']}/").json()
    assert report["status"] == "done" and report["skus_created"] == 1
    assert report["report"][0]["sku"] == "SKU-A"


def test_models_model_images_and_poses_are_listed_for_the_team(api, team):
    program = f.ProgramFactory(team=team)
    image = f.ModelImageFactory(fashion_model__program=program)
    f.PoseFactory(program=program, name="Hands on hips")
    f.PoseFactory(name="Another team's pose")
    assert [m["id"] for m in api.get("/api/v1/fashion-models/").json()["results"]] == [image.fashion_model_id]
    assert [m["id"] for m in api.get("/api/v1/model-images/").json()["results"]] == [image.pk]
    assert [p["name"] for p in api.get("/api/v1/poses/").json()["results"]] == ["Hands on hips"]


def test_a_pim_archives_a_sku_which_leaves_the_current_list_and_keeps_its_history(api, project):
    sku = f.SKUFactory(project=project, code="OLD-1")
    task = f.TaskFactory(sku=sku, team=project.program.team)
    archived = api.post(f"/api/v1/skus/{sku.pk}/archive/")
    assert archived.status_code == 200 and archived.json()["archived_at"]
    current = api.get("/api/v1/skus/", {"project": project.pk, "archived": "false"}).json()
    assert sku.pk not in [row["id"] for row in current["results"]]
    assert sku.pk in [row["id"] for row in api.get("/api/v1/skus/", {"archived": "true"}).json()["results"]]
    assert task.__class__.objects.filter(pk=task.pk).exists()  # its tasks stay
    assert api.post(f"/api/v1/skus/{sku.pk}/archive/").json()["archived_at"] == archived.json()["archived_at"]
    back = api.post(f"/api/v1/skus/{sku.pk}/unarchive/")
    assert back.status_code == 200 and back.json()["archived_at"] is None


@pytest.mark.parametrize("role, allowed", [(Role.CREATIVE, True), (Role.CLIENT, False)])
def test_archiving_follows_the_role_of_the_key(api_for, project, role, allowed):
    sku = f.SKUFactory(project=project)
    response = api_for(role).post(f"/api/v1/skus/{sku.pk}/archive/")
    assert (response.status_code == 200) is allowed
    sku.refresh_from_db()
    assert (sku.archived_at is not None) is allowed

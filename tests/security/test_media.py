"""Issue 14.10: every stored file is served through a team-checked view; nothing under /media/ is served unchecked
in any mode (DEBUG included), and a vendor fetches our images only through a signed, expiring link."""
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client, override_settings
from django.urls import reverse

from catalog.models import Pose, ZipImport
from studio import media
from studio.models import Role
from tests.factories import (GarmentImageFactory, MembershipFactory, ModelImageFactory, ProjectFactory, SKUFactory,
                             TaskOutputFactory, image_bytes)
from tests.generations.test_export import approved_output

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored():
    """One file of every kind, owned by one team: (its creative, the team, the project, {kind: storage name})."""
    creative = MembershipFactory(role=Role.CREATIVE)
    team = creative.team
    project = ProjectFactory(program__team=team)
    garment = GarmentImageFactory(sku__project=project)
    garment.thumbnail.save("g-thumb.png", ContentFile(image_bytes()), save=True)
    model_image = ModelImageFactory(fashion_model__program=project.program)
    pose = Pose.objects.create(program=project.program, name="Pose A")
    pose.reference_image.save("pose.png", ContentFile(image_bytes()), save=True)
    output = TaskOutputFactory(task__sku=garment.sku, task__team=team)
    zip_import = ZipImport.objects.create(project=project, archive=ContentFile(b"PK\x05\x06" + bytes(18), "a.zip"),
                                          original_name="a.zip")
    names = {"garment": garment.image.name, "garment thumbnail": garment.thumbnail.name,
             "model image": model_image.image.name, "pose": pose.reference_image.name,
             "output": output.file.name, "import": zip_import.archive.name}
    return creative, team, project, names


def _get(client, name, **extra):
    return client.get(reverse("media_file", kwargs={"name": name}), **extra)


@pytest.mark.parametrize("debug", [False, True])
def test_no_stored_file_is_served_without_a_session(stored, debug):
    _, _, _, names = stored
    with override_settings(DEBUG=debug):
        for kind, name in names.items():
            assert default_storage.exists(name), kind
            assert Client().get(f"/media/{name}").status_code == 404, kind


def test_another_team_gets_404_for_every_kind_of_file(stored):
    _, _, _, names = stored
    outsider = Client()
    outsider.force_login(MembershipFactory(role=Role.ADMIN).user)
    for kind, name in names.items():
        assert _get(outsider, name).status_code == 404, kind


def test_the_owning_team_gets_every_kind_of_file(stored):
    creative, _, _, names = stored
    client = Client()
    client.force_login(creative.user)
    for kind, name in names.items():
        response = _get(client, name)
        assert response.status_code == 200, kind
        assert b"".join(response.streaming_content) == default_storage.open(name).read()
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "private, max-age=3600"  # never a shared cache


def test_a_client_sees_approved_outputs_but_not_the_workshop(stored):
    _, team, project, names = stored
    client_member = MembershipFactory(role=Role.CLIENT, team=team)
    approved = approved_output(SKUFactory(project=project))
    browser = Client()
    browser.force_login(client_member.user)
    assert _get(browser, approved.file.name).status_code == 200
    assert _get(browser, names["output"]).status_code == 404  # not approved
    assert _get(browser, names["garment"]).status_code == 404


def test_pages_link_stored_files_through_the_checked_view(stored):
    creative, _, _, names = stored
    assert default_storage.url(names["garment"]) == reverse("media_file", kwargs={"name": names["garment"]})


def test_behind_nginx_the_file_is_handed_over_with_x_accel_redirect(stored, settings):
    creative, _, _, names = stored
    settings.STUDIO_MEDIA_ACCEL_PREFIX = "/protected-media/"
    client = Client()
    client.force_login(creative.user)
    response = _get(client, names["garment"])
    assert response.status_code == 200 and response["X-Accel-Redirect"] == f"/protected-media/{names['garment']}"
    assert response.content == b""


def test_a_vendor_link_is_signed_and_expires(stored, settings):
    _, _, _, names = stored
    from catalog.models import GarmentImage

    garment = GarmentImage.objects.get(image=names["garment"])
    url = media.vendor_url(garment.image)
    assert url.startswith(settings.STUDIO_PUBLIC_URL + "/media/") and "?sig=" in url
    path = url[len(settings.STUDIO_PUBLIC_URL):]
    assert Client().get(path).status_code == 200
    assert Client().get(path.replace(names["garment"], names["model image"])).status_code == 404  # not this file
    settings.STUDIO_MEDIA_LINK_SECONDS = 0
    time.sleep(1.1)
    assert Client().get(path).status_code == 404


def test_traversal_names_are_404(stored):
    creative, _, _, _ = stored
    client = Client()
    client.force_login(creative.user)
    for name in ["../settings.py", "garments/../../etc/passwd", "garments/%00x"]:
        assert client.get(f"/media/{name}").status_code == 404

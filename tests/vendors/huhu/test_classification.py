"""Huhu's garment classification read back (issue 13, point 8): GET /sku detail (001 §5.10) gives each garment
image's Huhu id and its AI classification (garment_type, view, presentation); the SKU page shows it beside ours where
they differ, and a person chooses."""
import pytest
from django.urls import reverse

from generations.vendors.huhu import jobs as huhu_jobs
from generations.vendors.huhu import sync as huhu_sync
from generations.models import VendorReference
from studio.models import Role
from tests.factories import MembershipFactory
from tests.vendors.huhu.test_support import (account, fake, queued, run_until_settled,  # noqa: F401
                                                         try_on_task)

pytestmark = pytest.mark.django_db


@pytest.fixture
def tried(fake, account, queued):
    task = run_until_settled(try_on_task(account, back=True))
    (sku,) = fake.skus.values()
    return task.sku, sku


def test_each_garment_image_gets_huhus_image_id_and_classification(fake, account, tried):
    sku, huhu_sku = tried
    rows = huhu_sync.read_classification(account, sku)
    assert len(rows) == 2 and all(not row.differs for row in rows)  # the fake agrees with ours here
    by_view = {g["view"]: g["image_id"] for g in huhu_sku["garment_images"]}
    for row in rows:
        ref = VendorReference.objects.get(kind="huhu_garment_image", object_id=row.garment.pk)
        assert ref.vendor_id == by_view[row.garment.view]  # matched by content, not by position
    detail = [r for r in fake.requests if r.path.endswith("/sku") and r.arg("sku_id")]
    assert len(detail) == 1 and detail[0].arg("program_id")


def test_where_huhu_differs_the_sku_page_shows_both_and_a_person_chooses(client, fake, account, tried):
    sku, huhu_sku = tried
    back = next(g for g in huhu_sku["garment_images"] if g["view"] == "back")
    back["garment_type"], back["presentation"] = "Bottom", "on_mannequin"  # Huhu's AI saw it otherwise
    member = MembershipFactory(team=account.team, role=Role.ADMIN)
    client.force_login(member.user)
    huhu_jobs.read_classification.run(account.pk, sku.pk)
    html = client.get(reverse("sku_huhu", args=[sku.pk]), headers={"HX-Request": "true"}).content.decode()
    assert "Bottom · back · on_mannequin" in html and "Keep ours" in html and "Use Huhu's" in html
    garment = sku.garment_images.get(view="back")
    ours = garment.garment_type
    client.post(reverse("sku_huhu_choose", args=[sku.pk]), {"account": account.pk, "garment": garment.pk,
                                                            "choice": "huhu"})
    garment.refresh_from_db()
    assert (garment.garment_type, garment.presentation) == ("Bottom", "on_mannequin") and ours != "Bottom"
    html = client.get(reverse("sku_huhu", args=[sku.pk]), headers={"HX-Request": "true"}).content.decode()
    assert "Keep ours" not in html


def test_keeping_ours_closes_the_question_until_huhu_answers_differently(fake, account, tried):
    sku, huhu_sku = tried
    front = next(g for g in huhu_sku["garment_images"] if g["view"] == "front")
    front["presentation"] = "on_model"
    rows = huhu_sync.read_classification(account, sku)
    (row,) = [r for r in rows if r.differs]
    huhu_sync.decide_classification(account, row.garment, "ours")
    row.garment.refresh_from_db()
    assert row.garment.presentation != "on_model"
    assert [r.decision for r in huhu_sync.read_classification(account, sku) if r.differs] == ["ours"]
    front["presentation"] = "on_mannequin"
    assert [r.decision for r in huhu_sync.read_classification(account, sku) if r.differs] == [""]

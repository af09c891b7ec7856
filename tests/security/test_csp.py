"""Issue 14.4: a Content-Security-Policy in every mode, with a nonce for the script tags, no 'unsafe-inline' and no
'unsafe-eval'; htmx configured for it (no eval, so no hx-on attributes; no injected styles). The browser test walks
the main pages in Chromium with the policy enforced and fails on any console error."""
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from generations.models import TaskStatus
from studio.models import Role
from tests import factories as f

pytestmark = pytest.mark.django_db
TEMPLATES = Path(settings.BASE_DIR) / "templates"


@pytest.fixture
def creative_client():
    membership = f.MembershipFactory(role=Role.CREATIVE)
    client = Client()
    client.force_login(membership.user)
    return client, membership


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.parametrize("url", ["/accounts/login/", "/dashboard/"])
def test_every_page_carries_a_strict_policy(creative_client, url):
    client = creative_client[0] if url != "/accounts/login/" else Client()
    response = client.get(url)
    assert response.status_code == 200
    policy = _policy(response)
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert "default-src 'self'" in policy["default-src"]
    nonce = re.search(r"'nonce-([^']+)'", policy["script-src"]).group(1)
    scripts = re.findall(rb"<script[^>]*>", response.content)
    inline = [s for s in scripts if b" src=" not in s]
    assert all(f'nonce="{nonce}"'.encode() in s for s in inline), inline
    assert b'"allowEval": false' in response.content and b'"includeIndicatorStyles": false' in response.content


def test_each_response_has_its_own_nonce(creative_client):
    client, _ = creative_client
    first, second = (_policy(client.get("/dashboard/"))["script-src"] for _ in range(2))
    assert first != second


def test_no_template_uses_inline_handlers_styles_or_hx_on():
    offenders = []
    pattern = re.compile(r"""\shx-on[:-]|\son[a-z]+=["']|\sstyle=["']|<style\b|javascript:""")
    for path in TEMPLATES.rglob("*.html"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(TEMPLATES)}:{number}")
    assert not offenders, offenders


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_the_main_pages_work_in_chromium_with_the_policy_enforced(page, live_server, transactional_db):
    from tests.browser.test_studio_path import PASSWORD

    team = f.TeamFactory(name="Atelier")
    project = f.ProjectFactory(program=f.ProgramFactory(team=team), name="SS27")
    sku = f.SKUFactory(project=project, code="TEE-9")
    f.GarmentImageFactory(sku=sku)
    f.VendorAccountFactory(team=team, name="Local sandbox")
    manager = f.MembershipFactory(team=team, role=Role.MANAGER).user
    task = f.TaskFactory(sku=sku, team=team, status=TaskStatus.REVIEW_SUBMITTED,
                         account=team.vendor_accounts.get())
    f.TaskOutputFactory(task=task, review_status=TaskStatus.REVIEW_SUBMITTED)
    f.TaskOutputFactory(task=task, review_status=TaskStatus.REVIEW_SUBMITTED)

    failed = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto("/accounts/login/")
    page.fill("input[name=username]", manager.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    expect(page.locator(".who .user")).to_have_text(manager.username)
    policy = page.request.get("/dashboard/").headers["content-security-policy"]  # enforced, not report-only
    assert "script-src 'self' 'nonce-" in policy and "unsafe" not in policy

    page.click("a:has-text('SS27')") if page.locator("a:has-text('SS27')").count() else page.goto(
        f"/projects/{project.pk}/")
    expect(page.locator("h1")).to_have_text("SS27")
    page.goto(f"/skus/{sku.pk}/")  # garment image through the team-checked media view
    expect(page.locator("h1")).to_have_text("TEE-9")
    statuses = page.evaluate("Promise.all(Array.from(document.images).map(i => fetch(i.src).then(r => r.status)))")
    assert statuses and set(statuses) == {200}, statuses

    page.goto(f"/projects/{project.pk}/generate/?sku={sku.pk}")  # htmx options and the estimate
    expect(page.locator("#estimate")).to_contain_text("credit")

    page.goto(f"/projects/{project.pk}/review/")  # keyboard review through review.js and htmx swaps
    expect(page.locator(".review-tile")).to_have_count(2)
    page.keyboard.press("a")
    expect(page.locator(".waiting-count")).to_have_text("1 waiting for review")

    page.click("a:has-text('Dashboard')")  # hx-boost navigation
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    assert page.console_errors == [], failed

"""The dashboard: the team's programs (owned and shared with it), vendor accounts with credits and state, recent
activity, and a team switcher for people in several teams."""
from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import ProgramShare
from generations.models import AccountState, TaskStatus
from studio.models import Role
from tests import factories as f


@pytest.fixture
def member(db):
    return f.MembershipFactory(role=Role.MANAGER, team__name="Atelier")


@pytest.fixture
def browser(client, member):
    client.force_login(member.user)
    return client


def dashboard(client) -> str:
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return response.content.decode()


def test_programs_owned_and_shared_with_the_team_are_listed(browser, member):
    owned = f.ProgramFactory(team=member.team, name="House brand")
    f.ProjectFactory.create_batch(2, program=owned)
    partner = f.ProgramFactory(name="Partner label", team__name="Partner Co")
    ProgramShare.objects.create(program=partner, team=member.team)
    f.ProgramFactory(name="Not ours")

    html = dashboard(browser)

    assert "House brand" in html and "2 projects" in html
    assert "Partner label" in html and "Shared by Partner Co" in html
    assert "Not ours" not in html
    assert reverse("program_detail", args=[partner.pk]) in html


def test_each_vendor_account_shows_balance_and_state_with_its_message(browser, member):
    f.VendorAccountFactory(team=member.team, name="Huhu main", vendor="huhu", credit_balance=Decimal("120.50"))
    f.VendorAccountFactory(team=member.team, name="Uwear", vendor="uwear", state=AccountState.PAUSED,
                           credit_balance=Decimal("0"), state_message="Out of credits: top up to resume.")
    f.VendorAccountFactory(team=member.team, name="Hautech", vendor="hautech", state=AccountState.DISABLED,
                           state_message="The API key was rejected (401).")

    html = dashboard(browser)

    assert "Huhu main" in html and "120.50" in html and '<span class="badge account-active">Active</span>' in html
    assert '<span class="badge account-paused">Paused (out of credits)</span>' in html
    assert "Out of credits: top up to resume." in html
    assert '<span class="badge account-disabled">Disabled (key rejected)</span>' in html
    assert "The API key was rejected (401)." in html
    assert "unknown" in html  # Hautech's balance was never checked


def test_recent_activity_lists_the_latest_tasks_with_links(browser, member):
    sku = f.SKUFactory(project__program__team=member.team, code="TEE-77")
    f.TaskFactory(sku=sku, status=TaskStatus.GENERATION_COMPLETED)

    html = dashboard(browser)

    assert "TEE-77" in html and reverse("sku_detail", args=[sku.pk]) in html
    assert '<span class="badge status-generation-completed">Generation completed</span>' in html


def test_empty_states_say_what_to_do(browser):
    html = dashboard(browser)

    assert "No programs yet." in html and "No vendor accounts." in html and "Nothing generated yet." in html


def test_someone_in_one_team_sees_no_switcher(browser):
    assert 'action="/team/switch/"' not in dashboard(browser)


def test_someone_in_several_teams_switches_between_them(browser, member):
    other = f.MembershipFactory(user=member.user, team__name="Zeta Studio", role=Role.CLIENT)
    f.ProgramFactory(team=other.team, name="Zeta program")

    html = dashboard(browser)
    assert f'action="{reverse("switch_team")}"' in html and "Zeta Studio (Client)" in html
    assert "Zeta program" not in html

    response = browser.post(reverse("switch_team"), {"team": other.team_id}, follow=True)

    html = response.content.decode()
    assert "Now working in Zeta Studio." in html and "Zeta program" in html
    assert f'<option value="{other.team_id}" selected>' in html


def test_switching_to_a_team_you_are_not_in_does_nothing(browser, member):
    stranger = f.TeamFactory(name="Strangers")
    f.ProgramFactory(team=stranger, name="Their program")

    response = browser.post(reverse("switch_team"), {"team": stranger.pk}, follow=True)

    assert "Their program" not in response.content.decode()

"""The team settings page as a team admin sees it: the name and the vision switches (with the warning when no
ArtEmotion account can run them), the members with their roles, and who may come here at all."""
import re

import pytest
from django.test import Client
from django.urls import reverse

from catalog.models import GarmentImage
from generations.models import AccountState, Vendor
from studio.models import Membership, Role
from tests import factories as f

HTMX = {"HX-Request": "true"}
NO_ACCOUNT = "no active ArtEmotion account"
FAILS_CLOSED = "The gate fails closed"


@pytest.fixture
def admin(db):
    return f.MembershipFactory(role=Role.ADMIN, team__name="Atelier", user__username="ada")


@pytest.fixture
def team(admin):
    return admin.team


@pytest.fixture
def browser(client, admin):
    client.force_login(admin.user)
    return client


def settings_page(client) -> str:
    response = client.get(reverse("team_settings"))
    assert response.status_code == 200
    return response.content.decode()


def checkbox(html: str, name: str) -> str:
    return re.search(rf'<input type="checkbox" name="{name}"[^>]*>', html).group(0)


def artemotion_account(team, **fields):
    account = f.VendorAccountFactory(team=team, vendor=Vendor.ARTEMOTION, **fields)
    account.set_api_key("ae-test-key")
    account.save()
    return account


# --- name and switches --------------------------------------------------------------------------------------------
def test_the_switches_are_off_by_default_and_explained(browser):
    html = settings_page(browser)

    assert "Caption new garment images with ArtEmotion Vision" in html
    assert "Hold outputs for an NSFW check before review" in html
    assert "checked" not in checkbox(html, "captions_enabled")
    assert "checked" not in checkbox(html, "nsfw_gate_enabled")
    assert "moderation lane" in html and "never overwritten" in html


def test_the_name_and_both_switches_are_saved_and_shown_checked(browser, team):
    response = browser.post(reverse("team_settings_save"),
                            {"name": "Atelier Nord", "captions_enabled": "on", "nsfw_gate_enabled": "on"}, follow=True)

    team.refresh_from_db()
    assert (team.name, team.captions_enabled, team.nsfw_gate_enabled) == ("Atelier Nord", True, True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("team_settings")
    assert "Team settings saved." in html and "Atelier Nord" in html
    assert "checked" in checkbox(html, "captions_enabled") and "checked" in checkbox(html, "nsfw_gate_enabled")


def test_a_switch_is_turned_off_again_by_an_htmx_save_that_answers_the_section(browser, team):
    team.captions_enabled = team.nsfw_gate_enabled = True
    team.save()

    html = browser.post(reverse("team_settings_save"), {"name": "Atelier", "nsfw_gate_enabled": "on"},
                        headers=HTMX).content.decode()

    team.refresh_from_db()
    assert not team.captions_enabled and team.nsfw_gate_enabled
    assert html.lstrip().startswith('<section id="team-settings"')
    assert "checked" not in checkbox(html, "captions_enabled") and "checked" in checkbox(html, "nsfw_gate_enabled")
    assert "Team settings saved." in html  # the toast comes with the fragment


def test_an_empty_name_is_refused_and_nothing_changes(browser, team):
    html = browser.post(reverse("team_settings_save"), {"name": "  ", "captions_enabled": "on"},
                        headers=HTMX).content.decode()

    team.refresh_from_db()
    assert team.name == "Atelier" and not team.captions_enabled
    assert "Not saved" in html


def test_without_an_artemotion_account_the_page_warns_that_the_gate_fails_closed(browser, team):
    f.VendorAccountFactory(team=team, vendor=Vendor.SANDBOX)  # another vendor does not run vision
    artemotion_account(team, state=AccountState.DISABLED)  # nor does a disabled ArtEmotion account

    html = settings_page(browser)

    assert html.count(NO_ACCOUNT) == 2  # one under each switch
    assert FAILS_CLOSED in html and "stays held" in html
    assert f'{reverse("account_create")}?vendor=artemotion' in html


def test_with_an_active_artemotion_account_there_is_no_warning(browser, team):
    artemotion_account(team)

    html = settings_page(browser)

    assert NO_ACCOUNT not in html and FAILS_CLOSED not in html


def test_another_teams_artemotion_account_does_not_count(browser):
    artemotion_account(f.TeamFactory())

    assert FAILS_CLOSED in settings_page(browser)


# --- members ------------------------------------------------------------------------------------------------------
def test_the_members_are_listed_with_their_roles(browser, team):
    f.MembershipFactory(team=team, role=Role.CLIENT, user__username="carla")
    f.MembershipFactory(role=Role.ADMIN, user__username="outsider")

    html = settings_page(browser)

    assert 'data-member="ada"' in html and 'data-member="carla"' in html
    assert "outsider" not in html
    carla = re.search(r'data-member="carla".*?</tr>', html, re.S).group(0)
    assert '<option value="client" selected>' in carla


def test_an_admin_changes_a_members_role(browser, team):
    creative = f.MembershipFactory(team=team, role=Role.CREATIVE, user__username="cleo")

    html = browser.post(reverse("team_member_role", args=[creative.pk]), {"role": Role.MANAGER},
                        headers=HTMX).content.decode()

    creative.refresh_from_db()
    assert creative.role == Role.MANAGER
    assert html.lstrip().startswith('<section id="team-members"')
    assert "cleo is now manager." in html
    row = re.search(r'data-member="cleo".*?</tr>', html, re.S).group(0)
    assert '<option value="manager" selected>' in row


def test_an_unknown_role_is_refused(browser, team):
    creative = f.MembershipFactory(team=team, role=Role.CREATIVE)

    html = browser.post(reverse("team_member_role", args=[creative.pk]), {"role": "owner"},
                        headers=HTMX).content.decode()

    assert Membership.objects.get(pk=creative.pk).role == Role.CREATIVE
    assert "Choose one of the roles." in html


def test_an_admin_removes_a_member(browser, team):
    leaving = f.MembershipFactory(team=team, role=Role.MANAGER, user__username="mona")

    response = browser.post(reverse("team_member_remove", args=[leaving.pk]), follow=True)

    assert not Membership.objects.filter(pk=leaving.pk).exists()
    assert leaving.user.__class__.objects.filter(pk=leaving.user_id).exists()  # the login itself stays
    html = response.content.decode()
    assert "Removed mona from Atelier." in html and 'data-member="mona"' not in html


def test_a_member_is_invited_by_e_mail_and_nobody_is_added_without_accepting(browser, team, mailoutbox):
    newcomer = f.UserFactory(username="Nadia", email="nadia@example.com")

    html = browser.post(reverse("team_invite"), {"email": "nadia@example.com", "role": Role.CLIENT},
                        headers=HTMX).content.decode()

    assert not Membership.objects.filter(team=team, user=newcomer).exists()  # consent first (test_invitations)
    assert "Invitation sent to nadia@example.com." in html and "nadia@example.com · client" in html
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["nadia@example.com"]


def test_the_last_admin_can_be_neither_demoted_nor_removed(browser, admin):
    f.MembershipFactory(team=admin.team, role=Role.MANAGER)

    demoted = browser.post(reverse("team_member_role", args=[admin.pk]), {"role": Role.MANAGER},
                           headers=HTMX).content.decode()
    removed = browser.post(reverse("team_member_remove", args=[admin.pk]), headers=HTMX).content.decode()

    admin.refresh_from_db()
    assert admin.role == Role.ADMIN
    assert "ada is the team&#x27;s last admin" in demoted and "ada is the team&#x27;s last admin" in removed
    # The page offers no control that would do it either.
    row = re.search(r'data-member="ada".*?</tr>', settings_page(browser), re.S).group(0)
    assert "The last admin" in row and "team_member_remove" not in row and "<select" not in row


def test_with_two_admins_one_may_step_down_and_loses_the_page(browser, admin):
    f.MembershipFactory(team=admin.team, role=Role.ADMIN, user__username="bea")

    response = browser.post(reverse("team_member_role", args=[admin.pk]), {"role": Role.MANAGER}, headers=HTMX)

    admin.refresh_from_db()
    assert admin.role == Role.MANAGER
    assert response.headers["HX-Redirect"] == reverse("dashboard")
    assert browser.get(reverse("team_settings")).status_code == 403


# --- who may come here --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", [Role.MANAGER, Role.CREATIVE, Role.CLIENT])
def test_only_admins_see_or_change_team_settings(client, team, role):
    member = f.MembershipFactory(team=team, role=role)
    other = f.MembershipFactory(team=team, role=Role.CREATIVE)
    client.force_login(member.user)

    assert client.get(reverse("team_settings")).status_code == 403
    assert client.post(reverse("team_settings_save"), {"name": "Taken", "nsfw_gate_enabled": "on"}).status_code == 403
    assert client.post(reverse("team_invite"), {"email": "someone@example.com", "role": Role.ADMIN}
                       ).status_code == 403
    assert client.post(reverse("team_member_role", args=[member.pk]), {"role": Role.ADMIN}).status_code == 403
    assert client.post(reverse("team_member_remove", args=[other.pk])).status_code == 403

    team.refresh_from_db()
    assert team.name == "Atelier" and not team.nsfw_gate_enabled
    assert Membership.objects.get(pk=member.pk).role == role and Membership.objects.filter(pk=other.pk).exists()


def test_an_admin_of_another_team_cannot_touch_these_members(client, team):
    member = f.MembershipFactory(team=team, role=Role.CREATIVE)
    stranger = f.MembershipFactory(role=Role.ADMIN)
    client.force_login(stranger.user)

    assert client.post(reverse("team_member_role", args=[member.pk]), {"role": Role.ADMIN}).status_code == 404
    assert client.post(reverse("team_member_remove", args=[member.pk])).status_code == 404
    assert Membership.objects.get(pk=member.pk).role == Role.CREATIVE


def test_the_top_bar_links_team_settings_and_vendor_accounts_for_admins_only(browser, client, team):
    html = browser.get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("team_settings")}"' in html and f'href="{reverse("account_list")}"' in html

    manager = f.MembershipFactory(team=team, role=Role.MANAGER)
    client.force_login(manager.user)
    html = client.get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("team_settings")}"' not in html and f'href="{reverse("account_list")}"' not in html


def test_every_change_needs_the_csrf_token(admin):
    team = admin.team
    victim = f.MembershipFactory(team=team, role=Role.CREATIVE)
    f.UserFactory(username="intruder")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin.user)

    posts = [
        (reverse("team_settings_save"), {"name": "Hijacked", "nsfw_gate_enabled": "on"}),
        (reverse("team_invite"), {"email": "intruder@example.com", "role": Role.ADMIN}),
        (reverse("team_member_role", args=[victim.pk]), {"role": Role.ADMIN}),
        (reverse("team_member_remove", args=[victim.pk]), {}),
    ]
    for url, data in posts:
        assert strict.post(url, data).status_code == 403, url

    team.refresh_from_db()
    assert team.name == "Atelier" and not team.nsfw_gate_enabled
    assert Membership.objects.get(pk=victim.pk).role == Role.CREATIVE
    assert not Membership.objects.filter(team=team, user__username="intruder").exists()

    # The page's own token (in the form and in hx-headers) is what makes a change go through.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', settings_page(strict)).group(1)
    assert strict.post(reverse("team_settings_save"), {"name": "Atelier", "nsfw_gate_enabled": "on",
                                                       "csrfmiddlewaretoken": token}).status_code == 302
    team.refresh_from_db()
    assert team.nsfw_gate_enabled


# --- captions are people's words too: the SKU page the warning points to shows and edits them ----------------------
def garment_post(image, *, shown_caption: str, **fields):
    """The row's form as the browser sends it, with the caption the page showed in its hidden initial field."""
    prefix = f"g{image.pk}"
    data = {f"{prefix}-garment_type": image.garment_type, f"{prefix}-view": image.view,
            f"{prefix}-presentation": image.presentation, f"initial-{prefix}-caption": shown_caption}
    data.update({f"{prefix}-{name}": value for name, value in fields.items()})
    return data


def test_a_garment_caption_is_shown_and_edited_in_place_on_the_sku_page(browser, team):
    image = f.GarmentImageFactory(sku__project__program__team=team, caption="Red cotton tee")

    page = browser.get(reverse("sku_detail", args=[image.sku_id])).content.decode()
    html = browser.post(reverse("garment_image_update", args=[image.pk]),
                        garment_post(image, shown_caption="Red cotton tee", caption="  Red cotton tee, boxy fit  "),
                        headers=HTMX).content.decode()

    assert f'name="g{image.pk}-caption"' in page and "Red cotton tee</textarea>" in page
    assert f'name="initial-g{image.pk}-caption" value="Red cotton tee"' in page
    image.refresh_from_db()
    assert image.caption == "Red cotton tee, boxy fit"
    assert "Saved" in html and "Red cotton tee, boxy fit</textarea>" in html


def test_a_caption_written_after_the_page_was_drawn_survives_an_edit_of_another_field(browser, team):
    """The vision worker captions the image while the page is open with an empty caption box; changing the view then
    must not blank the new caption."""
    image = f.GarmentImageFactory(sku__project__program__team=team, caption="")
    GarmentImage.objects.filter(pk=image.pk).update(caption="A navy wool coat")

    html = browser.post(reverse("garment_image_update", args=[image.pk]),
                        garment_post(image, shown_caption="", view="back", caption=""),
                        headers=HTMX).content.decode()

    image.refresh_from_db()
    assert (image.view, image.caption) == ("back", "A navy wool coat")
    assert "A navy wool coat</textarea>" in html


def test_a_client_reads_the_caption_without_an_editor(client, team):
    image = f.GarmentImageFactory(sku__project__program__team=team, caption="Linen shirt, white")
    client.force_login(f.MembershipFactory(team=team, role=Role.CLIENT).user)

    html = client.get(reverse("sku_detail", args=[image.sku_id])).content.decode()

    assert "Linen shirt, white" in html and "<textarea" not in html


def test_a_person_may_clear_a_caption_on_purpose(browser, team):
    image = f.GarmentImageFactory(sku__project__program__team=team, caption="Wrong words")

    browser.post(reverse("garment_image_update", args=[image.pk]),
                 garment_post(image, shown_caption="Wrong words", caption=""), headers=HTMX)

    image.refresh_from_db()
    assert image.caption == ""

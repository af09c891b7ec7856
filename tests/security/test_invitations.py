"""Issue 14.5: no one joins a team without consent, and inviting reveals nothing about other teams' users."""
import re

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from studio.models import AuditAction, AuditEvent, Invitation, Membership, Role
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "pass-for-tests-123"


@pytest.fixture
def admin():
    membership = MembershipFactory(role=Role.ADMIN, team__name="Atelier")
    client = Client()
    client.force_login(membership.user)
    client.membership = membership
    return client


def _link(mail) -> str:
    return re.search(r"https?://\S+/invitations/\S+/", mail.body).group(0)


def _path(link: str) -> str:
    return link[link.index("/invitations/"):]


def test_the_old_add_by_username_route_is_gone():
    from django.urls import NoReverseMatch

    with pytest.raises(NoReverseMatch):
        reverse("team_member_add")


def test_the_answer_is_the_same_whether_or_not_the_address_has_a_login(admin, mailoutbox):
    other_team_user = MembershipFactory(user__email="known@example.com").user
    known = admin.post(reverse("team_invite"), {"email": "known@example.com", "role": Role.CREATIVE}, follow=True)
    unknown = admin.post(reverse("team_invite"), {"email": "nobody@example.com", "role": Role.CREATIVE}, follow=True)
    assert known.status_code == unknown.status_code == 200
    toast = lambda r, email: re.search(rb'id="toasts".*?</div>', r.content, re.S).group(0).replace(  # noqa: E731
        email.encode(), b"EMAIL")
    assert toast(known, "known@example.com") == toast(unknown, "nobody@example.com")
    assert b"Invitation sent to EMAIL" in toast(known, "known@example.com")
    assert other_team_user.username.encode() not in known.content
    assert not Membership.objects.filter(team=admin.membership.team, user=other_team_user).exists()
    assert len(mailoutbox) == 2


def test_an_existing_user_must_confirm_before_joining(admin, mailoutbox):
    user = UserFactory(email="ann@example.com")
    admin.post(reverse("team_invite"), {"email": "ann@example.com", "role": Role.MANAGER})
    path = _path(_link(mailoutbox[0]))
    ann = Client()
    ann.force_login(user)
    page = ann.get(path)
    assert page.status_code == 200 and b"Join Atelier" in page.content
    assert not Membership.objects.filter(user=user, team=admin.membership.team).exists()  # a visit is no consent
    ann.post(path)
    assert Membership.objects.get(user=user, team=admin.membership.team).role == Role.MANAGER
    assert ann.post(path).status_code == 404  # used once
    assert AuditEvent.objects.filter(team=admin.membership.team, action=AuditAction.INVITATION_ACCEPTED).exists()
    assert AuditEvent.objects.filter(team=admin.membership.team, action=AuditAction.INVITATION_SENT).exists()


def test_someone_without_a_login_creates_one_from_the_link(admin, mailoutbox):
    admin.post(reverse("team_invite"), {"email": "new@example.com", "role": Role.CLIENT})
    path = _path(_link(mailoutbox[0]))
    visitor = Client()
    visitor.post(path, {"username": "newcomer", "password": "a-long-unusual-pass-93"})
    membership = Membership.objects.get(user__username="newcomer")
    assert membership.team == admin.membership.team and membership.role == Role.CLIENT
    assert membership.user.email == "new@example.com"
    assert visitor.get(reverse("dashboard")).status_code == 200


def test_an_expired_or_forged_link_is_refused(admin, mailoutbox, settings):
    admin.post(reverse("team_invite"), {"email": "late@example.com", "role": Role.ADMIN})
    invitation = Invitation.objects.get()
    forged = signing.TimestampSigner(salt="another-salt").sign(str(invitation.pk))
    visitor = Client()
    assert visitor.get(f"/invitations/{forged}/").status_code == 404
    assert visitor.get(f"/invitations/{invitation.pk}/").status_code == 404
    settings.STUDIO_INVITATION_DAYS = -1  # every link is past its age now
    path = _path(_link(mailoutbox[0]))
    assert visitor.post(path, {"username": "late", "password": "a-long-unusual-pass-93"}).status_code == 404
    assert not Membership.objects.filter(user__username="late").exists()


def test_the_mail_goes_through_djangos_backend_with_a_link_to_the_public_url(admin, mailoutbox, settings):
    admin.post(reverse("team_invite"), {"email": "mail@example.com", "role": Role.CREATIVE})
    mail, = mailoutbox
    assert mail.to == ["mail@example.com"] and "Atelier" in mail.subject
    assert _link(mail).startswith(settings.STUDIO_PUBLIC_URL + "/invitations/")

"""Invitations (issue 14.5): an admin invites an e-mail address with a role; the person accepts through a signed
link that expires after STUDIO_INVITATION_DAYS; an existing user confirms before joining. Mail goes through
Django's mail backend (console in development, SMTP from EMAIL_URL in production). What the admin is told never
depends on whether the address already has a login, so invitations cannot be used to find other teams' users."""
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from .models import Invitation, Membership

SALT = "studio.invitation"


class InvitationInvalid(Exception):
    pass


def token_for(invitation: Invitation) -> str:
    return signing.TimestampSigner(salt=SALT).sign(str(invitation.pk))


def accept_url(invitation: Invitation) -> str:
    return settings.STUDIO_PUBLIC_URL + reverse("invitation_accept", kwargs={"token": token_for(invitation)})


def invite(team, inviter, email: str, role: str) -> Invitation:
    invitation = Invitation.objects.create(team=team, email=email.strip().lower(), role=role, invited_by=inviter)
    days = settings.STUDIO_INVITATION_DAYS
    send_mail(
        subject=f"You are invited to {team.name} on Fashion Studio",
        message=(f"{inviter.get_username()} invites you to join {team.name} on Fashion Studio as "
                 f"{invitation.get_role_display().lower()}.\n\nAccept within {days} days:\n{accept_url(invitation)}\n\n"
                 "If you did not expect this, ignore this message."),
        from_email=None, recipient_list=[invitation.email])
    return invitation


def open_invitation(token: str) -> Invitation:
    """The invitation a token names, while it is valid: signed by us, not expired, not used yet."""
    try:
        pk = signing.TimestampSigner(salt=SALT).unsign(token, max_age=settings.STUDIO_INVITATION_DAYS * 86400)
    except signing.BadSignature:  # includes SignatureExpired
        raise InvitationInvalid("This invitation link is not valid or has expired.") from None
    invitation = Invitation.objects.select_related("team").filter(pk=pk, accepted_at__isnull=True).first()
    if invitation is None:
        raise InvitationInvalid("This invitation link is not valid or has expired.")
    return invitation


def accept(invitation: Invitation, user) -> Membership:
    """Join the team (once: the invitation is claimed with a conditional update)."""
    with transaction.atomic():
        claimed = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
            accepted_at=timezone.now(), accepted_by=user)
        if not claimed:
            raise InvitationInvalid("This invitation was already used.")
        membership = Membership.objects.filter(team=invitation.team, user=user).first()
        if membership is None:
            try:
                with transaction.atomic():
                    membership = Membership.objects.create(team=invitation.team, user=user, role=invitation.role)
            except IntegrityError:
                membership = Membership.objects.get(team=invitation.team, user=user)
    return membership


def create_user(invitation: Invitation, username: str, password: str):
    return get_user_model().objects.create_user(username=username, email=invitation.email, password=password)

"""Sign-in events into the audit log: signed in, failed sign-in, locked out (django-axes)."""
from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from . import audit
from .models import AuditAction, Team


def _teams_of(user):
    return list(Team.objects.filter(memberships__user=user)) if user is not None else []


def _user_named(username):
    if not username:
        return None
    return get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: username}).first()


def _record_for_teams(user, action, target, ip, **details):
    teams = _teams_of(user) or [None]  # an unknown username is kept for the Django admin, not shown to a team
    for team in teams:
        audit.record(team, None, action, target, ip=ip, **details)


@receiver(user_logged_in, dispatch_uid="studio-audit-sign-in")
def _signed_in(sender, request, user, **kwargs):
    ip = audit.request_ip(request)
    for team in _teams_of(user) or [None]:
        audit.record(team, user, AuditAction.SIGN_IN, user.get_username(), ip=ip)


@receiver(user_login_failed, dispatch_uid="studio-audit-sign-in-failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs):
    username = str((credentials or {}).get("username") or "")[:150]
    _record_for_teams(_user_named(username), AuditAction.SIGN_IN_FAILED, username, audit.request_ip(request))


@receiver(user_locked_out, dispatch_uid="studio-audit-locked-out")
def _locked_out(sender, request, username, ip_address, **kwargs):
    username = str(username or "")[:150]
    _record_for_teams(_user_named(username), AuditAction.LOCKED_OUT, username, ip_address)

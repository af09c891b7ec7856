"""Accepting an invitation (studio/invitations.py). Public route: the signed token is the credential. A signed-in
person confirms with a button; someone without a login makes one, or signs in first."""
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from . import audit, invitations
from .forms import JoinForm
from .tenancy import SESSION_KEY

TEMPLATE = "studio/invitation.html"


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str):
    try:
        invitation = invitations.open_invitation(token)
    except invitations.InvitationInvalid as exc:
        return render(request, TEMPLATE, {"invalid": str(exc)}, status=404)
    join_form = JoinForm(request.POST if request.method == "POST" and not request.user.is_authenticated else None)
    if request.method == "POST":
        user = request.user if request.user.is_authenticated else None
        if user is None and join_form.is_valid():
            user = invitations.create_user(invitation, join_form.cleaned_data["username"],
                                           join_form.cleaned_data["password"])
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        if user is not None:
            try:
                membership = invitations.accept(invitation, user)
            except invitations.InvitationInvalid as exc:
                return render(request, TEMPLATE, {"invalid": str(exc)}, status=404)
            audit.record(invitation.team, user, audit.AuditAction.INVITATION_ACCEPTED, invitation.email,
                         ip=audit.request_ip(request), role=membership.role)
            request.session[SESSION_KEY] = invitation.team_id
            messages.success(request, f"Welcome to {invitation.team.name}.")
            return redirect("dashboard")
    return render(request, TEMPLATE, {"invitation": invitation, "join_form": join_form, "token": token})

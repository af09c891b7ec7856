"""The team settings page (team admins, roles.MANAGE_MEMBERS): name, vision switches, members and their roles.

Every change is a POST. htmx gets the changed section back (Django 6 template partials); a plain form redirects to
the page with a message.
"""
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from generations.vendors import registry

from . import audit, invitations, roles
from .forms import InviteForm, MembershipError, RoleForm, TeamSettingsForm, change_role, remove_member
from .models import Membership, Role
from .tenancy import member_required

TEMPLATE = "studio/team_settings.html"
MEMBERS_PER_PAGE = 50


def _fragment(request) -> bool:
    return bool(request.htmx) and not request.htmx.boosted


def _members_context(request, add_form=None) -> dict:
    team = request.team
    members = Membership.objects.filter(team=team).select_related("user").order_by("user__username", "pk")
    page = Paginator(members, MEMBERS_PER_PAGE).get_page(request.GET.get("page") or request.POST.get("page"))
    return {
        "team": team, "page": page, "members": list(page.object_list),
        "admin_count": Membership.objects.filter(team=team, role=Role.ADMIN).count(),
        "roles": Role.choices, "add_form": add_form or InviteForm(),
        "pending_invitations": team.invitations.filter(accepted_at__isnull=True).order_by("-created_at")[:20],
    }


def _settings_context(request, form=None) -> dict:
    team = request.team
    return {"team": team, "form": form or TeamSettingsForm(instance=team),
            "has_vision_account": registry.account_offering(team, "vision") is not None}


@require_GET
@member_required(roles.MANAGE_MEMBERS)
def team_settings(request: HttpRequest):
    return render(request, TEMPLATE, {**_settings_context(request), **_members_context(request)})


@require_POST
@member_required(roles.MANAGE_MEMBERS)
def team_settings_save(request: HttpRequest):
    form = TeamSettingsForm(request.POST, instance=request.team)
    if form.is_valid():
        form.save()
        messages.success(request, "Team settings saved.")
    else:
        messages.error(request, "Not saved: " + " ".join(e for errors in form.errors.values() for e in errors))
    if _fragment(request):
        context = _settings_context(request, form if form.errors else None)
        return render(request, f"{TEMPLATE}#settings", {**context, "toasts": True})
    return redirect("team_settings")


def _after_member_change(request, own_membership_changed: bool):
    """The members section again; if admins changed their own role or left, the page is no longer theirs."""
    if own_membership_changed:
        if _fragment(request):
            return HttpResponseClientRedirect(reverse("dashboard"))
        return redirect("dashboard")
    if _fragment(request):
        return render(request, f"{TEMPLATE}#members", {**_members_context(request), "toasts": True})
    return redirect("team_settings")


@require_POST
@member_required(roles.MANAGE_MEMBERS)
def team_invite(request: HttpRequest):
    """Invite an e-mail address with a role. The answer is the same whether or not the address has a login."""
    form = InviteForm(request.POST)
    if form.is_valid():
        email, role = form.cleaned_data["email"], form.cleaned_data["role"]
        invitations.invite(request.team, request.user, email, role)
        audit.record_request(request, audit.AuditAction.INVITATION_SENT, email, role=role)
        messages.success(request, f"Invitation sent to {email}. It is valid for "
                                  f"{settings.STUDIO_INVITATION_DAYS} days.")
        form = None
    else:
        messages.error(request, "Not sent: " + " ".join(e for errors in form.errors.values() for e in errors))
    if _fragment(request):
        return render(request, f"{TEMPLATE}#members", {**_members_context(request, form), "toasts": True})
    return redirect("team_settings")


def _team_membership(request, pk) -> Membership:
    return get_object_or_404(Membership.objects.filter(team=request.team).select_related("user"), pk=pk)


@require_POST
@member_required(roles.MANAGE_MEMBERS)
def team_member_role(request: HttpRequest, pk: int):
    membership = _team_membership(request, pk)
    form = RoleForm(request.POST)
    before = membership.role
    try:
        if not form.is_valid():
            raise MembershipError("Choose one of the roles.")
        change_role(membership, form.cleaned_data["role"])
    except MembershipError as exc:
        messages.error(request, str(exc))
        return _after_member_change(request, False)
    if membership.role != before:
        audit.record_request(request, audit.AuditAction.ROLE_CHANGED, membership.user.username,
                             before=before, after=membership.role)
    messages.success(request, f"{membership.user.username} is now {membership.get_role_display().lower()}.")
    own = membership.pk == request.membership.pk and not roles.can(membership, roles.MANAGE_MEMBERS)
    return _after_member_change(request, own)


@require_POST
@member_required(roles.MANAGE_MEMBERS)
def team_member_remove(request: HttpRequest, pk: int):
    membership = _team_membership(request, pk)
    try:
        remove_member(membership)
    except MembershipError as exc:
        messages.error(request, str(exc))
        return _after_member_change(request, False)
    audit.record_request(request, audit.AuditAction.MEMBER_REMOVED, membership.user.username, role=membership.role)
    messages.success(request, f"Removed {membership.user.username} from {request.team.name}.")
    return _after_member_change(request, membership.pk == request.membership.pk)

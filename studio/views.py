from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from catalog.models import Program
from generations.models import Task, VendorAccount

from .tenancy import SESSION_KEY, member_required


@require_GET
def home(request: HttpRequest):
    if not request.user.is_authenticated:
        return redirect("login")
    return redirect("dashboard")


@require_GET
@member_required()
def dashboard(request: HttpRequest):
    team = request.team
    context = {
        "programs": Program.objects.for_team(team).select_related("team")[:50],
        "accounts": VendorAccount.objects.for_team(team),
        "recent_tasks": Task.objects.for_team(team).select_related("sku", "sku__project", "account")[:20],
    }
    return render(request, "studio/dashboard.html", context)


@require_POST
@member_required()
def switch_team(request: HttpRequest):
    team_id = request.POST.get("team")
    membership = request.user.memberships.filter(team_id=team_id).select_related("team").first()
    if membership:
        request.session[SESSION_KEY] = membership.team_id
        messages.info(request, f"Now working in {membership.team.name}.")
    return redirect("dashboard")

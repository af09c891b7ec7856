from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from catalog.models import Program
from generations.models import Task, VendorAccount

from .ids import parse_id
from .tenancy import SESSION_KEY, member_required

DASHBOARD_PROGRAMS = 100
RECENT_TASKS = 15


@require_GET
def home(request: HttpRequest):
    if not request.user.is_authenticated:
        return redirect("login")
    return redirect("dashboard")


@require_GET
@member_required()
def dashboard(request: HttpRequest):
    team = request.team
    programs = (Program.objects.for_team(team).select_related("team")
                .annotate(project_count=Count("projects", distinct=True)).order_by("name"))
    listed = list(programs[:DASHBOARD_PROGRAMS])
    context = {
        # Owned programs first, then those other teams shared with us; a long list is cut and says so.
        "owned_programs": [p for p in listed if p.team_id == team.pk],
        "shared_programs": [p for p in listed if p.team_id != team.pk],
        "program_total": programs.count() if len(listed) == DASHBOARD_PROGRAMS else len(listed),
        "program_shown": len(listed),
        "accounts": VendorAccount.objects.for_team(team).order_by("name"),
        "recent_tasks": (Task.objects.for_team(team)
                         .select_related("sku", "sku__project", "account").order_by("-updated_at")[:RECENT_TASKS]),
        "memberships": request.user.memberships.select_related("team").order_by("team__name"),
    }
    return render(request, "studio/dashboard.html", context)


@require_POST
@member_required()
def switch_team(request: HttpRequest):
    team_id = parse_id(request.POST.get("team"))
    membership = request.user.memberships.filter(team_id=team_id).select_related("team").first()
    if membership:
        request.session[SESSION_KEY] = membership.team_id
        messages.info(request, f"Now working in {membership.team.name}.")
    return redirect("dashboard")

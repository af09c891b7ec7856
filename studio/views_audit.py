"""The team's audit log (team admins, roles.MANAGE_MEMBERS): filter by who, what, when and from which address.
Read-only: there is no route that changes an AuditEvent, and the model refuses updates and deletes."""
from datetime import datetime, time

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from . import roles
from .models import AuditAction, AuditEvent
from .tenancy import member_required

PER_PAGE = 50


class AuditFilter(forms.Form):
    who = forms.CharField(required=False, max_length=150, label="Who")
    action = forms.ChoiceField(required=False, choices=[("", "Any event"), *AuditAction.choices], label="What")
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    ip = forms.GenericIPAddressField(required=False, label="IP address")

    def apply(self, events):
        if not self.is_valid():
            return events.none()
        data = self.cleaned_data
        if data["who"]:
            events = events.filter(actor_name__icontains=data["who"]) | events.filter(
                actor_name="", target__icontains=data["who"])
        if data["action"]:
            events = events.filter(action=data["action"])
        zone = timezone.get_current_timezone()
        if data["since"]:
            events = events.filter(created_at__gte=datetime.combine(data["since"], time.min, zone))
        if data["until"]:
            events = events.filter(created_at__lte=datetime.combine(data["until"], time.max, zone))
        if data["ip"]:
            events = events.filter(ip=data["ip"])
        return events


@require_GET
@member_required(roles.MANAGE_MEMBERS)
def team_audit(request: HttpRequest):
    form = AuditFilter(request.GET or None)
    events = AuditEvent.objects.filter(team=request.team).order_by("-created_at", "-pk")
    if form.is_bound:
        events = form.apply(events)
    page = Paginator(events, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "studio/audit_log.html", {"form": form, "page": page, "events": page.object_list,
                                                     "query": query.urlencode()})

"""The in-app inbox page: the current member's messages in the current team, newest first; opening it marks
them read."""
from django.http import HttpRequest
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .inbox import mark_read
from .models import InboxMessage
from .tenancy import member_required

SHOWN = 100


@require_GET
@member_required()
def inbox(request: HttpRequest):
    messages = list(InboxMessage.objects.filter(recipient=request.user, team=request.team)[:SHOWN])
    mark_read(request.user, request.team)
    return render(request, "studio/inbox.html", {"inbox_messages": messages})

"""Atelier's panel on the SKU page (AtelierAdapter.contributions): the SKU's Atelier jobs."""
from django.http import HttpResponse
from django.utils.html import format_html, format_html_join

from catalog.models import SKU
from generations.models import Task
from studio.roles import EDIT
from studio.tenancy import member_required


@member_required(EDIT)
def sku_panel(request, pk: int):
    sku = SKU.objects.for_team(request.team).filter(pk=pk).first()
    if sku is None:
        return HttpResponse(status=404)  # another team's SKU: as if it did not exist
    tasks = Task.objects.for_team(request.team).filter(sku=sku, account__vendor="atelier").order_by("pk")
    rows = format_html_join("", "<li>{} · {}</li>", ((t.vendor_task_id or "not sent", t.status) for t in tasks))
    return HttpResponse(format_html('<section class="card" id="atelier-panel"><h2>Atelier fit notes</h2>'
                                    "<ul>{}</ul></section>", rows))

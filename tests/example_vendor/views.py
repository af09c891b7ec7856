"""Atelier's panel on the SKU page (AtelierAdapter.contributions): the SKU's Atelier jobs."""
from django.http import HttpResponse
from django.utils.html import format_html, format_html_join

from generations.models import Task
from generations.vendors.pages import sku_page


@sku_page("GET")  # a member, the team's SKU (another team's: 404), then roles.EDIT
def sku_panel(request, sku):
    tasks = Task.objects.for_team(request.team).filter(sku=sku, account__vendor="atelier").order_by("pk")
    rows = format_html_join("", "<li>{} · {}</li>", ((t.vendor_task_id or "not sent", t.status) for t in tasks))
    return HttpResponse(format_html('<section class="card" id="atelier-panel"><h2>Atelier fit notes</h2>'
                                    "<ul>{}</ul></section>", rows))

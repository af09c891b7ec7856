"""{% vendor_pieces "<page>" obj %}: what the team's vendor accounts add to a core page (panels, actions, links).

The core templates (SKU, fashion model, model gallery, pose library, account) know no vendor: they ask the
registry (generations.vendors.registry.contributions), which reads each vendor package's adapter class.
"""
from django import template
from django.urls import NoReverseMatch, reverse

from generations.models import VendorAccount
from generations.vendors import registry
from studio.roles import can

register = template.Library()


def _attr(obj, path: str):
    for name in path.split("."):
        obj = getattr(obj, name)
    return obj


@register.inclusion_tag("generations/_vendor_pieces.html", takes_context=True)
def vendor_pieces(context, page: str, obj, kinds: str = "panel action link", account=None):
    """`kinds` picks where on the page: the page head shows "action link", the body "panel". On an account's own
    page, `account` limits the pieces to that account's vendor."""
    request = context["request"]
    membership = getattr(request, "membership", None)
    accounts = [account] if account is not None else list(
        VendorAccount.objects.for_team(request.team).only("pk", "name", "vendor", "state"))
    wanted = kinds.split()
    pieces = []
    for piece, chosen in registry.contributions(page, accounts):
        if piece.kind not in wanted or not can(membership, piece.role):
            continue
        try:
            url = reverse(piece.url_name, args=[_attr(obj, piece.url_arg)])
        except NoReverseMatch:  # the package's urls are not mounted (a broken package): show nothing
            continue
        pieces.append({"piece": piece, "account": chosen, "url": url + piece.query.format(obj=obj),
                       "title": piece.title.format(obj=obj),
                       "dom_id": f"{page}-{chosen.vendor}-loader"})
    return {"pieces": pieces, "request": request, "csrf_token": context.get("csrf_token")}

"""Styles (background and scene templates) of a program: list, create, edit name and prompt in place."""
from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from studio import roles
from studio.tenancy import member_required

from ..forms import StyleForm
from ..models import Style
from ..pagination import paginate
from .common import is_fragment, permissions, require
from .programs import visible_program

TEMPLATE = "catalog/styles.html"


def _context(request, program, form=None):
    page = paginate(request, Style.objects.filter(program=program))
    return {"program": program, "page": page, "styles": page.object_list, "form": form or StyleForm(),
            **permissions(request)}


@require_GET
@member_required()
def style_list(request: HttpRequest, pk: int):
    program = visible_program(request, pk)
    return render(request, TEMPLATE, _context(request, program))


@require_POST
@member_required()
def style_create(request: HttpRequest, pk: int):
    program = visible_program(request, pk)
    require(request, roles.EDIT)
    form = StyleForm(request.POST)
    if not form.is_valid():
        return render(request, TEMPLATE, _context(request, program, form))
    style = form.save(commit=False)
    style.program = program
    style.save()
    messages.success(request, f"Style {style.name} created.")
    return redirect("style_list", program.pk)


@require_http_methods(["GET", "POST"])
@member_required()
def style_edit(request: HttpRequest, pk: int):
    """htmx swaps a style's row for this form and back; without JS it is a page of its own."""
    style = get_object_or_404(Style.objects.for_team(request.team).select_related("program"), pk=pk)
    require(request, roles.EDIT)
    fragment = is_fragment(request)
    if request.method == "GET" and "cancel" in request.GET and fragment:
        return render(request, f"{TEMPLATE}#style_row", {"style": style, "can_edit": True})
    form = StyleForm(request.POST or None, instance=style)
    if request.method == "POST" and form.is_valid():
        form.save()
        if fragment:
            return render(request, f"{TEMPLATE}#style_row", {"style": style, "can_edit": True, "saved": True})
        messages.success(request, f"Style {style.name} saved.")
        return redirect("style_list", style.program_id)
    context = {"style": style, "program": style.program, "form": form}
    return render(request, f"{TEMPLATE}#style_form" if fragment else "catalog/style_edit.html", context)

"""The generate form's prompt helpers, for any vendor: the prompt a vendor suggests for one SKU (the adapter's
`suggested_prompt`; Hautech's from seed 003, "Prompt examples"), prefilled into an empty prompt, and the SKU's
garment description that any vendor's prompt can take (vision.prompt_with_garment)."""
from __future__ import annotations

from catalog.models import SKU, GarmentView
from studio.ids import parse_ids

from .vendors import registry


def sku_garment_description(sku: SKU) -> str:
    """vision.garment_description before a task exists: the SKU's description (people's or Uwear's), else the
    first caption of its garment images, front view first."""
    if sku.description.strip():
        return sku.description.strip()
    images = sorted(sku.garment_images.all(), key=lambda g: (g.view != GarmentView.FRONT, g.pk))
    return next((g.caption.strip() for g in images if g.caption.strip()), "")


def _normal(text) -> str:
    return " ".join(str(text or "").split())


def prompt_help_context(form) -> dict:
    """What the prompt box offers for the inputs as they are now (form: a bound GenerateForm).

    A vendor that writes prompts (Hautech: `suggests_prompts`), one SKU: its suggested prompt. It fills the prompt when
    the prompt is empty or still the previous suggestion (`prompt_suggested`, carried by the form), and is offered
    behind a button once the user has written their own. With several SKUs the prompt stays empty: the adapter
    then builds each task's own (default_prompt_for_task). Any vendor, one SKU: its garment description, added
    to the prompt by a button (as vision.prompt_with_garment would: "… Garment: <description>")."""
    form.is_valid()  # the cleaned pickers; the launch reports its own errors
    data = getattr(form, "cleaned_data", {}) or {}
    spec, account = form.spec, form.chosen_account
    if spec is None or not spec.accepts_prompt:
        return {"prompt_help": False}
    # The ticked SKUs as they are, even one the launch would still refuse (no garment image yet).
    ids = parse_ids(form.data.getlist("skus"))
    skus = list(form.fields["skus"].queryset.filter(pk__in=ids)) if ids else []
    suggests = account is not None and registry.suggests_prompts(account.vendor)
    suggestion = ""
    if suggests and len(skus) == 1:
        suggestion = registry.adapter_class(account.vendor).suggested_prompt(
            skus[0], pose=data.get("pose"), style=data.get("style"), model_image=data.get("model_image"))
    current, previous = _normal(form.data.get("prompt")), _normal(form.data.get("prompt_suggested"))
    untouched = not current or current == previous
    prefill = untouched and current != _normal(suggestion)
    prompt_now = suggestion if prefill else current
    garment = sku_garment_description(skus[0]) if len(skus) == 1 else ""
    widget = form.fields["prompt"].widget
    return {
        "prompt_help": True, "suggested_prompt": suggestion, "suggests_prompts": suggests,
        "vendor_label": registry.adapter_class(account.vendor).label if suggests else "", "sku_count": len(skus),
        "prefill": prefill, "show_use_suggestion": bool(suggestion) and not prefill and current != _normal(suggestion),
        "prompt_widget": widget.render("prompt", suggestion, attrs={"id": form["prompt"].auto_id,
                                                                    "hx-swap-oob": "true"}) if prefill else "",
        "garment_description": garment, "garment_in_prompt": bool(garment) and _normal(garment) in _normal(prompt_now),
        "prompt_id": form["prompt"].auto_id,
    }

"""Hautech prompts and labels: editable defaults built from our catalog.

The shape follows the two "Prompt examples" of seed 003 (Full Naomi workflow): a framing ("Minimalist, full-body
shot"), the model's looks, the pose, the garments each in parentheses ("Wearing (blue Kenzo Paris tiger t-shirt,
regular fit), (light wash straight-leg jeans, ...)"), then background and lighting ("Plain white studio background,
clean high-contrast lighting, sharp focus"). The result is a default the user edits; it is never forced.
"""
from __future__ import annotations

import re

from catalog.models import GarmentImage, GarmentView, ModelSize, ModelType, PromptType

LABEL_MAX = 300
DEFAULT_BACKGROUND = "Plain white studio background, clean high-contrast lighting"

SHOTS = {
    PromptType.FULLBODY: "full-body shot",
    PromptType.HEAD_HALF_CROPPED: "full-body shot cropped at the face",
    PromptType.TOP: "upper-body shot",
    PromptType.BOTTOM: "lower-body shot",
    PromptType.CLOSE_UP_UPPER_BODY: "close-up shot of the upper body",
    PromptType.CLOSE_UP_LOWER_BODY: "close-up shot of the lower body",
}
SUBJECTS = {
    ModelType.WOMEN: "female model",
    ModelType.MEN: "male model",
    ModelType.MATERNITY: "pregnant female model",
    ModelType.KID: "child model",
    ModelType.TODDLER: "toddler model",
    ModelType.BABY: "baby model",
}
BUILDS = {ModelSize.PETIT: "petite build", ModelSize.PLUS_SIZE: "plus-size build"}


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip().strip(".,;")


def garment_label(garment: GarmentImage) -> str:
    """The clothing description Hautech calls `label` ("a cardigan cloth" in the document): the garment image's
    caption, else the SKU's description, else its name and category."""
    sku = garment.sku
    for text in (garment.caption, sku.description):
        if _clean(text):
            return _clean(text)[:LABEL_MAX]
    return ", ".join(part for part in (_clean(sku.name), _clean(sku.category)) if part)[:LABEL_MAX]


def model_description(fashion_model) -> str:
    """ "African American female model with rich, deep brown skin tone, ..." (prompt example 1)."""
    if fashion_model is None:
        return "fashion model"
    lead = " ".join(part for part in (_clean(fashion_model.age_range).lower(), _clean(fashion_model.ethnicity),
                                      SUBJECTS.get(fashion_model.model_type, "fashion model")) if part)
    details = []
    if _clean(fashion_model.skin_tone):
        details.append(f"{_clean(fashion_model.skin_tone).lower()} skin tone")
    if _clean(fashion_model.eye_color):
        details.append(f"{_clean(fashion_model.eye_color).lower()} eyes")
    hair = " ".join(_clean(v).lower() for v in (fashion_model.hair_color, fashion_model.hair_style) if _clean(v))
    if hair:
        details.append(f"{hair} hair")
    if fashion_model.model_size in BUILDS:
        details.append(BUILDS[fashion_model.model_size])
    return f"{lead} with {', '.join(details)}" if details else lead


def default_prompt(*, garments: list[str], fashion_model=None, pose=None, style=None) -> str:
    shot = SHOTS.get(getattr(pose, "prompt_type", None), "full-body shot")
    sentences = [f"Minimalist, {shot}, {model_description(fashion_model)}"]
    if pose is not None and _clean(pose.prompt):
        pose_text = _clean(pose.prompt)
        sentences.append(pose_text[0].upper() + pose_text[1:])
    wearing = [f"({_clean(g)})" for g in dict.fromkeys(garments) if _clean(g)]
    if wearing:
        sentences.append("Wearing " + ", ".join(wearing))
    background = _clean(getattr(style, "prompt", "")) or DEFAULT_BACKGROUND
    sentences.append(f"{background[0].upper() + background[1:]}, sharp focus")
    return ". ".join(sentences) + "."


def task_garments(task) -> list[GarmentImage]:
    """The task's garment images, front view first: the first one is the clothing image Hautech receives."""
    garments = list(task.garment_images.select_related("sku").all())
    return sorted(garments, key=lambda g: (g.view != GarmentView.FRONT, g.pk))


def default_prompt_for_sku(sku, *, garments=None, pose=None, style=None, model_image=None) -> str:
    """The default a launch form shows before a task exists (the user edits it)."""
    garments = list(garments) if garments is not None else list(sku.garment_images.all())
    fashion_model = model_image.fashion_model if model_image is not None else sku.fashion_model
    return default_prompt(garments=[garment_label(g) for g in garments], fashion_model=fashion_model, pose=pose,
                          style=style or sku.style)


def default_prompt_for_task(task) -> str:
    return default_prompt_for_sku(task.sku, garments=task_garments(task), pose=task.pose, style=task.style,
                                  model_image=task.model_image)

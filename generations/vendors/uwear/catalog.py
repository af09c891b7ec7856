"""Uwear's model catalogs as ONE data table (seed 002, "POST /generation": "Image and edit models", "Upscale
models", "Video models"). It drives the capability table (so forms offer only these values), the per-model checks
before the paid call, and the credit estimates. Copied from the document as published; when Uwear changes its
"live model catalog", this file is the one place to edit.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from generations.vendors.base import Capabilities, Option, OperationSpec, Unsupported, ValidationFailed

# "10 aspect ratios" of the image models are the values the edit route lists; the unified route's list adds "auto",
# which only a video model (Seedance 2: "7 aspect ratios") can have.
IMAGE_ASPECT_RATIOS = ("21:9", "16:9", "3:2", "4:3", "5:4", "1:1", "4:5", "3:4", "2:3", "9:16")
VIDEO_ASPECT_RATIOS = ("auto", "21:9", "16:9", "4:3", "1:1", "3:4", "9:16")
IMAGE_RESOLUTIONS = ("1K", "768X1024", "1024X1280", "2K", "4K")
VIDEO_RESOLUTIONS = ("720p",)
UPSCALE_FACTORS = (2, 4)
TARGET_RESOLUTIONS = ("720p", "1080p", "1440p", "2160p")
NUM_IMAGES = (1, 5)  # "Number of images to generate (1-5)"
MAX_EDIT_REFS = 3  # "The current edit catalog allows up to 3 reference images"

# Our Operation values → Uwear's use_case.
USE_CASES = {"try_on": "generate", "edit": "edit", "upscale": "upscale", "video": "video"}
DEFAULT_SLUG = {"generate": "nano-banana-2", "edit": "nano-banana-2", "upscale": "seedvr2", "video": "kling-3-pro"}


@dataclass(frozen=True)
class Model:
    slug: str
    label: str
    family: str  # "image" (generate and edit), "upscale" or "video"
    credits: tuple[int, int]  # the published range, per output
    resolutions: tuple[str, ...] = ()
    aspect_ratios: tuple[str, ...] = ()
    refs: int = 0
    durations: tuple[int, int] | None = None
    audio: bool = False
    last_frame: bool = False
    upscale_factors: tuple[int, ...] = ()
    target_resolutions: tuple[str, ...] = ()

    @property
    def choice_label(self) -> str:
        low, high = self.credits
        cost = f"{low} credit{'s' if high > 1 else ''}" if low == high else f"{low}–{high} credits"
        return f"{self.label} ({cost})"


_IMG = IMAGE_ASPECT_RATIOS
MODELS: dict[str, Model] = {m.slug: m for m in (
    # "Image and edit models"
    Model("nano-banana-2", "Gemini Flash 2", "image", (3, 7), ("1K", "2K", "4K"), _IMG, 3),
    Model("nano-banana-pro", "Gemini Pro", "image", (5, 10), ("1K", "2K", "4K"), _IMG, 3),
    Model("gpt-image-2-high", "GPT Image 2 (high)", "image", (12, 12), ("1K", "2K"), _IMG, 3),
    Model("gpt-image-2-medium", "GPT Image 2 (medium)", "image", (6, 6), ("1K", "2K"), _IMG, 3),
    Model("gpt-image-2-low", "GPT Image 2 (low)", "image", (2, 2), ("1K", "2K"), _IMG, 3),
    Model("seedream-v4-5", "SeedDream 4.5", "image", (2, 2), ("1K", "2K", "4K"), _IMG, 3),
    Model("qwen-rapid-aio-v23", "Qwen Intimate", "image", (2, 3), ("768X1024", "1024X1280"), (), 1),
    Model("gemini-flash", "Gemini Flash", "image", (1, 1), (), _IMG, 3),
    # "Upscale models". "target: 4K" is read like "resolutions: 1K, 2K, 4K": the list of targets the model takes,
    # i.e. only 2160p of the route's 720p/1080p/1440p/2160p (which is also the route's default).
    Model("seedvr2", "SeedVR2 Upscale", "upscale", (1, 1), upscale_factors=(2, 4), target_resolutions=("2160p",)),
    Model("aura-sr", "Aura SR Upscale", "upscale", (1, 1), upscale_factors=(4,), target_resolutions=("2160p",)),
    # "Video models"
    Model("seedance-2", "Seedance 2", "video", (49, 183), VIDEO_RESOLUTIONS, VIDEO_ASPECT_RATIOS, 9, (4, 15),
          audio=True),
    Model("kling-3-pro", "Kling 3 Pro", "video", (14, 101), durations=(3, 15), audio=True, last_frame=True),
    Model("kling-2-5-turbo-pro", "Kling 2.5 Turbo Pro", "video", (14, 26), durations=(5, 10), last_frame=True),
    Model("seedance-1-5-pro", "Seedance 1.5 Pro", "video", (6, 20), durations=(5, 10), audio=True, last_frame=True),
)}

FAMILY = {"generate": "image", "edit": "image", "upscale": "upscale", "video": "video"}


def models_for(use_case: str) -> list[Model]:
    return [m for m in MODELS.values() if m.family == FAMILY[use_case]]


def model_for(use_case: str, slug: str | None) -> Model:
    slug = slug or DEFAULT_SLUG[use_case]
    model = MODELS.get(slug)
    if model is None or model.family != FAMILY[use_case]:
        allowed = ", ".join(m.slug for m in models_for(use_case))
        raise ValidationFailed(f"Uwear model {slug!r} cannot run {use_case}; choose one of: {allowed}")
    return model


def check(use_case: str, options: dict, *, refs: int = 0, last_frame: bool = False) -> Model:
    """Per-model rules the capability table's union of values cannot express. Raises before any paid call."""
    model = model_for(use_case, options.get("model_slug"))
    resolution, ratio = options.get("resolution"), options.get("aspect_ratio")
    if resolution and resolution not in model.resolutions:
        raise Unsupported(f"{model.label} does not offer resolution {resolution}"
                          + (f" (it offers {', '.join(model.resolutions)})" if model.resolutions else ""))
    if ratio and ratio not in model.aspect_ratios:
        raise Unsupported(f"{model.label} does not offer aspect ratio {ratio}")
    if refs > model.refs or (use_case == "edit" and refs > MAX_EDIT_REFS):
        raise Unsupported(f"{model.label} takes at most {model.refs} reference image(s), got {refs}")
    if model.family == "upscale":
        factor = options.get("upscale_factor")
        if factor is not None and int(factor) not in model.upscale_factors:
            raise Unsupported(f"{model.label} upscales by {', '.join(f'{f}x' for f in model.upscale_factors)} only")
        target = options.get("target_resolution")
        if target and target not in model.target_resolutions:
            raise Unsupported(f"{model.label} upscales to {', '.join(model.target_resolutions)} only")
    if model.family == "video":
        low, high = model.durations
        duration = options.get("duration")
        if duration is not None and not low <= int(duration) <= high:
            raise ValidationFailed(f"{model.label} makes videos of {low}–{high} seconds, not {duration}")
        if options.get("generate_audio") and not model.audio:
            raise Unsupported(f"{model.label} does not generate audio")
        if last_frame and not model.last_frame:
            raise Unsupported(f"{model.label} does not take a last frame")
    return model


def default_duration(model: Model) -> int:
    low, high = model.durations
    return min(max(5, low), high)  # the document's video example uses 5 seconds


def estimate(use_case: str, options: dict, num_outputs: int) -> Decimal:
    """Credits per request. The document publishes only a range per model ("Credits are consumed per request based
    on model, output count, resolution, duration, and audio options"), so the estimate places the options inside the
    range: the lowest price for the smallest resolution / shortest video without audio, the highest for the largest
    / longest with audio, linear in between; times the number of outputs, rounded up."""
    model = model_for(use_case, options.get("model_slug"))
    low, high = model.credits
    fraction = 0.0
    if model.family == "image" and len(model.resolutions) > 1:
        resolution = options.get("resolution") or _default_resolution(model)
        fraction = model.resolutions.index(resolution) / (len(model.resolutions) - 1)
    elif model.family == "video":
        d_low, d_high = model.durations
        duration = int(options.get("duration") or default_duration(model))
        position = (duration - d_low) / (d_high - d_low)
        fraction = (position + (1 if options.get("generate_audio") else 0)) / 2 if model.audio else position
    per_output = Decimal(low) + (Decimal(high - low) * Decimal(str(round(fraction, 6))))
    return (per_output * max(1, num_outputs)).quantize(Decimal("1"), rounding=ROUND_CEILING)


def _default_resolution(model: Model) -> str:
    """The route default is 2K; a model without 2K (Qwen: 768X1024, 1024X1280) gets its first listed value."""
    if "2K" in model.resolutions:
        return "2K"
    return model.resolutions[0]


def resolution_to_send(model: Model, chosen: str | None) -> str | None:
    """Image models: the chosen value, else the route default where the model has it; None for models that list no
    resolutions (Gemini Flash) so the field is omitted. Video: see UwearAdapter._video_fields."""
    if chosen:
        return chosen
    return _default_resolution(model) if model.resolutions else None


# --- The capability table the forms are built from --------------------------------------------------------------
def _slug_option(use_case: str, help_text: str) -> Option:
    slugs = tuple((m.slug, m.choice_label) for m in models_for(use_case))
    return Option("model_slug", "Model", "choice", choices=slugs, default=DEFAULT_SLUG[use_case], help=help_text)


def _image_options(use_case: str) -> tuple[Option, ...]:
    return (
        _slug_option(use_case, "Uwear image model. Credits are per image; the range depends on the resolution."),
        Option("aspect_ratio", "Aspect ratio", "choice", choices=tuple((r, r) for r in IMAGE_ASPECT_RATIOS),
               help="Leave empty for the model's framing. Qwen Intimate takes no aspect ratio."),
        Option("resolution", "Resolution", "choice", choices=tuple((r, r) for r in IMAGE_RESOLUTIONS),
               help="Empty means 2K (Uwear's default). Gemini Flash 2/Pro and SeedDream 4.5: 1K, 2K, 4K; GPT Image 2: "
                    "1K, 2K; Qwen Intimate: 768X1024, 1024X1280; Gemini Flash: none."),
    )


def build_capabilities() -> Capabilities:
    outputs = {"outputs_min": NUM_IMAGES[0], "outputs_max": NUM_IMAGES[1]}
    return Capabilities({
        "try_on": OperationSpec("try_on", needs_garment=True, accepts_pose=True, **outputs, options=(
            *_image_options("generate"),
            Option("camera", "Camera", "text", default="photo",
                   help="'photo' (recommended) keeps auto framing; explicit cameras such as full_body_front request "
                        "front, back or side views."),
            Option("enhance_user_prompt", "Let Uwear enhance the prompt", "bool", default=True,
                   help="Turn off only for well-crafted prompts."),
        ), help="Uwear try-on: the SKU's clothing item on a saved avatar (the SKU's fashion model) or a virtual "
                "model. Describe the model and scene, not the garment."),
        "edit": OperationSpec("edit", needs_parent_output=True, accepts_pose=True, **outputs,
                              options=_image_options("edit"),
                              help="Edit an approved output with instructions (a prompt is required). A pose's "
                                   "reference image is sent as a reference image (up to 3)."),
        "upscale": OperationSpec("upscale", needs_parent_output=True, accepts_prompt=False, **outputs, options=(
            _slug_option("upscale", "SeedVR2 upscales 2x or 4x; Aura SR 4x only. 1 credit per output."),
            Option("upscale_factor", "Upscale factor", "choice", choices=tuple((str(f), f"{f}×") for f in
                                                                              UPSCALE_FACTORS),
                   help="Empty means the model's default (SeedVR2 2×, Aura SR 4×)."),
            Option("target_resolution", "Target resolution", "choice", choices=(("2160p", "2160p (4K)"),),
                   help="Both upscale models target 4K."),
        ), help="Upscale an approved output."),
        # No aspect_ratio for video: it applies "when ... no first frame is supplied", and ours always start from
        # an output. Seedance 2's seven ratios stay in MODELS for the day a text-to-video use case exists.
        "video": OperationSpec("video", needs_parent_output=True, output_kind="video", **outputs, options=(
            _slug_option("video", "Uwear video model. Credits depend on the duration and audio."),
            Option("duration", "Duration (seconds)", "int", min=3, max=15,
                   help="Seedance 2: 4–15 s; Kling 3 Pro: 3–15 s; Kling 2.5 Turbo Pro and Seedance 1.5 Pro: "
                        "5–10 s. Empty means 5 s."),
            Option("generate_audio", "Generate audio", "bool", default=False,
                   help="Seedance 2, Kling 3 Pro and Seedance 1.5 Pro only; priced separately."),
            Option("resolution", "Resolution", "choice", choices=tuple((r, r) for r in VIDEO_RESOLUTIONS),
                   help="Seedance 2 only (720p, sent automatically)."),
            Option("last_frame_output", "Last frame (output id)", "int", min=1, max=2**31,
                   help="An approved output to end the video on. Kling 3 Pro, Kling 2.5 Turbo Pro and "
                        "Seedance 1.5 Pro only."),
        ), help="Turn an approved output into a video (the output is the first frame)."),
    })

"""Faces, model images and poses from Huhu (001 §5.14-5.16, §5.20), started from the model gallery or a model's page.

The form creates one HuhuImageRequest and queues its worker job (generations/vendors/huhu/jobs.py), which submits once, polls
GET /model/image?request_id= and copies the candidates into our storage. The request's page polls with htmx (286 once
nothing runs) and shows those copies — never a vendor URL — each with a checkbox; "Save chosen to model" is another
job (it calls Huhu). Starting and saving need roles.EDIT; any member of the team may look.
"""
import logging
import mimetypes
import re

from django import forms
from django.contrib import messages
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.models import FashionModel, ModelImage, Program
from catalog.views.common import permissions, require
from studio import roles
from studio.htmx import is_fragment
from studio.ids import IdModelChoiceField, parse_id
from studio.roles import SEE_UNAPPROVED
from studio.tenancy import member_required

from generations import launch
from generations.vendors.huhu import jobs as huhu_jobs
from generations.models import HuhuImageKind, HuhuImageRequest, HuhuRequestStatus, HuhuSaveStatus
from generations.vendors.huhu.payloads import CREDITS_PER_IMAGE
from generations.vendors.huhu.views import huhu_accounts

log = logging.getLogger(__name__)

K = HuhuImageKind
STOP_POLLING = 286
RECENT = 20
STALE_AFTER = 60  # seconds without news from the job before the page offers "Check again"
# Per request: faces "Number of images (1-4)" (001 §5.14), model images "default: 1, max: 8" (§5.15); POST /model/pose
# takes no count and makes one image (§5.20).
MAX_IMAGES = {K.FACE: 4, K.MODEL_IMAGE: 8, K.POSE: 1}
NOUN = {K.FACE: "faces", K.MODEL_IMAGE: "model images", K.POSE: "pose images"}

# 001 §5.14 "Prompt template for best results" (000 quotes the same line).
FACE_PROMPT_TEMPLATE = (
    "Headshot front facing portrait of a {Age} {Race} {BodySize} {Gender} with {HairColor} {HairStyle} hair with "
    "{EyeColor} eye with {SkinColor} skin tone in the {Background} setting with {Expression}. {Pose} pose, "
    "professional lighting, high detail."
)
PLACEHOLDER = re.compile(r"\{(Age|Race|BodySize|Gender|HairColor|HairStyle|EyeColor|SkinColor|Background|Expression|"
                         r"Pose)\}")
# The scene the document's own example fills in (§5.14 request body: "in the White Studio setting with Neutral
# expression. Standing pose"); the person's words come from the model's attributes when we know them.
SCENE = {"Background": "White Studio", "Expression": "Neutral expression", "Pose": "Standing"}
GENDER = {"Women": "Female", "Men": "Male", "Maternity": "Female"}
BODY_SIZE = {"Petit": "Petite Size", "Regular": "Regular Size", "Plus size": "Plus Size"}  # §5.14 "Body Size"
PROMPT_EXAMPLES = {  # the documents' example prompts, shown as placeholders
    K.MODEL_IMAGE: "professional studio photo of a woman wearing the garment, white background",  # §5.15
    K.POSE: "professional fashion photo, full body, studio lighting",  # §5.20
}


def face_prompt(model: FashionModel | None) -> str:
    """The template with what we know filled in; what we do not know stays a {placeholder} the form refuses."""
    values = dict(SCENE)
    if model is not None:
        values.update(Age=model.age_range, Race=model.ethnicity, BodySize=BODY_SIZE.get(model.model_size, ""),
                      Gender=GENDER.get(model.model_type, ""), HairColor=model.hair_color, HairStyle=model.hair_style,
                      EyeColor=model.eye_color.lower(), SkinColor=model.skin_tone)
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1)) or m.group(0), FACE_PROMPT_TEMPLATE)


class HuhuGenerateForm(forms.Form):
    form_token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    kind = forms.ChoiceField(choices=K.choices, widget=forms.HiddenInput)
    account = IdModelChoiceField(queryset=None, empty_label=None, label="Huhu account")
    mode = forms.ChoiceField(choices=[("variety", "Variety: more diverse faces"),
                                      ("fidelity", "Fidelity: follows the prompt more closely")],
                             initial="variety", required=False, widget=forms.RadioSelect)
    prompt = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), max_length=4000)
    num_images = forms.IntegerField(label="Number of images", initial=1)
    reference_image = IdModelChoiceField(queryset=None, required=False, widget=forms.RadioSelect)
    fashion_model = IdModelChoiceField(queryset=None, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, team, program: Program, source: FashionModel | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = huhu_accounts(team)
        images = ModelImage.objects.filter(fashion_model__program=program)
        if source is not None:
            images = images.filter(fashion_model=source)  # the model the person came from: its own images
        self.fields["reference_image"].queryset = images.select_related("fashion_model").order_by(
            "fashion_model__name", "created_at", "pk")
        self.fields["fashion_model"].queryset = FashionModel.objects.filter(program=program)

    def clean(self):
        data = super().clean()
        kind, count = data.get("kind"), data.get("num_images")
        if kind == K.POSE:
            data["num_images"] = 1
            if not data.get("reference_image") and "reference_image" not in self.errors:
                self.add_error("reference_image", "A pose is made from one of the model's images: choose the "
                                                  "reference image.")
        elif kind in MAX_IMAGES and count is not None and not 1 <= count <= MAX_IMAGES[kind]:
            self.add_error("num_images", f"Huhu makes 1 to {MAX_IMAGES[kind]} {NOUN[kind]} per request; you asked "
                                         f"for {count}.")
        if kind == K.FACE:
            data["reference_image"] = None
            if data.get("mode") not in ("variety", "fidelity"):
                data["mode"] = "variety"
        else:
            data["mode"] = ""
        left = sorted(set(PLACEHOLDER.findall(data.get("prompt") or "")))
        if left:
            self.add_error("prompt", "Replace the template's placeholders with words first: "
                                     + ", ".join(f"{{{name}}}" for name in left) + ".")
        return data


# --- Lookups --------------------------------------------------------------------------------------------------
def _visible(request):
    return HuhuImageRequest.objects.for_team(request.team)


def _program(request, pk: int) -> Program:
    return get_object_or_404(Program.objects.for_team(request.team), pk=pk)


def _source_model(program: Program, value) -> FashionModel | None:
    if parse_id(value) is None:
        return None
    return FashionModel.objects.filter(program=program, pk=value).first()


def recent_requests(request, program: Program):
    return list(_visible(request).filter(program=program).select_related("created_by")[:RECENT])


# --- The form -------------------------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@member_required(SEE_UNAPPROVED)
def huhu_model_generate(request: HttpRequest, pk: int):
    program = _program(request, pk)
    require(request, roles.EDIT)
    source = _source_model(program, request.POST.get("fashion_model") or request.GET.get("model"))
    kind = request.POST.get("kind") or request.GET.get("kind")
    kind = kind if kind in K.values else K.FACE
    if request.method == "POST":
        form = HuhuGenerateForm(request.POST, team=request.team, program=program, source=source)
        if form.is_valid():
            row = _create(request, program, form.cleaned_data)
            return redirect("huhu_model_request", row.pk)
    else:
        form = HuhuGenerateForm(team=request.team, program=program, source=source, initial={
            "form_token": launch.new_form_token(), "kind": kind, "fashion_model": source,
            "prompt": face_prompt(source) if kind == K.FACE else "", "mode": "variety", "num_images": 1})
    return render(request, "vendors/huhu/generate_model.html",
                  _page_context(request, program, form=form, kind=kind, source=source))


def _create(request, program: Program, data: dict) -> HuhuImageRequest:
    """One row per form: a double click or a second tab finds the row the first one made (unique form_token)."""
    found = _visible(request).filter(form_token=data["form_token"]).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            row = HuhuImageRequest.objects.create(
                team=request.team, account=data["account"], program=program, fashion_model=data["fashion_model"],
                kind=data["kind"], mode=data["mode"], prompt=data["prompt"], num_images=data["num_images"],
                reference_image=data["reference_image"], form_token=data["form_token"], created_by=request.user)
    except IntegrityError:
        return get_object_or_404(_visible(request), form_token=data["form_token"])
    transaction.on_commit(lambda: _queue_generation(row.pk))
    messages.success(request, f"Queued for Huhu: {row.num_images} {NOUN[row.kind]}. This page updates as they arrive.")
    return row


def _queue_generation(pk: int) -> None:
    try:
        huhu_jobs.generate_model_images.delay(pk)
    except Exception:
        log.warning("could not queue Huhu request %s", pk, exc_info=True)
        HuhuImageRequest.objects.filter(pk=pk).update(
            message="The job queue is unreachable right now, so nothing was sent to Huhu yet. Use “Check again” in a "
                    "minute.")


def _page_context(request, program: Program, *, kind: str, **extra) -> dict:
    return {"program": program, "kind": kind, "kinds": K.choices, "noun": NOUN[kind], "max_count": MAX_IMAGES[kind],
            "credits_each": CREDITS_PER_IMAGE[kind], "prompt_example": PROMPT_EXAMPLES.get(kind, ""),
            "face_template": FACE_PROMPT_TEMPLATE, "has_account": huhu_accounts(request.team).exists(),
            "recent": recent_requests(request, program), **permissions(request), **extra}


# --- The request: status, candidates, save --------------------------------------------------------------------
def _request_context(request, row: HuhuImageRequest) -> dict:
    models = list(FashionModel.objects.filter(program=row.program).only("pk", "name"))
    names = {m.pk: m.name for m in models}
    saved: dict[str, list[dict]] = {}
    for entry in row.saved:
        saved.setdefault(entry["model_image_id"], []).append(
            {"model_id": entry["fashion_model_id"], "name": names.get(entry["fashion_model_id"], "a deleted model"),
             "exists": entry["fashion_model_id"] in names})
    candidates = [{"index": index, "saved_to": saved.get(result["model_image_id"], []),
                   **_fit(result.get("width"), result.get("height"))} for index, result in enumerate(row.results)]
    target = row.fashion_model_id or (row.reference_image.fashion_model_id if row.reference_image else None)
    return {"huhu_request": row, "candidates": candidates, "models": models, "save_target": target,
            "stale": _is_stale(row),
            "saving": row.save_status == HuhuSaveStatus.SAVING, **permissions(request)}


def _fit(width, height, box: int = 240) -> dict:
    """The <img> size of a thumbnail (at most 480 px a side) shown in a `box`: no layout shift while it loads."""
    scale = min(1.0, box / max(width or 1, height or 1))
    return {"width": round((width or box) * scale), "height": round((height or box) * scale)}


def _request_row(request, pk: int) -> HuhuImageRequest:
    rows = _visible(request).select_related("account", "program", "fashion_model", "reference_image__fashion_model",
                                            "created_by")
    return get_object_or_404(rows, pk=pk)


@require_GET
@member_required(SEE_UNAPPROVED)
def huhu_model_request(request: HttpRequest, pk: int):
    row = _request_row(request, pk)
    context = _request_context(request, row)
    if is_fragment(request):
        return render(request, "vendors/huhu/model_request.html", context,
                      status=200 if row.polling else STOP_POLLING)
    source = row.fashion_model
    form = None
    if context["can_edit"]:
        form = HuhuGenerateForm(team=request.team, program=row.program, source=source, initial={
            "form_token": launch.new_form_token(), "kind": row.kind, "fashion_model": source, "prompt": row.prompt,
            "mode": row.mode or "variety", "num_images": row.num_images, "reference_image": row.reference_image,
            "account": row.account})
    page = _page_context(request, row.program, form=form, kind=row.kind, source=source)
    return render(request, "vendors/huhu/generate_model.html", {**page, **context})


@require_POST
@member_required(SEE_UNAPPROVED)
def huhu_model_request_save(request: HttpRequest, pk: int):
    row = _request_row(request, pk)
    require(request, roles.EDIT)
    chosen = sorted({int(i) for i in request.POST.getlist("chosen") if i.isdigit() and int(i) < len(row.results)})
    model = _source_model(row.program, request.POST.get("fashion_model"))
    if row.status != HuhuRequestStatus.COMPLETED:
        messages.error(request, "There is nothing to save yet: the images are not in.")
    elif not chosen:
        messages.error(request, "Tick at least one image to save.")
    elif model is None:
        messages.error(request, f"Choose a model of {row.program.name} to save the images to.")
    elif not HuhuImageRequest.objects.filter(pk=row.pk).exclude(save_status=HuhuSaveStatus.SAVING).update(
            save_status=HuhuSaveStatus.SAVING, updated_at=timezone.now(),
            save_message=f"Saving {len(chosen)} image{'s' if len(chosen) != 1 else ''} to {model.name}…"):
        messages.info(request, "A save is already running for these images; wait for it to finish.")
    else:
        ids = [row.results[i]["model_image_id"] for i in chosen]
        transaction.on_commit(lambda: _queue_save(row.pk, model.pk, ids))
    return redirect("huhu_model_request", row.pk)


def _queue_save(pk: int, model_pk: int, ids: list[str]) -> None:
    try:
        huhu_jobs.save_model_images.delay(pk, model_pk, ids)
    except Exception:
        log.warning("could not queue the save of Huhu request %s", pk, exc_info=True)
        HuhuImageRequest.objects.filter(pk=pk).update(
            save_status=HuhuSaveStatus.FAILED,
            save_message="The job queue is unreachable right now; nothing was saved. Try again shortly.")


@require_POST
@member_required(SEE_UNAPPROVED)
def huhu_model_request_resume(request: HttpRequest, pk: int):
    """For a request the worker has gone quiet on (a lost queue message, a worker that died). A generation is queued
    again: the job carries on from the row, polling when Huhu has the request and never sending one Huhu may already
    have. A save that stopped is closed, keeping what it saved, so the person can save the rest again."""
    row = _request_row(request, pk)
    require(request, roles.EDIT)
    if not _is_stale(row):
        return redirect("huhu_model_request", row.pk)
    if row.running:
        HuhuImageRequest.objects.filter(pk=row.pk).update(updated_at=timezone.now())
        transaction.on_commit(lambda: _queue_generation(row.pk))
        messages.success(request, "Checking with Huhu again…")
    else:
        HuhuImageRequest.objects.filter(pk=row.pk, save_status=HuhuSaveStatus.SAVING).update(
            save_status=HuhuSaveStatus.FAILED, updated_at=timezone.now(),
            save_message="The save stopped before it finished; what was saved is marked on the images. Choose the "
                         "rest and save again.")
    return redirect("huhu_model_request", row.pk)


def _is_stale(row: HuhuImageRequest) -> bool:
    return row.polling and (timezone.now() - row.updated_at).total_seconds() > STALE_AFTER


@require_GET
@member_required(SEE_UNAPPROVED)
def huhu_model_candidate(request: HttpRequest, pk: int, index: int):
    """Our copy of a candidate (the thumbnail; ?full=1 for the image), after the tenancy check."""
    row = get_object_or_404(_visible(request).only("pk", "results"), pk=pk)
    if index >= len(row.results):
        raise Http404("No such image.")
    result = row.results[index]
    name = result.get("file") if request.GET.get("full") else result.get("thumbnail") or result.get("file")
    return _serve(name)


def _serve(name: str | None):
    if not name:
        raise Http404("No file.")
    try:
        path = default_storage.path(name)
    except NotImplementedError:  # remote storage: a short-lived URL of our own bucket
        return HttpResponseRedirect(default_storage.url(name))
    try:
        response = FileResponse(open(path, "rb"), content_type=mimetypes.guess_type(path)[0] or "image/webp")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response

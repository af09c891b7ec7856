"""Vendor-specific objects in the browser.

- Uwear clothing items on the SKU page and Uwear avatars on the fashion model page (seed 002, "Clothing Items",
  "Avatars"): one panel each, per Uwear account of the team, over generations/vendors/uwear/sync.py (which owns the HTTP
  calls, the create-once claim and the VendorReference rows). A vendor error is a message in the panel, never a
  500; a rejected key disables the account and a 402 pauses it, as everywhere else (DESIGN §3).

Every object route looks the object up with for_team first (another team's object is a 404), then checks the role
(roles.EDIT: clients get a 403), then the Uwear account, again within the team.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from catalog.models import SKU, FashionModel, GarmentView, ModelImage
from studio.htmx import is_fragment
from studio.ids import parse_id

from generations import lifecycle
from generations.vendors.pages import model_page, sku_page
from generations.vendors.uwear import sync as uwear_sync
from generations.models import AccountState, OutputKind, TaskOutput, TaskStatus, Vendor, VendorAccount, VendorReference
from generations.vendors import registry
from generations.vendors.base import (AuthError, ConfigurationError, InsufficientCredits, NotFound, Unavailable,
                            ValidationFailed, VendorError)

SKU_TEMPLATE = "vendors/uwear/sku_panel.html"
MODEL_TEMPLATE = "vendors/uwear/model_panel.html"
APPROVED = (TaskStatus.REVIEW_APPROVED, TaskStatus.CLIENT_APPROVED)
MAX_OUTPUT_CHOICES = 50


# --- shared -----------------------------------------------------------------------------------------------------
def uwear_accounts(team) -> list[VendorAccount]:
    return list(VendorAccount.objects.for_team(team).filter(vendor=Vendor.UWEAR).order_by("name", "pk"))


def _account(request: HttpRequest) -> VendorAccount:
    raw = str(request.POST.get("account") or "")
    if parse_id(raw) is None:
        raise Http404("No such Uwear account.")
    return get_object_or_404(VendorAccount.objects.for_team(request.team).filter(vendor=Vendor.UWEAR), pk=raw)


@dataclass
class Outcome:
    ok: bool
    message: str
    value: object = None
    error: Exception | None = None


def call_uwear(account: VendorAccount, action: Callable, done: str) -> Outcome:
    """Run one uwear_sync call with this account's adapter; any vendor error becomes a sentence for the panel."""
    name = account.name
    try:
        adapter = registry.adapter_for(account)
    except ConfigurationError as exc:
        return Outcome(False, f"{name} cannot be used: {exc}.", error=exc)
    try:
        return Outcome(True, done, action(adapter))
    except AuthError as exc:
        _move(account, AccountState.DISABLED, f"The vendor rejected the key: {exc}")
        return Outcome(False, f"Uwear rejected the key of {name} ({exc}). The account is disabled until an admin "
                              "replaces the key.", error=exc)
    except InsufficientCredits as exc:
        _move(account, AccountState.PAUSED, f"Out of credits: {exc}")
        return Outcome(False, f"{name} is out of Uwear credits ({exc}). Its submissions are paused.", error=exc)
    except ValidationFailed as exc:
        return Outcome(False, f"Uwear refused: {exc}", error=exc)
    except NotFound as exc:
        return Outcome(False, f"Uwear does not know it ({exc}).", error=exc)
    except Unavailable as exc:
        return Outcome(False, f"Uwear is unavailable, try again in a moment: {exc}", error=exc)
    except (VendorError, ConfigurationError) as exc:
        return Outcome(False, f"The Uwear call failed: {exc}", error=exc)
    finally:
        adapter.close()


def _move(account: VendorAccount, state: str, message: str) -> None:
    try:
        lifecycle.set_account_state(account, state, message)
    except lifecycle.IllegalTransition:
        pass  # a disabled account is not also paused; the panel's message says what happened


def _answer(request: HttpRequest, outcome: Outcome, panel: Callable[[], HttpResponse], page: str, pk: int):
    """htmx gets the panel back with the outcome in it; a plain form goes back to the page with a toast."""
    if is_fragment(request):
        return panel()
    (messages.success if outcome.ok else messages.error)(request, outcome.message)
    return redirect(page, pk)


# --- clothing items on the SKU page -----------------------------------------------------------------------------
class ClothingItemForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    description = forms.CharField(label="Front description", required=False, max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text="Uwear's AI vision wrote it; add what the photo cannot show (fit, "
                                            "cut, waist). Also the SKU's description, used in prompts.")
    description_back = forms.CharField(label="Back description", required=False, max_length=4000,
                                       widget=forms.Textarea(attrs={"rows": 2}))


@dataclass
class ItemRow:
    account: VendorAccount
    ref: VendorReference | None
    form: ClothingItemForm | None = None
    outcome: Outcome | None = None
    enhancement: bool = True

    @property
    def usable(self) -> bool:
        return self.account.state != AccountState.DISABLED


def _item_form(sku: SKU, ref: VendorReference | None, data=None) -> ClothingItemForm | None:
    if ref is None:
        return None
    raw = ref.raw or {}
    initial = {"name": raw.get("clothing_item_name") or uwear_sync.clothing_item_name(sku),
               "description": raw.get("description", sku.description),
               "description_back": raw.get("description_back", "")}
    return ClothingItemForm(data, initial=initial, prefix=f"a{ref.account_id}")


def _sku_rows(request: HttpRequest, sku: SKU, *, focus: ItemRow | None = None) -> list[ItemRow]:
    rows = []
    for account in uwear_accounts(request.team):
        if focus is not None and focus.account.pk == account.pk:
            rows.append(focus)
            continue
        ref = uwear_sync.reference(account, uwear_sync.CLOTHING_ITEM, sku)
        rows.append(ItemRow(account, ref, _item_form(sku, ref),
                            enhancement=bool(account.settings.get("use_image_enhancement", True))))
    return rows


def _sku_panel(request: HttpRequest, sku: SKU, focus: ItemRow | None = None) -> HttpResponse:
    rows = _sku_rows(request, sku, focus=focus)
    if not rows:
        return HttpResponse("")  # no Uwear account: no panel
    images = list(sku.garment_images.all())
    front = next((g for g in images if g.view == GarmentView.FRONT), images[0] if images else None)
    back = next((g for g in images if g.view == GarmentView.BACK), None)
    return render(request, SKU_TEMPLATE, {"sku": sku, "rows": rows, "front": front, "back": back})


@sku_page("GET")
def sku_uwear(request: HttpRequest, sku: SKU):
    return _sku_panel(request, sku)


@sku_page("POST")
def sku_uwear_create(request: HttpRequest, sku: SKU):
    """POST /clothing-item once per SKU and account (uwear_sync.ensure_clothing_item: a second click finds it)."""
    account = _account(request)
    enhancement = request.POST.get("use_image_enhancement") in ("on", "true", "1")
    outcome = call_uwear(account, lambda a: uwear_sync.ensure_clothing_item(a, sku, use_image_enhancement=enhancement),
                         f"Clothing item created on {account.name}.")
    ref = uwear_sync.reference(account, uwear_sync.CLOTHING_ITEM, sku)
    row = ItemRow(account, ref, _item_form(sku, ref), outcome, enhancement)
    return _answer(request, outcome, lambda: _sku_panel(request, sku, row), "sku_detail", sku.pk)


@sku_page("POST")
def sku_uwear_update(request: HttpRequest, sku: SKU):
    """PUT /clothing-item/{id}: its name and descriptions (the front one is also the SKU's description)."""
    account = _account(request)
    ref = uwear_sync.reference(account, uwear_sync.CLOTHING_ITEM, sku)
    form = _item_form(sku, ref, request.POST)
    if form is None:
        outcome = Outcome(False, f"{sku.code} has no clothing item on {account.name}.")
    elif not form.is_valid():
        outcome = Outcome(False, "Not saved: check the fields below.")
    else:
        data = form.cleaned_data
        outcome = call_uwear(account, lambda a: uwear_sync.update_clothing_item(
            a, sku, name=data["name"], description=data["description"], description_back=data["description_back"]),
            "Clothing item saved on Uwear.")
        if outcome.ok:
            form = _item_form(sku, outcome.value)
    row = ItemRow(account, ref, form, outcome)
    return _answer(request, outcome, lambda: _sku_panel(request, sku, row), "sku_detail", sku.pk)


@sku_page("POST")
def sku_uwear_delete(request: HttpRequest, sku: SKU):
    """DELETE /clothing-item/{id}; Uwear also deletes its generations there, our stored outputs stay."""
    account = _account(request)
    outcome = call_uwear(account, lambda a: uwear_sync.delete_clothing_item(a, sku),
                         f"Clothing item deleted from {account.name}.")
    if isinstance(outcome.error, NotFound):  # gone on Uwear already: forget it here too
        _forget(account, uwear_sync.CLOTHING_ITEM, sku)
        outcome = Outcome(True, "Uwear had already deleted the clothing item; it is forgotten here too.")
    ref = uwear_sync.reference(account, uwear_sync.CLOTHING_ITEM, sku)
    row = ItemRow(account, ref, _item_form(sku, ref), outcome,
                  bool(account.settings.get("use_image_enhancement", True)))
    return _answer(request, outcome, lambda: _sku_panel(request, sku, row), "sku_detail", sku.pk)


def _forget(account: VendorAccount, kind: str, obj) -> None:
    ref = uwear_sync.reference(account, kind, obj)
    if ref is not None:
        ref.delete()


# --- avatars on the fashion model page ----------------------------------------------------------------------------
class AvatarForm(forms.Form):
    source = forms.ChoiceField(label="Image")
    name = forms.CharField(label="Avatar name", max_length=200)
    body = forms.CharField(label="Body", required=False, max_length=300,
                           help_text='Physical characteristics, e.g. "athletic female".')
    age = forms.IntegerField(label="Age", required=False, min_value=0, max_value=120)
    enhancement = forms.BooleanField(label="Let Uwear's AI vision describe body and age (overwrites the above)",
                                     required=False)

    def __init__(self, *args, model_images=(), outputs=(), **kwargs):
        super().__init__(*args, **kwargs)
        images = [(f"image:{i.pk}", f"Image {n} · {i.get_view_type_display() or 'model image'}"
                   + (f" · {i.get_crop_type_display()}" if i.crop_type else ""))
                  for n, i in enumerate(model_images, 1)]
        approved = [(f"output:{o.pk}", f"Output #{o.pk} · {o.task.sku.code}") for o in outputs]
        self.fields["source"].choices = [c for c in (("Model images", images), ("Approved outputs", approved)) if c[1]]


class AvatarUpdateForm(forms.Form):
    name = forms.CharField(label="Avatar name", max_length=200)
    body = forms.CharField(label="Body", required=False, max_length=300)
    age = forms.IntegerField(label="Age", required=False, min_value=0, max_value=120)


@dataclass
class AvatarRow:
    account: VendorAccount
    ref: VendorReference | None
    save_form: AvatarForm
    update_form: AvatarUpdateForm | None = None
    outcome: Outcome | None = None

    @property
    def usable(self) -> bool:
        return self.account.state != AccountState.DISABLED

    @property
    def description(self) -> dict:
        return (self.ref.raw or {}).get("avatar_description") or {} if self.ref else {}


def approved_outputs(request: HttpRequest, fashion_model: FashionModel):
    """Approved images of this model: made with one of its images, or for a SKU it is assigned to."""
    outputs = TaskOutput.objects.for_team(request.team).filter(
        Q(task__model_image__fashion_model=fashion_model)
        | Q(task__model_image__isnull=True, task__sku__fashion_model=fashion_model),
        review_status__in=APPROVED, kind=OutputKind.IMAGE, flagged=False)
    return outputs.select_related("task__sku").order_by("-created_at", "-pk")


def _sources(request: HttpRequest, fashion_model: FashionModel):
    images = list(ModelImage.objects.for_team(request.team).filter(fashion_model=fashion_model)
                  .order_by("created_at", "pk"))
    outputs = list(approved_outputs(request, fashion_model)[:MAX_OUTPUT_CHOICES])
    return images, outputs


def _avatar_forms(account, fashion_model, ref, images, outputs, data=None, update_data=None):
    described = uwear_sync.avatar_description(fashion_model)
    save_form = AvatarForm(data, model_images=images, outputs=outputs, auto_id=f"uw{account.pk}-save-%s", initial={
        "name": uwear_sync.avatar_name(fashion_model), "body": described.get("body", ""),
        "age": described.get("age")})
    update_form = None
    if ref is not None:
        raw = ref.raw or {}
        current = raw.get("avatar_description") or {}
        update_form = AvatarUpdateForm(update_data, auto_id=f"uw{account.pk}-update-%s", initial={
            "name": raw.get("avatar_name", ""), "body": current.get("body", ""), "age": current.get("age")})
    return save_form, update_form


def _model_panel(request: HttpRequest, fashion_model: FashionModel, focus: AvatarRow | None = None,
                 sources=None) -> HttpResponse:
    accounts = uwear_accounts(request.team)
    if not accounts:
        return HttpResponse("")
    images, outputs = sources or _sources(request, fashion_model)
    rows = []
    for account in accounts:
        if focus is not None and focus.account.pk == account.pk:
            rows.append(focus)
            continue
        ref = uwear_sync.reference(account, uwear_sync.AVATAR, fashion_model)
        rows.append(AvatarRow(account, ref, *_avatar_forms(account, fashion_model, ref, images, outputs)))
    return render(request, MODEL_TEMPLATE, {"fashion_model": fashion_model, "rows": rows,
                                            "has_sources": bool(images or outputs)})


@model_page("GET")
def model_uwear(request: HttpRequest, fashion_model: FashionModel):
    return _model_panel(request, fashion_model)


def _source(request: HttpRequest, fashion_model: FashionModel, value: str):
    kind, _, pk = value.partition(":")
    if parse_id(pk) is None:
        return None
    if kind == "image":
        return ModelImage.objects.for_team(request.team).filter(fashion_model=fashion_model, pk=pk).first()
    if kind == "output":
        return approved_outputs(request, fashion_model).filter(pk=pk).first()
    return None


@model_page("POST")
def model_uwear_save(request: HttpRequest, fashion_model: FashionModel):
    """POST /avatar from a model image or an approved output (uwear_sync.save_avatar; `replace` swaps it)."""
    account = _account(request)
    images, outputs = _sources(request, fashion_model)
    ref = uwear_sync.reference(account, uwear_sync.AVATAR, fashion_model)
    save_form, update_form = _avatar_forms(account, fashion_model, ref, images, outputs, data=request.POST)
    if not save_form.is_valid():
        outcome = Outcome(False, "Not saved: check the fields below.")
    else:
        data = save_form.cleaned_data
        source = _source(request, fashion_model, data["source"])
        replace = request.POST.get("replace") == "1"
        if source is None:
            outcome = Outcome(False, "Choose one of this model's images or approved outputs.")
        else:
            outcome = call_uwear(account, lambda a: uwear_sync.save_avatar(
                a, fashion_model, source, name=data["name"], body=data["body"] or None, age=data["age"],
                enhancement=data["enhancement"], replace=replace),
                f"Avatar {'replaced' if replace else 'saved'} on {account.name}.")
        if outcome.ok:
            ref = outcome.value
            save_form, update_form = _avatar_forms(account, fashion_model, ref, images, outputs)
    ref = uwear_sync.reference(account, uwear_sync.AVATAR, fashion_model)
    if update_form is None and ref is not None:
        update_form = _avatar_forms(account, fashion_model, ref, images, outputs)[1]
    row = AvatarRow(account, ref, save_form, update_form, outcome)
    return _answer(request, outcome, lambda: _model_panel(request, fashion_model, row, (images, outputs)),
                   "model_detail", fashion_model.pk)


@model_page("POST")
def model_uwear_update(request: HttpRequest, fashion_model: FashionModel):
    """PUT /avatar/{id}: its name, body and age ("To change the avatar image, create a new avatar")."""
    account = _account(request)
    images, outputs = _sources(request, fashion_model)
    ref = uwear_sync.reference(account, uwear_sync.AVATAR, fashion_model)
    save_form, update_form = _avatar_forms(account, fashion_model, ref, images, outputs, update_data=request.POST)
    if update_form is None:
        outcome = Outcome(False, f"{fashion_model.name} has no avatar on {account.name}.")
    elif not update_form.is_valid():
        outcome = Outcome(False, "Not saved: check the fields below.")
    else:
        data = update_form.cleaned_data
        outcome = call_uwear(account, lambda a: uwear_sync.update_avatar(
            a, fashion_model, name=data["name"], body=data["body"] or None, age=data["age"]),
            "Avatar saved on Uwear.")
        if outcome.ok:
            ref = outcome.value
            save_form, update_form = _avatar_forms(account, fashion_model, ref, images, outputs)
    row = AvatarRow(account, ref, save_form, update_form, outcome)
    return _answer(request, outcome, lambda: _model_panel(request, fashion_model, row, (images, outputs)),
                   "model_detail", fashion_model.pk)


@model_page("POST")
def model_uwear_delete(request: HttpRequest, fashion_model: FashionModel):
    """DELETE /avatar/{id} ("irreversible")."""
    account = _account(request)
    outcome = call_uwear(account, lambda a: uwear_sync.delete_avatar(a, fashion_model),
                         f"Avatar deleted from {account.name}.")
    if isinstance(outcome.error, NotFound):  # gone on Uwear already: forget it here too
        _forget(account, uwear_sync.AVATAR, fashion_model)
        outcome = Outcome(True, "Uwear had already deleted the avatar; it is forgotten here too.")
    images, outputs = _sources(request, fashion_model)
    ref = uwear_sync.reference(account, uwear_sync.AVATAR, fashion_model)
    row = AvatarRow(account, ref, *_avatar_forms(account, fashion_model, ref, images, outputs), outcome=outcome)
    return _answer(request, outcome, lambda: _model_panel(request, fashion_model, row, (images, outputs)),
                   "model_detail", fashion_model.pk)

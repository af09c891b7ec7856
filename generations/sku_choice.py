"""Choosing SKUs by what a person means (issue 17): every SKU of the project, the ones matching a filter (status,
garment type, a search — what the project grid's "Generate for all matching" sends), or SKUs picked by hand in a
paginated, searchable picker (what the grid's "Select" boxes send). The forms never list every SKU: the page's
size and render time do not depend on how many the project has, and the estimate counts the filter on the server.
Archived SKUs are never offered."""
from django import forms
from django.core.paginator import Paginator
from django.db.models import Q

from catalog.models import GarmentType, SKUStatus
from studio.ids import parse_ids

PICKED, ALL, FILTER = "picked", "all", "filter"
SCOPES = [(PICKED, "SKUs I pick"), (ALL, "All SKUs of the project"), (FILTER, "SKUs matching a filter")]
PICKER_PAGE = 20
NAMED = 10  # SKU codes named in a message; the rest are counted


def search(skus, text: str):
    text = (text or "").strip()[:120]
    if not text:
        return skus
    return skus.filter(Q(code__icontains=text) | Q(name__icontains=text) | Q(category__icontains=text))


def name_some(codes: list[str]) -> str:
    shown = ", ".join(codes[:NAMED])
    return shown + (f" and {len(codes) - NAMED} more" if len(codes) > NAMED else "")


class SkuScopeForm(forms.Form):
    """The SKU half of the generate and bulk forms. The subclass sets `fields["skus"].queryset` to the project's
    active SKUs (annotated with garment_count)."""

    scope = forms.ChoiceField(choices=SCOPES, required=False, widget=forms.RadioSelect, label="Which SKUs")
    sku_status = forms.ChoiceField(choices=[("", "Any status"), *SKUStatus.choices], required=False,
                                   label="Status")
    sku_type = forms.ChoiceField(choices=[("", "Any garment type"), *GarmentType.choices], required=False,
                                 label="Garment type")
    sku_q = forms.CharField(required=False, max_length=120, label="Search")

    def _value(self, name) -> str:
        source = self.data if self.is_bound else self.initial
        value = source.get(name)
        return str(value or "")

    def scope_value(self) -> str:
        value = self._value("scope")
        return value if value in dict(SCOPES) else PICKED

    def active_skus(self):
        return self.fields["skus"].queryset

    def filtered_skus(self):
        skus = self.active_skus()
        status, garment_type = self._value("sku_status"), self._value("sku_type")
        if status in SKUStatus.values:
            skus = skus.filter(status=status)
        if garment_type in GarmentType.values:
            skus = skus.filter(garment_type=garment_type)
        return search(skus, self._value("sku_q"))

    def picked_ids(self) -> list[int]:
        if self.is_bound:
            return parse_ids(self.data.getlist("skus")) if hasattr(self.data, "getlist") else []
        return [getattr(v, "pk", v) for v in self.initial.get("skus") or []]

    def scoped_skus(self):
        """The SKUs the launch would run on, as a queryset (counted, never listed, by the estimate)."""
        scope = self.scope_value()
        if scope == ALL:
            return self.active_skus()
        if scope == FILTER:
            return self.filtered_skus()
        ids = self.picked_ids()
        return self.active_skus().filter(pk__in=ids) if ids else self.active_skus().none()

    def selected_sku_count(self) -> int:
        scope = self.scope_value()
        if scope == PICKED and not self.picked_ids():
            return 0
        return self.scoped_skus().count()

    def clean_skus_for_scope(self, data: dict) -> None:
        """Resolve the scope into data["skus"]; say what is wrong when it chooses nothing."""
        scope = self.scope_value()
        if scope != PICKED:
            data["skus"] = list(self.scoped_skus())
        if not data.get("skus"):
            message = {ALL: "This project has no SKUs to run.",
                       FILTER: "No SKU matches this filter: change it, or pick SKUs by hand."}.get(
                scope, "Choose at least one SKU.")
            if "skus" not in self.errors:
                self.add_error("skus", message)


def _searched_page(skus, request):
    """The picker's search text (sku_pick_q) and its page (spage) of the SKUs matching it."""
    params = request.POST if request.method == "POST" else request.GET
    text = (params.get("sku_pick_q") or "").strip()[:120]
    return Paginator(search(skus, text), PICKER_PAGE).get_page(params.get("spage")), text


def picker_page(form: SkuScopeForm, request):
    """One page of the hand-picking list (searchable), and the picked SKUs that are not on it (kept as hidden
    inputs, so paging and searching never drop a choice)."""
    page, text = _searched_page(form.active_skus(), request)
    picked = form.picked_ids()
    on_page = {sku.pk for sku in page.object_list}
    return {"sku_page": page, "sku_pick_q": text, "sku_picked": set(picked),
            "sku_picked_elsewhere": [pk for pk in picked if pk not in on_page]}


def one_sku_page(skus, request, chosen_pk: int | None):
    """The comparison form's single choice: one page of the project's active SKUs (searchable), and the chosen SKU
    shown first when it is not on that page, so paging and searching never drop the choice (issue 17: the form
    does not list every SKU)."""
    page, text = _searched_page(skus, request)
    on_page = {sku.pk for sku in page.object_list}
    chosen = skus.filter(pk=chosen_pk).first() if chosen_pk and chosen_pk not in on_page else None
    return {"sku_page": page, "sku_pick_q": text, "sku_chosen": chosen_pk, "sku_chosen_elsewhere": chosen}

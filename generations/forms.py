"""The generate form. The chosen account's capability table decides which operations, options and output counts
are offered; the adapter refuses anything else anyway, this only keeps the UI honest."""
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from catalog.models import GarmentImage, ModelImage, ModelSize, ModelType, Pose, PoseCategory, PromptType, Style
from studio.ids import IdModelChoiceField, IdModelMultipleChoiceField, parse_id

from . import default_account, prompt_limits
from .models import AccountState, Operation, TaskOutput, VendorAccount
from .sku_choice import SkuScopeForm, name_some
from .vendors import registry
from .vendors.base import Capabilities, ConfigurationError, Option, OperationSpec, VendorError

OPTION_PREFIX = "opt_"


def _option_field(option: Option) -> forms.Field:
    common = {"label": option.label, "help_text": option.help, "initial": option.default,
              "required": option.required and option.kind != "bool"}
    if option.kind == "int":
        return forms.IntegerField(min_value=option.min, max_value=option.max, **common)
    if option.kind == "float":
        return forms.FloatField(min_value=option.min, max_value=option.max, **common)
    if option.kind == "choice":
        choices = list(option.choices) if option.required else [("", "— default —"), *option.choices]
        return forms.ChoiceField(choices=choices, **common)
    if option.kind == "bool":
        return forms.BooleanField(**common)
    return forms.CharField(max_length=500, **common)


class GenerateForm(SkuScopeForm):
    form_token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    # Chosen through the scope (generations/sku_choice.py): never rendered as one checkbox per SKU.
    skus = IdModelMultipleChoiceField(queryset=None, required=False, widget=forms.MultipleHiddenInput,
                                      label="SKUs")
    account = IdModelChoiceField(queryset=None, widget=forms.RadioSelect, label="Vendor account",
                                     empty_label=None)
    operation = forms.ChoiceField(choices=())
    num_outputs = forms.IntegerField(label="Number of outputs", initial=1)
    model_image = IdModelChoiceField(queryset=None, required=False, widget=forms.RadioSelect)
    pose = IdModelChoiceField(queryset=None, required=False, widget=forms.RadioSelect)
    style = IdModelChoiceField(queryset=None, required=False, empty_label="— the SKU's style —")
    # No max_length: the browser's maxlength would cut a pasted prompt silently; clean_prompt refuses instead.
    prompt = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, data=None, *, team, project, parent: TaskOutput | None = None, **kwargs):
        super().__init__(data, **kwargs)
        self.team, self.project, self.parent = team, project, parent
        program = project.program
        # A correlated count, not a JOIN + GROUP BY: the picker's page reads 20 SKUs in code order from the
        # (project, code) index and counts the garments of those 20, so it costs the same at 50 SKUs as at 5,000.
        garments = (GarmentImage.objects.filter(sku=OuterRef("pk")).order_by().values("sku")
                    .annotate(n=Count("pk")).values("n"))
        self.fields["skus"].queryset = (project.skus.filter(archived_at__isnull=True)
                                        .annotate(garment_count=Coalesce(Subquery(garments), 0)).order_by("code"))
        self.fields["account"].queryset = (VendorAccount.objects.for_team(team).filter(state=AccountState.ACTIVE)
                                           .order_by("name", "pk"))
        self.fields["model_image"].queryset = ModelImage.objects.for_team(team).filter(
            fashion_model__program=program)
        self.fields["pose"].queryset = Pose.objects.for_team(team).filter(
            Q(program__isnull=True) | Q(program=program))
        self.fields["style"].queryset = Style.objects.for_team(team).filter(program=program)
        self.chosen_account = self._chosen_account()
        self.capabilities = self._capabilities()
        self._set_operations()
        self.spec = self._chosen_spec()
        self._set_spec_fields()
        self.fields["prompt"].widget.attrs.update({"data-prompt-limit": self.prompt_limit,
                                                   "aria-describedby": "prompt-counter"})

    # --- what the chosen account can do ----------------------------------------------------------------------
    def _raw(self, name):
        source = self.data if self.is_bound else self.initial
        value = source.get(name)
        return getattr(value, "pk", value)

    def _chosen_account(self) -> VendorAccount | None:
        accounts = self.fields["account"].queryset
        raw = self._raw("account")
        chosen = accounts.filter(pk=raw).first() if parse_id(raw) else None
        # Not the first by name: the team admin's default, never one whose connection test failed.
        return chosen or (None if self.is_bound else default_account.preselected(accounts))

    def _capabilities(self) -> Capabilities | None:
        if self.chosen_account is None:
            return None
        try:
            return registry.capabilities(self.chosen_account.vendor)
        except ConfigurationError:
            return None

    def operation_specs(self) -> list[OperationSpec]:
        """Operations this form can launch: from SKUs (no parent) or on a parent output (edit, upscale, video)."""
        if self.capabilities is None:
            return []
        wants_parent = self.parent is not None
        return [spec for spec in self.capabilities.operations.values() if spec.needs_parent_output == wants_parent]

    def _set_operations(self):
        labels = dict(Operation.choices)
        self.fields["operation"].choices = [(s.operation, labels.get(s.operation, s.operation))
                                            for s in self.operation_specs()]

    def _chosen_spec(self) -> OperationSpec | None:
        specs = {s.operation: s for s in self.operation_specs()}
        raw = self._raw("operation")
        return specs.get(raw) or next(iter(specs.values()), None)

    def _set_spec_fields(self):
        num = self.fields["num_outputs"]
        spec = self.spec
        if spec is None:
            return
        num.min_value, num.max_value = spec.outputs_min, spec.outputs_max
        num.validators = [MinValueValidator(spec.outputs_min), MaxValueValidator(spec.outputs_max)]
        num.widget.attrs.update(min=spec.outputs_min, max=spec.outputs_max)
        num.help_text = (f"Between {spec.outputs_min} and {spec.outputs_max} for this operation."
                         if spec.outputs_max > spec.outputs_min else "")
        if not self.is_bound:
            self.initial.setdefault("operation", spec.operation)
        self.fields["model_image"].required = spec.needs_model_image
        for option in spec.options:
            self.fields[OPTION_PREFIX + option.name] = _option_field(option)

    @property
    def prompt_limit(self) -> int:
        return prompt_limits.prompt_limit(self.chosen_account.vendor if self.chosen_account else None)[0]

    @property
    def prompt_limit_documented(self) -> bool:
        return prompt_limits.prompt_limit(self.chosen_account.vendor if self.chosen_account else None)[1]

    @property
    def spec_label(self) -> str:
        if self.spec is None or self.chosen_account is None:
            return ""
        operation = dict(Operation.choices).get(self.spec.operation, self.spec.operation)
        return f"{operation} on {self.chosen_account.get_vendor_display()}"

    @property
    def shows_model_image(self) -> bool:
        return self.spec is None or self.spec.needs_model_image or not self.spec.needs_parent_output

    @property
    def shows_style(self) -> bool:
        return self.spec is None or not self.spec.needs_parent_output

    def option_fields(self):
        return [self[name] for name in self.fields if name.startswith(OPTION_PREFIX)]

    # --- validation -------------------------------------------------------------------------------------------
    def clean(self):
        data = super().clean()
        if self.chosen_account is None:
            raise forms.ValidationError("Choose an active vendor account.")
        if self.spec is None:
            raise forms.ValidationError("This account offers no operation that can run from here.")
        if self.parent is None:
            self.clean_skus_for_scope(data)
        operation = dict(Operation.choices).get(self.spec.operation, self.spec.operation)
        vendor = self.chosen_account.get_vendor_display()
        # A pose or prompt the operation cannot use is refused with a message, never silently dropped. The message
        # goes at the top of the form: the section of an input the operation does not take is not shown.
        if not self.spec.accepts_pose and data.get("pose"):
            self.add_error(None, f"{operation} on {vendor} takes no pose: choose “No pose”, or an operation "
                                   "that uses one.")
        if not self.spec.accepts_prompt and (data.get("prompt") or "").strip():
            self.add_error(None, f"{operation} on {vendor} takes no prompt: empty the prompt box.")
        if not self.spec.accepts_prompt:
            data["prompt"] = ""
        if self.spec.needs_garment and data.get("skus"):
            bare = [sku.code for sku in data["skus"] if not sku.garment_count]
            if bare:
                self.add_error("skus", f"Upload a garment image first: {name_some(bare)}.")
        if "num_outputs" in data:
            try:
                data["options"] = self.capabilities.clean(self.spec.operation, self.raw_options(data),
                                                          data["num_outputs"])
            except VendorError as exc:
                raise forms.ValidationError(str(exc)) from None
        return data

    def clean_prompt(self):
        prompt = self.cleaned_data.get("prompt") or ""
        limit = self.prompt_limit
        if len(prompt) > limit:
            raise forms.ValidationError(
                f"The prompt is {len(prompt):,} characters; at most {limit:,} are accepted here. Shorten it: "
                "nothing was cut.")
        return prompt

    def raw_options(self, data=None) -> dict:
        data = self.cleaned_data if data is None else data
        values = {}
        for option in self.spec.options if self.spec else ():
            value = data.get(OPTION_PREFIX + option.name)
            if value not in (None, ""):
                values[option.name] = value
        return values


class ModelImageFilter(forms.Form):
    """The gallery's filters for the model image picker (Huhu's vocabulary)."""

    mf_type = forms.ChoiceField(label="Type", required=False, choices=[("", "Any type"), *ModelType.choices])
    mf_size = forms.ChoiceField(label="Size", required=False, choices=[("", "Any size"), *ModelSize.choices])
    mf_ethnicity = forms.ChoiceField(label="Ethnicity", required=False)
    mf_age = forms.ChoiceField(label="Age range", required=False)
    mf_hair = forms.ChoiceField(label="Hair", required=False)
    mf_skin = forms.ChoiceField(label="Skin tone", required=False)

    LOOKUPS = {"mf_type": "model_type", "mf_size": "model_size", "mf_ethnicity": "ethnicity", "mf_age": "age_range",
               "mf_hair": "hair_color", "mf_skin": "skin_tone"}
    OPEN_VOCABULARY = {"mf_ethnicity": "Any ethnicity", "mf_age": "Any age", "mf_hair": "Any hair",
                       "mf_skin": "Any skin tone"}

    def __init__(self, data, *, models_qs):
        super().__init__(data)
        for name, any_label in self.OPEN_VOCABULARY.items():
            values = (models_qs.exclude(**{self.LOOKUPS[name]: ""}).order_by(self.LOOKUPS[name])
                      .values_list(self.LOOKUPS[name], flat=True).distinct())
            self.fields[name].choices = [("", any_label), *((v, v) for v in values)]

    def apply(self, images_qs):
        if not self.is_valid():
            return images_qs
        wanted = {f"fashion_model__{self.LOOKUPS[k]}": v for k, v in self.cleaned_data.items() if v}
        return images_qs.filter(**wanted)


class PoseFilter(forms.Form):
    pf_category = forms.ChoiceField(label="Category", required=False,
                                    choices=[("", "Any category"), *PoseCategory.choices])
    pf_prompt_type = forms.ChoiceField(label="Prompt type", required=False,
                                       choices=[("", "Any prompt type"), *PromptType.choices])

    def apply(self, poses_qs):
        if not self.is_valid():
            return poses_qs
        if self.cleaned_data["pf_category"]:
            poses_qs = poses_qs.filter(category=self.cleaned_data["pf_category"])
        if self.cleaned_data["pf_prompt_type"]:
            poses_qs = poses_qs.filter(prompt_type=self.cleaned_data["pf_prompt_type"])
        return poses_qs

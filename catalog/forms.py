"""Forms of the catalog pages. Image fields are plain FileFields checked by catalog.uploads (not Django's
ImageField, whose verify() lets truncated files through)."""
from django import forms

from . import uploads
from .images import RejectedImage
from .naming import SKU_CODE_MAX, SKU_CODE_PATTERN, SKU_CODE_RE, SKU_CODE_RULE
from .models import (
    SKU,
    FashionModel,
    GarmentImage,
    ModelImage,
    ModelSize,
    ModelType,
    Pose,
    PoseCategory,
    Project,
    PromptType,
    Style,
)

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp"


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["name", "budget_credits"]


class SKUForm(forms.ModelForm):
    """Create a SKU. The code must be unique within the project, which the form is told about."""

    class Meta:
        model = SKU
        fields = ["code", "name", "category", "garment_type"]

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        code = self.fields["code"]
        code.max_length = SKU_CODE_MAX
        code.help_text = SKU_CODE_RULE
        code.widget.attrs.update(maxlength=SKU_CODE_MAX, pattern=SKU_CODE_PATTERN, title=SKU_CODE_RULE)

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not SKU_CODE_RE.fullmatch(code):
            raise forms.ValidationError(f"Not a valid SKU code. {SKU_CODE_RULE}")
        taken = SKU.objects.filter(project=self.project, code__iexact=code)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(f"{code} already exists in this project.")
        return code


class SKURenameForm(SKUForm):
    class Meta(SKUForm.Meta):
        fields = ["code", "name"]


class GarmentImageForm(forms.ModelForm):
    """The in-place editor of one garment image's type, view, presentation and caption."""

    class Meta:
        model = GarmentImage
        fields = ["garment_type", "view", "presentation", "caption"]
        widgets = {"caption": forms.Textarea(attrs={"rows": 3, "placeholder": "Describe the garment: fabric, "
                                                                             "colour, cut, details"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The caption shown when the page was drawn travels with the form: a caption the vision worker wrote
        # meanwhile is kept when the person changed another field, and a form without the field keeps it too.
        self.fields["caption"].show_hidden_initial = True

    def clean_caption(self):
        if "caption" not in self.changed_data:
            return self.instance.caption
        return self.cleaned_data["caption"].strip()


class ImageUploadField(forms.FileField):
    """A file field that runs the studio's image checks; cleaned value is (uploaded file, bytes, CheckedImage)."""

    widget = forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT})

    def clean(self, data, initial=None):
        if getattr(data, "refused_reason", None):  # dropped by the upload handler: say why, not "empty"
            raise forms.ValidationError(f"{uploads.display_name(data.name)} {data.refused_reason}")
        uploaded = super().clean(data, initial)
        if not uploaded:
            return uploaded
        try:
            data, checked = uploads.accept_image(uploaded)
        except RejectedImage as exc:
            raise forms.ValidationError(f"{uploads.display_name(uploaded.name)} {exc}") from None
        return uploaded, data, checked


class FashionModelForm(forms.ModelForm):
    class Meta:
        model = FashionModel
        fields = ["name", "model_type", "model_size", "ethnicity", "age_range", "hair_color", "hair_style",
                  "skin_tone", "eye_color"]
        labels = {"hair_color": "Hair colour", "eye_color": "Eye colour", "model_size": "Size"}


class ModelImageForm(forms.ModelForm):
    image = ImageUploadField()

    class Meta:
        model = ModelImage
        fields = ["view_type", "crop_type", "style"]

    def __init__(self, *args, program, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["style"].queryset = Style.objects.filter(program=program)
        self.fields["view_type"].required = True
        self.fields["crop_type"].required = True


class PoseForm(forms.ModelForm):
    reference_image = ImageUploadField(label="Reference image")

    class Meta:
        model = Pose
        fields = ["name", "category", "prompt_type", "prompt"]
        widgets = {"prompt": forms.Textarea(attrs={"rows": 3})}


class StyleForm(forms.ModelForm):
    class Meta:
        model = Style
        fields = ["name", "prompt"]
        widgets = {"prompt": forms.Textarea(attrs={"rows": 3})}


def _choices(values, blank="Any"):
    return [("", blank), *[(v, v) for v in values]]


class ModelFilterForm(forms.Form):
    """Gallery filters. Free-text attributes offer the values present in this program's models."""

    model_type = forms.ChoiceField(required=False, label="Type")
    model_size = forms.ChoiceField(required=False, label="Size")
    ethnicity = forms.ChoiceField(required=False)
    age_range = forms.ChoiceField(required=False, label="Age range")
    hair_color = forms.ChoiceField(required=False, label="Hair colour")
    skin_tone = forms.ChoiceField(required=False, label="Skin tone")

    FREE_TEXT = ("ethnicity", "age_range", "hair_color", "skin_tone")

    def __init__(self, data, *, values: dict[str, list[str]]):
        super().__init__(data)
        self.fields["model_type"].choices = [("", "Any"), *ModelType.choices]
        self.fields["model_size"].choices = [("", "Any"), *ModelSize.choices]
        for name in self.FREE_TEXT:
            self.fields[name].choices = _choices(values.get(name, []))

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class PoseFilterForm(forms.Form):
    category = forms.ChoiceField(required=False, choices=[("", "Any"), *PoseCategory.choices])
    prompt_type = forms.ChoiceField(required=False, label="Prompt type", choices=[("", "Any"), *PromptType.choices])
    source = forms.ChoiceField(required=False, label="Library",
                               choices=[("", "Presets and custom"), ("preset", "Presets"), ("custom", "Custom")])

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


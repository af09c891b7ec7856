"""Forms for collections at scale: bulk generate with a pilot, a project budget, a vendor comparison.

The bulk form is the generate form (generations.forms.GenerateForm: capability table, options, pickers) plus
"every SKU in the project" and a pilot size; it never builds its own notion of what a vendor can do.
"""
from django import forms
from django.db.models import Q

from catalog.models import ModelImage, Pose, Project
from studio.ids import IdModelChoiceField, IdModelMultipleChoiceField

from .forms import GenerateForm
from .prompt_limits import STUDIO_PROMPT_MAX
from .sku_choice import ALL
from .models import AccountState, VendorAccount


class BulkGenerateForm(GenerateForm):
    whole_project = forms.BooleanField(required=False, label="Every SKU in the project")
    pilot_size = forms.IntegerField(
        required=False, min_value=1, label="Pilot size (SKUs that run first)",
        help_text="The first SKUs by code run now; review them, then run the rest with the same settings.")

    def __init__(self, data=None, *, team, project, **kwargs):
        super().__init__(data, team=team, project=project, parent=None, **kwargs)

    def wants_whole_project(self) -> bool:
        return self.is_bound and self.fields["whole_project"].widget.value_from_datadict(
            self.data, self.files, self.add_prefix("whole_project"))

    def scope_value(self) -> str:
        """"Every SKU in the project" is the scope "all" (archived SKUs are never part of it)."""
        return ALL if self.wants_whole_project() else super().scope_value()

    def pilot_count(self, sku_count: int) -> int:
        """How many SKUs run now when a pilot is asked for (0: no pilot, everything runs now)."""
        raw = str(self.data.get("pilot_size") or "") if self.is_bound else ""
        size = int(raw) if raw.isdigit() else 0
        return size if 0 < size < sku_count else 0

    def clean(self):
        data = super().clean()
        skus = data.get("skus") or []
        if skus and data.get("pilot_size") and data["pilot_size"] >= len(skus):
            self.add_error("pilot_size", f"A pilot must be smaller than the batch ({len(skus)} "
                                         f"SKU{'s' if len(skus) != 1 else ''}).")
        return data


class ProjectBudgetForm(forms.ModelForm):
    budget_credits = forms.DecimalField(required=False, min_value=0, max_digits=12, decimal_places=2,
                                        label="Budget (credits)", help_text="Empty: no cap.")

    class Meta:
        model = Project
        fields = ["budget_credits"]


class ComparisonForm(forms.Form):
    """One SKU, one model image and pose, on two or more of the team's active vendor accounts."""

    form_token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    sku = IdModelChoiceField(queryset=None, label="SKU", empty_label=None)
    accounts = IdModelMultipleChoiceField(queryset=None, widget=forms.CheckboxSelectMultiple,
                                              label="Vendor accounts")
    model_image = IdModelChoiceField(queryset=None, required=False, widget=forms.RadioSelect)
    pose = IdModelChoiceField(queryset=None, required=False, widget=forms.RadioSelect)
    # No max_length (the browser's maxlength would cut a pasted prompt silently): clean_prompt refuses instead.
    prompt = forms.CharField(required=False, widget=forms.Textarea(attrs={
        "rows": 3, "data-prompt-limit": STUDIO_PROMPT_MAX, "aria-describedby": "prompt-counter"}))
    num_outputs = forms.IntegerField(label="Outputs per vendor", min_value=1, max_value=8, initial=1)
    prompt_limit, prompt_limit_documented, chosen_account = STUDIO_PROMPT_MAX, False, None

    def __init__(self, data=None, *, team, project, **kwargs):
        super().__init__(data, **kwargs)
        program = project.program
        self.fields["sku"].queryset = project.skus.filter(archived_at__isnull=True).order_by("code")
        self.fields["accounts"].queryset = VendorAccount.objects.for_team(team).filter(state=AccountState.ACTIVE)
        self.fields["model_image"].queryset = ModelImage.objects.for_team(team).filter(fashion_model__program=program)
        self.fields["pose"].queryset = Pose.objects.for_team(team).filter(Q(program__isnull=True) | Q(program=program))

    def clean_prompt(self):
        prompt = self.cleaned_data.get("prompt") or ""
        if len(prompt) > STUDIO_PROMPT_MAX:
            raise forms.ValidationError(f"The prompt is {len(prompt):,} characters; at most {STUDIO_PROMPT_MAX:,} "
                                        "are accepted. Shorten it: nothing was cut.")
        return prompt

    def clean_accounts(self):
        accounts = self.cleaned_data["accounts"]
        if len(accounts) < 2:
            raise forms.ValidationError("Choose at least two vendor accounts to compare.")
        return accounts

"""Team settings (team admins): the team's name and vision switches, and its members with their roles.

Membership changes keep at least one admin in the team: the check and the write happen under a lock on the team's
admin rows, so two admins demoting each other at the same moment cannot leave the team without one.
"""
from django import forms
from django.contrib.auth import get_user_model
from django.db import transaction

from .models import Membership, Role, Team


class TeamSettingsForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name", "captions_enabled", "nsfw_gate_enabled"]
        labels = {
            "name": "Team name",
            "captions_enabled": "Caption new garment images with ArtEmotion Vision",
            "nsfw_gate_enabled": "Hold outputs for an NSFW check before review",
        }
        help_texts = {
            "captions_enabled": (
                "Every garment image uploaded from now on gets a written description of the garment, paid from the "
                "team's ArtEmotion account (2–5 credits each). It fills an empty caption and an empty SKU "
                "description, which vendors use in their prompts; words a person wrote are never overwritten."),
            "nsfw_gate_enabled": (
                "Every new image output, from any vendor, is held out of the review board until ArtEmotion's "
                "NSFW check has looked at it. Safe outputs join the board by themselves; unsafe ones wait in the "
                "project's moderation lane for a manager to release or discard them."),
        }

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("A team needs a name.")
        return name


class MembershipError(Exception):
    """A membership change that cannot be made; the message is shown to the admin who tried."""


LAST_ADMIN = "{name} is the team's last admin: make another member an admin first."


def _locked_admin_ids(team) -> set[int]:
    return set(Membership.objects.select_for_update().filter(team=team, role=Role.ADMIN).values_list("pk", flat=True))


def change_role(membership: Membership, role: str) -> Membership:
    if role not in Role.values:
        raise MembershipError("Choose one of the roles.")
    with transaction.atomic():
        admins = _locked_admin_ids(membership.team_id)
        if membership.pk in admins and role != Role.ADMIN and len(admins) == 1:
            raise MembershipError(LAST_ADMIN.format(name=membership.user.username))
        Membership.objects.filter(pk=membership.pk).update(role=role)
        membership.role = role
    return membership


def remove_member(membership: Membership) -> None:
    with transaction.atomic():
        admins = _locked_admin_ids(membership.team_id)
        if membership.pk in admins and len(admins) == 1:
            raise MembershipError(LAST_ADMIN.format(name=membership.user.username))
        Membership.objects.filter(pk=membership.pk).delete()


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class InviteForm(forms.Form):
    email = forms.EmailField(label="E-mail", max_length=254,
                             help_text="They get a link to accept; someone who already has a login confirms first.")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.CREATIVE)


class JoinForm(forms.Form):
    """A new login made from an invitation (its e-mail is the invited address)."""

    username = forms.CharField(max_length=150)
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), strip=False)

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("Choose another username.")
        return username

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("username"):
            from django.contrib.auth.password_validation import validate_password

            try:
                validate_password(data["password"], get_user_model()(username=data["username"]))
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data

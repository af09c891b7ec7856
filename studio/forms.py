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


class AddMemberForm(forms.Form):
    username = forms.CharField(max_length=150, help_text="Someone who already has a Fashion Studio login.")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.CREATIVE)

    def __init__(self, *args, team: Team, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = team

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username__iexact=username).first()
        if user is None:
            raise forms.ValidationError(f"There is no user named “{username}”. They need a login first.")
        if Membership.objects.filter(team=self.team, user=user).exists():
            raise forms.ValidationError(f"{user.username} is already a member of {self.team.name}.")
        self.user = user
        return user.username

    def save(self) -> Membership:
        return Membership.objects.create(team=self.team, user=self.user, role=self.cleaned_data["role"])

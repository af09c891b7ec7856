"""The audit log: security and money events, kept in the database, shown to team admins with filters, and
append-only."""
from decimal import Decimal

import pytest
from django.contrib.admin.sites import site
from django.test import Client
from django.urls import reverse

from generations import lifecycle
from generations.models import AccountState, Vendor
from studio import audit
from studio.models import AuditAction as A, AuditEvent, Role
from tests.factories import MembershipFactory, ProjectFactory, VendorAccountFactory

pytestmark = pytest.mark.django_db
PASSWORD = "pass-for-tests-123"


@pytest.fixture
def admin_member():
    return MembershipFactory(role=Role.ADMIN)


@pytest.fixture
def admin_client(admin_member):
    client = Client(REMOTE_ADDR="203.0.113.9")
    client.force_login(admin_member.user)
    return client


def _events(team, action):
    return list(AuditEvent.objects.filter(team=team, action=action))


def test_sign_in_and_failed_sign_in_are_recorded_with_the_address(admin_member):
    client = Client()
    client.post("/accounts/login/", {"username": admin_member.user.username, "password": "nope"},
                REMOTE_ADDR="198.51.100.4")
    client.post("/accounts/login/", {"username": admin_member.user.username, "password": PASSWORD},
                REMOTE_ADDR="198.51.100.4")
    failed, = _events(admin_member.team, A.SIGN_IN_FAILED)
    signed, = _events(admin_member.team, A.SIGN_IN)
    assert failed.ip == signed.ip == "198.51.100.4"
    assert signed.actor == admin_member.user and failed.target == admin_member.user.username
    assert "nope" not in str(failed.details) + failed.target


def test_a_lockout_is_recorded(admin_member):
    for _ in range(6):
        Client().post("/accounts/login/", {"username": admin_member.user.username, "password": "nope"},
                      REMOTE_ADDR="198.51.100.5")
    assert _events(admin_member.team, A.LOCKED_OUT)


def test_role_change_and_member_removal_are_recorded(admin_client, admin_member):
    other = MembershipFactory(team=admin_member.team, role=Role.CREATIVE)
    admin_client.post(reverse("team_member_role", args=[other.pk]), {"role": Role.MANAGER})
    admin_client.post(reverse("team_member_remove", args=[other.pk]))
    changed, = _events(admin_member.team, A.ROLE_CHANGED)
    assert changed.details == {"before": "creative", "after": "manager"} and changed.ip == "203.0.113.9"
    assert changed.actor == admin_member.user
    assert _events(admin_member.team, A.MEMBER_REMOVED)[0].target == other.user.username


def test_vendor_key_set_rotated_and_base_url_changes_are_recorded(admin_client, admin_member):
    form = {"vendor": "sandbox", "name": "Sandbox", "base_url": "", "concurrency_limit": 4,
            "submissions_per_minute": "", "settings": "{}", "api_key": "sk-first-key-123456"}
    admin_client.post(reverse("account_create"), form)
    account = admin_member.team.vendor_accounts.get()
    admin_client.post(reverse("account_edit", args=[account.pk]),
                      {**form, "api_key": "sk-second-key-654321", "base_url": "https://127.0.0.1:9/api"})
    assert len(_events(admin_member.team, A.VENDOR_KEY_SET)) == 1
    rotated, = _events(admin_member.team, A.VENDOR_KEY_ROTATED)
    moved, = _events(admin_member.team, A.BASE_URL_CHANGED)
    assert moved.details["after"] == "https://127.0.0.1:9/api"
    log = str(list(AuditEvent.objects.values()))
    assert "sk-first" not in log and "sk-second" not in log


def test_account_disabled_paused_and_resumed_are_recorded():
    account = VendorAccountFactory(vendor=Vendor.SANDBOX)
    lifecycle.set_account_state(account, AccountState.PAUSED, "out of credits")
    lifecycle.set_account_state(account, AccountState.ACTIVE, "")
    lifecycle.set_account_state(account, AccountState.DISABLED, "bad key")
    actions = list(AuditEvent.objects.filter(team=account.team).order_by("pk").values_list("action", flat=True))
    assert actions == [A.ACCOUNT_PAUSED, A.ACCOUNT_RESUMED, A.ACCOUNT_DISABLED]


def test_export_downloads_and_budget_changes_are_recorded(admin_client, admin_member):
    project = ProjectFactory(program__team=admin_member.team)
    admin_client.get(reverse("project_export_manifest", args=[project.pk]))
    admin_client.post(reverse("project_budget", args=[project.pk]), {"budget_credits": "250"})
    assert _events(admin_member.team, A.EXPORT_DOWNLOADED)[0].details["format"] == "manifest"
    budget, = _events(admin_member.team, A.BUDGET_CHANGED)
    assert Decimal(budget.details["after"]) == 250


def test_team_admins_see_their_teams_log_with_filters(admin_client, admin_member):
    team = admin_member.team
    audit.record(team, admin_member.user, A.ROLE_CHANGED, "alice", ip="192.0.2.10")
    audit.record(team, None, A.ACCOUNT_PAUSED, "Huhu main (account 3)")
    audit.record(MembershipFactory().team, None, A.ACCOUNT_PAUSED, "OTHER-TEAM-ACCOUNT")
    page = admin_client.get(reverse("team_audit")).content.decode()
    assert "alice" in page and "Huhu main" in page and "OTHER-TEAM-ACCOUNT" not in page
    filtered = admin_client.get(reverse("team_audit"), {"action": A.ACCOUNT_PAUSED}).content.decode()
    assert "Huhu main" in filtered and "alice" not in filtered
    by_ip = admin_client.get(reverse("team_audit"), {"ip": "192.0.2.10"}).content.decode()
    assert "alice" in by_ip and "Huhu main" not in by_ip
    by_who = admin_client.get(reverse("team_audit"), {"who": admin_member.user.username}).content.decode()
    assert "alice" in by_who and "Huhu main" not in by_who


def test_only_team_admins_see_the_log():
    creative = MembershipFactory(role=Role.CREATIVE)
    client = Client()
    client.force_login(creative.user)
    assert client.get(reverse("team_audit")).status_code == 403


def test_the_log_is_append_only():
    event = audit.record(MembershipFactory().team, None, A.ACCOUNT_PAUSED, "x")
    event.target = "changed"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(target="changed")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    model_admin = site._registry[AuditEvent]
    assert not model_admin.has_change_permission(None) and not model_admin.has_delete_permission(None)
    assert AuditEvent.objects.get(pk=event.pk).target == "x"

"""Which vendor account the generate forms preselect: the one a team admin chose as the team's default (accounts
page), if it is active and its last connection test did not fail; else the first such account by name; else none.
An account whose test failed stays choosable, marked, but is never preselected."""
from django.db import transaction
from django.utils import timezone

from .models import AccountState, VendorAccount


def preselectable(accounts):
    """Active accounts whose last connection test did not fail (never tested counts as not failed)."""
    return accounts.filter(state=AccountState.ACTIVE).exclude(last_test_ok=False)


def preselected(accounts) -> VendorAccount | None:
    candidates = preselectable(accounts)
    return candidates.order_by("-is_team_default", "name", "pk").first()


def make_default(account: VendorAccount) -> None:
    with transaction.atomic():
        VendorAccount.objects.filter(team_id=account.team_id, is_team_default=True).exclude(pk=account.pk).update(
            is_team_default=False)
        VendorAccount.objects.filter(pk=account.pk).update(is_team_default=True)
    account.is_team_default = True


def record_test(account: VendorAccount, ok: bool, message: str) -> None:
    """Keep the last connection test's outcome (the message is already the studio's words, cleaned of secrets)."""
    fields = {"last_test_ok": ok, "last_test_message": "" if ok else message[:500], "last_tested_at": timezone.now()}
    VendorAccount.objects.filter(pk=account.pk).update(**fields)
    for name, value in fields.items():
        setattr(account, name, value)

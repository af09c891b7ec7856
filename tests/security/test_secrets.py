"""Issue 14.2, the rule owned here: clients see no vendor account messages at all (the account's own key is
removed from vendor messages by the engine, in generations/vendors; see the lead's tests)."""
import pytest
from django.test import Client

from generations.models import AccountState, TaskStatus
from studio.models import Role
from tests import factories as f

pytestmark = pytest.mark.django_db
VENDOR_TEXT = "The key XYZ-VENDOR-ECHO is not valid"


@pytest.fixture
def team_with_vendor_messages():
    team = f.TeamFactory()
    account = f.VendorAccountFactory(team=team, state=AccountState.DISABLED, state_message=VENDOR_TEXT)
    project = f.ProjectFactory(program__team=team)
    sku = f.SKUFactory(project=project)
    f.TaskFactory(sku=sku, team=team, account=account, status=TaskStatus.GENERATION_FAILED,
                  error_message=VENDOR_TEXT)
    return team, sku


def _client(team, role):
    client = Client()
    client.force_login(f.MembershipFactory(team=team, role=role).user)
    return client


@pytest.mark.parametrize("path", ["/dashboard/", "/skus/{sku}/"])
def test_a_client_sees_no_vendor_account_message(team_with_vendor_messages, path):
    team, sku = team_with_vendor_messages
    response = _client(team, Role.CLIENT).get(path.format(sku=sku.pk))
    assert response.status_code == 200
    assert b"XYZ-VENDOR-ECHO" not in response.content


def test_the_studio_still_sees_the_message_to_act_on_it(team_with_vendor_messages):
    team, _ = team_with_vendor_messages
    assert b"XYZ-VENDOR-ECHO" in _client(team, Role.ADMIN).get("/dashboard/").content

"""The roles table: what each role may do (issue: admin > manager > creative; client only approves)."""
import pytest

from studio import roles
from studio.models import Role
from tests.factories import MembershipFactory


@pytest.mark.parametrize("role,allowed,denied", [
    (Role.CREATIVE, {roles.UPLOAD, roles.GENERATE, roles.EDIT, roles.SEE_UNAPPROVED},
     {roles.REVIEW, roles.CLIENT_REVIEW, roles.MANAGE_ACCOUNTS, roles.MANAGE_MEMBERS, roles.EXPORT}),
    (Role.MANAGER, {roles.UPLOAD, roles.GENERATE, roles.EDIT, roles.REVIEW, roles.EXPORT},
     {roles.MANAGE_ACCOUNTS, roles.MANAGE_MEMBERS, roles.CLIENT_REVIEW}),
    (Role.ADMIN, {roles.UPLOAD, roles.GENERATE, roles.REVIEW, roles.MANAGE_ACCOUNTS, roles.MANAGE_MEMBERS}, set()),
    (Role.CLIENT, {roles.CLIENT_REVIEW, roles.EXPORT},
     {roles.UPLOAD, roles.GENERATE, roles.EDIT, roles.REVIEW, roles.SEE_UNAPPROVED, roles.MANAGE_ACCOUNTS}),
])
@pytest.mark.django_db
def test_each_role_may_do_exactly_its_part(role, allowed, denied):
    membership = MembershipFactory(role=role)
    for permission in allowed:
        assert roles.can(membership, permission), f"{role} should be allowed {permission}"
    for permission in denied:
        assert not roles.can(membership, permission), f"{role} must not be allowed {permission}"


def test_no_membership_may_do_nothing():
    assert not roles.can(None, roles.UPLOAD)

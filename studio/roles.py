"""What each role may do. Views ask `can(membership, PERMISSION)`; the table is the single source of truth."""
from .models import Role

UPLOAD = "upload"
GENERATE = "generate"
EDIT = "edit"
REVIEW = "review"
CLIENT_REVIEW = "client_review"
MANAGE_ACCOUNTS = "manage_accounts"
MANAGE_MEMBERS = "manage_members"
SEE_UNAPPROVED = "see_unapproved"
EXPORT = "export"

_CREATIVE = {UPLOAD, GENERATE, EDIT, SEE_UNAPPROVED}
_MANAGER = _CREATIVE | {REVIEW, EXPORT}
PERMISSIONS: dict[str, frozenset[str]] = {
    Role.CREATIVE: frozenset(_CREATIVE),
    Role.MANAGER: frozenset(_MANAGER),
    Role.ADMIN: frozenset(_MANAGER | {MANAGE_ACCOUNTS, MANAGE_MEMBERS, CLIENT_REVIEW}),
    Role.CLIENT: frozenset({CLIENT_REVIEW, EXPORT}),
}


def can(membership, permission: str) -> bool:
    return membership is not None and permission in PERMISSIONS.get(membership.role, frozenset())

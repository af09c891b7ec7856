"""API keys (issue 18.2): made by a team admin, shown once, stored hashed, revocable, expiring, and used.

    create_key(team, user, name=, role=, scope=, expires_at=None, ip=None) -> (ApiKey, plaintext)
    revoke_key(key, user, ip=None) -> bool
    authenticate(plaintext) -> ApiKey | None      (active keys only)
    record_use(key, ip, method, path)             (last-used time and IP; an audit event)
"""
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from studio import audit

from .models import ApiKey, hash_key

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def create_key(team, user, *, name: str, role: str, scope: str, expires_at=None, ip=None) -> tuple[ApiKey, str]:
    plaintext, prefix = ApiKey.generate()
    key = ApiKey.objects.create(team=team, name=name.strip(), role=role, scope=scope, prefix=prefix,
                                key_hash=hash_key(plaintext), created_by=user, expires_at=expires_at)
    audit.record(team, user, audit.AuditAction.API_KEY_CREATED, f"{key.name} ({prefix})", ip=ip, role=role, scope=scope)
    return key, plaintext


def revoke_key(key: ApiKey, user, ip=None) -> bool:
    moved = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if moved:
        key.refresh_from_db(fields=["revoked_at"])
        audit.record(key.team, user, audit.AuditAction.API_KEY_REVOKED, f"{key.name} ({key.prefix})", ip=ip)
    return bool(moved)


def authenticate(plaintext: str) -> ApiKey | None:
    if not plaintext or not plaintext.startswith("fs_live_") or len(plaintext) > 200:
        return None
    key = ApiKey.objects.select_related("team", "created_by").filter(key_hash=hash_key(plaintext)).first()
    if key is None or not key.is_active:
        return None
    return key


def record_use(key: ApiKey, ip: str | None, method: str, path: str) -> None:
    """Last-used time and IP, and an audit event: every request that changes something, and a read once per
    STUDIO_API_AUDIT_READ_SECONDS per key (a PIM paging through 5,000 SKUs is one line, not a hundred)."""
    now = timezone.now()
    quiet = timedelta(seconds=getattr(settings, "STUDIO_API_AUDIT_READ_SECONDS", 600))
    previous = key.last_used_at
    if previous is None or now - previous > timedelta(seconds=30) or key.last_used_ip != ip:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now, last_used_ip=ip)
        key.last_used_at, key.last_used_ip = now, ip
    if method not in SAFE_METHODS or previous is None or now - previous > quiet:
        audit.record(key.team, None, audit.AuditAction.API_KEY_USED, f"{key.name} ({key.prefix})", ip=ip, method=method,
                     path=path[:200])

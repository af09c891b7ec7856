"""The audit log of security and money events (studio.models.AuditEvent): who did what, to what, when, from where.

    record(team, actor, action, target="", ip=None, **details) -> AuditEvent

`team` a Team or None, `actor` a User or None (the system), `action` an AuditAction value (or its string),
`target` a short text naming the object ("Huhu main (account 7)", "task 42"), `ip` the client address (see
`request_ip`), `details` anything JSON-serialisable. Never pass a secret: details are shown to team admins.
A failure to write the audit row is logged and never breaks the action being audited.
"""
import logging

from .models import AuditAction, AuditEvent
from .security import client_ip

logger = logging.getLogger("studio.audit")


def record(team, actor, action, target="", ip=None, **details) -> AuditEvent | None:
    try:
        actor_user = actor if getattr(actor, "is_authenticated", False) else None
        return AuditEvent.objects.create(
            team=team, actor=actor_user, actor_name=actor_user.get_username() if actor_user else "",
            action=str(action), target=str(target)[:200], ip=ip or None, details=details)
    except Exception:  # never lose the audited action because of its log line
        logger.exception("could not record audit event %s for team %s", action, getattr(team, "pk", None))
        return None


def request_ip(request) -> str | None:
    return client_ip(request)


def record_request(request, action, target="", *, team=None, **details) -> AuditEvent | None:
    """record() for a view: the request's current team, its user and the client address."""
    return record(team if team is not None else getattr(request, "team", None), getattr(request, "user", None),
                  action, target, ip=request_ip(request), **details)


__all__ = ["AuditAction", "record", "record_request", "request_ip"]

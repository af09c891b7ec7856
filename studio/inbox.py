"""The in-app inbox (issue 16.3): tell a person what needs them, and e-mail it through Django's mail backend.

- The person who launched a task hears when an output of theirs is rejected with a comment.
- Managers (and admins) hear when a batch has finished generating and waits for review.

A message is one row (`InboxMessage`); the top bar shows the unread count and /inbox/ lists them. E-mail goes out
only to people with an address, through whatever EMAIL_URL configures (the console in development); a mail server
that is down never stops a decision.
"""
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from .models import InboxMessage, Membership, Role

log = logging.getLogger(__name__)

REJECTED = "rejected"
BATCH_READY = "batch_ready"


def notify(team, user, kind: str, text: str, url: str = "") -> InboxMessage | None:
    if user is None or not user.is_active:
        return None
    message = InboxMessage.objects.create(team=team, recipient=user, kind=kind, text=text[:500], url=url[:300])
    if user.email:
        transaction.on_commit(lambda: _mail(user.email, text, url))
    return message


def _mail(address: str, text: str, url: str) -> None:
    link = f"{settings.STUDIO_PUBLIC_URL.rstrip('/')}{url}" if url else ""
    try:
        send_mail(f"Fashion Studio: {text[:120]}", f"{text}\n\n{link}".strip(), None, [address])
    except Exception:  # noqa: BLE001 - a mail server that is down must not undo or block the decision
        log.warning("inbox e-mail not sent", exc_info=True)


def output_rejected(output, actor, comment: str) -> None:
    """An output was rejected with a comment: tell whoever launched its task (not the reviewer themself)."""
    task = output.task
    launcher = task.created_by
    if launcher is None or launcher == actor or not comment.strip():
        return
    sku = task.sku
    url = reverse("sku_detail", args=[sku.pk])  # where the card shows the comment and "Regenerate this one"
    notify(task.team, launcher, REJECTED,
           f"{actor.username} rejected an output of {sku.code}: “{comment.strip()[:300]}”", url)


def batch_ready(team, batch, project, waiting: int) -> int:
    """A batch finished and `waiting` outputs wait for review: tell the team's managers and admins, once."""
    url = reverse("review_board", args=[project.pk]) + f"?batch={batch.pk}"
    if InboxMessage.objects.filter(team=team, kind=BATCH_READY, url=url).exists():
        return 0
    managers = Membership.objects.filter(team=team, role__in=(Role.MANAGER, Role.ADMIN)).select_related("user")
    text = f"{batch} in {project.name} is ready for review: {waiting} output{'s' if waiting != 1 else ''} waiting."
    return sum(1 for m in managers if notify(team, m.user, BATCH_READY, text, url))


def unread_count(user, team) -> int:
    if team is None or not user.is_authenticated:
        return 0
    return InboxMessage.objects.filter(recipient=user, team=team, read_at__isnull=True).count()


def mark_read(user, team) -> int:
    return InboxMessage.objects.filter(recipient=user, team=team, read_at__isnull=True).update(read_at=timezone.now())

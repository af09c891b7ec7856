"""What happened in a team, for whoever listens (issue 18: the API's outgoing webhooks subscribe here).

    publish(team_id, event_type, data, dedupe_key="")

Product code says that something happened and knows nothing about who listens: the signal is sent once the
surrounding transaction commits (so a rolled-back change announces nothing), and a listener that fails is logged
and never fails the work that caused the event. `dedupe_key` names an event that must be announced once only
("batch.finished:42"); listeners keep it.
"""
import logging

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger("studio.events")

# sender=None; kwargs: team_id, event_type, data, dedupe_key
team_event = Signal()

EVENT_TYPES = (
    "import.finished", "task.completed", "task.failed", "task.needs_attention", "output.ready_for_review",
    "output.approved", "output.client_approved", "batch.finished", "budget.reached", "account.paused",
)


def _send(team_id, event_type: str, data: dict, dedupe_key: str) -> None:
    try:
        for receiver, result in team_event.send_robust(None, team_id=team_id, event_type=event_type, data=data,
                                                       dedupe_key=dedupe_key):
            if isinstance(result, Exception):
                logger.error("event %s for team %s: listener %r failed: %r", event_type, team_id, receiver, result)
    except Exception:  # never fail the work that caused the event
        logger.exception("event %s for team %s could not be published", event_type, team_id)


def publish(team_id, event_type: str, data: dict, dedupe_key: str = "") -> None:
    if team_id is None:
        return
    try:
        transaction.on_commit(lambda: _send(team_id, event_type, data, dedupe_key), robust=True)
    except Exception:
        logger.exception("event %s for team %s could not be scheduled", event_type, team_id)

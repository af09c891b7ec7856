"""The engine: the durable run of a paid vendor job (DESIGN.md §4), and its public entry points — one per action.

Product features and pages call only these. The modules behind them are the engine's own: jobs (Celery) → runs
(one step) → webhooks (the base view) → housekeeping (sweeper, held tasks) → limits → outputs / poll_timing →
queue (publishing by job name); pyproject.toml's "engine-acyclic" contract keeps that order free of circles.

The entry points import their module when called, so importing one engine module never loads the rest.
"""
from __future__ import annotations


def start(account_id: int, task_ids: list[int]) -> list[int]:
    """Admit new (or resumed) tasks of one account: queued for its free slots, parked in order for the rest.
    Returns the ids queued now."""
    from .limits import admit

    return admit(account_id, task_ids)


def advance(task_id: int) -> str | None:
    """Run one task's next step now (what the Celery job "vendor.advance" does)."""
    from .runs import advance as advance_task

    return advance_task(task_id)


def sweep() -> dict:
    """The safety net (Celery beat): re-queue due or stuck work, wake paused accounts whose balance is back."""
    from .housekeeping import sweep as sweep_now

    return sweep_now()


def regenerate(task, user, prompt: str):
    """A new round of a finished task, with a new attempt key (one more paid call, on purpose)."""
    from .housekeeping import regenerate as regenerate_task

    return regenerate_task(task, user, prompt)


def resolve_held(task, user, decision: str):
    """A person settles a task held as "outcome unknown": submit again, or mark it failed (raises NotHeld when the
    task is not held any more)."""
    from .housekeeping import resolve_unknown

    return resolve_unknown(task, user, decision)


def __getattr__(name: str):
    if name == "NotHeld":  # the error resolve_held raises, without importing housekeeping up front
        from .housekeeping import NotHeld

        return NotHeld
    raise AttributeError(name)

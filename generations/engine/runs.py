"""The durable state machine: `advance(task_id)` moves one Task one step, with the database as the truth.

DESIGN.md §4. Each call claims the task with a compare-and-set lease, does ONE step, records the result in the row
(every write fenced on the lease it holds), releases the lease and schedules the next run. Steps (Task.step):

  submit  → account active? no slot: parked WITHOUT a broker message (limits.py; woken by wake_waiting when a slot
            frees) → adapter.prepare → limits (row lock) → record attempt_key + attempt_started_at and COMMIT → the
            one paid call adapter.submit → save vendor_task_id at once (+ webhooks kept for it) → "Task submitted"
  poll    → at the expected finish time (poll_timing.py) adapter.poll (or poll_many for batch vendors) → statuses
            forward only; completed → collect (out of the in-flight steps: the waiting tasks are woken first)
  collect → copy every output into our storage once (outputs.py) → "Generation completed" → "Review submitted"
  done / hold (needs attention: a person must look; the engine never guesses about money)

A crash between recording the attempt and saving the vendor's id leaves attempt_started_at set with no
vendor_task_id. The next submit reconciles: asks the vendor (find_submission) instead of paying twice, or stops in
"needs attention" when the vendor cannot be asked. Status changes go through lifecycle.py only.
"""
from __future__ import annotations

import json
import logging
import os
import random
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from generations import announce
from generations.engine import queue as publishing
from generations.engine import limits
from generations.engine import outputs
from generations.engine import poll_timing
from generations.engine.housekeeping import (ACTIVE_STEPS, SWEEP_GRACE, NotHeld, refresh_balance, regenerate,  # noqa: F401
                           resolve_unknown, resume_paused_accounts, sweep)  # re-exported: the engine's entry points
from generations.lifecycle import ACCOUNT_TRANSITIONS, TASK_TRANSITIONS, advance_task, can_move, set_account_state
from generations.models import AccountState, Batch, BatchState, CreditEntry, CreditKind, Task, TaskStatus, VendorAccount
from generations.vendors import registry
from generations.vendors.base import (AuthError, ConfigurationError, InsufficientCredits, NotFound, OutcomeUnknown, OutputExpired,
                           PollResult, RateLimited, RemoteOutput, Submission, VendorError)
from generations.engine.webhooks import apply_pending

logger = logging.getLogger(__name__)
S = TaskStatus

DONE, HOLD = "done", "hold"
EARLY_TOLERANCE = timedelta(seconds=1)  # a countdown job may arrive a little before next_run_at
ACCOUNT_WAIT_SECONDS = 60.0  # paused/disabled accounts: the sweeper wakes their tasks when they are active again
BATCH_SIZE = 50
INLINE_STARTS = 1  # woken tasks a poll job starts itself; the rest run as their own jobs, in parallel
_GENERATING = (S.TASK_SUBMITTED, S.GENERATION_STARTED, S.GENERATION_IN_PROCESS)


# vendor_state keys about the current attempt's paid call: cleared when a new attempt starts or the last one is over.
ATTEMPT_MARKS = ("sent", "lost", "attempt_error")


def settle_seconds(adapter) -> float:
    """How long a lost paid call is looked for in the vendor's listing (adapter.settle_seconds, a few minutes):
    account.settings["settle_seconds"] first, then settings.STUDIO_SETTLE_SECONDS, then the adapter's default."""
    configured = (adapter.account.settings or {}).get("settle_seconds")
    if configured is None:
        configured = getattr(settings, "STUDIO_SETTLE_SECONDS", None)
    return float(configured if configured is not None else adapter.settle_seconds)


def settle_spacing(adapter) -> float:
    """Seconds between two looks for a lost paid call: the window shared among the adapter's settle_looks."""
    return max(1.0, settle_seconds(adapter) / max(1, adapter.settle_looks))


def _when(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


class LostLease(Exception):
    """Our lease expired and someone else claimed the task: stop without writing anything more."""


def advance(task_id: int) -> str | None:
    """Run one step of one task. Returns the step that ran, or None when the task was not ours to run now."""
    now = timezone.now()
    lease = _claim(task_id, now)
    if lease is None:
        return None
    task = Task.objects.select_related("account", "sku").get(pk=task_id)
    step = task.step
    StepRun(task, lease).run()
    return step


def _claim(task_id: int, now, *, require_due: bool = True):
    lease_until = now + timedelta(seconds=settings.STUDIO_LEASE_SECONDS)
    query = Task.objects.filter(pk=task_id, step__in=ACTIVE_STEPS, needs_attention=False).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    if require_due:
        query = query.filter(Q(next_run_at__isnull=True) | Q(next_run_at__lte=now + EARLY_TOLERANCE))
    # `attempts` counts claims of the current step; a step that kills its worker every time is bounded by it.
    claimed = query.update(lease_until=lease_until, attempts=F("attempts") + 1)
    return lease_until if claimed == 1 else None


def _jsonable(value):
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _pause_point(name: str, task_id: int) -> None:
    """Test-only hooks, inert unless the environment variable is set. Pause: announce that this task reached the
    point (<path>.reached.<task id>) and wait for <path> to appear, so a chaos test can SIGKILL the worker here.
    STUDIO_TEST_CRASH_TASK=<id>: that task kills its worker process every time it gets here."""
    if os.environ.get("STUDIO_TEST_CRASH_TASK") == str(task_id):
        os._exit(70)
    path = os.environ.get(name)
    if not path:
        return
    Path(f"{path}.reached.{task_id}").touch()
    deadline = time.monotonic() + 120
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.05)


class StepRun:
    """One claimed step of one task. Every write is fenced on the lease we hold."""

    def __init__(self, task: Task, lease):
        self.task, self.lease, self.account, self._adapter = task, lease, task.account, None

    @property
    def adapter(self):
        if self._adapter is None:
            self._adapter = registry.adapter_for(self.account)
        return self._adapter

    # --- plumbing -----------------------------------------------------------------------------------------------
    def run(self) -> None:
        step = getattr(self, f"step_{self.task.step}")
        if self.task.attempts > settings.STUDIO_MAX_ATTEMPTS:
            message = f"gave up after {settings.STUDIO_MAX_ATTEMPTS} attempts at the {self.task.step} step"
            step = lambda: self.fail(message)  # noqa: E731 - the step kills its worker every time
        try:
            self.guarded(step)
        finally:
            if self._adapter is not None:
                self._adapter.close()

    def guarded(self, step, *args, release: bool = True) -> None:
        """Run a step; record any error in the row (handle); release the lease if we still hold it (release=False:
        the caller carries on with this task and releases it later)."""
        try:
            try:
                step(*args)
            except LostLease:
                raise
            except Exception as exc:  # noqa: BLE001 - every outcome is recorded in the row, see handle()
                self.handle(exc)
        except LostLease:
            logger.warning("task %s: lease lost in step %s; another worker carries on", self.task.pk, self.task.step)
        finally:
            if self.lease is not None and release:
                Task.objects.filter(pk=self.task.pk, lease_until=self.lease).update(lease_until=None)

    def handle(self, exc: Exception) -> None:
        if isinstance(exc, VendorError):
            return self.on_error(exc)
        if isinstance(exc, ConfigurationError):
            if self.task.step == "submit" and not self.task.attempt_started_at:
                return self.fail(str(exc))
            return self.hold(str(exc))
        # A bug or an unexpected library error (or the soft time limit): bounded retries, like Unavailable.
        logger.exception("task %s: unexpected error in step %s", self.task.pk, self.task.step, exc_info=exc)
        self.retry_later(f"unexpected error ({type(exc).__name__})")

    def write(self, _where: dict | None = None, **fields) -> None:
        changed = Task.objects.filter(pk=self.task.pk, lease_until=self.lease, **(_where or {})).update(
            updated_at=timezone.now(), **fields)
        if not changed:
            raise LostLease()
        for name, value in fields.items():
            setattr(self.task, name, value)

    def finish(self, step: str, delay: float | None = None, *, queue: bool = True, **fields) -> None:
        """Record the step's result, release the lease, and queue the next run `delay` seconds from now (queue=False:
        no broker message; something else makes the task due, like limits.wake_waiting)."""
        was = self.task.step
        next_run = timezone.now() + timedelta(seconds=delay) if delay is not None else None
        self.write(step=step, next_run_at=next_run, lease_until=None, **fields)
        self.lease = None
        if step in ACTIVE_STEPS and delay is not None and queue:
            publishing.queue_advance_on_commit(self.task.pk, delay)
        if step not in ACTIVE_STEPS and was != "collect":  # left the in-flight steps: a slot is free
            limits.wake_waiting(self.account.pk)

    def state(self, **updates) -> dict:
        return {**self.task.vendor_state, **_jsonable(updates)}

    # --- submit -------------------------------------------------------------------------------------------------
    def step_submit(self) -> None:
        task = self.task
        if self.account.state != AccountState.ACTIVE:
            return self.finish("submit", ACCOUNT_WAIT_SECONDS, attempts=0)
        batch_state = self.batch_state()
        if batch_state == BatchState.CANCELLED and not task.attempt_started_at and not task.vendor_task_id:
            return self.fail("Cancelled before submission.")
        if batch_state == BatchState.PAUSED and not task.attempt_started_at:
            return self.finish("submit", ACCOUNT_WAIT_SECONDS, attempts=0)  # batches.resume() wakes it
        if task.vendor_task_id:  # the id was saved but the step was not moved on (a crash right after)
            return self.submitted(None)
        if task.attempt_started_at and not self.reconcile():
            return
        # Clearly no slot for us (read without the lock: parking is always safe, granting happens under it below):
        # park before any groundwork, so a queue of hundreds costs a few queries per task.
        decision = limits.precheck(self.account, task)
        if not decision.parked:
            self.adapter.prepare(task)
            refresh_balance(self.account, self.adapter)
            if short := self.credits_short():  # waits, with the reason on the task; the balance is re-read
                return self.finish("submit", ACCOUNT_WAIT_SECONDS, attempts=0, error_message=short)
            decision = self.reserve()
        if decision.parked:  # no broker message: woken when a slot frees (and once now, in case one just did)
            self.finish("submit", decision.wait_seconds, queue=False, attempts=0,
                        vendor_state=self.state(waiting=limits.WAITING))
            return limits.wake_waiting(self.account.pk)
        if not decision.granted:
            return self.finish("submit", decision.wait_seconds, attempts=0)
        _pause_point("STUDIO_TEST_PAUSE_BEFORE_SUBMIT", task.pk)
        self.adapter.on_send = self.mark_sent
        try:
            submission = self.adapter.submit(task)
        finally:
            self.adapter.on_send = None
        _pause_point("STUDIO_TEST_PAUSE_AFTER_SUBMIT", task.pk)  # paid, id not yet saved: the worst moment to die
        self.record_submission(submission)

    def reserve(self) -> limits.SlotDecision:
        """Take a slot under the account's row lock and record the attempt in the same, committed, transaction.
        The write is conditional on step="submit" too: batches.cancel() moves an unsubmitted task away with the
        mirror condition (attempt_key=""), so exactly one of the two wins."""
        with transaction.atomic():
            account = limits.lock_account(self.account.pk)
            if account.state != AccountState.ACTIVE:
                return limits.SlotDecision(False, ACCOUNT_WAIT_SECONDS, "account not active")
            if self.batch_state() in (BatchState.PAUSED, BatchState.CANCELLED):  # changed since step_submit looked
                return limits.SlotDecision(False, 1.0, "batch paused or cancelled")
            decision = limits.decide(account, self.task, timezone.now(), self.adapter.submissions_per_minute)
            if decision.granted:
                state = {k: v for k, v in self.state().items() if k not in ("waiting", *ATTEMPT_MARKS)}
                self.write(_where={"step": "submit"}, attempt_key=self.task.attempt_key or uuid.uuid4().hex,
                           attempt_started_at=timezone.now(), vendor_state=state)
        return decision

    def credits_short(self) -> str:
        """Huhu 001 §10 "check credits > estimated_cost" before submitting: with the last balance known, a task that
        costs more waits, saying so, instead of drawing a 402 that pauses the whole account."""
        needed, left = self.adapter.credits_needed(self.task), self.account.credit_balance
        if needed is None or left is None or left > needed:
            return ""
        return f"not enough credits: {needed:g} needed, {left:g} left"

    def batch_state(self) -> str | None:
        return Batch.objects.filter(pk=self.task.batch_id).values_list("state", flat=True).first()

    def mark_sent(self, method: str, path: str) -> None:
        """Called by the adapter's HTTP client just before the paid request leaves (vendors/http.py before_send):
        from here on a lost answer or a dead worker means "outcome unknown", before it "not sent"."""
        sent = self.task.vendor_state.get("sent") or {"at": timezone.now().isoformat()}
        self.write(vendor_state=self.state(sent={**sent, "request": f"{method} {urlsplit(path).path}"[:200]}))

    def reconcile(self) -> bool:
        """The last attempt's outcome is unknown (a worker died during it, or its answer was lost). True: safe to
        submit (again, with the same attempt key). DESIGN.md §4 "Unknown outcomes":
        - its paid request never left (no "sent" mark): nothing can have been charged;
        - the record of it is found (the vendor's listing, or what the adapter kept): carry on with that job;
        - a vendor with a listing (can_reconcile) is asked several times over a settle window, since a listing can
          lag behind the job; only when it still shows nothing is the call taken as never made;
        - a vendor without one: a person decides (hold_unknown); the engine never guesses about money."""
        state = self.task.vendor_state
        if not state.get("sent"):
            self.write(attempt_started_at=None)
            return True
        found = self.adapter.find_submission(self.task)
        if found is not None:
            self.record_submission(found)
            return False
        if not self.adapter.can_reconcile:
            self.hold_unknown()
            return False
        window = settle_seconds(self.adapter)
        since = _when((state.get("lost") or {}).get("at") or state["sent"].get("at"))
        if since is not None and timezone.now() - since < timedelta(seconds=window):
            self.finish("submit", settle_spacing(self.adapter), attempts=0)
            return False
        logger.info("task %s: %s shows no job for attempt %s after %.0f s; submitting again", self.task.pk,
                    self.adapter.label, self.task.attempt_key, window)
        self.write(attempt_started_at=None, vendor_state={k: v for k, v in state.items() if k not in ATTEMPT_MARKS})
        return True

    def lost_answer(self, exc: OutcomeUnknown) -> None:
        """The paid call went out and its answer was lost: record what we know, then settle it like a crash."""
        self.write(vendor_state=self.state(lost={"at": timezone.now().isoformat(), "error": str(exc)[:300]}))
        if Task.objects.filter(pk=self.task.pk).exclude(vendor_task_id="").exists():
            # A webhook named this attempt's job meanwhile (webhooks.adopt_lost_submission): it was accepted.
            self.task.refresh_from_db(fields=["vendor_task_id", "status"])
            return self.submitted(None)
        if self.adapter.can_reconcile:  # the first look comes after a spacing: a listing can lag
            return self.finish("submit", settle_spacing(self.adapter), attempts=0)
        if self.reconcile():  # only what the adapter kept (Hautech's journal) can tell; else a person decides
            self.finish("submit", 0, attempts=0)

    def hold_unknown(self) -> None:
        """Needs attention: outcome unknown. Says what was sent and when, and where to look; the estimate shows in
        the ledger as "possibly charged" until a person settles it (housekeeping.resolve_unknown) or a webhook for
        the job does (webhooks.adopt_lost_submission)."""
        state = self.task.vendor_state
        sent, lost = state.get("sent") or {}, state.get("lost") or {}
        label, dashboard = self.adapter.label, self.adapter.dashboard_url
        when = _when(sent.get("at"))
        at = when.strftime("%Y-%m-%d %H:%M:%S UTC") if when else "an unknown time"
        what = f"{sent['request']} " if sent.get("request") else ""
        why = f" ({lost['error']})" if lost.get("error") else " (the worker stopped during the call)"
        message = (f"Outcome unknown: the paid request {what}went to {label} at {at} and its answer was lost{why}. "
                   f"{label} offers no way to look the job up, so the studio will not submit it again by itself: it could "
                   f"get paid twice. "
                   f"Check the {label} dashboard{f' ({dashboard})' if dashboard else ''} for a job at that time: if "
                   f"there is none, choose “It was not charged — submit again”; otherwise “Mark failed”.")
        self.write(vendor_state=self.state(outcome_unknown={
            "sent_at": sent.get("at"), "request": sent.get("request", ""), "error": lost.get("error", ""),
            "dashboard": dashboard}))
        CreditEntry.objects.get_or_create(
            account=self.account, kind=CreditKind.POSSIBLE, external_id=f"attempt:{self.task.attempt_key}"[:200],
            defaults={"team_id": self.task.team_id, "task": self.task, "credits": self.task.estimated_credits,
                      "operation": self.task.operation,
                      "note": f"round {self.task.round}: answer lost, {label} may have charged"})
        self.hold(message)

    def record_submission(self, submission: Submission) -> None:
        # The vendor's id is the one fact we must not lose: saved before anything else, even if our lease lapsed.
        Task.objects.filter(pk=self.task.pk, vendor_task_id="").update(vendor_task_id=submission.vendor_task_id)
        self.task.vendor_task_id = submission.vendor_task_id
        self.write(vendor_state={**{k: v for k, v in self.task.vendor_state.items() if k not in ATTEMPT_MARKS},
                                 "submission": _jsonable(submission.raw)}, error_message="")
        self.submitted(submission)

    def submitted(self, submission: Submission | None) -> None:
        if self.task.status == S.TASK_CREATED:
            advance_task(self.task, S.TASK_SUBMITTED)
        if submission is not None and submission.charged_credits is not None:
            self.charge(submission.charged_credits)
        early = apply_pending(self.task)  # webhooks that came before the vendor id was saved: applied now
        self.finish("poll", 0 if early else poll_timing.delay(self.adapter, self.task), attempts=0)

    def charge(self, credits) -> None:
        CreditEntry.objects.get_or_create(
            account=self.account, kind=CreditKind.CHARGE, external_id=self.task.vendor_task_id[:200],
            defaults={"team_id": self.task.team_id, "task": self.task, "credits": credits,
                      "operation": self.task.operation, "note": f"round {self.task.round}"})
        Task.objects.filter(pk=self.task.pk).update(charged_credits=credits)

    # --- poll ---------------------------------------------------------------------------------------------------
    def step_poll(self) -> None:
        if not self.adapter.batch_polling:
            return self.apply_poll(self.adapter.poll(self.task))
        # This job runs when its task was expected to be done: a shared answer from before then does not do.
        self.adapter.poll_fresh_after = self.task.next_run_at.timestamp() if self.task.next_run_at else None
        if (wait := self.adapter.poll_wait(self.task)) > 0.01:  # the last call for the account was just now
            return self.finish("poll", wait, attempts=0)
        if (wait := poll_timing.gather_wait(self.adapter, self.task)) > 0:  # jobs due a moment later ride along
            return self.finish("poll", wait, attempts=0)
        # One call reports on every polling task of the account. Only the ones it shows finished, and the ones due
        # now anyway, are claimed and moved on here; the others keep their own scheduled poll (re-scheduling them
        # all after every call would cost a write and a broker message per running task per call).
        others = polling_companions(self.task)
        results = self.adapter.poll_many([self.task, *others])  # an error is this task's: the others poll on their own
        due = timezone.now() + EARLY_TOLERANCE
        companions = claim_polling([t.pk for t in others if (r := results.get(t.pk)) is not None and (
            r.state in ("completed", "failed") or (t.next_run_at is not None and t.next_run_at <= due))])
        # Finished jobs first: they leave the in-flight step (their slots free) and the waiting tasks are woken once
        # (a job each, queued at once: idle processes start them in parallel; this one starts the first itself in
        # case every process is busy). Then the running jobs are recorded. Last the outputs: this job copies the
        # first task's, the others are handed to the queue, so a wave of ten is not copied one after the other.
        runs = [*companions, self]
        done = [r for r in runs if (res := results.get(r.task.pk)) and res.state in ("completed", "failed")]
        collects = []
        try:
            for run in done:
                run.guarded(run.apply_poll, results.get(run.task.pk), collects, release=False)
            for pk in (limits.wake_waiting(self.account.pk) if collects else [])[:INLINE_STARTS]:
                try:
                    advance(pk)  # its own StepRun records its outcome; the queued wake-up job is then a no-op
                except Exception:  # noqa: BLE001 - not this task's failure: the queued wake-up job runs it instead
                    logger.exception("task %s: could not start woken task %s here", self.task.pk, pk)
            for run in runs:
                if run not in done:
                    run.guarded(run.apply_poll, results.get(run.task.pk), collects, release=False)
        finally:
            for index, (run, remotes) in enumerate(collects):
                # Bytes the vendor handed over inline are not kept in the row: those are stored right here.
                inline = any(r.data is not None or not r.url for r in remotes)
                run.guarded(run.collect, remotes) if index == 0 or inline else run.guarded(run.hand_off)

    def apply_poll(self, result: PollResult | None, collects: list | None = None) -> None:
        if result is None or result.state in ("pending", "running"):
            if result is not None:
                self.move_forward(result)
                self.write(vendor_state=self.state(poll=result.raw))
            limit = timedelta(seconds=getattr(settings, "STUDIO_JOB_TIMEOUT_SECONDS", 6 * 3600))
            if self.task.submitted_at and timezone.now() - self.task.submitted_at > limit:
                return self.hold(f"The vendor has not finished this job in {limit}; it is no longer polled.")
            return self.finish("poll", poll_timing.delay(self.adapter, self.task), attempts=0)
        if result.charged_credits is not None:
            self.charge(result.charged_credits)
        if result.state == "failed":
            return self.fail(result.error or result.vendor_status or "the vendor reports the generation failed")
        took = poll_timing.took(self.task, result)  # what the next polls' timing learns from
        self.write(step="collect", vendor_state=self.state(poll=result.raw, **took, outputs=[
            {"result_id": o.result_id, "url": o.url, "kind": o.kind, "inline": o.data is not None, "raw": o.raw}
            for o in result.outputs]))
        if collects is not None:
            return collects.append((self, result.outputs))
        limits.wake_waiting(self.account.pk)  # out of the in-flight steps: the vendor's slot is free already
        self.collect(result.outputs)

    def move_forward(self, result: PollResult) -> None:
        """Vendor-reported progress; lifecycle.advance_task ignores anything that would move backwards."""
        target = result.vendor_status if result.vendor_status in _GENERATING else (
            S.GENERATION_IN_PROCESS if result.state == "running" else None)
        if target and target != self.task.status:
            advance_task(self.task, target)

    # --- collect ------------------------------------------------------------------------------------------------
    def hand_off(self) -> None:
        """Leave the copying of this task's outputs to its own job (step collect, due now), run by any free process."""
        self.finish("collect", 0, attempts=0)

    def step_collect(self) -> None:
        saved = self.task.vendor_state.get("outputs") or []
        if not saved or any(o.get("inline") or not o.get("url") for o in saved):
            # Bytes handed over inline are not kept in the row: ask the vendor again (never a new paid job).
            result = self.adapter.poll(self.task)
            if result.state != "completed":
                return self.apply_poll(result)
            return self.collect(result.outputs)
        self.collect([RemoteOutput(result_id=o["result_id"], url=o["url"], kind=o.get("kind", "image"),
                                   raw=o.get("raw") or {}) for o in saved])

    def collect(self, remotes: list[RemoteOutput]) -> None:
        try:
            outputs.store_all(self.task, remotes)
        except OutputExpired:
            if self.task.vendor_state.get("refreshed_urls") or not self.refresh_and_store():
                return self.hold("The vendor's output links expired before they could be copied, and asking "
                                 "again did not give working links. The generation was paid; nothing was re-run.")
        for target in (S.GENERATION_COMPLETED, S.REVIEW_SUBMITTED):
            advance_task(self.task, target)
        self.finish(DONE, None, attempts=0, error_message="")

    def refresh_and_store(self) -> bool:
        """Expired URLs: one more poll for fresh links to the same results (never a new paid job)."""
        self.write(vendor_state=self.state(refreshed_urls=True))
        result = self.adapter.poll(self.task)
        if result.state != "completed":
            return False
        try:
            outputs.store_all(self.task, result.outputs)
        except OutputExpired:
            return False
        return True

    # --- outcomes -----------------------------------------------------------------------------------------------
    def on_error(self, exc: VendorError) -> None:
        label = self.adapter.label
        in_submit = self.task.step == "submit"
        if in_submit and self.task.attempt_started_at:
            if isinstance(exc, OutcomeUnknown) and self.task.vendor_state.get("sent"):
                return self.lost_answer(exc)
            # An answer (401, 402, 422, 429, 500, …) means the vendor did not take the job, and a request that was
            # not sent (DNS, connection refused, connect timeout) cannot have been charged: the attempt is over.
            # (An OutcomeUnknown before the "sent" mark came from unpaid groundwork inside submit.)
            self.write(attempt_started_at=None, vendor_state={
                k: v for k, v in self.task.vendor_state.items() if k not in ATTEMPT_MARKS})
        if isinstance(exc, AuthError):
            self._set_account(AccountState.DISABLED, f"{label} rejected the API key: {exc}. Update the key to "
                                                     f"resume queued work.")
            return self.finish(self.task.step, ACCOUNT_WAIT_SECONDS, attempts=0)
        if isinstance(exc, InsufficientCredits):
            self._set_account(AccountState.PAUSED, f"{label} account is out of credits ({exc}). Queued work "
                                                   f"resumes when credits are added.")
            # Any balance we read before is stale now: the sweeper may ask again at once (resume_paused_accounts).
            VendorAccount.objects.filter(pk=self.account.pk).update(balance_checked_at=None)
            return self.finish(self.task.step, ACCOUNT_WAIT_SECONDS, attempts=0)
        if isinstance(exc, RateLimited):
            wait = exc.retry_after if exc.retry_after is not None else limits.backoff(self.task.attempts)
            return self.finish(self.task.step, max(wait, 1.0), attempts=0)
        if isinstance(exc, NotFound) and not in_submit:
            if exc.status_code is None:  # the adapter's own words (Uwear: "assets live 4 hours") say it best
                return self.hold(f"{exc} Nothing was resubmitted, so nothing was paid twice.")
            return self.hold(f"{label} no longer knows job {self.task.vendor_task_id} (HTTP 404). It was not "
                             f"resubmitted, so nothing was paid twice.")
        if exc.permanent:
            return self.fail(str(exc))
        self.retry_later(str(exc))

    def retry_later(self, message: str) -> None:
        message = self.account.scrub(message)
        if self.task.attempts >= settings.STUDIO_MAX_ATTEMPTS:
            return self.fail(f"{message}; gave up after {self.task.attempts} attempts")
        self.finish(self.task.step, limits.backoff(self.task.attempts), error_message=message[:500])

    def _set_account(self, state: str, message: str) -> None:
        account = VendorAccount.objects.get(pk=self.account.pk)
        if account.state == state or can_move(ACCOUNT_TRANSITIONS, account.state, state):
            set_account_state(account, state, message)

    def fail(self, message: str) -> None:
        message = self.account.scrub(message)
        if self.task.status == S.GENERATION_FAILED:  # a webhook said so first
            return self.finish(DONE, None, error_message=self.task.error_message or message[:2000])
        if can_move(TASK_TRANSITIONS, self.task.status, S.GENERATION_FAILED):
            advance_task(self.task, S.GENERATION_FAILED, error_message=message[:2000])
            return self.finish(DONE, None, error_message=message[:2000])
        self.hold(message)

    def hold(self, message: str) -> None:
        message = self.account.scrub(message)
        logger.warning("task %s needs attention: %s", self.task.pk, message)
        self.finish(HOLD, None, needs_attention=True, error_message=message[:2000])
        announce.task_needs_attention(self.task, message)


def polling_companions(task: Task) -> list[Task]:
    """The account's other polling tasks (read, not claimed), soonest due first: one batched call (Huhu GET /task)
    reports on all of them."""
    return list(Task.objects.filter(account_id=task.account_id, step="poll", needs_attention=False)
                .exclude(pk=task.pk).select_related("account", "sku").order_by("next_run_at")[:BATCH_SIZE - 1])


def claim_polling(ids: list[int]) -> list[StepRun]:
    """Claim the free ones of these polling tasks at once (one UPDATE, one SELECT). The lease carries random
    microseconds, so the rows this claim won are told apart from a concurrent claim's by their lease value."""
    if not ids:
        return []
    now = timezone.now()
    lease = now + timedelta(seconds=settings.STUDIO_LEASE_SECONDS, microseconds=random.randrange(1, 1_000_000))
    (Task.objects.filter(pk__in=ids, step="poll", needs_attention=False)
     .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
     .update(lease_until=lease, attempts=F("attempts") + 1))
    return [StepRun(task, lease) for task in
            Task.objects.filter(pk__in=ids, lease_until=lease).select_related("account", "sku").order_by("pk")]

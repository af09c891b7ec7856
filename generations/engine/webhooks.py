"""The shared base for vendor webhook views (after django-anymail's webhooks/base.py, plus what anymail lacks: a
replay window and event-id dedupe).

Order of steps, owned here: find the account from the URL (webhooks/<vendor>/<account token>/) → verify the
signature over the raw body (constant-time compare, timestamp within 5 minutes) → parse into NormalizedEvents →
for each: persist WebhookEvent get-or-create on (account, event_id) inside a transaction, so a repeat — also a
concurrent one — is applied once → apply (statuses only move forward, via lifecycle.advance_task) → queue the
engine, which collects the outputs. A vendor view overrides only `parse` (and `verify`/`sign` when its scheme
differs). Declaring `class XWebhookView(WebhookView): vendor = "x"` in the vendor package's webhook module, and
naming that module in the adapter's `webhooks`, is all the routing needed: webhook_urls.py dispatches
webhooks/<vendor>/<token>/ to the subclass registered for that vendor. Rejections never log the body; an event for an unknown or finished
task answers 200 so the vendor stops retrying, and polling still finishes every job whose webhook never arrives.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass, field
from typing import ClassVar

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from generations.engine import queue
from generations.engine.housekeeping import adopt_lost_submission
from generations.lifecycle import advance_task
from generations.models import Task, TaskStatus, VendorAccount, WebhookEvent

logger = logging.getLogger(__name__)

REPLAY_WINDOW_SECONDS = 300
PENDING = "studio_pending"  # payload key of an event kept for a task the submit step has not recorded yet
_OPEN = {TaskStatus.TASK_CREATED, TaskStatus.TASK_SUBMITTED, TaskStatus.GENERATION_STARTED,
         TaskStatus.GENERATION_IN_PROCESS, TaskStatus.GENERATION_COMPLETED}


@dataclass
class NormalizedEvent:
    event_id: str
    event_type: str
    vendor_task_id: str
    payload: dict = field(default_factory=dict)
    # The Task status the event reports (a TaskStatus value), when it reports one; mapped by the vendor's parse().
    status: str = ""
    # Our attempt key, when the delivery names it (it rides in the webhook_url we sent, "?attempt=<key>"): lets a
    # job whose submit answer was lost find its task (housekeeping.adopt_lost_submission).
    attempt_key: str = ""


class WebhookRejected(Exception):
    def __init__(self, reason: str, status: int = 403):
        super().__init__(reason)
        self.reason, self.status = reason, status


_VIEWS: dict[str, type["WebhookView"]] = {}


@method_decorator(csrf_exempt, name="dispatch")
class WebhookView(View):
    vendor: ClassVar[str] = ""
    signature_header: ClassVar[str] = "X-Signature"
    timestamp_header: ClassVar[str] = "X-Timestamp"
    replay_window: ClassVar[int] = REPLAY_WINDOW_SECONDS
    http_method_names = ["post"]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.vendor:
            _VIEWS[cls.vendor] = cls

    def post(self, request: HttpRequest, account_token: str) -> HttpResponse:
        account = VendorAccount.objects.filter(vendor=self.vendor, webhook_token=account_token).first()
        if account is None:
            return HttpResponse(status=404)
        try:
            self.verify(request, account)
        except WebhookRejected as exc:
            # The reason only: the body may carry customer data and is unauthenticated.
            logger.warning("%s webhook for account %s rejected: %s", self.vendor, account.pk, exc.reason)
            return HttpResponse(status=exc.status)
        try:
            events = self.parse(request)
        except (ValueError, KeyError, TypeError) as exc:
            logger.warning("%s webhook for account %s unreadable: %s", self.vendor, account.pk, type(exc).__name__)
            return HttpResponse(status=400)
        attempt_key = request.GET.get("attempt", "")[:64]  # trusted only now, after the signature was verified
        for index, event in enumerate(events):
            event.attempt_key = event.attempt_key or attempt_key
            if not event.event_id:  # a vendor without event ids: the same delivery twice is the same bytes
                event.event_id = hashlib.sha256(request.body + f":{index}".encode()).hexdigest()
            self.record(account, event)
        return HttpResponse(status=200)

    # --- hooks a vendor view overrides -------------------------------------------------------------------------
    def verify(self, request: HttpRequest, account: VendorAccount) -> None:
        """Default scheme: hex HMAC-SHA256 of "<timestamp>.<raw body>" with the account's webhook secret."""
        signature = request.headers.get(self.signature_header, "")
        timestamp = request.headers.get(self.timestamp_header, "")
        if not signature or not timestamp:
            raise WebhookRejected("missing signature or timestamp", 400)
        self.check_timestamp(timestamp)
        secret = account.reveal_webhook_secret() if account.webhook_secret_encrypted else ""
        if not secret:
            raise WebhookRejected("the account has no webhook secret", 403)
        expected = self.sign(secret, timestamp, request.body)
        if not hmac.compare_digest(expected.encode(), self.signature_value(signature).encode()):
            raise WebhookRejected("bad signature", 403)

    @staticmethod
    def sign(secret: str, timestamp: str, body: bytes) -> str:
        return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()

    def signature_value(self, header: str) -> str:
        """The hex digest from the header (strips a "sha256=" prefix some vendors add)."""
        return header.split("=", 1)[1] if header.startswith("sha256=") else header

    def check_timestamp(self, value: str) -> None:
        """Unix seconds (or milliseconds) as a plain integer only: "nan", "inf", "1e9", " 12.5" are refused, since
        abs(now - nan) > window is False and would let any replay through (issue 14.8)."""
        value = value.strip()
        if not value.isascii() or not value.isdigit() or len(value) > 16:
            raise WebhookRejected("unreadable timestamp", 400)
        seconds = int(value)
        if seconds > 1e12:  # milliseconds
            seconds /= 1000
        if abs(time.time() - seconds) > self.replay_window:
            raise WebhookRejected("timestamp outside the replay window", 403)

    def parse(self, request: HttpRequest) -> list[NormalizedEvent]:
        raise NotImplementedError

    def apply(self, event: NormalizedEvent, task: Task) -> None:
        """Default: move the task forward to the status the event reports; backwards moves are ignored."""
        if event.status:
            advance_task(task, event.status)

    # --- the base's own steps ------------------------------------------------------------------------------------
    def record(self, account: VendorAccount, event: NormalizedEvent) -> None:
        with transaction.atomic():
            # Deduped per account (never per vendor): another team, signing with its own secret, could otherwise
            # send our vendor job id first and have our genuine delivery dropped as a repeat.
            stored, created = WebhookEvent.objects.get_or_create(
                account=account, event_id=event.event_id[:200],
                defaults={"vendor": self.vendor, "event_type": event.event_type[:80], "payload": event.payload})
            if not created:
                return  # a repeat: applied (or kept) the first time
            task = None
            if event.vendor_task_id:
                task = Task.objects.filter(account=account, vendor_task_id=event.vendor_task_id).first()
            if task is None and event.attempt_key and event.vendor_task_id:
                task = adopt_lost_submission(account, event.attempt_key, event.vendor_task_id)
            stored.task = task
            if task is None:
                # Unknown, or not yet committed by the submit step: kept with what it says, and applied by
                # apply_pending() when the engine records this vendor id. Polling finishes the job anyway.
                if event.vendor_task_id and isinstance(stored.payload, dict):
                    stored.payload = {**stored.payload, PENDING: {"vendor_task_id": event.vendor_task_id,
                                                                  "status": event.status}}
                stored.save(update_fields=["task", "payload"])
                return
            if task.status in _OPEN:
                self.apply(event, task)
                Task.objects.filter(pk=task.pk, step="poll").update(next_run_at=timezone.now())
                queue.queue_advance_on_commit(task.pk)
            stored.processed_at = timezone.now()
            stored.save(update_fields=["task", "processed_at"])


def apply_pending(task: Task) -> bool:
    """Called by the engine right after it saved the vendor's id: apply the events that arrived before (RELIABILITY
    .md "arrives before the submit transaction commits: kept and applied"), each once (the conditional update on
    processed_at elects one applier). True when one was applied."""
    if not task.vendor_task_id:
        return False
    pending = WebhookEvent.objects.filter(account_id=task.account_id, task__isnull=True, processed_at__isnull=True,
                                          **{f"payload__{PENDING}__vendor_task_id": task.vendor_task_id})
    applied = False
    for stored in pending.order_by("received_at", "pk"):
        with transaction.atomic():
            if not WebhookEvent.objects.filter(pk=stored.pk, processed_at__isnull=True).update(
                    task=task, processed_at=timezone.now()):
                continue  # applied by someone else meanwhile
            view_class = view_for(stored.vendor)
            if view_class is not None and task.status in _OPEN:
                info = stored.payload[PENDING]
                view_class().apply(NormalizedEvent(event_id=stored.event_id, event_type=stored.event_type,
                                                   vendor_task_id=info["vendor_task_id"], payload=stored.payload,
                                                   status=info.get("status") or ""), task)
                applied = True
    return applied


def view_for(vendor: str) -> type[WebhookView] | None:
    """The webhook view registered for a vendor: its adapter class names the module that declares it (`webhooks`),
    imported here on first use."""
    if vendor not in _VIEWS:
        from importlib import import_module

        from generations.vendors import registry
        from generations.vendors.base import ConfigurationError

        try:
            adapter = registry.adapter_class(vendor)
        except ConfigurationError:
            return None
        if adapter.webhooks:
            import_module(adapter.webhooks)
    return _VIEWS.get(vendor)


def dispatch(request: HttpRequest, vendor: str, account_token: str) -> HttpResponse:
    view_class = view_for(vendor)
    if view_class is None:
        return HttpResponse(status=404)
    return view_class.as_view()(request, account_token=account_token)


def vendor_webhook_path(account: VendorAccount) -> str:
    """The path a vendor is told to call for this account (prefix it with settings.STUDIO_PUBLIC_URL)."""
    from django.urls import reverse

    return reverse("vendor_webhook", kwargs={"vendor": account.vendor, "account_token": account.webhook_token})


def webhook_url(account: VendorAccount) -> str:
    from django.conf import settings

    return settings.STUDIO_PUBLIC_URL + vendor_webhook_path(account)

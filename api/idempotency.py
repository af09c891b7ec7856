"""`Idempotency-Key` on POST, as Stripe's API does it (issue 18.4).

- The first request with a key runs and its successful answer is kept (status and JSON body) for
  STUDIO_API_IDEMPOTENCY_HOURS (48 h by default, "at least 24 h").
- The same key with the same request (method, path and body) gets that answer again, with
  `Idempotent-Replayed: true`; nothing runs twice.
- The same key with another request is 422; while the first is still running, 409.
An error answer (4xx, 5xx) is not kept: nothing was done, so the caller may retry or correct the request with the
same key. The launch itself is also idempotent on a form token
derived from the key (generations.launch), so a retry after a lost answer lands on the same batch either way.
"""
import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder  # what the JSON renderer uses: the replay is byte-for-byte

from .errors import ApiError
from .models import IdempotentRequest

HEADER = "Idempotency-Key"


def fingerprint(request) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    data = request.data
    if hasattr(data, "lists"):  # multipart: the fields, then each file's name and bytes
        fields = {k: v for k, v in data.lists() if k not in request.FILES}
        digest.update(json.dumps(fields, sort_keys=True, default=str).encode())
        for name, files in sorted(request.FILES.lists()):
            for uploaded in files:
                digest.update(f"\n{name}={uploaded.name}:{uploaded.size}:".encode())
                for chunk in uploaded.chunks():
                    digest.update(chunk)
                uploaded.seek(0)
    else:
        digest.update(json.dumps(data, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def form_token(team, key: str) -> str:
    """A Batch.form_token for this team's key: a retry whose first answer was lost still finds its batch."""
    return "api-" + hashlib.sha256(f"{team.pk}:{key}".encode()).hexdigest()[:48]


def run(request, team, handler):
    """handler(key or None) -> Response. Runs it at most once per (team, key)."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return handler(None)
    if len(key) > 255:
        raise ApiError("An Idempotency-Key is at most 255 characters.", status_code=400, field=HEADER)
    print_ = fingerprint(request)
    cutoff = timezone.now() - timedelta(hours=settings.STUDIO_API_IDEMPOTENCY_HOURS)
    IdempotentRequest.objects.filter(team=team, key=key, created_at__lt=cutoff).delete()
    try:
        with transaction.atomic():
            record = IdempotentRequest.objects.create(team=team, key=key, fingerprint=print_)
    except IntegrityError:
        return _replay(team, key, print_)
    try:
        response = handler(key)
    except Exception as exc:
        if getattr(exc, "status_code", 500) >= 500:
            record.delete()
            raise

        from .errors import exception_handler

        response = exception_handler(exc, {"request": request})
        if response is None:
            record.delete()
            raise
    if not 200 <= response.status_code < 300:
        record.delete()  # nothing was done: a corrected request may use the same key
        return response
    IdempotentRequest.objects.filter(pk=record.pk).update(status_code=response.status_code,
                                                          response=json.loads(json.dumps(response.data, cls=JSONEncoder)))
    return response


def _replay(team, key: str, print_: str):
    record = IdempotentRequest.objects.filter(team=team, key=key).first()
    if record is None:
        raise ApiError("That Idempotency-Key was just released; send the request again.", status_code=409,
                       code="idempotency_retry")
    if record.fingerprint != print_:
        raise ApiError("This Idempotency-Key was already used with a different request. Use a new key for a new "
                       "request.", status_code=422, code="idempotency_conflict", field=HEADER)
    if record.status_code is None:
        raise ApiError("A request with this Idempotency-Key is still being processed; retry in a moment.",
                       status_code=409, code="idempotency_in_progress")
    return Response(record.response, status=record.status_code, headers={"Idempotent-Replayed": "true"})

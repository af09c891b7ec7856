"""One JSON shape for every error the API answers:

    {"error": {"status": 422, "code": "invalid", "message": "…", "fields": {"code": ["…"]}}}

`fields` names the request fields at fault (validation errors only); `message` is always a sentence for people.
"""
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DataError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler


class ApiError(exceptions.APIException):
    """A refusal from product code (LaunchError, ReviewError, …), with its status and an optional field."""

    def __init__(self, message: str, *, status_code: int = 422, code: str = "refused", field: str | None = None):
        super().__init__(message, code)
        self.status_code = status_code
        self.field = field


def _flatten(detail) -> dict:
    if isinstance(detail, dict):
        return {k: [str(x) for x in (v if isinstance(v, list) else [v])] if not isinstance(v, dict) else _flatten(v)
                for k, v in detail.items()}
    return {}


def body(status_code: int, code: str, message: str, fields: dict | None = None) -> dict:
    error = {"status": status_code, "code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def exception_handler(exc, context):
    if isinstance(exc, OverflowError) or (isinstance(exc, DataError) and "out of range" in str(exc)):
        exc = exceptions.ValidationError("A number in the request is out of range.")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_handler(exc, context)
    if response is None:
        return None
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, ApiError):
        fields = {exc.field: [str(exc.detail)]} if exc.field else None
        response.data = body(exc.status_code, str(exc.detail.code or "refused"), str(exc.detail), fields)
        return response
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail) if isinstance(exc.detail, dict) else {}
        general = fields.pop("non_field_errors", None) or (
            [str(x) for x in exc.detail] if isinstance(exc.detail, list) else [])
        parts = [f"{name}: {msgs[0]}" for name, msgs in fields.items() if isinstance(msgs, list) and msgs]
        message = " ".join(general) or ("Check these fields: " + "; ".join(parts) if parts else "Invalid request.")
        response.status_code = status.HTTP_400_BAD_REQUEST
        response.data = body(400, "invalid", message, fields or None)
        return response
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    message = str(detail) if not isinstance(detail, (dict, list)) else "Request refused."
    response.data = body(response.status_code, code, message)
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        response.data["error"]["retry_after"] = int(exc.wait) + 1
    return response

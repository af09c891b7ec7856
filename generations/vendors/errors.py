"""The one error tree every vendor call ends in (DESIGN.md §3), shared by the adapter contract (base.py) and the
one HTTP client (http.py), so neither imports the other to name a failure."""
from __future__ import annotations

from typing import ClassVar


class ConfigurationError(Exception):
    """Our own misconfiguration (no key, unknown vendor). Deliberately outside VendorError so nothing swallows it."""


class VendorError(Exception):
    """A vendor call failed. `permanent` tells the engine whether retrying can help."""

    permanent: ClassVar[bool] = False

    def __init__(self, message: str, *, status_code: int | None = None, response_text: str = "",
                 vendor_code: str = ""):
        super().__init__(message)
        self.status_code = status_code
        self.vendor_code = vendor_code
        # Already stripped of anything we sent; truncated so a huge HTML error page never fills a log.
        self.response_text = response_text[:2000]

    def __str__(self):
        status = f" (HTTP {self.status_code})" if self.status_code else ""
        return f"{self.args[0]}{status}"


class AuthError(VendorError):
    """401: the key is wrong or revoked. Disable the account; never retry."""

    permanent = True


class Forbidden(VendorError):
    """403: the key is fine but this resource is not ours (Huhu 000: "Requests to resources outside your team
    return 403. Revoked or invalid keys return 401."). Fail the task, naming the resource; the account stays active.
    No vendor document says 403 means a bad key (seeds 002, 003 and 004 give 403 no meaning at all)."""

    permanent = True


class InsufficientCredits(VendorError):
    """402: pause the account's submissions, keep the queue."""

    permanent = True


class ValidationFailed(VendorError):
    """400/422: the request itself is wrong; fail the task with the vendor's message."""

    permanent = True


class NotFound(VendorError):
    """404: reconcile, never resubmit blindly."""

    permanent = True


class Unsupported(VendorError):
    """The vendor cannot do this operation or option (capability table)."""

    permanent = True


class RateLimited(VendorError):
    """429: wait at least `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class Unavailable(VendorError):
    """The vendor did not take the request: it could not be reached (DNS, connect error or timeout), or it answered
    with an error of its own (500, or a 502/503/504 to a safe request). Back off and retry a bounded number of times."""


class OutcomeUnknown(Unavailable):
    """A request that changes something (POST, PUT, PATCH, DELETE) went out and its answer was lost: a read or write
    timeout after it was sent, the connection dropped mid-response, a gateway's 502/503/504 with no documented
    meaning, or a 2xx whose body cannot be read. The vendor may have done it, and for a paid call charged for it.
    A timeout is not a refusal: the engine never resubmits such a paid call blindly (DESIGN.md §4, runs.reconcile)."""


class GenerationFailed(VendorError):
    """The vendor ran the job and reports it failed (Huhu "Generation failed", Uwear "Error", …)."""

    permanent = True


class FetchRefused(VendorError):
    """The guarded downloader (vendors/http.py fetch_public) refused a URL or its answer: a non-public address,
    a scheme other than http(s), too many redirects, or more bytes than the cap. Never retried."""

    permanent = True


class OutputExpired(VendorError):
    """An output URL answered 403/404/410: vendor URLs expire (Huhu ~1 h, Uwear 4 h, ArtEmotion 24 h). The engine
    asks the vendor for fresh URLs (one more poll) and never re-runs the paid job."""

    permanent = True

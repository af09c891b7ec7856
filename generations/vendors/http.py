"""The one HTTP client for vendor calls, and the guarded downloader for URLs that came from outside.

- `VendorClient`: httpx with timeouts (connect 5 s, read 30 s by default: well inside the Celery time limit, so a
  hanging vendor is retried later instead of killing the worker), a user agent, logging of method + host + path +
  status + duration only (never headers, query strings or bodies: keys and signed URLs live there), and the mapping
  of failures onto the error tree in vendors/base.py.
- `fetch_public(url, max_bytes)`: vendor output URLs are fetched through a guard that refuses any non-public
  address (SSRF), connects to the exact IP it checked (no DNS rebinding between check and connect), re-checks every
  redirect hop and caps the bytes (RELIABILITY.md "Tenancy and secrets", "Vendors").
"""
from __future__ import annotations

import email.utils
import functools
import ipaddress
import logging
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from django.conf import settings

from studio.logging import redact

from .base import (AuthError, FetchRefused, Forbidden, InsufficientCredits, NotFound, OutputExpired, RateLimited,
                   Unavailable, ValidationFailed, VendorError)

logger = logging.getLogger("generations.vendors.http")

USER_AGENT = "FashionStudio/1.0 (+vendor engine)"
MAX_REDIRECTS = 5
_CHUNK = 64 * 1024


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process. httpx builds a new one (loading the whole CA bundle, ~20 ms of CPU)
    for every Client unless it is handed one; the engine opens a client per step, so that cost was per vendor call.
    An SSLContext is safe to share between clients and threads (Python docs, "ssl — SSL Context")."""
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def timeouts() -> httpx.Timeout:
    return httpx.Timeout(
        connect=getattr(settings, "STUDIO_HTTP_CONNECT_TIMEOUT", 5.0),
        read=getattr(settings, "STUDIO_HTTP_READ_TIMEOUT", 30.0),
        write=getattr(settings, "STUDIO_HTTP_READ_TIMEOUT", 30.0),
        pool=getattr(settings, "STUDIO_HTTP_CONNECT_TIMEOUT", 5.0),
    )


def _log(method: str, url: httpx.URL, status: int | str, started: float) -> None:
    # raw_path would include the query string (signed URLs, keys): log the path only.
    logger.info("%s %s%s -> %s in %.0f ms", method, url.host, url.path, status, (time.monotonic() - started) * 1000)


# --- Error mapping ----------------------------------------------------------------------------------------------
def vendor_message(response: httpx.Response) -> tuple[str, str]:
    """(message, code) from the JSON error shapes the vendors use: {"detail": ..}, {"error": ".."},
    {"message": ..}, {"error": {"code", "message"}}, FastAPI's {"detail": [{"msg": ..}]}. Falls back to the reason."""
    try:
        body = response.json()
    except ValueError:
        body = None
    code = ""
    message = ""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            code = str(error.get("code") or "")
            message = str(error.get("message") or error.get("detail") or "")
        elif isinstance(error, str):
            message = error
        detail = body.get("detail")
        if not message and isinstance(detail, list):
            message = "; ".join(str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail)
        elif not message and detail:
            message = str(detail)
        message = message or str(body.get("message") or "")
        code = code or str(body.get("code") or "")
    # Some vendors echo the key they rejected ("Invalid API key sk-…"): the message is shown in pages and logs.
    return redact(message or response.reason_phrase or f"HTTP {response.status_code}")[:500], code


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After is either delta-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def error_for_response(response: httpx.Response) -> VendorError | None:
    """The error a non-2xx vendor response means, or None for success."""
    status = response.status_code
    if status < 400:
        return None
    message, code = vendor_message(response)
    kwargs = {"status_code": status, "response_text": redact(response.text) if len(response.content) < 4000 else "",
              "vendor_code": code}
    if status == 401:
        return AuthError(message, **kwargs)
    if status == 403:  # another team's resource, not a bad key: see base.Forbidden
        return Forbidden(message, **kwargs)
    if status == 402:
        return InsufficientCredits(message, **kwargs)
    if status in (400, 422):
        return ValidationFailed(message, **kwargs)
    if status == 404:
        return NotFound(message, **kwargs)
    if status == 429:
        return RateLimited(message, retry_after=parse_retry_after(response.headers.get("Retry-After")), **kwargs)
    if status >= 500:
        return Unavailable(message, **kwargs)
    return ValidationFailed(message, **kwargs)


class VendorClient:
    """httpx.Client bound to one account's base URL and auth headers. `request` raises the error tree."""

    def __init__(self, base_url: str, *, headers: dict | None = None, transport: httpx.BaseTransport | None = None,
                 timeout: httpx.Timeout | None = None):
        self._http = httpx.Client(base_url=base_url, headers={"User-Agent": USER_AGENT, **(headers or {})},
                                  timeout=timeout or timeouts(), transport=transport, follow_redirects=False,
                                  verify=tls_context())

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        started = time.monotonic()
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            _log(method, self._http.build_request(method, path).url, "timeout", started)
            raise Unavailable(f"the vendor did not answer in time ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            _log(method, self._http.build_request(method, path).url, "error", started)
            raise Unavailable(f"could not reach the vendor ({type(exc).__name__})") from None
        _log(method, response.request.url, response.status_code, started)
        error = error_for_response(response)
        if error is not None:
            raise error
        return response

    def json(self, method: str, path: str, **kwargs):
        response = self.request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise Unavailable("the vendor answered with something that is not JSON",
                              status_code=response.status_code) from None

    def get(self, path: str, **kwargs):
        return self.json("GET", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self.json("POST", path, **kwargs)

    def close(self) -> None:
        self._http.close()


# --- The guarded downloader -------------------------------------------------------------------------------------
@dataclass
class Fetched:
    data: bytes
    content_type: str
    url: str


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries: IPv4-mapped ::ffff:a.b.c.d, 6to4 2002:AABB:CCDD::/16, NAT64
    64:ff9b::/96 (RFC 6052) and the deprecated IPv4-compatible ::a.b.c.d."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    packed = ip.packed
    if ip in ipaddress.IPv6Network("64:ff9b::/96") or ip in ipaddress.IPv6Network("64:ff9b:1::/48"):
        return ipaddress.IPv4Address(packed[-4:])
    if packed[:12] == bytes(12) and packed[12:] != bytes(4):
        return ipaddress.IPv4Address(packed[-4:])
    return None


def is_public_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return is_public_address(embedded)
    # is_global is False for loopback, private, link-local (169.254.169.254), CGNAT 100.64/10, documentation,
    # reserved and unspecified ranges.
    return ip.is_global and not ip.is_multicast


def _allowed_for_tests(host: str, port: int) -> bool:
    """STUDIO_FETCH_ALLOW_HOSTS lets tests reach their fake vendors on 127.0.0.1; empty in every real setting.
    Matches the host exactly as written in the URL, so http://2130706433/ never matches "127.0.0.1"."""
    for entry in getattr(settings, "STUDIO_FETCH_ALLOW_HOSTS", []) or []:
        entry_host, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if entry_host.lower() == host.lower() and (not entry_port or int(entry_port) == port):
            return True
    return False


def resolve_public(host: str, port: int) -> str:
    """The one IP we will connect to for `host`, after checking every address the name resolves to. Non-standard
    IPv4 spellings (2130706433, 0x7f000001, 127.1) resolve through inet_aton/getaddrinfo to what a socket would
    really reach, and are checked as that."""
    host = host.strip("[]")
    if not host:
        raise FetchRefused("the URL has no host")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FetchRefused("the URL's host does not resolve") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    if not addresses:
        raise FetchRefused("the URL's host does not resolve")
    if _allowed_for_tests(host, port):
        return str(addresses[0])
    refused = [a for a in addresses if not is_public_address(a)]
    if refused:
        raise FetchRefused("the URL points to a non-public address")
    return str(addresses[0])


def _pinned_request(client: httpx.Client, url: httpx.URL) -> httpx.Request:
    """A request that connects to the checked IP while speaking to the original host (Host header, TLS SNI and
    certificate check), so a DNS answer that changes after the check cannot redirect the connection."""
    if url.scheme not in ("http", "https"):
        raise FetchRefused("only http and https URLs are fetched")
    port = url.port or (443 if url.scheme == "https" else 80)
    ip = resolve_public(url.host, port)
    default_port = url.port is None
    host_header = url.host if ":" not in url.host else f"[{url.host}]"
    if not default_port:
        host_header += f":{url.port}"
    pinned = url.copy_with(host=ip)
    extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
    return client.build_request("GET", pinned, headers={"Host": host_header}, extensions=extensions)


def fetch_public(url: str, max_bytes: int | None = None) -> Fetched:
    """Download a URL that came from outside (a vendor output). Raises FetchRefused for anything unsafe or too big,
    OutputExpired for 403/404/410 (expired signed URLs), Unavailable for 5xx, timeouts and dropped connections."""
    max_bytes = max_bytes or settings.STUDIO_MAX_DOWNLOAD_BYTES
    current = _parse(url)
    with httpx.Client(timeout=timeouts(), follow_redirects=False, headers={"User-Agent": USER_AGENT},
                      trust_env=False, verify=tls_context()) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            request = _pinned_request(client, current)
            started = time.monotonic()
            try:
                response = client.send(request, stream=True)
            except httpx.TimeoutException:
                _log("GET", current, "timeout", started)
                raise Unavailable("the output download timed out") from None
            except httpx.TransportError as exc:
                _log("GET", current, "error", started)
                raise Unavailable(f"the output download failed ({type(exc).__name__})") from None
            try:
                _log("GET", current, response.status_code, started)
                if response.is_redirect:
                    current = _parse(str(current.join(response.headers.get("Location", ""))))
                    continue
                return _read_capped(response, current, max_bytes)
            finally:
                response.close()
    raise FetchRefused(f"more than {MAX_REDIRECTS} redirects")


def _parse(url: str) -> httpx.URL:
    try:
        return httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        raise FetchRefused("the URL is not a valid http(s) URL") from None


def _read_capped(response: httpx.Response, url: httpx.URL, max_bytes: int) -> Fetched:
    if response.status_code in (401, 403, 404, 410):
        raise OutputExpired("the output URL has expired or is no longer available", status_code=response.status_code)
    if response.status_code >= 500 or response.status_code == 429:
        raise Unavailable("the output host is unavailable", status_code=response.status_code)
    if response.status_code >= 300:
        raise FetchRefused("the output URL did not answer with a file", status_code=response.status_code)
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FetchRefused(f"the output is larger than the {max_bytes:,} byte limit")
    chunks, total = [], 0
    try:
        for chunk in response.iter_bytes(_CHUNK):
            total += len(chunk)
            if total > max_bytes:
                raise FetchRefused(f"the output is larger than the {max_bytes:,} byte limit")
            chunks.append(chunk)
    except httpx.TimeoutException:
        raise Unavailable("the output download timed out") from None
    except httpx.TransportError as exc:
        raise Unavailable(f"the output download was cut off ({type(exc).__name__})") from None
    return Fetched(b"".join(chunks), response.headers.get("Content-Type", ""), str(url))
